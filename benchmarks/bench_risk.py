"""How long one risk evaluation takes, for the seed's 3 policies and a realistic 10.

Run: ``python benchmarks/bench_risk.py``. Prints µs per evaluation (best of several runs,
over a rotating set of allowed orders in many markets, so cache lookups are honest) and,
for reference, the cost of a denied order, which allocates its violations.
"""

from __future__ import annotations

import random
import time

from agbotkit.model.risk import RiskContext
from agbotkit.risk.engine import RiskEngine
from agbotkit.risk.loading import parse_policies_yaml

SEED = """\
policies:
  - type: PositionLimit
    max_size: 1000
  - type: InventoryLimit
    max_value_usd: 50000
  - type: KillSwitch
    enabled: false
"""

# Ten entries: the six kinds, with per-market PositionLimits and a per-market MaxOrderSize.
DESK = """\
policies:
  - type: KillSwitch
    allow_reducing: true
    max_daily_loss_usd: 2500
    max_drawdown_usd: 4000
    max_consecutive_rejections: 5
  - type: PositionLimit
    max_size: 5000
  - type: PositionLimit
    market_id: m0
    max_size: 20000
  - type: PositionLimit
    market_id: m1
    max_size: 1000
  - type: PositionLimit
    token_id: t2
    max_size: 500
  - type: InventoryLimit
    max_value_usd: 500000
  - type: MaxOrderSize
    max_size: 2500
    max_notional_usd: 1500
  - type: MaxOrderSize
    market_id: m3
    max_size: 100
  - type: PriceBand
    max_distance: 0.05
  - type: NoTradeBeforeResolution
    window_s: 3600
"""

NOW_MS = 1_767_225_600_000
CONTEXTS = 1024
ROUNDS = 200
REPEATS = 7


def contexts(markets: int = 50, seed: int = 1) -> list[RiskContext]:
    """Allowed orders spread over ``markets`` markets, two tokens each."""
    rng = random.Random(seed)
    out = []
    for _ in range(CONTEXTS):
        market = rng.randrange(markets)
        mid = rng.uniform(0.1, 0.9)
        out.append(
            RiskContext(
                market_id=f"m{market}",
                token_id=f"t{market * 2 + rng.randrange(2)}",
                current_position=rng.uniform(-300, 300),
                proposed_size=rng.uniform(-50, 50),
                inventory_value_usd=rng.uniform(0, 10_000),
                price=round(mid + rng.uniform(-0.02, 0.02), 3),
                mid=mid,
                now_ms=NOW_MS,
                market_end_ms=NOW_MS + 30 * 86_400_000,
            )
        )
    return out


def per_eval_us(engine: RiskEngine, batch: list[RiskContext]) -> float:
    """Best-of-``REPEATS`` time of one ``evaluate``, in µs."""
    evaluate = engine.evaluate
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(ROUNDS):
            for context in batch:
                evaluate(context)
        best = min(best, time.perf_counter() - start)
    return best / (ROUNDS * len(batch)) * 1e6


def main() -> None:
    batch = contexts()
    seed = RiskEngine(parse_policies_yaml(SEED))
    desk = RiskEngine(parse_policies_yaml(DESK))
    assert all(seed.evaluate(c).allowed for c in batch)
    assert all(desk.evaluate(c).allowed for c in batch)
    assert len(desk.policies) == 10
    seed_us = per_eval_us(seed, batch)
    desk_us = per_eval_us(desk, batch)
    print(f"risk.evaluate_3_policies: {seed_us:.2f} µs/eval (target <= 5)")
    print(f"risk.evaluate_10_policies: {desk_us:.2f} µs/eval (target <= 15)")
    desk.trigger_kill_switch("benchmark")
    denied = [c for c in batch if not c.reduces_position]
    print(f"risk.evaluate_10_policies_denied: {per_eval_us(desk, denied):.2f} µs/eval (reference)")


if __name__ == "__main__":
    main()
