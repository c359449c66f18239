"""The fill simulator's delta path (only the changed levels are looked at) gives exactly what
its snapshot path (every resting order and both sides looked at) gives, on random books,
orders, trades and deltas."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from agbotkit.exec.fillsim import FillSimulator
from agbotkit.marketdata.book import ApplyResult, OrderBook
from agbotkit.model.books import BookDelta, BookSnapshot, LevelChange, PriceLevel
from agbotkit.model.markets import Trade
from agbotkit.model.orders import Order, Side

from .test_fillsim import MARKET, TOKEN

# Prices on a coarse grid so orders, levels and trades meet often. Bids stay below 0.50 and
# asks at or above it, so no delta crosses the book (a venue never shows a crossed book);
# our orders and trades go anywhere on the grid.
_PRICES = [Decimal(p) / 100 for p in range(40, 61, 2)]
_BID_PRICES = [p for p in _PRICES if p < Decimal("0.5")]
_ASK_PRICES = [p for p in _PRICES if p >= Decimal("0.5")]
_SIZES = [Decimal(s) for s in (0, 5, 10, 25, 60)]

_bid = st.tuples(st.sampled_from(_BID_PRICES), st.sampled_from(_SIZES[1:]))
_ask = st.tuples(st.sampled_from(_ASK_PRICES), st.sampled_from(_SIZES[1:]))
_change = st.one_of(
    st.tuples(st.just(Side.BUY), st.sampled_from(_BID_PRICES), st.sampled_from(_SIZES)),
    st.tuples(st.just(Side.SELL), st.sampled_from(_ASK_PRICES), st.sampled_from(_SIZES)),
)
_delta = st.lists(_change, min_size=1, max_size=4)
_order = st.tuples(
    st.sampled_from([Side.BUY, Side.SELL]), st.sampled_from(_PRICES), st.sampled_from(_SIZES[1:])
)
_trade = st.tuples(
    st.sampled_from([Side.BUY, Side.SELL]), st.sampled_from(_PRICES), st.sampled_from(_SIZES[1:])
)
_step = st.one_of(
    st.tuples(st.just("delta"), _delta),
    st.tuples(st.just("order"), _order),
    st.tuples(st.just("trade"), _trade),
    st.tuples(st.just("cancel"), st.integers(0, 20)),
)


def _book(bids: list[tuple[Decimal, Decimal]], asks: list[tuple[Decimal, Decimal]]) -> OrderBook:
    book = OrderBook(TOKEN)
    snapshot = BookSnapshot(
        TOKEN,
        MARKET,
        tuple(PriceLevel(p, s) for p, s in dict(bids).items()),
        tuple(PriceLevel(p, s) for p, s in dict(asks).items()),
        1,
    )
    assert book.apply_snapshot(snapshot) is ApplyResult.APPLIED
    return book


def _events(events: list[object]) -> list[object]:
    return [repr(e) for e in events]


@settings(max_examples=150, deadline=None)
@given(
    bids=st.lists(_bid, max_size=4),
    asks=st.lists(_ask, max_size=4),
    steps=st.lists(_step, min_size=1, max_size=25),
)
def test_deltas_give_what_snapshots_give(
    bids: list[tuple[Decimal, Decimal]],
    asks: list[tuple[Decimal, Decimal]],
    steps: list[tuple[str, object]],
) -> None:
    book = _book(bids, asks)
    by_delta, by_snapshot = FillSimulator(), FillSimulator()
    ids: list[str] = []
    for now, (kind, what) in enumerate(steps, start=2):
        if kind == "delta":
            assert isinstance(what, list)
            levels = tuple(LevelChange(side, price, size) for side, price, size in what)
            assert book.apply_delta(BookDelta(TOKEN, MARKET, levels, now)) is ApplyResult.APPLIED
            seen = by_delta.on_book(TOKEN, book, levels, now)
            assert _events(seen) == _events(by_snapshot.on_book(TOKEN, book, None, now))
        elif kind == "order":
            assert isinstance(what, tuple)
            side, price, size = what
            cid = f"o{now}"
            ids.append(cid)
            order = Order(
                client_order_id=cid,
                venue="paper",
                market_id=MARKET,
                token_id=TOKEN,
                side=side,
                price=price,
                size=size,
            )
            first = by_delta.submit(order, book, now)
            assert repr(first) == repr(by_snapshot.submit(order, book, now))
        elif kind == "trade":
            assert isinstance(what, tuple)
            taker, price, size = what
            trade = Trade(TOKEN, MARKET, taker, price, size, now, now, "last_trade_price", None)
            assert _events(by_delta.on_trade(trade, now)) == _events(
                by_snapshot.on_trade(trade, now)
            )
        elif ids:
            assert isinstance(what, int)
            venue_id = by_delta.order_id_for(ids[what % len(ids)])
            assert by_delta.cancel([venue_id], now) == by_snapshot.cancel([venue_id], now)
        # Every resting order keeps the same place in its queue on both paths.
        assert [(o.venue_order_id, o.filled_size, o.status) for o in by_delta.open_orders()] == [
            (o.venue_order_id, o.filled_size, o.status) for o in by_snapshot.open_orders()
        ]
        assert [s.queue_ahead for s in by_delta._resting.all()] == [
            s.queue_ahead for s in by_snapshot._resting.all()
        ]
