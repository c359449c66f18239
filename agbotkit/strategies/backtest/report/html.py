"""A backtest's report: one HTML file with every plot drawn by plotly (its JavaScript is
inlined, so the file opens offline) and the performance metrics.

Plots: the equity curve, the drawdown, the position per token, each traded token's mid
with the fills on it, and the PnL by market. Each plot sits in a ``<section class="plot">``
with its name in ``data-plot`` (what the browser test checks).
"""

from __future__ import annotations

import html
import math
import time
from pathlib import Path
from typing import Any

import attrs

from agbotkit.strategies.backtest.result import BacktestResult

__all__ = ["PLOTS", "render_report", "write_report"]

#: The plots every report has (one ``price`` plot per traded token comes on top).
PLOTS = ("equity", "drawdown", "positions", "pnl_by_market")

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin: 1.2rem 0 0.2rem; }
table { border-collapse: collapse; } td, th { padding: 0.2rem 0.8rem; text-align: right; }
th { text-align: left; font-weight: normal; color: #555; }
section.plot { max-width: 1100px; }
"""


def _short(identifier: str) -> str:
    return identifier if len(identifier) <= 14 else f"{identifier[:8]}…{identifier[-4:]}"


def _figures(result: BacktestResult) -> list[tuple[str, str, Any]]:
    import plotly.graph_objects as go  # the report's optional dependency (extra "backtest")

    times = [t for t, _ in result.equity]
    equity = [e for _, e in result.equity]
    peak = -math.inf
    drawdown = []
    for value in equity:
        peak = max(peak, value)
        drawdown.append(value / peak - 1.0 if peak > 0 else 0.0)
    dates = [_date(t) for t in times]
    figures: list[tuple[str, str, Any]] = [
        ("equity", "Equity (USD)", go.Figure(go.Scatter(x=dates, y=equity, mode="lines"))),
        (
            "drawdown",
            "Drawdown",
            go.Figure(go.Scatter(x=dates, y=drawdown, mode="lines", fill="tozeroy")),
        ),
    ]
    timeline = result.timeline
    sample_dates = [_date(t) for t in timeline.times_ms]
    positions = go.Figure()
    for token, sizes in sorted(timeline.positions.items()):
        positions.add_trace(
            go.Scatter(x=sample_dates, y=list(sizes), mode="lines", name=_short(token))
        )
    figures.append(("positions", "Position per token (shares)", positions))
    traded = sorted({fill.token_id for fill in result.fills})
    for token in traded:
        price = go.Figure()
        mids = timeline.mids.get(token, ())
        price.add_trace(go.Scatter(x=sample_dates, y=list(mids), mode="lines", name="mid"))
        for side, colour in (("BUY", "#1a7f37"), ("SELL", "#cf222e")):
            fills = [f for f in result.fills if f.token_id == token and f.side.value == side]
            price.add_trace(
                go.Scatter(
                    x=[_date(f.timestamp_ms) for f in fills],
                    y=[float(f.price) for f in fills],
                    mode="markers",
                    name=f"{side.lower()} fills",
                    marker={"color": colour, "size": 7},
                )
            )
        market = _short(timeline.markets.get(token, ""))
        figures.append(("price", f"Fills on the price of {_short(token)} ({market})", price))
    markets = list(result.pnl_by_market)
    figures.append(
        (
            "pnl_by_market",
            "PnL by market (USD)",
            go.Figure(
                go.Bar(x=[_short(m) for m in markets], y=[result.pnl_by_market[m] for m in markets])
            ),
        )
    )
    for _, _, figure in figures:
        figure.update_layout(height=320, margin={"l": 50, "r": 20, "t": 20, "b": 40})
    return figures


def _date(ms: int) -> str:
    # ISO text rather than datetime objects: the same result renders byte-identically.
    seconds, milli = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{milli:03d}Z"


def _metrics_table(result: BacktestResult) -> str:
    rows = [
        ("events replayed", f"{result.events:,}"),
        ("orders sent", f"{result.orders_submitted:,}"),
        ("fills", f"{len(result.fills):,}"),
        ("total PnL (USD)", f"{result.total_pnl_usd:+.4f}"),
    ]
    if result.performance is not None:
        for key, value in attrs.asdict(result.performance).items():
            rows.append((key.replace("_", " "), f"{value:.6g}"))
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


def render_report(result: BacktestResult, *, title: str = "Backtest") -> str:
    """The report as one HTML document."""
    import plotly.io as pio

    sections = []
    for index, (name, heading, figure) in enumerate(_figures(result)):
        div = pio.to_html(
            figure,
            full_html=False,
            include_plotlyjs=index == 0,  # once, inline: the file needs no network
            div_id=f"plot-{index}",
            config={"displaylogo": False},
        )
        sections.append(
            f'<section class="plot" data-plot="{name}"><h2>{html.escape(heading)}</h2>'
            f"{div}</section>"
        )
    period = result.returns_period_ms
    note = (
        f"Metrics from returns every {period / 1000:g} s, annualised as if each were a day."
        if period and period < 86_400_000
        else "Metrics from daily returns."
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{_metrics_table(result)}<p>{note}</p>"
        f"{''.join(sections)}</body></html>\n"
    )


def write_report(result: BacktestResult, path: str | Path, *, title: str = "Backtest") -> None:
    """Write the report to ``path``."""
    Path(path).write_text(render_report(result, title=title), encoding="utf-8")
