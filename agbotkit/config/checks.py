"""attrs validators for config classes whose errors name the field they are about.

attrs' own validators raise a plain ``ValueError`` from ``__init__``, after cattrs has
finished with the field, so the error would point at the enclosing mapping. These raise
:class:`FieldValueError`, which the converter turns into ``file:line: path.field: message``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

__all__ = ["FieldValueError", "at_least", "between", "greater_than", "non_empty", "one_of"]

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


class FieldValueError(ValueError):
    """A field's value is of the right type but not allowed."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def _check(test: Callable[[Any], bool], describe: str) -> Validator:
    def validate(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None and not test(value):
            raise FieldValueError(attribute.name, f"expected {describe}, got {value!r}")

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
