"""How long Greeks take: one option, and a book of 1,000 positions (target <= 5 ms).

Run: ``python benchmarks/bench_risk_greeks.py``. Prints the best of several runs: µs per
single option (vanilla and digital, on floats), ms for the portfolio Greeks of 1,000 mixed
positions (from ``OptionPosition`` values, and from an ``OptionBook`` kept as arrays), and
µs per digital implied volatility and per suggest_hedge.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from agbotkit.risk.advanced.greeks import (
    Greeks,
    GreeksEngine,
    black_scholes,
    digital,
    years_from_days,
)
from agbotkit.risk.advanced.greeks_positions import OptionBook, OptionPosition
from agbotkit.risk.advanced.implied_vol import digital_implied_volatility, implied_volatility

POSITIONS = 1_000
REPEATS = 7


def best_seconds(run: Callable[[], object], loops: int) -> float:
    """The fastest of REPEATS timings of ``loops`` calls, per call."""
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(loops):
            run()
        best = min(best, (time.perf_counter() - start) / loops)
    return best


def book(seed: int = 1) -> list[OptionPosition]:
    """A desk's mix: BTC-style digitals (shares) three times as often as vanillas."""
    rng = random.Random(seed)
    out = []
    for i in range(POSITIONS):
        spot = rng.uniform(90_000, 110_000)
        out.append(
            OptionPosition(
                payoff="digital" if rng.random() < 0.75 else "vanilla",
                option=rng.choice(["call", "put"]),
                spot=spot,
                strike=spot * rng.uniform(0.8, 1.2),
                years=years_from_days(rng.uniform(0.5, 90)),
                volatility=rng.uniform(0.3, 0.9),
                quantity=rng.uniform(-500, 500),
                label=f"t{i}",
            )
        )
    return out


def main() -> None:
    engine = GreeksEngine()
    positions = book()
    arrays = OptionBook.from_positions(positions)
    total = engine.portfolio(arrays)
    years = years_from_days(7)
    share = digital("call", 97_500.0, 100_000.0, years, 0.55).price
    vanilla = black_scholes("call", 97_500.0, 100_000.0, years, 0.55).price
    instruments = {"future": Greeks(delta=1.0), "call": black_scholes("call", 1e5, 1e5, years, 0.5)}

    print(f"Greeks, {POSITIONS:,} positions (75 % digitals), best of {REPEATS}:")
    print(
        f"  portfolio from OptionBook arrays   {best_seconds(lambda: engine.portfolio(arrays), 200) * 1e3:8.3f} ms  (target <= 5 ms)"
    )
    print(
        f"  portfolio from OptionPosition list {best_seconds(lambda: engine.portfolio(positions), 50) * 1e3:8.3f} ms"
    )
    print(
        f"  portfolio delta {total.delta:,.2f}, gamma {total.gamma:.3e}, vega/1% {total.vega_per_pct:,.2f}, theta/day {total.theta_per_day:,.2f}"
    )
    print("Single option, on floats:")
    print(
        f"  black_scholes                      {best_seconds(lambda: black_scholes('call', 97_500.0, 100_000.0, years, 0.55), 20_000) * 1e6:8.2f} µs"
    )
    print(
        f"  digital                            {best_seconds(lambda: digital('call', 97_500.0, 100_000.0, years, 0.55), 20_000) * 1e6:8.2f} µs"
    )
    print(
        f"  digital_implied_volatility         {best_seconds(lambda: digital_implied_volatility('call', share, 97_500.0, 100_000.0, years), 20_000) * 1e6:8.2f} µs"
    )
    print(
        f"  implied_volatility (Brent)         {best_seconds(lambda: implied_volatility('call', vanilla, 97_500.0, 100_000.0, years), 2_000) * 1e6:8.2f} µs"
    )
    print(
        f"  suggest_hedge (2 instruments)      {best_seconds(lambda: engine.suggest_hedge(total, Greeks(), instruments, greeks=('delta', 'gamma')), 2_000) * 1e6:8.2f} µs"
    )


if __name__ == "__main__":
    main()
