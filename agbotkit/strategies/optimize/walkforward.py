"""Walk-forward validation: optimise on a window, test the winner on the next one.

The data's time range is cut into ``K + 1`` equal segments. Fold ``i`` (``0 <= i < K``)
optimises on segment ``i`` (anchored: segments ``0..i``) and evaluates the best parameters
on segment ``i + 1``, which no trial has seen. An in-sample objective far above the
out-of-sample one is overfitting: the parameters fit the noise of their window.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from agbotkit.strategies.optimize.evaluate import Window
from agbotkit.strategies.optimize.objectives import TrialMetrics, json_number

__all__ = ["Fold", "FoldResult", "fold_lines", "split_folds", "summary"]


@attrs.frozen
class Fold:
    """One walk-forward fold.

    Attributes:
        index: 0, 1, ...
        train: the in-sample window (optimised on).
        test: the out-of-sample window (the best parameters evaluated on).
    """

    index: int
    train: Window
    test: Window


def split_folds(start_ms: int, end_ms: int, folds: int, *, anchored: bool = False) -> list[Fold]:
    """The ``folds`` folds of ``[start_ms, end_ms]`` (both included: the last frame too).

    Raises:
        ValueError: fewer than one fold, or a range too short for one ms per segment.
    """
    if folds < 1:
        raise ValueError(f"walk-forward needs at least 1 fold, got {folds}")
    stop = end_ms + 1  # windows end exclusively
    segments = folds + 1
    if stop - start_ms < segments:
        raise ValueError(f"the data's {stop - start_ms} ms cannot be cut into {segments} windows")
    bounds = [start_ms + (stop - start_ms) * j // segments for j in range(segments + 1)]
    return [
        Fold(
            index=i,
            train=Window(bounds[0] if anchored else bounds[i], bounds[i + 1]),
            test=Window(bounds[i + 1], bounds[i + 2]),
        )
        for i in range(folds)
    ]


@attrs.frozen
class FoldResult:
    """What one fold found.

    Attributes:
        fold: the fold.
        trials: how many trials completed in sample.
        best_params: the in-sample winner.
        in_sample_value: its objective in sample.
        out_of_sample_value: its objective out of sample.
        in_sample: its in-sample metrics.
        out_of_sample: its out-of-sample metrics.
    """

    fold: Fold
    trials: int
    best_params: Mapping[str, Any]
    in_sample_value: float
    out_of_sample_value: float
    in_sample: TrialMetrics
    out_of_sample: TrialMetrics

    def to_json(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "fold": self.fold.index,
            "in_sample_window": self.fold.train.to_json(),
            "out_of_sample_window": self.fold.test.to_json(),
            "trials": self.trials,
            "best_params": dict(self.best_params),
            "in_sample_value": json_number(self.in_sample_value),
            "out_of_sample_value": json_number(self.out_of_sample_value),
            "in_sample": self.in_sample.to_json(),
            "out_of_sample": self.out_of_sample.to_json(),
        }


def summary(results: Sequence[FoldResult]) -> dict[str, Any]:
    """Means of the in-sample and out-of-sample objectives, and their ratio (walk-forward
    efficiency: near 1 generalises, near 0 or below overfits; ``None`` when the in-sample
    mean is 0)."""
    if not results:
        return {"folds": 0}
    ins = sum(r.in_sample_value for r in results) / len(results)
    outs = sum(r.out_of_sample_value for r in results) / len(results)
    efficiency = outs / ins if ins != 0 and math.isfinite(ins) else None
    return {
        "folds": len(results),
        "mean_in_sample": json_number(ins),
        "mean_out_of_sample": json_number(outs),
        "efficiency": json_number(efficiency),
    }


def fold_lines(results: Sequence[FoldResult]) -> list[str]:
    """The folds as text lines for the terminal."""
    lines = ["fold  in-sample window -> out-of-sample   in-sample  out-of-sample  best params"]
    for r in results:
        params = ", ".join(
            f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in r.best_params.items()
        )
        lines.append(
            f"{r.fold.index:>4}  {r.fold.train.start_ms}..{r.fold.test.start_ms}..{r.fold.test.end_ms}"
            f"  {r.in_sample_value:>10.6g}  {r.out_of_sample_value:>13.6g}  {params}"
        )
    s = summary(results)
    if results:
        lines.append(
            f"mean in-sample {s['mean_in_sample']:.6g}, out-of-sample {s['mean_out_of_sample']:.6g}"
            + ("" if s["efficiency"] is None else f", efficiency {s['efficiency']:.3g}")
        )
    return lines
