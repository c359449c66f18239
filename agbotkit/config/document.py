"""YAML documents that remember where every value came from.

A :class:`YamlDocument` holds the plain data (dicts, lists, scalars) that the converter
structures, plus the ruamel node tree so an error at a field path can name its line.
``${VAR}`` and ``${VAR:-default}`` in strings are replaced from the environment.
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
        yaml = YAML(typ="rt", pure=True)
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
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                [ConfigIssue(str(path), None, "", f"cannot read: {exc.strerror}")]
            ) from None
        return cls(text, str(path), base_dir=path.resolve().parent, environ=environ)

    def line_of(self, path: FieldPath) -> int | None:
        """The 1-based line of the deepest node of ``path`` present in the document."""
        node = self._root
        line: int | None = None
        if isinstance(node, CommentedMap | CommentedSeq):
            line = node.lc.line + 1
        for part in path:
            if isinstance(node, CommentedMap) and part in node:
                line = node.lc.key(part)[0] + 1
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
                line = node.lc.item(part)[0] + 1
                node = node[part]
            else:
                break
        return line

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
                    self._issues.append(self.issue(path, f"keys must be strings, got {key!r}"))
                    continue
                out[key] = self._to_plain(value, (*path, key))
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
            return self._interpolate(str(node), path)
        return node

    def _interpolate(self, text: str, path: FieldPath) -> Any:
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
        if whole is not None and not whole.group(1):
            # A value that is one reference takes the type YAML would give its text,
            # so `port: ${PORT:-8080}` is a number.
            return _yaml_scalar(result)
        return result


def _yaml_scalar(text: str) -> Any:
    if text.strip() == "":
        return text
    try:
        value = YAML(typ="safe", pure=True).load(text)
    except YAMLError:
        return text
    return value if isinstance(value, bool | int | float | str) or value is None else text
