"""market_maker on hand-made books: exact quotes, requotes only when needed, inventory
skew, volatility widening, post-only, maximum position."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from agbotkit.model.books import Side
from agbotkit.model.execution import CancelOrder
from agbotkit.model.orders import Order
from agbotkit.strategies.reference.market_maker import MarketMaker
from agbotkit.testing import StrategyHarness

D = Decimal


def make(**params: Any) -> StrategyHarness:
    base = {
        "size": 10,
        "half_spread": 0.02,
        "inventory_skew": 0.02,
        "max_position": 100,
        "requote_threshold": 0.02,
        "min_size": 5,
    }
    harness = StrategyHarness(MarketMaker, {**base, **params}, markets={"m": ("yes", "no")})
    harness.start()
    return harness


def quotes(requests: list[Order | CancelOrder]) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for r in requests:
        if isinstance(r, Order):
            assert r.post_only
            out.append((r.token_id, r.side, r.price, r.size))
        else:
            out.append(("cancel", r.client_order_id))
    return out


def test_quotes_both_sides_around_the_microprice() -> None:
    harness = make()
    harness.book("yes", bids=[(0.48, 100)], asks=[(0.52, 100)])
    # microprice 0.50, half-spread 0.02; the ask is a NO bid at 1 - 0.52 (no YES held)
    assert quotes(harness.take()) == [
        ("yes", Side.BUY, D("0.48"), D(10)),
        ("no", Side.BUY, D("0.48"), D(10)),
    ]
    assert harness.rejections == []


def test_microprice_leans_toward_the_heavy_side() -> None:
    harness = make(half_spread=0.01)
    harness.book("yes", bids=[(0.40, 300)], asks=[(0.50, 100)])
    # microprice (0.40 * 100 + 0.50 * 300) / 400 = 0.475: bid floor(0.465), ask ceil(0.485)
    assert quotes(harness.take()) == [
        ("yes", Side.BUY, D("0.46"), D(10)),
        ("no", Side.BUY, D("0.51"), D(10)),
    ]


def test_requotes_only_when_the_price_moves_enough() -> None:
    harness = make()
    harness.book("yes", bids=[(0.48, 100)], asks=[(0.52, 100)])
    harness.take()
    harness.book("yes", bids=[(0.48, 100)], asks=[(0.52, 100)])
    harness.book("yes", bids=[(0.48, 101)], asks=[(0.52, 100)])  # the ask would move 1 tick
    assert harness.take() == []
    harness.book("yes", bids=[(0.55, 100)], asks=[(0.59, 100)])  # microprice 0.57
    assert quotes(harness.take()) == [
        ("cancel", "test-1"),
        ("yes", Side.BUY, D("0.55"), D(10)),
        ("cancel", "test-2"),
        ("no", Side.BUY, D("0.41"), D(10)),
    ]
    assert harness.context.signals["requote"] == 4


def test_inventory_skews_quotes_and_sells_what_is_held() -> None:
    harness = make()
    harness.book("yes", bids=[(0.48, 100)], asks=[(0.52, 100)])
    harness.take()
    harness.fill("test-1")  # bought 10 YES at 0.48
    harness.book("yes", bids=[(0.48, 100)], asks=[(0.52, 100)])
    # net +10: centre 0.50 - 0.02 * 10 / 100 = 0.498: bid floor(0.478) = 0.47; the ask now
    # sells the YES held at ceil(0.518) = 0.52, replacing the NO bid
    assert quotes(harness.take()) == [
        ("yes", Side.BUY, D("0.47"), D(10)),
        ("cancel", "test-2"),
        ("yes", Side.SELL, D("0.52"), D(10)),
    ]


def test_a_large_inventory_moves_both_quotes() -> None:
    flat, loaded = make(), make()
    loaded.hold("yes", 50, "0.5")
    for harness in (flat, loaded):
        harness.book("yes", bids=[(0.48, 100)], asks=[(0.52, 100)])
    assert quotes(loaded.take()) == [
        ("yes", Side.BUY, D("0.47"), D(10)),
        ("yes", Side.SELL, D("0.51"), D(10)),
    ]
    assert [q[2] for q in quotes(flat.take())] == [D("0.48"), D("0.48")]


def test_max_position_stops_the_bid() -> None:
    harness = make()
    harness.hold("yes", 100, "0.5")
    harness.book("yes", bids=[(0.48, 100)], asks=[(0.52, 100)])
    # centre 0.50 - 0.02 = 0.48: the ask at ceil(0.50), no bid
    [ask] = harness.take_orders()
    assert (ask.token_id, ask.side, ask.price, str(ask.size)) == ("yes", Side.SELL, D("0.50"), "10")


def test_post_only_never_crosses() -> None:
    harness = make(half_spread=0.0, inventory_skew=0.05)
    harness.hold("no", 100, "0.5")  # short YES: the centre moves up to 0.55
    harness.book("yes", bids=[(0.49, 100)], asks=[(0.51, 100)])
    [bid] = harness.take_orders()
    assert (bid.side, bid.price) == (Side.BUY, D("0.50"))
    assert harness.rejections == []


def test_volatility_widens_the_spread() -> None:
    harness = make(vol_window=2, vol_multiplier=1.0, requote_threshold=0.0)
    harness.book("yes", bids=[(0.48, 100)], asks=[(0.52, 100)])
    harness.book("yes", bids=[(0.52, 100)], asks=[(0.56, 100)])
    harness.take()
    harness.book("yes", bids=[(0.48, 100)], asks=[(0.52, 100)])
    # microprice changes +0.04, -0.04: std 0.04, so the half-spread is 0.02 + 0.04
    assert [o.price for o in harness.take_orders()] == [D("0.44"), D("0.44")]


def test_quotes_only_the_yes_token_and_pulls_quotes_on_stop() -> None:
    harness = make()
    harness.book("no", bids=[(0.48, 100)], asks=[(0.52, 100)])
    assert harness.take() == []
    harness.book("yes", bids=[(0.48, 100)], asks=[(0.52, 100)])
    harness.take()
    harness.stop()
    assert harness.cancels == ["test-1", "test-2"]
    assert harness.context.open_orders() == []


def test_a_filled_quote_leaves_its_slot_and_is_placed_again() -> None:
    harness = make()
    harness.book("yes", bids=[(0.48, 100)], asks=[(0.52, 100)])
    bid, no_bid = harness.take_orders()
    harness.fill(bid.client_order_id, 4)  # partly: the quote still rests
    harness.book("yes", bids=[(0.48, 100)], asks=[(0.52, 100)])
    assert harness.take() == []
    harness.fill(bid.client_order_id)  # the rest: the bid is gone, nothing to cancel
    harness.book("yes", bids=[(0.48, 100)], asks=[(0.52, 100)])
    requests = harness.take()
    # 10 YES held now: a new bid; the ask sells the YES held instead of bidding NO
    assert ("cancel", bid.client_order_id) not in quotes(requests)
    assert [(o.token_id, o.side) for o in requests if isinstance(o, Order)] == [
        ("yes", Side.BUY),
        ("yes", Side.SELL),
    ]
    assert ("cancel", no_bid.client_order_id) in quotes(requests)


def test_a_quote_cancelled_by_the_venue_is_placed_again() -> None:
    harness = make()
    harness.book("yes", bids=[(0.48, 100)], asks=[(0.52, 100)])
    _, no_bid = harness.take_orders()
    harness.cancelled(no_bid.client_order_id, "market closed")
    harness.book("yes", bids=[(0.48, 100)], asks=[(0.52, 100)])
    assert quotes(harness.take()) == [("no", Side.BUY, D("0.48"), D(10))]
