"""Evaluating a set of parameters: one backtest over a time window, measured.

An :class:`Evaluator` is what a trial runs; :class:`BacktestEvaluator` is the real one
(a backtest of the stack's strategy with the trial's parameters). It is a plain value, so
worker processes receive it pickled.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import attrs

from agbotkit.marketdata.replay.recording import read_recording
from agbotkit.strategies.optimize.objectives import TrialMetrics, metrics_of

__all__ = ["BacktestEvaluator", "Evaluator", "Window", "data_range"]


@attrs.frozen
class Window:
    """A time window of the data, Unix ms.

    Attributes:
        start_ms: its first moment (``None``: the start of the data).
        end_ms: its end, exclusive (``None``: the end of the data).
    """

    start_ms: int | None = None
    end_ms: int | None = None

    def to_json(self) -> dict[str, int | None]:
        """Plain data."""
        return {"start_ms": self.start_ms, "end_ms": self.end_ms}


class Evaluator(Protocol):
    """Measures one set of parameters over one window (must be picklable)."""

    def __call__(self, params: Mapping[str, Any], window: Window) -> TrialMetrics:
        """Run and measure; an exception fails the trial."""


@attrs.frozen
class BacktestEvaluator:
    """A backtest of ``base`` with a trial's parameters over the trial's window.

    Attributes:
        base: the backtest as the stack and command line give it (its ``params`` are the
            values of the parameters the search does not vary).
    """

    base: Any  # a BacktestConfig

    def __call__(self, params: Mapping[str, Any], window: Window) -> TrialMetrics:
        """The metrics of the backtest with ``params`` over ``window``."""
        # Imported here: a worker process imports the backtester only when it runs one.
        from agbotkit.strategies.backtest.engine import Backtest, load_strategy, structure_params

        config = attrs.evolve(
            self.base,
            params={**self.base.params, **params},
            start_ms=self.base.start_ms if window.start_ms is None else window.start_ms,
            end_ms=self.base.end_ms if window.end_ms is None else window.end_ms,
        )
        cls = load_strategy(config.strategy)
        data = _load(tuple(config.data), tuple(config.markets), config.end_ms)
        return metrics_of(Backtest(config, data, cls, structure_params(cls, config.params)).run())


@functools.lru_cache(maxsize=1)
def _load(paths: tuple[str, ...], markets: tuple[str, ...], end_ms: int | None) -> Any:
    """The decoded recordings, loaded once per process and window end: decoding costs
    more than a short backtest, and every trial of a study replays the same data (the
    backtester resets the books before each run)."""
    from agbotkit.strategies.backtest.data import load_data

    return load_data(paths, markets=markets, end_ms=end_ms)


def data_range(paths: Sequence[str]) -> tuple[int, int]:
    """The receive times of the first and the last frame of the recordings ``paths``.

    Raises:
        RecordingError: a file cannot be read.
        ValueError: the recordings hold no frame.
    """
    first: int | None = None
    last: int | None = None
    for path in paths:
        frames = read_recording(path).frames
        if not frames:
            continue
        low = min(frame.received_ms for frame in frames)
        high = max(frame.received_ms for frame in frames)
        first = low if first is None else min(first, low)
        last = high if last is None else max(last, high)
    if first is None or last is None:
        raise ValueError(f"no frames in {', '.join(paths)}")
    return first, last
