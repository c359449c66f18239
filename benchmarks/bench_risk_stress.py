"""How long the stress scenarios and the performance metrics take.

Run: ``python benchmarks/bench_risk_stress.py``. Prints the best-of-several time of each
built-in scenario on 1,000 positions (500 markets: YES and NO tokens, a third of them in
neg-risk events of 5 markets, 40 % linked to BTC or ETH), the portfolio's one-off layout,
and a ``PerformanceReport`` over 10 years (2,520) of daily returns. No targets: issue 15
sets none for these; they are printed for reference.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from agbotkit.risk.advanced.performance import PerformanceReport
from agbotkit.risk.advanced.stress.engine import stress_test
from agbotkit.risk.advanced.stress.positions import StressPortfolio, StressPosition, Underlying
from agbotkit.risk.advanced.stress.scenarios import (
    all_resolve_against,
    liquidity_vanishes,
    reference_crash,
)

POSITIONS = 1000
REPEATS = 7
ROUNDS = 20


def positions(seed: int = 1) -> list[StressPosition]:
    """1,000 positions: both tokens of 500 markets, with books, events and links."""
    rng = np.random.default_rng(seed)
    out = []
    for market in range(POSITIONS // 2):
        event = f"event-{market // 5}" if market % 3 == 0 else None
        link = None
        if market % 5 < 2:
            symbol, spot = ("BTC", 100_000.0) if market % 2 else ("ETH", 3_000.0)
            link = Underlying(
                symbol,
                spot=spot,
                strike=spot * rng.uniform(0.8, 1.2),
                days_to_expiry=float(rng.integers(1, 120)),
                direction="above" if rng.random() < 0.7 else "below",
                volatility=float(rng.uniform(0.3, 0.9)),
            )
        yes = float(rng.uniform(0.03, 0.97))
        for outcome, mid in (("yes", yes), ("no", 1.0 - yes)):
            half = float(rng.uniform(0.0, 0.02))
            out.append(
                StressPosition(
                    token=f"m{market}-{outcome}",
                    market=f"m{market}",
                    shares=float(rng.normal(0, 500)),
                    mid=mid,
                    outcome=outcome,
                    event=event,
                    bid=max(mid - half, 0.0),
                    ask=min(mid + half, 1.0),
                    bid_size=float(rng.uniform(0, 800)),
                    ask_size=float(rng.uniform(0, 800)),
                    underlying=link if outcome == "yes" else None,
                )
            )
    return out


def best_ms(run: Callable[[], object], rounds: int = ROUNDS) -> float:
    """Best-of-``REPEATS`` time of one ``run()``, in ms."""
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(rounds):
            run()
        best = min(best, (time.perf_counter() - start) / rounds)
    return best * 1e3


def main() -> None:
    held = positions()
    portfolio = StressPortfolio(held)
    layout = best_ms(lambda: StressPortfolio(held), rounds=3)
    print(f"risk.stress_portfolio_layout_1000: {layout:.2f} ms (once per portfolio)")
    for scenario in (all_resolve_against(), reference_crash(), liquidity_vanishes()):
        result = stress_test(portfolio, scenario)
        ms = best_ms(lambda scenario=scenario: stress_test(portfolio, scenario))
        print(
            f"risk.stress_{scenario.name}_1000: {ms:.3f} ms "
            f"(total PnL {result.total_pnl_usd:,.0f} USD)"
        )
    returns = np.random.default_rng(2).normal(0.0004, 0.012, size=2520)
    report = PerformanceReport.from_returns(returns)
    ms = best_ms(lambda: PerformanceReport.from_returns(returns), rounds=200)
    print(
        f"risk.performance_report_10y: {ms * 1e3:.1f} µs "
        f"(Sharpe {report.sharpe_ratio:.2f}, max drawdown {report.max_drawdown:.1%})"
    )


if __name__ == "__main__":
    main()
