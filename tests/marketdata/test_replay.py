"""Replay: the bundled demo recording, the synthetic generator, and the ``replay`` component
serving a recording to real ``clob_market`` and ``rtds`` components."""

from __future__ import annotations

import itertools
import json
import logging
import statistics
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
import trio
import trio.testing

from agbotkit.abc import ComponentContext
from agbotkit.bus.bus import Bus
from agbotkit.marketdata.book import ApplyResult, OrderBooks
from agbotkit.marketdata.clob.translate import decode_clob_frame
from agbotkit.marketdata.component import (
    ClobMarket,
    ClobMarketConfig,
    Rtds,
    RtdsConfig,
    RtdsSubscriptionConfig,
)
from agbotkit.marketdata.replay.component import Replay, ReplayConfig, bundled_demo_recording
from agbotkit.marketdata.replay.recording import Recording, RecordingWriter, read_recording
from agbotkit.marketdata.replay.synthetic import DEMO_MARKETS, generate
from agbotkit.marketdata.rtds.translate import decode_rtds_frame
from agbotkit.model.books import BestBidAsk, BookSnapshot
from agbotkit.model.markets import Trade
from agbotkit.model.prices import ReferencePrice
from agbotkit.topics import BOOKS, FEED_STATUS, MARKET_DATA, MARKETS

from .conftest import (
    EPOCH_MS,
    LATENCY_MS,
    MARKET,
    NO,
    R0,
    YES,
    receive_until,
    small_market,
)

MakeContext = Callable[..., ComponentContext]


@pytest.fixture(scope="module")
def demo() -> Recording:
    return read_recording(bundled_demo_recording())


def final_books(recording: Recording) -> OrderBooks:
    """The books after every CLOB frame of ``recording``, built offline."""
    books = OrderBooks()
    for frame in recording.frames:
        if frame.feed == "clob":
            for event in decode_clob_frame(frame.text):
                books.apply(event)
    return books


def levels_of(books: OrderBooks, asset_id: str) -> tuple[object, object]:
    book = books[asset_id]
    return book.bids(), book.asks()


# -- the bundled recording and the generator -----------------------------------------------


def test_demo_recording_is_marked_synthetic(demo: Recording) -> None:
    assert demo.header["format"] == "agbotkit-recording"
    assert demo.header["synthetic"] is True
    assert "SYNTHETIC" in demo.header["note"]
    assert sorted(info.slug for info in demo.markets.values()) == sorted(
        slug for slug, *_ in DEMO_MARKETS
    )
    assert demo.duration_ms > 100_000
    assert {frame.feed for frame in demo.frames} == {"clob", "rtds"}


def test_every_demo_frame_decodes_and_applies_without_resync(demo: Recording) -> None:
    books = OrderBooks()
    results: dict[ApplyResult | None, int] = {}
    tokens = {token for info in demo.markets.values() for token in info.token_ids}
    for frame in demo.frames:
        if frame.feed == "rtds":
            assert not decode_rtds_frame(frame.text).errors
            continue
        events = decode_clob_frame(frame.text)
        assert not events.errors, frame.text
        for event in events:
            assert getattr(event, "asset_id", next(iter(tokens))) in tokens
            result = books.apply(event)
            results[result] = results.get(result, 0) + 1
            assert result is not ApplyResult.RESYNC, (frame.text, books.needing_resync())
    assert results[ApplyResult.APPLIED] > 3000
    assert set(books) == tokens
    assert all(books[token].valid for token in tokens)
    # Received times never go back.
    times = [frame.received_ms for frame in demo.frames]
    assert times == sorted(times)


def test_demo_latency_is_realistic_on_both_feeds(demo: Recording) -> None:
    """Every frame arrives 15-60 ms after its server timestamp (what ``lag_ms`` shows in
    the demo): an RTDS trade is stamped when RTDS publishes it, not when it was made, and
    a later frame never holds up an earlier one of the same socket."""
    lags: dict[str, list[int]] = {"clob": [], "rtds": []}
    for frame in demo.frames:
        if frame.text[:1] not in ("{", "["):
            continue
        value = json.loads(frame.text)
        for item in value if isinstance(value, list) else [value]:
            lags[frame.feed].append(frame.received_ms - int(item["timestamp"]))
    for feed, values in lags.items():
        assert min(values) >= 15, feed
        assert max(values) <= 60, (feed, max(values))
        assert 30 <= statistics.mean(values) <= 45, feed


def test_generator_is_deterministic(tmp_path: Path) -> None:
    a, b, c = (tmp_path / f"{name}.jsonl.gz" for name in "abc")
    assert generate(a, seed=3, duration_s=5.0) == generate(b, seed=3, duration_s=5.0)
    generate(c, seed=4, duration_s=5.0)
    first, second, other = (read_recording(p) for p in (a, b, c))
    assert first == second
    assert first.frames != other.frames
    assert first.markets.keys() != other.markets.keys()  # ids derive from the seed


def test_bundled_recording_is_the_generator_with_seed_7(tmp_path: Path, demo: Recording) -> None:
    generate(tmp_path / "demo.jsonl.gz", seed=7)
    assert read_recording(tmp_path / "demo.jsonl.gz") == demo


# -- the replay component ------------------------------------------------------------------


async def test_demo_replay_builds_the_recorded_books(
    nursery: trio.Nursery,
    bus: Bus,
    make_context: MakeContext,
    demo: Recording,
    clock: trio.testing.MockClock,
) -> None:
    expected = final_books(demo)
    tokens = tuple(token for info in demo.markets.values() for token in info.token_ids)
    data = bus.subscribe(MARKET_DATA)
    replay = Replay(ReplayConfig(speed=0, loop=False), make_context("replay"))
    await nursery.start(replay.run)
    clob = ClobMarket(ClobMarketConfig(url=replay.clob.url, assets=tokens), make_context("clob"))
    await nursery.start(clob.run)

    with trio.fail_after(60):
        while replay.frames_played < len(demo.frames):  # noqa: ASYNC110 - virtual time
            await trio.sleep(0.1)
    # Everything before this marker on the socket has been applied once it comes out.
    marker = {
        "event_type": "best_bid_ask",
        "asset_id": tokens[0],
        "market": "0x00",
        "best_bid": "0.01",
        "best_ask": "0.99",
        "spread": "0.98",
        "timestamp": "1",
    }
    assert await replay.clob.publish(marker) == 1
    await receive_until(data, lambda e: isinstance(e, BestBidAsk) and e.timestamp_ms == 1)

    for token in tokens:
        assert clob.books[token].valid
        assert levels_of(clob.books, token) == levels_of(expected, token)
        assert levels_of(replay.books, token) == levels_of(expected, token)
    assert clob.sessions[0].handler.resyncs == 0
    assert clob.stats.malformed == 0


async def test_replay_serves_current_snapshots_and_restamps(
    nursery: trio.Nursery,
    bus: Bus,
    make_context: MakeContext,
    small_recording: Path,
    clock: trio.testing.MockClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The small recording at speed 1 (30 s of virtual time), with the CLOB client
    disconnected at 15 s: it reconnects and gets the books as they are then."""
    caplog.set_level(logging.INFO)
    books = bus.subscribe(BOOKS)
    data = bus.subscribe(MARKET_DATA)
    status = bus.subscribe(FEED_STATUS)
    markets = bus.subscribe(MARKETS)
    replay = Replay(ReplayConfig(small_recording, speed=1.0, loop=False), make_context("replay"))
    await nursery.start(replay.run)
    # Markets are announced with their end dates moved along with the timestamps.
    info = markets.receive_nowait()
    assert info.end_date_ms == small_market().end_date_ms - R0 + EPOCH_MS  # type: ignore[operator]
    assert info.token_ids == (YES, NO)

    clob = ClobMarket(ClobMarketConfig(url=replay.clob.url, assets=(YES, NO)), make_context("clob"))
    await nursery.start(clob.run)
    rtds = Rtds(
        RtdsConfig(
            url=replay.rtds.url,
            subscriptions=(
                RtdsSubscriptionConfig("crypto_prices_chainlink", symbols=("btc/usd",)),
                RtdsSubscriptionConfig("activity", "trades"),
            ),
        ),
        make_context("rtds"),
    )
    await nursery.start(rtds.run)
    await receive_until(status, lambda e: e.component == "clob" and e.connected)
    with trio.fail_after(5):
        first = {t.asset_id: t for t in (await books.receive(), await books.receive())}
    assert (first[YES].best_bid, first[YES].best_ask) == (Decimal("0.45"), Decimal("0.55"))
    assert first[NO].valid

    # 10 s: a delta, and a reference price stamped "now" minus its recorded latency.
    top = await receive_until(books, lambda t: t.asset_id == YES)
    assert top.best_bid == Decimal("0.46")
    assert 0 < top.received_ms - top.timestamp_ms < 1000
    price = await receive_until(data, lambda e: isinstance(e, ReferencePrice))
    assert price.timestamp_ms == EPOCH_MS + 10_000 - LATENCY_MS
    assert price.price_time_ms == price.timestamp_ms - 500
    assert price.price == Decimal("97000.5")

    # 15 s: the client loses its connection; its snapshot on reconnecting is the books
    # of 15 s, not those the recording started with.
    await trio.sleep(5)
    await replay.clob.disconnect_all()
    await receive_until(status, lambda e: e.component == "clob" and not e.connected)
    await receive_until(status, lambda e: e.component == "clob" and e.connected)
    snapshot = await receive_until(
        data, lambda e: isinstance(e, BookSnapshot) and e.asset_id == YES
    )
    assert snapshot.bids[0].price == Decimal("0.46")  # the 10 s delta is in it
    assert snapshot.timestamp_ms == pytest.approx(EPOCH_MS + 15_250, abs=150)

    # 20 s: an activity trade, its payload's seconds moved to now as well.
    trade = await receive_until(data, lambda e: isinstance(e, Trade) and e.topic == "activity")
    assert trade.timestamp_ms == EPOCH_MS + 20_000 - LATENCY_MS
    assert 0 < trade.timestamp_ms - trade.trade_time_ms <= 2_000
    assert trade.asset_id == YES

    # 30 s: the last frame; then the books are the recording's final books.
    last = await receive_until(data, lambda e: isinstance(e, Trade) and e.topic is None)
    assert last.timestamp_ms == EPOCH_MS + 30_000 - LATENCY_MS
    expected = final_books(read_recording(small_recording))
    for token in (YES, NO):
        assert clob.books[token].valid
        assert levels_of(clob.books, token) == levels_of(expected, token)
    assert replay.frames_played == 7
    assert "replay finished after 7 frames" in caplog.messages
    assert clob.stats.reconnects == 1
    assert rtds.stats.malformed == clob.stats.malformed == 0
    assert clob.books[NO].market == MARKET


async def test_loop_plays_the_recording_again(
    nursery: trio.Nursery,
    bus: Bus,
    make_context: MakeContext,
    small_recording: Path,
    clock: trio.testing.MockClock,
) -> None:
    data = bus.subscribe(MARKET_DATA)
    replay = Replay(ReplayConfig(small_recording, speed=10.0, loop=True), make_context("replay"))
    await nursery.start(replay.run)
    clob = ClobMarket(ClobMarketConfig(url=replay.clob.url, assets=(YES, NO)), make_context("clob"))
    await nursery.start(clob.run)
    stamps = []
    for _ in range(3):
        trade = await receive_until(data, lambda e: isinstance(e, Trade))
        stamps.append(trade.timestamp_ms)
    # Every round is stamped in the present: 3 s apart at ten times the speed.
    assert [b - a for a, b in itertools.pairwise(stamps)] == [pytest.approx(3_000, abs=20)] * 2
    assert replay.frames_played >= 2 * 7 + 1


async def test_empty_recording_in_a_loop_does_not_freeze(
    nursery: trio.Nursery,
    make_context: MakeContext,
    tmp_path: Path,
    clock: trio.testing.MockClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    path = tmp_path / "empty.jsonl.gz"
    RecordingWriter(path, created_ms=0).close()
    replay = Replay(ReplayConfig(path, loop=True), make_context("replay"))
    await nursery.start(replay.run)
    await trio.sleep(1)  # returns only if the replay leaves the scheduler alone
    assert "replay finished after 0 frames" in caplog.messages
    # The servers are still there.
    clob = ClobMarket(ClobMarketConfig(url=replay.clob.url), make_context("clob"))
    await nursery.start(clob.run)
    assert replay.clob.connections_accepted == 1
