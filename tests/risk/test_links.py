"""Links to underlyings: config checks, YES/NO as digital call/put, no Greeks without inputs."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import pytest

from agbotkit.config.checks import FieldValueError
from agbotkit.model.markets import MarketInfo
from agbotkit.model.prices import ReferencePrice
from agbotkit.risk.advanced.greeks import digital
from agbotkit.risk.advanced.implied_vol import digital_implied_volatility
from agbotkit.risk.links import UnderlyingLink, UnderlyingLinks
from agbotkit.risk.pricehistory import PriceHistory
from agbotkit.risk.riskview import PortfolioRisk

T0 = 1_767_225_600_000
END = T0 + 10 * 86_400_000


def market() -> MarketInfo:
    return MarketInfo(
        "0xm", "BTC below 90k?", "btc", ("Yes", "No"), ("yes", "no"), None, None, False, END,
        True, False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("expiry", "message"), [("soon", "ISO 8601"), ("2026-03-31T16:00:00", "time zone")]
)
def test_a_bad_expiry_is_refused(expiry: str, message: str) -> None:
    with pytest.raises(FieldValueError, match=message):
        UnderlyingLink(symbol="btc/usd", strike=1, expiry=expiry)


def test_below_makes_yes_the_digital_put_and_no_the_call() -> None:
    view = PortfolioRisk(PriceHistory(interval_s=60, window=10, min_observations=2))
    links = UnderlyingLinks(
        {"0xm": UnderlyingLink(symbol="BTC/USD", strike=90_000, direction="below")}, view
    )
    links.learn_market(market())
    mids = {"yes": 0.3, "no": 0.7}
    links.refresh(mids.get, T0)
    assert view.greeks("yes") is None  # no reference price yet
    links.reference(ReferencePrice("crypto_prices", "btc/usd", Decimal(95_000), T0, T0))
    links.refresh(mids.get, T0)
    years = 10 / 365
    pairs: tuple[tuple[str, Literal["call", "put"]], ...] = (("yes", "put"), ("no", "call"))
    for token, option in pairs:
        vol = digital_implied_volatility(option, mids[token], 95_000, 90_000, years)
        assert view.greeks(token) == digital(option, 95_000, 90_000, years, vol)
    links.refresh({"yes": 1.0}.get, T0)  # a mid at 1 implies no volatility
    assert view.greeks("yes") is None
    links.refresh(mids.get, END)  # expired
    assert view.greeks("no") is None
