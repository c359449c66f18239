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
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.cols import is_mapping, mapping_structure_factory
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError

from agbotkit.config.checks import FieldValueError, collecting
from agbotkit.config.document import FieldPath, YamlDocument
from agbotkit.errors import ConfigError, ConfigIssue

__all__ = ["CONVERTER", "issues_for", "structure", "structure_options", "unstructure"]

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


def _attrs_hook_factory(converter: cattrs.Converter) -> Callable[[Any], Any]:
    """Structure attrs classes from mappings only, reporting every refused field value.

    cattrs' own hook fails on a scalar with a Python error text (``'int' object is not
    iterable``); and attrs stops at the first validator that fails, so a second out-of-range
    value of the same section would only show once the first is fixed. Here the validators
    of :mod:`agbotkit.config.checks` record their errors while the class is built (see
    :func:`~agbotkit.config.checks.collecting`), and when some field could not even be
    structured, the checks of the other fields still run.
    """

    def factory(cls: Any) -> Callable[[Any, Any], Any]:
        build = converter.gen_structure_attrs_fromdict(cls)
        target = typing.get_origin(cls) or cls
        name = getattr(target, "__name__", repr(target))

        def structure_attrs(value: Any, _: Any) -> Any:
            if not isinstance(value, Mapping):
                raise _expect("a mapping", value)
            with collecting(target) as errors:
                try:
                    result = build(value, cls)
                except ClassValidationError as exc:
                    with_notes, without = exc.group_exceptions()
                    if with_notes or any(isinstance(e, ForbiddenExtraKeysError) for e in without):
                        # Refused before the class was built: check the other fields too.
                        failed = {note.name for _, note in with_notes}
                        checks = _check_fields(converter, target, value, failed)
                        if not checks:
                            raise
                        raise ClassValidationError(
                            exc.message, [*exc.exceptions, *checks], target
                        ) from None
                    # Raised by __init__ or __attrs_post_init__. Built with the recorded bad
                    # values, __attrs_post_init__ may fail on them for other reasons: the
                    # recorded errors are the ones to report.
                    for error in without:
                        if isinstance(error, FieldValueError) and _is_new(error, errors):
                            errors.append(error)
                    if not errors:
                        raise
            if errors:
                raise ClassValidationError(f"While structuring {name}", list(errors), target)
            return result

        return structure_attrs

    return factory


def _is_new(error: FieldValueError, errors: list[FieldValueError]) -> bool:
    return all(known.field != error.field for known in errors)


def _check_fields(
    converter: cattrs.Converter, cls: Any, value: Mapping[str, Any], failed: set[str]
) -> list[FieldValueError]:
    """The refused values among the fields of ``cls`` that ``value`` gives and that could be
    structured (those in ``failed`` could not); a check that needs the whole instance, or
    fails for another reason, is left out."""
    errors: list[FieldValueError] = []
    for field in attrs.fields(cls):
        if field.validator is None or field.name in failed or field.name not in value:
            continue
        try:
            checked = converter.structure(value[field.name], field.type)
            if field.converter is not None and callable(field.converter):
                checked = field.converter(checked)
            field.validator(None, field, checked)
        except FieldValueError as error:
            if _is_new(error, errors):
                errors.append(error)
        except Exception:  # only the checks' own verdicts count here
            continue
    return errors


def _is_plain_mapping(cls: Any) -> bool:
    origin = typing.get_origin(cls) or cls
    return is_mapping(cls) and origin in (dict, Mapping, MutableMapping)


def _mapping_hook_factory(converter: cattrs.Converter) -> Callable[[Any], Any]:
    """Structure ``dict[K, V]`` (and ``Mapping``) fields from mappings only."""

    def factory(cls: Any) -> Callable[[Any, Any], Any]:
        build = mapping_structure_factory(cls, converter, dict)

        def structure_mapping(value: Any, _: Any) -> Any:
            if not isinstance(value, Mapping):
                raise _expect("a mapping", value)
            return build(value, cls)

        return structure_mapping

    return factory


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    converter.register_structure_hook_factory(attrs.has, _attrs_hook_factory(converter))
    converter.register_structure_hook_factory(_is_plain_mapping, _mapping_hook_factory(converter))
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
    path, message = _problem(lambda at: _value_text(document, at), (*root, *sub), exc)
    return document.issue(path, message)


def _problem(
    value_text: Callable[[FieldPath], str], field_path: FieldPath, exc: BaseException
) -> tuple[FieldPath, str]:
    """Where a structuring error is and what to tell the user about it."""
    if isinstance(exc, ForbiddenExtraKeysError):
        extra = sorted(exc.extra_fields)
        names = ", ".join(repr(name) for name in extra)
        allowed = ", ".join(sorted(_field_names(exc.cl)))
        plural = "s" if len(extra) > 1 else ""
        return (*field_path, extra[0]), f"unknown field{plural} {names} (allowed: {allowed})"
    if isinstance(exc, KeyError):
        return field_path, "required field is missing"
    if isinstance(exc, FieldValueError):
        return (*field_path, exc.field), exc.message
    if isinstance(exc, _TypeMismatch):
        return field_path, str(exc)
    if isinstance(exc, TypeError | ValueError):
        return field_path, f"invalid value {value_text(field_path)}: {exc}"
    return field_path, f"invalid value: {exc}"


def structure_options(
    cls: type[T], data: Any, *, base_dir: Path
) -> tuple[T | None, list[tuple[FieldPath, str]]]:
    """Structure plain ``data`` into ``cls`` outside a document: the value, or ``None``
    and every problem as (field path within ``data``, message).

    For options nested in another component's options (a venue's under ``execution``),
    checked in a preflight that reports them as problems with their paths.
    """
    token = _BASE_DIR.set(base_dir)
    try:
        return CONVERTER.structure(data, cls), []
    except Exception as exc:  # cattrs raises groups and plain errors alike

        def value_text(path: FieldPath) -> str:
            node = data
            try:
                for part in path:
                    node = node[part]
            except (LookupError, TypeError):
                return "nothing"
            return _describe(node)

        return None, [_problem(value_text, sub, err) for sub, err in _walk(exc, ())]
    finally:
        _BASE_DIR.reset(token)


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
