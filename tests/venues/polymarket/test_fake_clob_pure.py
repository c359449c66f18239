"""The fake CLOB's pure parts: the matching book and the order checks (no event loop)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from agbotkit.model.books import Side
from agbotkit.model.orders import OrderType
from agbotkit.testing.fake_clob.book import Book, Resting
from agbotkit.testing.fake_clob.verify import CheckedOrder, OrderRejected, TokenSpec, check_order
from agbotkit.venues.polymarket.amounts import market_order_amounts
from agbotkit.venues.polymarket.body import order_body
from agbotkit.venues.polymarket.keys import SigningKey
from agbotkit.venues.polymarket.orders import POLYGON
from agbotkit.venues.polymarket.signer import OrderSigner

D = Decimal
KEY = SigningKey("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
SPEC = TokenSpec("123", "0xcd", D("0.01"))


def book() -> Book:
    book = Book()
    book.add(Resting("a1", Side.SELL, D("0.53"), D(10), "bob"))
    book.add(Resting("a2", Side.SELL, D("0.52"), D(5), "carol"))
    book.add(Resting("a3", Side.SELL, D("0.52"), D(5), "alice"))
    book.add(Resting("b1", Side.BUY, D("0.48"), D(10)))
    return book


def test_price_then_time_priority_and_no_self_trade() -> None:
    b = book()
    assert [o.order_id for o in b.asks] == ["a2", "a3", "a1"]
    assert b.available(Side.BUY, D("0.52"), "alice") == 5
    assert b.available(Side.BUY, D("0.53"), "dave") == 20
    matches = b.match(Side.BUY, D("0.53"), D(12), "alice")
    assert [(m.resting.order_id, m.price, m.size) for m in matches] == [
        ("a2", D("0.52"), 5),
        ("a1", D("0.53"), 7),
    ]
    assert [(o.order_id, o.size) for o in b.asks] == [("a3", 5), ("a1", 3)]
    assert b.levels(Side.SELL) == [(D("0.52"), 5), (D("0.53"), 3)]


def test_crossing_and_removal() -> None:
    b = book()
    assert b.crosses(Side.BUY, D("0.52"))
    assert not b.crosses(Side.BUY, D("0.51"))
    assert b.crosses(Side.SELL, D("0.48"))
    assert not Book().crosses(Side.SELL, D("0.1"))
    assert b.match(Side.SELL, D("0.49"), D(5)) == []
    removed = b.remove("b1")
    assert removed is not None
    assert b.remove("b1") is None
    assert b.bids == []


def check(body: Any) -> CheckedOrder:
    return check_order(
        body, exchanges=POLYGON, specs={"123": SPEC}, owners_of=lambda wallet: {KEY.address}
    )


def limit_body(order_type: OrderType = OrderType.GTC) -> dict[str, Any]:
    signer = OrderSigner(KEY)
    order = signer.build(
        token_id="123",
        side=Side.BUY,
        maker_amount=5_000_000,
        taker_amount=10_000_000,
        timestamp_ms=1,
    )
    return order_body(signer.sign(order, neg_risk=False), owner="k", order_type=order_type)


def test_a_limit_order_passes() -> None:
    checked = check(limit_body())
    assert (checked.price, checked.size, checked.owner) == (D("0.5"), D(10), "k")


def test_market_orders_use_the_market_rounding() -> None:
    signer = OrderSigner(KEY)
    amounts = market_order_amounts(Side.BUY, D(5), D("0.53"), D("0.01"))
    order = signer.build(
        token_id="123",
        side=Side.BUY,
        maker_amount=amounts.maker_amount,
        taker_amount=amounts.taker_amount,
        timestamp_ms=1,
    )
    signed = signer.sign(order, neg_risk=False)
    checked = check(order_body(signed, owner="k", order_type=OrderType.FOK))
    assert (checked.price, checked.size) == (D("0.53"), D("9.4339"))
    # The same amounts in a resting order: its price (maker / taker) is off the tick.
    with pytest.raises(OrderRejected, match="breaks minimum tick size rule"):
        check(order_body(signed, owner="k", order_type=OrderType.GTC))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("salt", "1"),
        ("side", "HOLD"),
        ("maker", "0x12"),
        ("makerAmount", "0"),
        ("tokenId", "x"),
        ("signatureType", 9),
    ],
)
def test_malformed_bodies_are_payload_errors(field: str, value: object) -> None:
    body = limit_body()
    body["order"][field] = value
    with pytest.raises(OrderRejected, match="Invalid order payload") as caught:
        check(body)
    assert caught.value.payload


def test_post_only_is_for_resting_orders() -> None:
    body = limit_body(OrderType.FOK)
    body["postOnly"] = True
    with pytest.raises(OrderRejected, match="only GTC and GTD"):
        check(body)
