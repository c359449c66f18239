"""attrs validators for config classes whose errors name the field they are about.

attrs' own validators raise a plain ``ValueError`` from ``__init__``, after cattrs has
finished with the field, so the error would point at the enclosing mapping. These raise
:class:`FieldValueError`, which the converter turns into ``file:line: path.field: message``.

attrs runs a class's validators one after the other and stops at the first that raises. So
that a config file's every out-of-range value is reported at once, the converter builds each
config class inside :func:`collecting`: there the validators of this module record their
error and let ``__init__`` go on, and the converter raises them all together.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any

import attrs

__all__ = [
    "FieldValueError",
    "at_least",
    "between",
    "collecting",
    "greater_than",
    "non_empty",
    "one_of",
    "report",
]

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


class FieldValueError(ValueError):
    """A field's value is of the right type but not allowed."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class _Sink:
    """The errors recorded for instances of one class while it is being built."""

    __slots__ = ("cls", "errors")

    def __init__(self, cls: type) -> None:
        self.cls = cls
        self.errors: list[FieldValueError] = []


_SINK: contextvars.ContextVar[_Sink | None] = contextvars.ContextVar(
    "agbotkit_field_errors", default=None
)


@contextlib.contextmanager
def collecting(cls: type) -> Iterator[list[FieldValueError]]:
    """While building ``cls``, record (see :func:`report`) instead of raising.

    Yields the list the errors of ``cls``'s fields are recorded in, one per field at most.
    Instances of other classes built meanwhile (nested config classes have their own
    ``collecting``) still raise.
    """
    sink = _Sink(cls)
    token = _SINK.set(sink)
    try:
        yield sink.errors
    finally:
        _SINK.reset(token)


def report(instance: Any, error: FieldValueError) -> None:
    """Raise ``error``, or record it when ``instance``'s class is being built by the converter.

    For validators: only the first error of each field is kept, so a field with two failed
    checks (``[non_empty(), one_of(...)]``) is reported once.
    """
    sink = _SINK.get()
    if sink is None or not isinstance(instance, sink.cls):
        raise error
    if all(known.field != error.field for known in sink.errors):
        sink.errors.append(error)


def _check(test: Callable[[Any], bool], describe: str) -> Validator:
    def validate(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None and not test(value):
            report(instance, FieldValueError(attribute.name, f"expected {describe}, got {value!r}"))

    return validate


def at_least(bound: float) -> Validator:
    """The value must be >= ``bound``."""
    return _check(lambda value: value >= bound, f"a value >= {bound}")


def greater_than(bound: float) -> Validator:
    """The value must be > ``bound``."""
    return _check(lambda value: value > bound, f"a value > {bound}")


def between(low: float, high: float) -> Validator:
    """The value must lie in ``[low, high]``."""
    return _check(lambda value: low <= value <= high, f"a value between {low} and {high}")


def non_empty() -> Validator:
    """A string or collection must not be empty."""
    return _check(lambda value: len(value) > 0, "a non-empty value")


def one_of(*choices: Any) -> Validator:
    """The value must be one of ``choices``."""
    return _check(lambda value: value in choices, "one of " + ", ".join(map(repr, choices)))
