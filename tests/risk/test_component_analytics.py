"""The risk component's portfolio risk in a stack: risk.* metrics, VarLimit on its books."""

from __future__ import annotations

import math
import textwrap
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
import trio
from scipy.stats import norm

from agbotkit.model.orders import Fill, Side
from agbotkit.model.prices import ReferencePrice
from agbotkit.model.risk import OrderApproved, OrderDenied
from agbotkit.topics import BOOKS, FILLS, MARKET_DATA, MARKETS, METRICS

from .test_component import (
    MARKET,
    T0,
    YES,
    book,
    buy,
    drain,
    fake_now,
    judge,
    market_info,
    running,
    watch,
)

DAY_MS = 86_400_000
EXPIRY_MS = T0 + 30 * DAY_MS
SPOT, STRIKE = 105_000.0, 100_000.0
HELD = 100.0
# The YES token's book at k + 0.5 s; the price samples (every 1 s) see mids 0..29 when the
# analytics tick at 30.75 s publishes, its book then holds mid 30.
BIDS = [Decimal("0.600") + Decimal(round(30 * math.sin(k))) / 1000 for k in range(40)]
MIDS = [float(bid + Decimal("0.01")) for bid in BIDS]

STACK = """
stack: {shutdown_grace_s: 5}
components:
  risk:
    kind: risk
    policy_file: policies.yaml
    price_sample_interval_s: 1
    analytics_interval_s: 30.75
    price_window: 50
    min_price_observations: 5
    underlyings:
      "%s":
        symbol: BTC/USD
        strike: %s
        direction: above
        expiry: "2026-01-31T00:00:00Z"
"""


def reference_var(confidence: float, shares: float) -> float:
    """Zero-mean normal VaR of ``shares`` YES over the sampled mids, by scipy and numpy."""
    changes = np.diff(MIDS[:30])
    daily_sd = float(np.std(changes, ddof=1)) * math.sqrt(86_400)  # 1-s changes to a day
    return float(norm.ppf(confidence)) * daily_sd * abs(shares)


def reference_greeks(mid: float, now_ms: int) -> tuple[float, float]:
    """A digital call's delta and vega at the vol its price implies (x > 0: one root)."""
    years = (EXPIRY_MS - now_ms) / (365 * DAY_MS)
    x, z = math.log(SPOT / STRIKE), float(norm.ppf(mid))
    u = -z + math.sqrt(z * z + 2 * x)  # sigma sqrt(T) solving N(x/u - u/2) = mid
    d2 = x / u - u / 2
    sigma = u / math.sqrt(years)
    return float(norm.pdf(d2)) / (SPOT * u), -float(norm.pdf(d2)) * (d2 + u) / sigma


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    limit = 1.5 * reference_var(0.95, HELD)  # 110 shares pass, 200 do not
    (tmp_path / "policies.yaml").write_text(
        f"policies:\n  - type: VarLimit\n    max_var_usd: {limit}\n"
    )
    path = tmp_path / "stack.yaml"
    path.write_text(textwrap.dedent(STACK % (MARKET, STRIKE)))
    return path


async def test_the_component_publishes_var_es_and_greeks_and_judges_var(
    stack: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with running(stack) as bus:
        metrics = watch(bus, METRICS)
        bus.publish_retained(MARKETS, MARKET, market_info(EXPIRY_MS))
        await bus.publish(FILLS, Fill(token_id=YES, side=Side.BUY, price="0.6", size=str(HELD)))
        await trio.sleep(0.5)
        for bid in BIDS[:31]:
            bus.publish_nowait(BOOKS, book(YES, str(bid), str(bid + Decimal("0.02"))))
            price = Decimal(str(SPOT))
            now = fake_now()
            tick = ReferencePrice("crypto_prices_chainlink", "btc/usd", price, now, now)
            bus.publish_nowait(MARKET_DATA, tick)
            await trio.sleep(1)
        # 31.5 s: the analytics tick at 30.75 s has published.
        published = [m for m in drain(metrics) if m.name.startswith("risk.")]
        by_name = {(m.name, m.labels_dict.get("method")): m for m in published}
        parametric95 = by_name["risk.var_95", "parametric"]
        assert parametric95.labels_dict == {"time_horizon": "1d", "method": "parametric"}
        assert parametric95.value == pytest.approx(reference_var(0.95, HELD), rel=1e-9)
        assert by_name["risk.var_99", "parametric"].value == pytest.approx(
            reference_var(0.99, HELD), rel=1e-9
        )
        changes = np.diff(MIDS[:30]) * HELD * math.sqrt(86_400)
        cut = float(np.quantile(changes, 0.05))
        assert by_name["risk.var_95", "historical"].value == pytest.approx(-cut, rel=1e-9)
        assert by_name["risk.es_95", "historical"].value == pytest.approx(
            -float(changes[changes <= cut].mean()), rel=1e-9
        )
        delta = by_name["risk.portfolio_delta", None]
        delta_ref, vega_ref = reference_greeks(MIDS[30], delta.timestamp_ms)
        assert delta.value == pytest.approx(HELD * delta_ref, rel=1e-9)
        assert by_name["risk.portfolio_vega", None].value == pytest.approx(
            HELD * vega_ref, rel=1e-9
        )
        for greek in ("gamma", "theta", "rho"):
            assert (f"risk.portfolio_{greek}", None) in by_name
        # VarLimit judges on the same books (one more sample since: mids 0..30): 10 more
        # shares pass, 100 more do not.
        assert isinstance(await judge(bus, buy("10", price="0.6")), OrderApproved)
        denied = await judge(bus, buy("100", price="0.6"))
        assert isinstance(denied, OrderDenied)
        assert denied.policies == ("VarLimit",)
        assert denied.reasons[0].startswith("VaR(95%, 1 d, parametric) $")
