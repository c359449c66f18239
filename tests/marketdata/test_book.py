"""Order books: snapshots, absolute level updates, consistency checks, depth queries."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agbotkit.marketdata.book import ApplyResult, BookState, OrderBook, OrderBooks
from agbotkit.marketdata.clob.translate import decode_clob_frame
from agbotkit.model.books import (
    BookDelta,
    BookSnapshot,
    LevelChange,
    PriceLevel,
    ResyncCause,
    Side,
    TickSizeChanged,
)
from agbotkit.model.feeds import Pong
from agbotkit.model.markets import Trade

DATA = Path(__file__).resolve().parent.parent / "data" / "polymarket"
D = Decimal
BUY, SELL = Side.BUY, Side.SELL


def snapshot(
    bids: list[tuple[str, str]], asks: list[tuple[str, str]], asset_id: str = "T", ts: int = 1
) -> BookSnapshot:
    return BookSnapshot(
        asset_id,
        "0xm",
        tuple(PriceLevel(D(p), D(s)) for p, s in bids),
        tuple(PriceLevel(D(p), D(s)) for p, s in asks),
        ts,
        hash="h0",
    )


def delta(
    *changes: tuple[Side, str, str],
    best_bid: str | None = None,
    best_ask: str | None = None,
    asset_id: str = "T",
    ts: int = 2,
) -> BookDelta:
    return BookDelta(
        asset_id,
        "0xm",
        tuple(LevelChange(side, D(p), D(s)) for side, p, s in changes),
        ts,
        None if best_bid is None else D(best_bid),
        None if best_ask is None else D(best_ask),
        hash=f"h{ts}",
    )


def levels(*pairs: tuple[str, str]) -> list[PriceLevel]:
    return [PriceLevel(D(p), D(s)) for p, s in pairs]


def valid_book() -> OrderBook:
    book = OrderBook("T")
    result = book.apply_snapshot(
        snapshot([("0.48", "10"), ("0.49", "20"), ("0.47", "5")], [("0.52", "7"), ("0.51", "3")])
    )
    assert result is ApplyResult.APPLIED
    return book


def test_new_book_is_empty_and_not_valid() -> None:
    book = OrderBook("T")
    assert book.state is BookState.EMPTY
    assert not book.valid
    assert not book.needs_resync
    assert (book.best_bid, book.best_ask, book.mid, book.spread) == (None, None, None, None)
    assert book.bids() == book.asks() == []


def test_snapshot_order_does_not_matter() -> None:
    bids = [("0.4", "1"), ("0.45", "2"), ("0.3", "3"), ("0.44", "4")]
    asks = [("0.6", "1"), ("0.5", "2"), ("0.55", "3")]
    reference: tuple[list[PriceLevel], list[PriceLevel]] | None = None
    rng = random.Random(7)
    for _ in range(10):
        rng.shuffle(bids)
        rng.shuffle(asks)
        book = OrderBook("T")
        book.apply_snapshot(snapshot(bids, asks))
        depth = book.depth(10)
        reference = reference or depth
        assert depth == reference
    assert reference == (
        levels(("0.45", "2"), ("0.44", "4"), ("0.4", "1"), ("0.3", "3")),
        levels(("0.5", "2"), ("0.55", "3"), ("0.6", "1")),
    )


def test_real_book_sample_bids_ascending_asks_descending() -> None:
    lines = (DATA / "nautilus_clob_market_ws.jsonl").read_bytes().splitlines()
    (event,) = decode_clob_frame(lines[0])
    assert isinstance(event, BookSnapshot)
    # Feed the wire order unchanged (best last on both sides), not the translator's order.
    wire_order = attrs.evolve(event, bids=event.bids[::-1], asks=event.asks[::-1])
    book = OrderBook(event.asset_id)
    assert book.apply_snapshot(wire_order) is ApplyResult.APPLIED
    assert book.best_bid == PriceLevel(D("0.511"), D("1304.72"))
    assert book.best_ask == PriceLevel(D("0.514"), D("20230.87"))
    assert book.spread == D("0.003")
    assert book.mid == D("0.5125")
    assert (book.bid_count, book.ask_count) == (76, 86)
    assert book.depth(2) == (
        levels(("0.511", "1304.72"), ("0.51", "12848.17")),
        levels(("0.514", "20230.87"), ("0.515", "43551.96")),
    )
    assert book.market == event.market
    assert book.hash == "655a38d4977427b086c25b985993691b753ed166"
    assert book.timestamp_ms == 1728799418260


def test_delta_sets_absolute_sizes_and_zero_removes() -> None:
    book = valid_book()
    result = book.apply_delta(
        delta(
            (BUY, "0.49", "25"),  # replace, not add
            (BUY, "0.47", "0"),  # remove
            (SELL, "0.515", "4"),  # new level in the middle
            (SELL, "0.9", "0"),  # removing an absent level is a no-op
            best_bid="0.49",
            best_ask="0.51",
        )
    )
    assert result is ApplyResult.APPLIED
    assert book.bids() == levels(("0.49", "25"), ("0.48", "10"))
    assert book.asks() == levels(("0.51", "3"), ("0.515", "4"), ("0.52", "7"))
    assert book.size_at(BUY, D("0.49")) == D("25")
    assert book.size_at(BUY, D("0.47")) == 0
    assert book.size_at(SELL, D("0.515")) == D("4")
    assert (book.timestamp_ms, book.hash) == (2, "h2")


def test_equal_prices_with_different_spelling_are_one_level() -> None:
    book = valid_book()
    book.apply_delta(delta((BUY, "0.490", "1"), (BUY, "0.48", "0")))
    assert book.bids() == levels(("0.49", "1"), ("0.47", "5"))


def test_removing_the_best_levels_moves_the_top() -> None:
    book = valid_book()
    assert book.apply_delta(delta((BUY, "0.49", "0"), (SELL, "0.51", "0"))) is ApplyResult.APPLIED
    assert book.best_bid == PriceLevel(D("0.48"), D("10"))
    assert book.best_ask == PriceLevel(D("0.52"), D("7"))
    assert book.spread == D("0.04")
    assert book.mid == D("0.5")


def test_depth_limits() -> None:
    book = valid_book()
    assert book.bids(2) == levels(("0.49", "20"), ("0.48", "10"))
    assert book.asks(1) == levels(("0.51", "3"))
    assert book.bids(0) == book.asks(0) == []
    assert book.bids(-1) == book.asks(-3) == []
    assert book.bids(100) == book.bids() == levels(("0.49", "20"), ("0.48", "10"), ("0.47", "5"))
    assert book.asks(100) == book.asks() == levels(("0.51", "3"), ("0.52", "7"))


def test_delta_that_crosses_the_book_asks_for_a_resync() -> None:
    book = valid_book()
    result = book.apply_delta(delta((BUY, "0.51", "1")))
    assert result is ApplyResult.RESYNC
    assert book.needs_resync
    assert book.state is BookState.INCONSISTENT
    assert not book.valid
    assert book.resync_reason == "crossed book: best bid 0.51 >= best ask 0.51"
    assert book.resync_cause is ResyncCause.CROSSED
    # Until the next snapshot, deltas are not applied and keep asking for a resync.
    assert book.apply_delta(delta((BUY, "0.3", "1"))) is ApplyResult.RESYNC
    assert book.size_at(BUY, D("0.3")) == 0
    assert book.apply_snapshot(snapshot([("0.4", "1")], [("0.6", "1")])) is ApplyResult.APPLIED
    assert book.valid
    assert book.resync_reason is None
    assert book.resync_cause is None


def test_crossed_snapshot_asks_for_a_resync() -> None:
    book = OrderBook("T")
    assert book.apply_snapshot(snapshot([("0.6", "1")], [("0.55", "1")])) is ApplyResult.RESYNC
    assert book.resync_reason == "crossed book: best bid 0.6 >= best ask 0.55"


def test_delta_before_any_snapshot_asks_for_a_resync() -> None:
    book = OrderBook("T")
    assert book.apply_delta(delta((BUY, "0.4", "1"))) is ApplyResult.RESYNC
    assert book.needs_resync
    assert book.resync_reason == "price_change before any book snapshot"
    assert book.resync_cause is ResyncCause.NO_SNAPSHOT
    assert book.bids() == []


def test_delta_whose_top_of_book_disagrees_asks_for_a_resync() -> None:
    book = valid_book()
    result = book.apply_delta(delta((BUY, "0.45", "1"), best_bid="0.45", best_ask="0.51"))
    assert result is ApplyResult.RESYNC
    assert book.resync_reason == "best bid 0.45 in the feed, 0.49 in the book"
    assert book.resync_cause == "best_bid_mismatch"
    book = valid_book()
    result = book.apply_delta(delta((SELL, "0.53", "1"), best_bid="0.49", best_ask="0.53"))
    assert result is ApplyResult.RESYNC
    assert book.resync_reason == "best ask 0.53 in the feed, 0.51 in the book"
    assert book.resync_cause == "best_ask_mismatch"
    book.reset()
    assert book.resync_cause is None


def test_empty_sides_match_the_feeds_zero_and_one() -> None:
    book = OrderBook("T")
    book.apply_snapshot(snapshot([("0.4", "1")], [("0.6", "1")]))
    result = book.apply_delta(
        delta((BUY, "0.4", "0"), (SELL, "0.6", "0"), best_bid="0", best_ask="1")
    )
    assert result is ApplyResult.APPLIED
    assert book.apply_delta(delta(best_bid="0", best_ask="0")) is ApplyResult.APPLIED
    assert book.apply_delta(delta(best_ask="0.7")) is ApplyResult.RESYNC
    assert book.resync_reason == "best ask 0.7 in the feed, None in the book"


def test_sample_batched_price_change_is_inconsistent_with_its_own_top() -> None:
    # The fixture is semi-synthetic: it adds a bid at 0.7 yet reports best bid 0.6.
    lines = (DATA / "nautilus_clob_market_ws.jsonl").read_bytes().splitlines()
    (event,) = decode_clob_frame(lines[2])
    assert isinstance(event, BookDelta)
    book = OrderBook(event.asset_id)
    book.apply_snapshot(
        BookSnapshot(event.asset_id, event.market, (), (PriceLevel(D("0.8"), D("1")),), 1)
    )
    assert book.apply_delta(event) is ApplyResult.RESYNC
    assert book.resync_reason == "best bid 0.6 in the feed, 0.7 in the book"


def test_tick_size_change_drops_the_book_until_the_next_snapshot() -> None:
    book = valid_book()
    change = TickSizeChanged("T", "0xm", D("0.01"), D("0.001"), 5)
    assert book.apply_tick_size_change(change) is ApplyResult.WAITING
    assert book.state is BookState.DROPPED
    assert not book.valid
    assert not book.needs_resync
    assert book.tick_size == D("0.001")
    assert (book.bid_count, book.ask_count, book.best_bid) == (0, 0, None)
    assert book.apply_delta(delta((BUY, "0.485", "3"))) is ApplyResult.WAITING
    assert book.bids() == []
    assert book.apply_snapshot(snapshot([("0.485", "3")], [("0.487", "1")])) is (
        ApplyResult.APPLIED
    )
    assert book.valid
    assert book.tick_size == D("0.001")  # the snapshot carries none: the change's stays


def test_tick_size_change_keeps_a_pending_resync() -> None:
    book = OrderBook("T")
    book.apply_delta(delta((BUY, "0.4", "1")))
    change = TickSizeChanged("T", "0xm", D("0.01"), D("0.001"), 5)
    assert book.apply_tick_size_change(change) is ApplyResult.RESYNC
    assert book.needs_resync


def test_snapshot_sets_tick_size_and_reset_forgets() -> None:
    book = OrderBook("T")
    book.apply_snapshot(attrs.evolve(snapshot([("0.4", "1")], []), tick_size=D("0.01")))
    assert book.tick_size == D("0.01")
    assert book.best_ask is None
    assert book.mid is None
    book.reset()
    assert book.state is BookState.EMPTY
    assert book.bids() == []


def test_events_for_another_token_are_refused() -> None:
    book = valid_book()
    with pytest.raises(ValueError, match="event for token U applied to the book of T"):
        book.apply_delta(delta((BUY, "0.4", "1"), asset_id="U"))
    with pytest.raises(ValueError, match="token U"):
        book.apply_snapshot(snapshot([], [], asset_id="U"))
    with pytest.raises(ValueError, match="token U"):
        book.apply_tick_size_change(TickSizeChanged("U", "0xm", D("0.01"), D("0.001"), 5))


def test_order_books_registry() -> None:
    books = OrderBooks()
    assert books.apply(snapshot([("0.4", "1")], [("0.6", "1")], asset_id="A")) is (
        ApplyResult.APPLIED
    )
    assert books.apply(delta((BUY, "0.41", "2"), asset_id="A")) is ApplyResult.APPLIED
    assert books.apply(delta((BUY, "0.41", "2"), asset_id="B")) is ApplyResult.RESYNC
    change = TickSizeChanged("A", "0xm", D("0.01"), D("0.001"), 5)
    assert books.apply(change) is ApplyResult.WAITING
    assert books.apply(Pong()) is None
    trade = Trade("A", "0xm", BUY, D("0.5"), D("1"), 1, 1, "last_trade_price")
    assert books.apply(trade) is None
    assert sorted(books) == ["A", "B"]
    assert len(books) == 2
    assert "A" in books
    assert "C" not in books
    assert books.get("C") is None
    assert books["A"].state is BookState.DROPPED
    assert books.needing_resync() == ["B"]
    books.reset_all()
    assert books.needing_resync() == []
    assert books["B"].state is BookState.EMPTY
    books.remove("B")
    books.remove("nope")
    assert list(books) == ["A"]


# --- property test against a simple reference model ----------------------------------------


@attrs.define
class ModelBook:
    """The obvious implementation: dicts of levels, sorted on every query."""

    bids: dict[Decimal, Decimal] = attrs.field(factory=dict)
    asks: dict[Decimal, Decimal] = attrs.field(factory=dict)
    state: BookState = BookState.EMPTY

    def crossed(self) -> bool:
        return bool(self.bids and self.asks and max(self.bids) >= min(self.asks))

    def snapshot(self, bids: list[PriceLevel], asks: list[PriceLevel]) -> ApplyResult:
        self.bids = {p: s for p, s in bids if s}
        self.asks = {p: s for p, s in asks if s}
        self.state = BookState.INCONSISTENT if self.crossed() else BookState.VALID
        return ApplyResult.RESYNC if self.crossed() else ApplyResult.APPLIED

    def delta(self, changes: list[LevelChange]) -> ApplyResult:
        if self.state is BookState.DROPPED:
            return ApplyResult.WAITING
        if self.state is not BookState.VALID:
            self.state = BookState.INCONSISTENT
            return ApplyResult.RESYNC
        for side, price, size in changes:
            levels = self.bids if side is BUY else self.asks
            if size:
                levels[price] = size
            else:
                levels.pop(price, None)
        if self.crossed():
            self.state = BookState.INCONSISTENT
            return ApplyResult.RESYNC
        return ApplyResult.APPLIED

    def tick(self) -> ApplyResult:
        self.bids, self.asks = {}, {}
        if self.state is BookState.INCONSISTENT:
            return ApplyResult.RESYNC
        self.state = BookState.DROPPED
        return ApplyResult.WAITING

    def sorted_bids(self) -> list[PriceLevel]:
        return [PriceLevel(p, self.bids[p]) for p in sorted(self.bids, reverse=True)]

    def sorted_asks(self) -> list[PriceLevel]:
        return [PriceLevel(p, self.asks[p]) for p in sorted(self.asks)]


def price_in(low: int, high: int) -> st.SearchStrategy[Decimal]:
    # Cents, sometimes spelled with a trailing zero: equal Decimals must be one level.
    return st.builds(
        lambda cents, pad: D(cents) / 100 if not pad else D(f"{D(cents) / 100}0"),
        st.integers(low, high),
        st.booleans(),
    )


SIZES = st.integers(1, 10_000).map(lambda n: D(n) / 100)


def level_lists(prices: st.SearchStrategy[Decimal]) -> st.SearchStrategy[list[PriceLevel]]:
    return st.lists(st.builds(PriceLevel, prices, SIZES), max_size=20)


def changes(split: bool) -> st.SearchStrategy[list[LevelChange]]:
    sized = st.one_of(st.just(D(0)), SIZES)
    if split:  # bids below 0.50, asks above: the book never crosses
        bid = st.builds(LevelChange, st.just(BUY), price_in(1, 49), sized)
        ask = st.builds(LevelChange, st.just(SELL), price_in(51, 99), sized)
        change = st.one_of(bid, ask)
    else:
        change = st.builds(LevelChange, st.sampled_from(Side), price_in(1, 99), sized)
    return st.lists(change, min_size=1, max_size=5)


def operations(split: bool) -> st.SearchStrategy[list[tuple[object, ...]]]:
    bids = price_in(1, 49) if split else price_in(1, 99)
    asks = price_in(51, 99) if split else price_in(1, 99)
    return st.lists(
        st.one_of(
            st.tuples(st.just("snapshot"), level_lists(bids), level_lists(asks)),
            st.tuples(st.just("delta"), changes(split), st.booleans()),
            st.tuples(st.just("delta"), changes(split), st.booleans()),
            st.tuples(st.just("delta"), changes(split), st.booleans()),
            st.tuples(st.just("tick")),
        ),
        max_size=30,
    )


def run_against_model(ops: list[tuple[object, ...]]) -> None:
    book = OrderBook("T")
    model = ModelBook()
    for step, op in enumerate(ops):
        if op[0] == "snapshot":
            bids, asks = op[1], op[2]
            assert isinstance(bids, list)
            assert isinstance(asks, list)
            event = BookSnapshot("T", "0xm", tuple(bids), tuple(asks), step)
            assert book.apply_snapshot(event) is model.snapshot(bids, asks)
        elif op[0] == "delta":
            level_changes, report_top = op[1], op[2]
            assert isinstance(level_changes, list)
            expected = model.delta(level_changes)
            best_bid = best_ask = None
            if report_top and expected is ApplyResult.APPLIED:
                # Report the true top of book as the feed does; empty sides as 0 and 1.
                best_bid = max(model.bids) if model.bids else D(0)
                best_ask = min(model.asks) if model.asks else D(1)
            event_delta = BookDelta("T", "0xm", tuple(level_changes), step, best_bid, best_ask)
            assert book.apply_delta(event_delta) is expected
        else:
            change = TickSizeChanged("T", "0xm", D("0.01"), D("0.001"), step)
            assert book.apply_tick_size_change(change) is model.tick()
        assert book.state is model.state
        if model.state is BookState.INCONSISTENT:
            continue  # contents no longer matter; the caller resyncs
        assert book.bids() == model.sorted_bids()
        assert book.asks() == model.sorted_asks()
        assert book.depth(3) == (model.sorted_bids()[:3], model.sorted_asks()[:3])
        top_bid = model.sorted_bids()[:1]
        top_ask = model.sorted_asks()[:1]
        assert book.best_bid == (top_bid[0] if top_bid else None)
        assert book.best_ask == (top_ask[0] if top_ask else None)
        if top_bid and top_ask:
            assert book.spread == top_ask[0].price - top_bid[0].price
            assert book.mid == (top_ask[0].price + top_bid[0].price) / 2
        else:
            assert book.spread is None
            assert book.mid is None


@settings(max_examples=150)
@given(operations(split=True))
def test_book_matches_reference_model_uncrossed(ops: list[tuple[object, ...]]) -> None:
    run_against_model(ops)


@settings(max_examples=150)
@given(operations(split=False))
def test_book_matches_reference_model_with_crossing(ops: list[tuple[object, ...]]) -> None:
    run_against_model(ops)
