"""What VarLimit and GreeksLimit add to one risk evaluation.

Run: ``python benchmarks/bench_risk_advanced_policies.py``. The seed's three policies, then
the same with ``VarLimit`` and ``GreeksLimit`` bound to a portfolio view of 100 tokens (a
day of one-minute marks, 50 positions held, a tenth of the tokens linked to an underlying
with their digital Greeks set), over the rotating allowed orders of ``bench_risk``. Prints
µs per evaluation for both and the difference (target <= 20 µs), plus what one fill (the
view's O(window x tokens) variance update) and one price sample (a covariance refit) cost.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from bench_risk import SEED, contexts, per_eval_us

from agbotkit.risk.advanced.greeks import digital
from agbotkit.risk.engine import RiskEngine
from agbotkit.risk.loading import parse_policies_yaml
from agbotkit.risk.pricehistory import PriceHistory
from agbotkit.risk.riskview import PortfolioRisk

ADVANCED = """
  - type: VarLimit
    max_var_usd: 1000000
    fallback_volatility: 0.05
  - type: GreeksLimit
    max_delta: 1000000
    max_gamma: 1000000
    max_vega: 1000000
"""
TOKENS = 100
WINDOW = 1440


def view() -> PortfolioRisk:
    """100 tokens (``t0``..``t99``, as bench_risk's orders), a full window of marks."""
    rng = np.random.default_rng(5)
    prices = np.clip(
        0.5 + np.cumsum(rng.normal(0, 0.002, (WINDOW + 1, TOKENS)), axis=0), 0.02, 0.98
    )
    risk = PortfolioRisk(PriceHistory(interval_s=60, window=WINDOW, min_observations=30))
    tokens = [f"t{j}" for j in range(TOKENS)]
    for row in prices:
        for token, price in zip(tokens, row.tolist(), strict=True):
            risk.mark(token, price)
        risk.sample()
    risk.set_greeks({t: digital("call", 95_000, 100_000, 0.05, 0.6) for t in tokens[::10]})
    for j in range(0, TOKENS, 2):
        risk.set_position(tokens[j], float(rng.uniform(-300, 300)))
    return risk


def main() -> None:
    batch = contexts()
    risk = view()
    seed = RiskEngine(parse_policies_yaml(SEED))
    advanced = RiskEngine(parse_policies_yaml(SEED + ADVANCED), view=risk)
    assert all(advanced.evaluate(c).allowed for c in batch)
    seed_us = per_eval_us(seed, batch)
    advanced_us = per_eval_us(advanced, batch)
    print(f"risk.evaluate_seed_3_policies: {seed_us:.2f} µs/eval")
    print(f"risk.evaluate_seed_plus_var_greeks: {advanced_us:.2f} µs/eval")
    print(f"risk.var_greeks_limit_added: {advanced_us - seed_us:.2f} µs/eval (target <= 20)")
    start = time.perf_counter()
    for n in range(200):
        risk.set_position("t1", float(n + 1))
    print(
        f"risk.view_fill_update: {(time.perf_counter() - start) / 200 * 1e6:.0f} µs/fill (reference)"
    )
    start = time.perf_counter()
    for _ in range(20):
        risk.sample()
    print(
        f"risk.view_price_sample: {(time.perf_counter() - start) / 20 * 1e3:.2f} ms/sample (reference)"
    )


if __name__ == "__main__":
    main()
