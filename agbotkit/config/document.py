"""YAML documents that remember where every value came from.

A :class:`YamlDocument` holds the plain data (dicts, lists, scalars) that the converter
structures, plus the ruamel node tree so an error at a field path can name its line.
``${VAR}`` and ``${VAR:-default}`` in strings are replaced from the environment; an unquoted
value that is one reference gets the type YAML would give its text, a quoted one stays a string.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from io import StringIO
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from agbotkit.errors import ConfigError, ConfigIssue

__all__ = ["FieldPath", "YamlDocument", "format_path"]

#: A field path: mapping keys and list indexes from the document root.
FieldPath = tuple[str | int, ...]

_ENV_REF = re.compile(r"\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def format_path(path: FieldPath) -> str:
    """``("components", "risk", "limits", 0)`` -> ``components.risk.limits[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class YamlDocument:
    """A parsed YAML file: plain data plus line numbers for every field path.

    Attributes:
        file: the name used in error messages (the path as given, or ``<string>``).
        base_dir: relative paths inside the document resolve against this folder.
        data: the document as plain Python values, environment references resolved.
    """

    def __init__(
        self,
        text: str,
        file: str = "<string>",
        *,
        base_dir: Path | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.file = file
        self.base_dir = base_dir if base_dir is not None else Path.cwd()
        self._environ = os.environ if environ is None else environ
        self._issues: list[ConfigIssue] = []
        self._lines = text.splitlines()
        yaml = YAML(typ="rt", pure=True)
        yaml.preserve_quotes = True  # a quoted '${VAR}' stays a string (see _interpolate)
        try:
            self._root: Any = yaml.load(StringIO(text))
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else None
            problem = exc.problem or exc.context or "invalid YAML"
            raise ConfigError(
                [ConfigIssue(file, line, "", f"YAML syntax error: {problem}")]
            ) from None
        except YAMLError as exc:  # errors without a position (rare): still name the file
            raise ConfigError([ConfigIssue(file, None, "", f"YAML error: {exc}")]) from None
        self.data: Any = self._to_plain(self._root, ())
        if self._issues:
            raise ConfigError(self._issues)

    @classmethod
    def from_file(
        cls, path: str | Path, *, environ: Mapping[str, str] | None = None
    ) -> YamlDocument:
        """Read and parse ``path``; a missing or unreadable file is a :class:`ConfigError`."""
        path = Path(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ConfigError(
                [ConfigIssue(str(path), None, "", f"cannot read: {exc.strerror}")]
            ) from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            message = (
                f"not UTF-8 text: byte 0x{raw[exc.start]:02x} at offset {exc.start} "
                "cannot be decoded (save the file as UTF-8)"
            )
            raise ConfigError([ConfigIssue(str(path), line, "", message)]) from None
        return cls(text, str(path), base_dir=path.resolve().parent, environ=environ)

    def line_of(self, path: FieldPath) -> int | None:
        """The 1-based line of the deepest node of ``path`` present in the document.

        A key brought in by a YAML merge (``<<: *anchor``) has no line of its own in the
        mapping: it is placed at the ``<<`` entry, and the path is not followed further.
        """
        node = self._root
        line: int | None = None
        if isinstance(node, CommentedMap | CommentedSeq):
            line = node.lc.line + 1
        for part in path:
            if isinstance(node, CommentedMap) and part in node:
                key_line = _key_line(node, part)
                if key_line is None:
                    return self._merge_line(node)
                line = key_line
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
                line = node.lc.item(part)[0] + 1
                node = node[part]
            else:
                break
        return line

    def _merge_line(self, node: CommentedMap) -> int:
        """The 1-based line of ``node``'s ``<<`` entry (else of the mapping itself).

        ruamel drops the ``<<`` key and keeps only its position among the keys, so the line
        is looked for in the text between the keys around that position.
        """
        start = int(node.lc.line)
        merge = getattr(node, "merge", None)
        position = getattr(merge, "merge_pos", None)
        if not isinstance(position, int):
            return start + 1
        lines = [int(value[0]) for value in (node.lc.data or {}).values()]
        if 0 < position <= len(lines):
            start = lines[position - 1]
        end = lines[position] if position < len(lines) else len(self._lines) - 1
        for index in range(start, min(end, len(self._lines) - 1) + 1):
            if "<<" in self._lines[index]:
                return index + 1
        return int(node.lc.line) + 1

    def value_at(self, path: FieldPath) -> Any:
        """The plain value at ``path``; raises ``LookupError`` when it is absent."""
        node = self.data
        for part in path:
            node = node[part]
        return node

    def issue(self, path: FieldPath, message: str) -> ConfigIssue:
        """A :class:`ConfigIssue` for ``path`` in this document."""
        return ConfigIssue(self.file, self.line_of(path), format_path(path), message)

    def _to_plain(self, node: Any, path: FieldPath) -> Any:
        if isinstance(node, Mapping):
            out: dict[Any, Any] = {}
            for key, value in node.items():
                if not isinstance(key, str):
                    message = f"keys must be strings, got {key!r}"
                    line = _key_line(node, key) if isinstance(node, CommentedMap) else None
                    self._issues.append(
                        self.issue(path, message)
                        if line is None
                        else ConfigIssue(self.file, line, format_path(path), message)
                    )
                    continue
                # str(): a quoted key is a ruamel subclass of str (quotes are preserved)
                out[str(key)] = self._to_plain(value, (*path, key))
            return out
        if isinstance(node, list):
            return [self._to_plain(item, (*path, i)) for i, item in enumerate(node)]
        # ruamel wraps scalars in subclasses (ScalarFloat, ...): hand out the base types.
        if isinstance(node, bool) or node is None:
            return node
        if isinstance(node, int):
            return int(node)
        if isinstance(node, float):
            return float(node)
        if isinstance(node, str):
            quoted = isinstance(node, SingleQuotedScalarString | DoubleQuotedScalarString)
            return self._interpolate(str(node), path, typed=not quoted)
        return node

    def _interpolate(self, text: str, path: FieldPath, *, typed: bool = True) -> Any:
        if "${" not in text:
            return text
        missing: list[str] = []

        def substitute(match: re.Match[str]) -> str:
            escaped, name, default = match.groups()
            if escaped:  # "$${X}" stands for a literal "${X}"
                return match.group(0)[1:]
            value = self._environ.get(name)
            if value is None or (value == "" and default is not None):
                if default is None:
                    missing.append(name)
                    return ""
                return default
            return value

        result = _ENV_REF.sub(substitute, text)
        for name in missing:
            self._issues.append(
                self.issue(
                    path,
                    f"environment variable {name!r} is not set "
                    f"(write ${{{name}:-default}} to give a default)",
                )
            )
        whole = _ENV_REF.fullmatch(text)
        if typed and whole is not None and not whole.group(1):
            # An unquoted value that is one reference takes the type YAML would give its
            # text, so `port: ${PORT:-8080}` is a number; quoted, it stays a string, as a
            # quoted scalar does in YAML (`funder: "${WALLET}"` keeps 0x12ab as text).
            return _yaml_scalar(result)
        return result


def _key_line(node: CommentedMap, key: Any) -> int | None:
    """The 1-based line of ``key`` in ``node``; None for a key brought in by a merge."""
    try:
        return int(node.lc.key(key)[0]) + 1
    except (KeyError, TypeError, IndexError):
        return None


def _yaml_scalar(text: str) -> Any:
    if text.strip() == "":
        return text
    try:
        value = YAML(typ="safe", pure=True).load(text)
    except YAMLError:
        return text
    return value if isinstance(value, bool | int | float | str) or value is None else text
