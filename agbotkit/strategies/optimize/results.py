"""A study's trials as rows: best first, for the terminal table and the JSON result."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import optuna

from agbotkit.strategies.optimize.objectives import TrialMetrics, json_number
from agbotkit.strategies.optimize.worker import ERROR_ATTR

__all__ = ["TrialRow", "rows_of", "table_lines"]


@attrs.frozen
class TrialRow:
    """One trial of a study.

    Attributes:
        number: its number in the study (0, 1, ...).
        state: ``COMPLETE``, ``FAIL``, ``RUNNING``, ...
        value: the objective's value (``None`` unless complete).
        params: the parameters it tried.
        metrics: what its backtest measured (``None`` unless complete).
        error: why it failed, if it did.
    """

    number: int
    state: str
    value: float | None
    params: Mapping[str, Any]
    metrics: TrialMetrics | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "number": self.number,
            "state": self.state,
            "value": json_number(self.value),
            "params": dict(self.params),
            "metrics": None if self.metrics is None else self.metrics.to_json(),
            "error": self.error,
        }


def _row(trial: optuna.trial.FrozenTrial) -> TrialRow:
    metrics = None
    if trial.state == optuna.trial.TrialState.COMPLETE and "pnl_usd" in trial.user_attrs:
        metrics = TrialMetrics.from_json(trial.user_attrs)
    return TrialRow(
        number=trial.number,
        state=trial.state.name,
        value=trial.value if trial.state == optuna.trial.TrialState.COMPLETE else None,
        params=dict(trial.params),
        metrics=metrics,
        error=trial.user_attrs.get(ERROR_ATTR),
    )


def _order(row: TrialRow) -> tuple[int, float, int]:
    if row.value is None or math.isnan(row.value):
        return (1, 0.0, row.number)
    return (0, -row.value, row.number)


def rows_of(study: optuna.Study) -> list[TrialRow]:
    """The study's trials, best first (then the failed and unfinished ones, by number)."""
    return sorted((_row(trial) for trial in study.get_trials(deepcopy=False)), key=_order)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def table_lines(rows: Sequence[TrialRow], names: Sequence[str], *, limit: int = 20) -> list[str]:
    """A text table of the first ``limit`` rows: rank, trial, parameters, objective and
    the backtest's numbers (failed trials show their error)."""
    header = ["#", "trial", *names, "objective", "pnl_usd", "sharpe", "max_dd_usd", "fills"]
    body = []
    for rank, row in enumerate(rows[:limit], start=1):
        cells = [str(rank), str(row.number), *(_cell(row.params.get(n, "")) for n in names)]
        if row.metrics is None or row.value is None:
            cells += [row.state.lower(), (row.error or "")[:60], "", "", ""]
        else:
            m = row.metrics
            cells += [_cell(row.value), f"{m.pnl_usd:.2f}", _cell(m.sharpe)]
            cells += [f"{m.max_drawdown_usd:.2f}", str(m.fills)]
        body.append(cells)
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in [header, *body]]
    if len(rows) > limit:
        lines.append(f"... {len(rows) - limit} more trials (all in the JSON result)")
    return lines
