"""``Composite``: one number from several signals, by weighted sum or by weighted vote."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

__all__ = ["Composite", "Signal"]


class Signal(Protocol):
    """What every signal offers: its latest ``value`` and whether it is ``ready``."""

    @property
    def value(self) -> float:
        """The latest value."""

    @property
    def ready(self) -> bool:
        """Whether ``value`` may be used."""


class Composite:
    """A weighted combination of signals that are updated elsewhere (by the strategy that
    owns them); reading ``value`` costs O(number of signals).

    ``mode="sum"``: ``sum(weight * (signal.value - center))``. ``mode="vote"``: each
    signal votes its weight for the sign of ``value - center``; ``value`` is the votes'
    sum over the sum of the absolute weights, from -1 to 1.

    Args:
        signals: ``(signal, weight)`` or ``(signal, weight, center)`` (center 0 if left
            out: give it for a signal that is not centred on 0, e.g. RSI's 50).
        mode: ``sum`` or ``vote``.
    """

    __slots__ = ("_mode", "_parts")

    def __init__(
        self,
        signals: Sequence[tuple[Signal, float] | tuple[Signal, float, float]],
        mode: str = "sum",
    ) -> None:
        if mode not in ("sum", "vote"):
            raise ValueError(f"mode must be 'sum' or 'vote', got {mode!r}")
        if not signals:
            raise ValueError("a composite needs at least one signal")
        self._mode = mode
        self._parts = [(part[0], part[1], part[2] if len(part) == 3 else 0.0) for part in signals]

    @property
    def ready(self) -> bool:
        """Whether every signal is ready."""
        return all(signal.ready for signal, _, _ in self._parts)

    @property
    def value(self) -> float:
        """The combination (NaN until every signal is ready)."""
        if not self.ready:
            return math.nan
        if self._mode == "sum":
            return sum(weight * (signal.value - center) for signal, weight, center in self._parts)
        votes = sum(weight * _sign(signal.value - center) for signal, weight, center in self._parts)
        return votes / sum(abs(weight) for _, weight, _ in self._parts)


def _sign(x: float) -> float:
    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0
