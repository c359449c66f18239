"""The fill simulator, with every number worked out by hand in the comments."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agbotkit.exec.fillsim import FillSimulator, SubmitResult
from agbotkit.exec.rules import FillRules
from agbotkit.marketdata.book import ApplyResult, OrderBook
from agbotkit.model.books import BookDelta, BookSnapshot, LevelChange, PriceLevel
from agbotkit.model.execution import OrderStatus
from agbotkit.model.markets import Trade
from agbotkit.model.orders import Fill, Order, OrderType, Side
from agbotkit.model.venues import VenueOrderUpdate

BUY, SELL = Side.BUY, Side.SELL
TOKEN, MARKET = "tok", "mkt"
D = Decimal


def book(bids: list[tuple[str, str]], asks: list[tuple[str, str]]) -> OrderBook:
    result = OrderBook(TOKEN)
    snapshot = BookSnapshot(
        TOKEN,
        MARKET,
        tuple(PriceLevel(D(p), D(s)) for p, s in bids),
        tuple(PriceLevel(D(p), D(s)) for p, s in asks),
        1,
    )
    assert result.apply_snapshot(snapshot) is ApplyResult.APPLIED
    return result


def change(the_book: OrderBook, *changes: tuple[Side, str, str]) -> tuple[LevelChange, ...]:
    levels = tuple(LevelChange(side, D(p), D(s)) for side, p, s in changes)
    assert the_book.apply_delta(BookDelta(TOKEN, MARKET, levels, 2)) is ApplyResult.APPLIED
    return levels


def order(
    cid: str,
    side: Side,
    price: str,
    size: str,
    order_type: OrderType = OrderType.GTC,
    **extra: object,
) -> Order:
    return Order(
        client_order_id=cid,
        venue="paper",
        market_id=MARKET,
        token_id=TOKEN,
        side=side,
        price=D(price),
        size=D(size),
        order_type=order_type,
        **extra,  # type: ignore[arg-type]  # expires_at_ms / post_only, typed by Order
    )


def trade(taker: Side, price: str, size: str, topic: str | None = None) -> Trade:
    return Trade(TOKEN, MARKET, taker, D(price), D(size), 3, 3, "last_trade_price", topic)


def fills_of(events: list[Fill | VenueOrderUpdate]) -> list[tuple[str, Decimal, Decimal]]:
    return [(e.order_id, e.price, e.size) for e in events if isinstance(e, Fill)]


def updates_of(events: list[Fill | VenueOrderUpdate]) -> list[tuple[str, OrderStatus]]:
    return [(e.venue_order_id, e.status) for e in events if isinstance(e, VenueOrderUpdate)]


def walked(result: SubmitResult) -> list[tuple[Decimal, Decimal]]:
    return [(f.price, f.size) for f in result.fills]


# -- the marketable part walks the book ------------------------------------------------------


def test_a_buy_walks_the_asks_at_the_books_prices_and_rests_the_rest() -> None:
    the_book = book([("0.50", "100")], [("0.52", "10"), ("0.54", "20"), ("0.56", "50")])
    sim = FillSimulator()
    result = sim.submit(order("a", BUY, "0.55", "40"), the_book, 1_000)
    # 10 @ 0.52, then 20 @ 0.54; 0.56 is past the limit: 40 - 30 = 10 rest at 0.55.
    assert walked(result) == [(D("0.52"), D(10)), (D("0.54"), D(20))]
    assert result.ack.status is OrderStatus.PARTIALLY_FILLED
    assert result.ack.venue_order_id == "paper-a"
    first = result.fills[0]
    assert (first.taker, first.order_id, first.client_order_id) == (True, "paper-a", "a")
    assert (first.market_id, first.venue, first.timestamp_ms) == (MARKET, "paper", 1_000)
    assert first.trade_status is not None
    assert first.trade_status.value == "CONFIRMED"
    assert first.fee_usd == 0  # fee_rate defaults to 0
    assert {f.trade_id for f in result.fills} == {"paper-1", "paper-2"}
    (resting,) = sim.open_orders()
    assert (resting.price, resting.filled_size, resting.status) == (
        D("0.55"),
        D(30),
        OrderStatus.PARTIALLY_FILLED,
    )


def test_a_sell_walks_the_bids_best_first() -> None:
    the_book = book([("0.50", "10"), ("0.49", "5"), ("0.47", "100")], [("0.60", "10")])
    sim = FillSimulator()
    result = sim.submit(order("s", SELL, "0.48", "20"), the_book, 0)
    # 10 @ 0.50, 5 @ 0.49; 0.47 is below the limit: 5 rest at 0.48.
    assert walked(result) == [(D("0.50"), D(10)), (D("0.49"), D(5))]
    assert sim.get("paper-s") is not None
    assert sim.open_orders()[0].filled_size == 15


def test_a_fully_filled_gtc_is_filled_and_does_not_rest() -> None:
    the_book = book([], [("0.52", "10"), ("0.54", "20")])
    sim = FillSimulator()
    result = sim.submit(order("a", BUY, "0.54", "25"), the_book, 0)
    # 10 @ 0.52 + 15 @ 0.54 = 25.
    assert walked(result) == [(D("0.52"), D(10)), (D("0.54"), D(15))]
    assert result.ack.status is OrderStatus.FILLED
    assert sim.open_orders() == []
    found = sim.find("a")
    assert found is not None
    assert found.status is OrderStatus.FILLED


def test_taker_pays_the_polymarket_fee_and_maker_pays_none() -> None:
    the_book = book([("0.50", "100")], [("0.52", "10"), ("0.54", "20")])
    sim = FillSimulator(FillRules(fee_rate=D("0.02")))
    result = sim.submit(order("a", BUY, "0.54", "30"), the_book, 0)
    # C * r * p * (1 - p): 10 * 0.02 * 0.52 * 0.48 = 0.04992; 20 * 0.02 * 0.54 * 0.46 = 0.09936.
    assert [f.fee_usd for f in result.fills] == [D("0.04992"), D("0.09936")]
    sim.submit(order("m", BUY, "0.50", "10"), the_book, 0)
    # A taker sells 110 at 0.50: 100 ahead of us, the last 10 fill us, as maker, free.
    (fill,) = [e for e in sim.on_trade(trade(SELL, "0.50", "110"), 0) if isinstance(e, Fill)]
    assert (fill.taker, fill.fee_usd, fill.size) == (False, D(0), D(10))


# -- the queue ---------------------------------------------------------------------------------


def test_trades_at_our_price_consume_the_queue_ahead_then_fill_us() -> None:
    the_book = book([("0.50", "100")], [("0.55", "10")])
    sim = FillSimulator()
    sim.submit(order("a", BUY, "0.50", "30"), the_book, 0)  # 100 ahead of us
    # 60 sold at 0.50: all of it real shares ahead (100 -> 40 ahead), nothing for us.
    assert sim.on_trade(trade(SELL, "0.50", "60"), 0) == []
    # 50 more: the 40 ahead, then 10 for us (partial).
    events = sim.on_trade(trade(SELL, "0.50", "50"), 0)
    assert fills_of(events) == [("paper-a", D("0.50"), D(10))]
    assert updates_of(events) == []
    # 25 more: nothing is ahead now, 20 fill us (the order is done) and 5 go to others.
    events = sim.on_trade(trade(SELL, "0.50", "25"), 0)
    assert fills_of(events) == [("paper-a", D("0.50"), D(20))]
    assert updates_of(events) == [("paper-a", OrderStatus.FILLED)]
    assert sim.open_orders() == []


def test_trades_on_our_side_or_at_other_prices_do_not_fill_us() -> None:
    the_book = book([("0.50", "10")], [("0.55", "10")])
    sim = FillSimulator()
    sim.submit(order("a", BUY, "0.50", "10"), the_book, 0)
    assert sim.on_trade(trade(BUY, "0.50", "500"), 0) == []  # a taker buy hits asks, not us
    assert sim.on_trade(trade(SELL, "0.51", "500"), 0) == []  # above our bid
    assert sim.open_orders()[0].filled_size == 0


def test_a_trade_through_our_price_fills_us_whatever_our_place() -> None:
    the_book = book([("0.40", "10")], [("0.53", "50")])
    sim = FillSimulator()
    sim.submit(order("s", SELL, "0.53", "10"), the_book, 0)  # 50 ahead of us at 0.53
    # A taker bought 5 at 0.55: it swept everything at 0.53 first, us included.
    assert fills_of(sim.on_trade(trade(BUY, "0.55", "5"), 0)) == [("paper-s", D("0.53"), D(5))]


def test_our_orders_at_one_price_queue_among_the_real_ones_in_arrival_order() -> None:
    the_book = book([("0.50", "100")], [("0.55", "10")])
    sim = FillSimulator()
    sim.submit(order("a", BUY, "0.50", "10"), the_book, 0)  # A: 100 ahead
    change(the_book, (BUY, "0.50", "150"))  # 50 more join behind A
    sim.submit(order("b", BUY, "0.50", "10"), the_book, 0)  # B: 150 ahead
    # 115 sold: 100 real, A's 10, then 5 of the 50 real between A and B; B: 150 - 105 = 45.
    events = sim.on_trade(trade(SELL, "0.50", "115"), 0)
    assert fills_of(events) == [("paper-a", D("0.50"), D(10))]
    # 50 more: 45 real ahead of B, then 5 for B.
    assert fills_of(sim.on_trade(trade(SELL, "0.50", "50"), 0)) == [("paper-b", D("0.50"), D(5))]


def test_the_queue_ahead_shrinks_to_the_displayed_size() -> None:
    the_book = book([("0.50", "100")], [("0.55", "10")])
    sim = FillSimulator()
    sim.submit(order("a", BUY, "0.50", "30"), the_book, 0)  # 100 ahead
    # 60 cancelled at 0.50 (100 -> 40 shown): we assume they were ahead of us.
    assert sim.on_book(TOKEN, the_book, change(the_book, (BUY, "0.50", "40")), 0) == []
    # A level growing again does not push us back.
    sim.on_book(TOKEN, the_book, change(the_book, (BUY, "0.50", "90")), 0)
    # 50 sold: 40 ahead, 10 for us.
    assert fills_of(sim.on_trade(trade(SELL, "0.50", "50"), 0)) == [("paper-a", D("0.50"), D(10))]


def test_a_snapshot_shrinks_the_queue_too() -> None:
    the_book = book([("0.50", "100")], [("0.55", "10")])
    sim = FillSimulator()
    sim.submit(order("a", BUY, "0.50", "30"), the_book, 0)
    snapshot = BookSnapshot(
        TOKEN, MARKET, (PriceLevel(D("0.50"), D(7)),), (PriceLevel(D("0.55"), D(10)),), 5
    )
    the_book.apply_snapshot(snapshot)
    sim.on_book(TOKEN, the_book, None, 0)
    # 7 ahead now: a trade of 10 fills 3.
    assert fills_of(sim.on_trade(trade(SELL, "0.50", "10"), 0)) == [("paper-a", D("0.50"), D(3))]


# -- the book moving through a resting order ----------------------------------------------------


def test_the_book_moving_through_fills_at_our_price_once_per_displayed_size() -> None:
    the_book = book([("0.50", "100")], [("0.55", "10")])
    sim = FillSimulator(FillRules(fee_rate=D("0.02")))
    sim.submit(order("a", BUY, "0.50", "30"), the_book, 0)
    # The bids at 0.50 went and an ask came at 0.49 x 20: we buy 20 at OUR 0.50, as maker.
    changes = change(the_book, (BUY, "0.50", "0"), (SELL, "0.49", "20"))
    events = sim.on_book(TOKEN, the_book, changes, 7)
    assert fills_of(events) == [("paper-a", D("0.50"), D(20))]
    (fill,) = [e for e in events if isinstance(e, Fill)]
    assert (fill.taker, fill.fee_usd, fill.timestamp_ms) == (False, D(0), 7)
    # Another level changes; 0.49 still shows 20, which we already took: no second fill.
    assert sim.on_book(TOKEN, the_book, change(the_book, (SELL, "0.60", "5")), 8) == []
    # 0.49 now shows 25: 5 new shares joined behind the 20 we took; we buy those 5.
    events = sim.on_book(TOKEN, the_book, change(the_book, (SELL, "0.49", "25")), 9)
    assert fills_of(events) == [("paper-a", D("0.50"), D(5))]
    # 0.49 shrinks to 15: the 10 that left count as ours (taken 25 -> 15): nothing new.
    assert sim.on_book(TOKEN, the_book, change(the_book, (SELL, "0.49", "15")), 10) == []
    # 0.49 grows to 40: 25 new shares; the last 5 we want fill.
    events = sim.on_book(TOKEN, the_book, change(the_book, (SELL, "0.49", "40")), 11)
    assert fills_of(events) == [("paper-a", D("0.50"), D(5))]
    assert updates_of(events) == [("paper-a", OrderStatus.FILLED)]


def test_a_sell_fills_when_the_best_bid_reaches_it() -> None:
    the_book = book([("0.40", "10")], [("0.45", "10")])
    sim = FillSimulator()
    sim.submit(order("s", SELL, "0.45", "8"), the_book, 0)  # 10 real ahead at 0.45
    # The asks at 0.45 went and bids came: 0.46 x 5, 0.45 x 3, 0.44 x 50. Ours reaches the
    # first two: 5 + 3 = 8 at OUR 0.45 (0.44 is below our price).
    changes = change(
        the_book,
        (SELL, "0.45", "0"),
        (BUY, "0.46", "5"),
        (BUY, "0.45", "3"),
        (BUY, "0.44", "50"),
    )
    assert fills_of(sim.on_book(TOKEN, the_book, changes, 0)) == [("paper-s", D("0.45"), D(8))]


def test_one_account_cannot_take_the_same_displayed_shares_twice() -> None:
    the_book = book([], [("0.52", "10")])
    sim = FillSimulator()
    fak = OrderType.FAK
    assert walked(sim.submit(order("a", BUY, "0.52", "10", fak), the_book, 0)) == [
        (D("0.52"), D(10))
    ]
    second = sim.submit(order("b", BUY, "0.52", "10", fak), the_book, 0)
    assert (second.fills, second.ack.status) == ((), OrderStatus.CANCELED)
    # The level shrinks to 8: the 2 that left count as ours, 8 of ours are still shown.
    sim.on_book(TOKEN, the_book, change(the_book, (SELL, "0.52", "8")), 0)
    assert sim.submit(order("c", BUY, "0.52", "10", fak), the_book, 0).fills == ()
    # It grows to 15: 7 new shares joined; those can be taken.
    sim.on_book(TOKEN, the_book, change(the_book, (SELL, "0.52", "15")), 0)
    fourth = sim.submit(order("d", BUY, "0.52", "10", fak), the_book, 0)
    assert walked(fourth) == [(D("0.52"), D(7))]
    # Gone from the book and back with 4: all fresh.
    sim.on_book(TOKEN, the_book, change(the_book, (SELL, "0.52", "0")), 0)
    sim.on_book(TOKEN, the_book, change(the_book, (SELL, "0.52", "4")), 0)
    fifth = sim.submit(order("e", BUY, "0.52", "4", fak), the_book, 0)
    assert walked(fifth) == [(D("0.52"), D(4))]


# -- order types -------------------------------------------------------------------------------


def test_a_fok_that_cannot_fill_entirely_fills_nothing() -> None:
    the_book = book([], [("0.52", "10"), ("0.54", "20")])
    sim = FillSimulator()
    # Up to 0.53 only the 10 at 0.52 are there: 15 wanted, nothing happens.
    result = sim.submit(order("f", BUY, "0.53", "15", OrderType.FOK), the_book, 0)
    assert (result.fills, result.ack.status) == ((), OrderStatus.CANCELED)
    assert result.ack.reason == "FOK could not be fully filled"
    # Nothing was taken: a FOK for the 10 fills.
    again = sim.submit(order("g", BUY, "0.53", "10", OrderType.FOK), the_book, 0)
    assert (walked(again), again.ack.status) == ([(D("0.52"), D(10))], OrderStatus.FILLED)


def test_a_fak_fills_what_it_can_and_the_rest_is_cancelled() -> None:
    the_book = book([], [("0.52", "10"), ("0.54", "20"), ("0.56", "50")])
    sim = FillSimulator()
    result = sim.submit(order("f", BUY, "0.54", "50", OrderType.FAK), the_book, 0)
    # 10 @ 0.52 + 20 @ 0.54 = 30 of 50; the 20 left are cancelled, nothing rests.
    assert walked(result) == [(D("0.52"), D(10)), (D("0.54"), D(20))]
    assert (result.ack.status, result.ack.reason) == (
        OrderStatus.CANCELED,
        "FAK remainder canceled: filled 30 of 50",
    )
    assert sim.open_orders() == []
    nothing = sim.submit(order("g", BUY, "0.50", "10", OrderType.FAK), the_book, 0)
    assert (nothing.fills, nothing.ack.status) == ((), OrderStatus.CANCELED)


def test_a_post_only_order_that_would_cross_is_rejected() -> None:
    the_book = book([("0.50", "10")], [("0.52", "10")])
    sim = FillSimulator()
    crossing = sim.submit(order("p", BUY, "0.52", "10", post_only=True), the_book, 0)
    assert crossing.ack.status is OrderStatus.REJECTED
    assert crossing.ack.reason == "post-only order would cross (best ask 0.52)"
    resting = sim.submit(order("q", SELL, "0.53", "10", post_only=True), the_book, 0)
    assert resting.ack.status is OrderStatus.ACCEPTED


def test_a_gtd_order_expires_at_its_expiry_exactly() -> None:
    the_book = book([("0.50", "0.5")], [("0.55", "10")])
    sim = FillSimulator()
    gtd = order("g", BUY, "0.50", "10", OrderType.GTD, expires_at_ms=1_000)
    assert sim.submit(gtd, the_book, 0).ack.status is OrderStatus.ACCEPTED
    assert sim.expire(999) == []
    # No one-minute buffer: at 1000 ms it is gone, and a trade then cannot fill it.
    events = sim.on_trade(trade(SELL, "0.50", "100"), 1_000)
    assert updates_of(events) == [("paper-g", OrderStatus.EXPIRED)]
    assert fills_of(events) == []
    assert sim.open_orders() == []
    late = sim.submit(
        order("h", BUY, "0.50", "10", OrderType.GTD, expires_at_ms=1_000), None, 1_000
    )
    assert late.ack.status is OrderStatus.REJECTED


# -- venue limits ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "status"), [("4.99", OrderStatus.REJECTED), ("5", OrderStatus.ACCEPTED)]
)
def test_a_resting_order_needs_five_shares(size: str, status: OrderStatus) -> None:
    the_book = book([("0.40", "10")], [("0.60", "10")])
    result = FillSimulator().submit(order("a", BUY, "0.50", size), the_book, 0)
    assert result.ack.status is status
    if status is OrderStatus.REJECTED:
        assert result.ack.reason == "size 4.99 is below the minimum of 5 shares for a resting order"


@pytest.mark.parametrize(
    # 1.9 * 0.52 = 0.988 USD < 1; 2 * 0.52 = 1.04 USD.
    ("size", "status"),
    [("1.9", OrderStatus.REJECTED), ("2", OrderStatus.FILLED)],
)
def test_a_marketable_order_needs_one_dollar(size: str, status: OrderStatus) -> None:
    the_book = book([], [("0.52", "10")])
    result = FillSimulator().submit(order("a", BUY, "0.52", size, OrderType.FAK), the_book, 0)
    assert result.ack.status is status


def test_a_crossing_gtc_needs_one_dollar_as_well() -> None:
    the_book = book([("0.10", "100")], [("0.90", "100")])
    # 5 shares sold into the 0.10 bid: 0.50 USD.
    result = FillSimulator().submit(order("a", SELL, "0.10", "5"), the_book, 0)
    assert result.ack.reason == "marketable order notional 0.50 USD is below the minimum of 1 USD"


def test_a_tokens_own_minimum_size_wins() -> None:
    the_book = book([("0.40", "10")], [("0.60", "10")])
    sim = FillSimulator()
    sim.set_min_size(TOKEN, D(15))
    assert sim.submit(order("a", BUY, "0.50", "10"), the_book, 0).ack.status is OrderStatus.REJECTED


@pytest.mark.parametrize(
    ("price", "reason"),
    [
        ("0.555", "price 0.555 is not a multiple of the tick size 0.01"),
        ("0", "price 0 is outside [0.01, 0.99] (tick size 0.01)"),
        ("1", "price 1 is outside [0.01, 0.99] (tick size 0.01)"),
    ],
)
def test_prices_off_the_tick_grid_are_rejected(price: str, reason: str) -> None:
    the_book = book([("0.40", "10")], [("0.60", "10")])
    result = FillSimulator().submit(order("a", BUY, price, "10"), the_book, 0)
    assert (result.ack.status, result.ack.reason) == (OrderStatus.REJECTED, reason)


def test_a_finer_tick_size_allows_finer_prices() -> None:
    the_book = book([("0.40", "10")], [("0.60", "10")])
    sim = FillSimulator()
    sim.set_tick_size(TOKEN, D("0.001"))
    assert (
        sim.submit(order("a", BUY, "0.555", "10"), the_book, 0).ack.status is OrderStatus.ACCEPTED
    )


def test_no_book_and_duplicates_are_rejected() -> None:
    sim = FillSimulator()
    result = sim.submit(order("a", BUY, "0.50", "10"), None, 0)
    assert result.ack.reason == "no order book for token tok yet (waiting for market data)"
    the_book = book([("0.40", "10")], [("0.60", "10")])
    assert sim.submit(order("a", BUY, "0.50", "10"), the_book, 0).ack.status is OrderStatus.ACCEPTED
    again = sim.submit(order("a", BUY, "0.50", "10"), the_book, 0)
    assert (again.ack.status, again.ack.reason) == (
        OrderStatus.REJECTED,
        "duplicate client order id a",
    )


# -- cancels and resolution --------------------------------------------------------------------


def test_cancels_answer_what_they_did_and_why_not() -> None:
    the_book = book([("0.40", "10")], [("0.60", "10")])
    sim = FillSimulator()
    sim.submit(order("a", BUY, "0.50", "10"), the_book, 0)
    sim.submit(order("b", BUY, "0.49", "10"), the_book, 0)
    result = sim.cancel(["paper-a", "paper-x"], 5)
    assert result.canceled == ("paper-a",)
    assert dict(result.not_canceled) == {"paper-x": "order not found"}
    assert dict(sim.cancel(["paper-a"], 6).not_canceled) == {"paper-a": "already canceled"}
    assert sim.cancel_all("other-market", 7).canceled == ()
    assert sim.cancel_all(MARKET, 7).canceled == ("paper-b",)
    cancelled = sim.get("paper-b")
    assert cancelled is not None
    assert cancelled.status is OrderStatus.CANCELED


def test_a_resolved_market_cancels_its_resting_orders() -> None:
    the_book = book([("0.40", "10")], [("0.60", "10")])
    sim = FillSimulator()
    sim.submit(order("a", BUY, "0.50", "10"), the_book, 0)
    events = sim.resolve_market(MARKET, 9)
    assert updates_of(events) == [("paper-a", OrderStatus.CANCELED)]
    assert isinstance(events[0], VenueOrderUpdate)
    assert events[0].reason == "market resolved"
    assert sim.resting_count == 0


def test_a_walk_goes_past_the_first_levels_fetched() -> None:
    # 20 ask levels, 0.60 to 0.79, 1 share each: a buy of 25 at 0.99 takes all 20.
    asks = [(f"0.{60 + i}", "1") for i in range(20)]
    the_book = book([], asks)
    result = FillSimulator().submit(order("a", BUY, "0.99", "25", OrderType.FAK), the_book, 0)
    assert [f.price for f in result.fills] == [D(p) for p, _ in asks]


def test_a_resting_order_with_nothing_on_the_other_side_waits() -> None:
    the_book = book([("0.40", "10")], [("0.60", "10")])
    sim = FillSimulator()
    sim.submit(order("a", BUY, "0.50", "10"), the_book, 0)
    assert sim.on_book(TOKEN, the_book, change(the_book, (SELL, "0.60", "0")), 0) == []
    assert sim.open_orders()[0].filled_size == 0


def test_only_the_newest_closed_orders_are_kept_for_lookups() -> None:
    the_book = book([("0.40", "10")], [("0.60", "10")])
    sim = FillSimulator(FillRules(keep_closed=1))
    sim.submit(order("a", BUY, "0.50", "10"), the_book, 0)
    sim.submit(order("b", BUY, "0.50", "10"), the_book, 0)
    sim.cancel_all(None, 1)
    assert sim.get("paper-a") is None
    assert sim.get("paper-b") is not None
