"""The one cattrs converter of agbotkit, strict about types, and its error reporting.

Every config class (stack, component options, risk policies) is structured here, so a user
meets the same rules and the same messages everywhere: extra keys are refused, ``"10"`` is
not a number, ``1`` is not ``true``, and each problem names file, line and field path.
"""

from __future__ import annotations

import contextvars
import enum
import math
import typing
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError

from agbotkit.config.checks import FieldValueError
from agbotkit.config.document import FieldPath, YamlDocument
from agbotkit.errors import ConfigError, ConfigIssue

__all__ = ["CONVERTER", "issues_for", "structure", "unstructure"]

T = TypeVar("T")

#: Relative paths in the document being structured resolve against this folder.
_BASE_DIR: contextvars.ContextVar[Path] = contextvars.ContextVar("agbotkit_config_base_dir")


class _TypeMismatch(ValueError):
    """A value of the wrong type; its text is the whole user-facing message."""


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _expect(expected: str, value: Any) -> _TypeMismatch:
    return _TypeMismatch(f"expected {expected}, got {_describe(value)}")


def _structure_int(value: Any, cls: type) -> Any:
    if issubclass(cls, enum.Enum):  # IntEnum dispatches here as an int subclass
        return _structure_enum(value, cls)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _expect("an integer", value)
    return value


def _structure_float(value: Any, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _expect("a number", value)
    result = float(value)
    if math.isnan(result):
        raise _TypeMismatch("expected a number, got NaN")
    return result


def _structure_str(value: Any, cls: type) -> Any:
    if issubclass(cls, enum.Enum):  # StrEnum dispatches here as a str subclass
        return _structure_enum(value, cls)
    if not isinstance(value, str):
        raise _expect("a string", value)
    return value


def _structure_bool(value: Any, _: type) -> bool:
    if not isinstance(value, bool):
        raise _expect("true or false", value)
    return value


def _structure_decimal(value: Any, _: type) -> Decimal:
    # Exact amounts: "0.01" and 0.01 both mean one cent (a YAML float goes through str()).
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _expect("a decimal number", value)
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise _expect("a decimal number", value) from None
    if not result.is_finite():
        raise _expect("a finite decimal number", value)
    return result


def _structure_path(value: Any, _: type) -> Path:
    if not isinstance(value, str) or not value:
        raise _expect("a file path", value)
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = _BASE_DIR.get(Path.cwd()) / path
    return path


def _structure_enum(value: Any, cls: type[enum.Enum]) -> enum.Enum:
    for member in cls:
        if member.value == value:
            return member
    choices = ", ".join(repr(m.value) for m in cls)
    raise _TypeMismatch(f"expected one of {choices}, got {_describe(value)}")


def _is_homogeneous_tuple(cls: Any) -> bool:
    args = typing.get_args(cls)
    return typing.get_origin(cls) is tuple and len(args) == 2 and args[1] is Ellipsis


def _structure_tuple(value: Any, cls: Any) -> Any:
    # Config classes hold tuples (immutable) where YAML has lists. Refuse a bare string,
    # which cattrs would otherwise split into characters.
    if not isinstance(value, list | tuple):
        raise _expect("a list", value)
    return CONVERTER._structure_tuple(value, cls)


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(float, _structure_float)
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_structure_hook(Decimal, _structure_decimal)
    converter.register_structure_hook(Path, _structure_path)
    converter.register_structure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), _structure_enum
    )
    converter.register_structure_hook_func(_is_homogeneous_tuple, _structure_tuple)
    converter.register_unstructure_hook(Decimal, str)
    converter.register_unstructure_hook(Path, str)
    return converter


CONVERTER = _make_converter()


def structure(document: YamlDocument, cls: type[T], path: FieldPath = (), data: Any = None) -> T:
    """Structure the value at ``path`` of ``document`` (or ``data``) into ``cls``.

    Raises:
        ConfigError: listing every problem, each with file, line and field path.
    """
    value = document.value_at(path) if data is None else data
    token = _BASE_DIR.set(document.base_dir)
    try:
        return CONVERTER.structure(value, cls)
    except Exception as exc:  # cattrs raises groups and plain errors alike
        issues = [_issue(document, path, sub_path, err) for sub_path, err in _walk(exc, ())]
        raise ConfigError(issues) from None
    finally:
        _BASE_DIR.reset(token)


def unstructure(value: Any) -> Any:
    """Plain data for ``value`` (for JSON, logs and round trips)."""
    return CONVERTER.unstructure(value)


def _walk(exc: BaseException, path: FieldPath) -> Iterator[tuple[FieldPath, BaseException]]:
    """Flatten a cattrs error tree into (field path, leaf error) pairs."""
    if isinstance(exc, ClassValidationError | IterableValidationError):
        with_notes, without = exc.group_exceptions()
        for sub, note in with_notes:
            part = note.name if hasattr(note, "name") else note.index
            yield from _walk(sub, (*path, part))
        for sub in without:
            yield from _walk(sub, path)
    else:
        yield path, exc


def _issue(
    document: YamlDocument, root: FieldPath, sub: FieldPath, exc: BaseException
) -> ConfigIssue:
    if isinstance(exc, ForbiddenExtraKeysError):
        extra = sorted(exc.extra_fields)
        field_path = (*root, *sub, extra[0])
        names = ", ".join(repr(name) for name in extra)
        allowed = ", ".join(sorted(_field_names(exc.cl)))
        return document.issue(
            field_path, f"unknown field{'s' if len(extra) > 1 else ''} {names} (allowed: {allowed})"
        )
    field_path = (*root, *sub)
    if isinstance(exc, KeyError):
        return document.issue(field_path, "required field is missing")
    if isinstance(exc, FieldValueError):
        return document.issue((*field_path, exc.field), exc.message)
    if isinstance(exc, _TypeMismatch):
        return document.issue(field_path, str(exc))
    if isinstance(exc, AttributeError) and "items" in str(exc):
        return document.issue(
            field_path, f"expected a mapping, got {_value_text(document, field_path)}"
        )
    if isinstance(exc, TypeError | ValueError):
        return document.issue(
            field_path, f"invalid value {_value_text(document, field_path)}: {exc}"
        )
    return document.issue(field_path, f"invalid value: {exc}")


def _value_text(document: YamlDocument, path: FieldPath) -> str:
    try:
        return _describe(document.value_at(path))
    except (LookupError, TypeError):
        return "nothing"


def _field_names(cls: type) -> list[str]:
    return [a.name for a in attrs.fields(cls)] if attrs.has(cls) else []


def issues_for(document: YamlDocument, path: FieldPath, message: str) -> ConfigError:
    """A one-issue :class:`ConfigError` at ``path`` (for checks cattrs cannot make)."""
    return ConfigError([document.issue(path, message)])
