"""How long VaR takes: historical over ten years of daily returns, and Monte Carlo with
100,000 paths on a 50-market Polymarket portfolio.

Run: ``python benchmarks/bench_risk_var.py``. Prints the best of several runs of each
computation (one call each, inputs checked, result built), with the issue's targets:
historical VaR over 2,520 daily returns <= 1 ms; Monte Carlo VaR with 100,000 paths on a
50-market portfolio <= 50 ms. For reference it also prints parametric VaR, the binary
Monte Carlo with independent paths (no antithetic pairs) and with a correlation matrix, and
the returns-based Monte Carlo (normal and bootstrap) with 100,000 paths.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from agbotkit.risk.advanced.binary import BinaryPosition, binary_var
from agbotkit.risk.advanced.var import VarEngine

DAYS = 2520
MARKETS = 50
PATHS = 100_000


def best_of(call: Callable[[], object], repeats: int) -> float:
    """Best wall time of ``repeats`` calls, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


def portfolio(seed: int = 1) -> list[BinaryPosition]:
    """50 positions: 30 markets alone (a fifth resolving within the day), and four neg-risk
    events of five outcomes (one resolving within the day)."""
    rng = np.random.default_rng(seed)
    positions = []
    for i in range(30):
        positions.append(
            BinaryPosition(
                token_id=f"single-{i}",
                shares=float(rng.uniform(-2000, 5000)),
                price=float(rng.uniform(0.03, 0.97)),
                daily_logit_volatility=float(rng.uniform(0.05, 0.6)),
                days_to_resolution=0.5 if i % 5 == 0 else float(rng.uniform(2, 90)),
            )
        )
    for event in range(4):
        weights = rng.dirichlet(np.ones(5))
        days = 0.5 if event == 0 else float(rng.uniform(2, 60))
        for outcome in range(5):
            positions.append(
                BinaryPosition(
                    token_id=f"event-{event}-{outcome}",
                    shares=float(rng.uniform(-1000, 3000)),
                    price=float(weights[outcome]),
                    daily_logit_volatility=float(rng.uniform(0.05, 0.4)),
                    days_to_resolution=days,
                    event_id=f"event-{event}",
                )
            )
    return positions


def main() -> None:
    returns = np.random.default_rng(0).standard_t(4, DAYS) * 0.01
    engine = VarEngine(0.99, 1)
    historical = best_of(lambda: engine.historical(returns, 1_000_000.0), 200)
    parametric = best_of(lambda: engine.parametric(returns, 1_000_000.0), 200)
    print(f"risk.var_historical_{DAYS}d: {historical * 1e6:.0f} µs (target <= 1000)")
    print(f"risk.var_parametric_{DAYS}d: {parametric * 1e6:.0f} µs (reference)")

    positions = portfolio()
    assert len(positions) == MARKETS
    binary = best_of(lambda: binary_var(positions, paths=PATHS, confidence_level=0.99), 30)
    print(f"risk.var_monte_carlo_binary_{PATHS}x{MARKETS}: {binary * 1e3:.1f} ms (target <= 50)")
    independent = best_of(
        lambda: binary_var(positions, paths=PATHS, confidence_level=0.99, antithetic=False), 30
    )
    print(
        f"risk.var_monte_carlo_binary_independent_{PATHS}x{MARKETS}: {independent * 1e3:.1f} ms "
        "(reference: no antithetic pairs)"
    )
    rng = np.random.default_rng(2)
    factor = rng.uniform(0.0, 0.6, MARKETS)
    correlation = np.outer(factor, factor)
    np.fill_diagonal(correlation, 1.0)
    correlated = best_of(
        lambda: binary_var(positions, paths=PATHS, confidence_level=0.99, correlation=correlation),
        30,
    )
    print(
        f"risk.var_monte_carlo_binary_correlated_{PATHS}x{MARKETS}: {correlated * 1e3:.1f} ms "
        "(reference)"
    )
    normal = best_of(lambda: engine.monte_carlo(returns, 1_000_000.0, paths=PATHS), 9)
    bootstrap = best_of(
        lambda: engine.monte_carlo(returns, 1_000_000.0, paths=PATHS, model="bootstrap"), 9
    )
    print(f"risk.var_monte_carlo_normal_{PATHS}: {normal * 1e3:.1f} ms (reference)")
    print(f"risk.var_monte_carlo_bootstrap_{PATHS}: {bootstrap * 1e3:.1f} ms (reference)")


if __name__ == "__main__":
    main()
