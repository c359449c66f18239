"""The optimisation's HTML page: the objective over the parameters, one self-contained file.

Drawn with Optuna's own plotly figures (objective per parameter, contours of parameter
pairs, the search's history) plus, with walk-forward, the in-sample and out-of-sample
objective per fold. plotly's JavaScript is inlined once, so the page opens offline.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import optuna
import plotly.graph_objects as go

from agbotkit.strategies.optimize.optimizer import OptimizeOutcome

__all__ = ["figures", "write_plot"]

#: Contour plots are drawn for at most this many parameters (their pairs grow fast).
MAX_CONTOUR_PARAMS = 4


def _walk_forward_figure(outcome: OptimizeOutcome) -> go.Figure:
    folds = [f"fold {r.fold.index}" for r in outcome.folds]
    figure = go.Figure(
        [
            go.Bar(name="in sample", x=folds, y=[r.in_sample_value for r in outcome.folds]),
            go.Bar(name="out of sample", x=folds, y=[r.out_of_sample_value for r in outcome.folds]),
        ]
    )
    figure.update_layout(
        title="Walk-forward: the best parameters in sample and on the next window",
        barmode="group",
        yaxis_title="objective",
    )
    return figure


def figures(outcome: OptimizeOutcome) -> list[tuple[str, Any]]:
    """``(heading, plotly figure)`` pairs for the page."""
    out: list[tuple[str, Any]] = []
    if outcome.folds:
        out.append(("Walk-forward", _walk_forward_figure(outcome)))
    for index, study in enumerate(outcome.studies):
        complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        if not complete:
            continue
        where = f" (fold {index})" if outcome.folds else ""
        names = sorted({name for trial in complete for name in trial.params})
        out.append((f"Objective per parameter{where}", optuna.visualization.plot_slice(study)))
        if len(names) >= 2:
            contour = optuna.visualization.plot_contour(study, params=names[:MAX_CONTOUR_PARAMS])
            out.append((f"Objective over parameter pairs{where}", contour))
        history = optuna.visualization.plot_optimization_history(study)
        out.append((f"Search history{where}", history))
    return out


def write_plot(outcome: OptimizeOutcome, path: str | Path, *, title: str) -> None:
    """Write the page to ``path``."""
    parts = []
    for number, (heading, figure) in enumerate(figures(outcome)):
        body = figure.to_html(
            full_html=False, include_plotlyjs=(number == 0), div_id=f"figure-{number}"
        )
        parts.append(f"<section><h2>{html.escape(heading)}</h2>{body}</section>")
    if not parts:
        parts.append("<p>No trial completed: nothing to plot.</p>")
    best = outcome.best
    summary = (
        "no trial completed"
        if best is None
        else f"best trial {best.number}: objective {best.value:.6g} with "
        + ", ".join(f"{k}={v}" for k, v in best.params.items())
    )
    page = (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}"
        "section{margin-bottom:2em}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(summary)}; "
        f"{len(outcome.rows)} trials; {outcome.jobs} worker process"
        + ("es" if outcome.jobs > 1 else "")
        + ".</p>"
        + "".join(parts)
        + "</body></html>\n"
    )
    Path(path).write_text(page, encoding="utf-8")
