"""What a bus message travels on: a named, typed :class:`Topic`, and the :class:`Overflow`
policy of a subscription to it."""

from __future__ import annotations

import enum
from typing import Generic, TypeVar

import attrs

__all__ = ["Overflow", "Topic"]

T = TypeVar("T")


class Overflow(enum.StrEnum):
    """What happens when a subscription's buffer is full."""

    BLOCK = "block"
    DROP_OLDEST = "drop-oldest"


@attrs.frozen
class Topic(Generic[T]):
    """A named, typed channel of the bus.

    Attributes:
        name: the topic's name (topics are equal when their names are).
        doc: what flows on it, for ``agbotkit`` docs and the dashboard.
    """

    name: str
    doc: str = attrs.field(default="", eq=False)
