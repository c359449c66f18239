"""The ``clob_market`` component against a loopback server that behaves like Polymarket's.

Every test runs the real component on the real socket stack against
:class:`~agbotkit.marketdata.replay.loopback.clob.ClobMarketServer`: subscription frames, snapshots,
books, reconnects, the silence watchdog, resyncs, several sockets, metrics.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import trio
import trio.testing

from agbotkit.abc import ComponentContext
from agbotkit.bus.bus import Bus
from agbotkit.errors import GammaError
from agbotkit.marketdata.component import ClobMarket, ClobMarketConfig
from agbotkit.marketdata.replay.loopback.clob import ClobMarketServer
from agbotkit.model.books import (
    BestBidAsk,
    BookDelta,
    BookSnapshot,
    PriceLevel,
    Side,
    TickSizeChanged,
)
from agbotkit.model.feeds import BookTop, SubscriptionChange
from agbotkit.model.markets import MarketInfo, MarketResolved, NewMarket, Trade
from agbotkit.topics import (
    BOOKS,
    FEED_STATUS,
    MARKET_DATA,
    MARKETS,
    METRICS,
    RAW_FRAMES,
    SUBSCRIPTIONS,
)

from .conftest import (
    MARKET,
    TS,
    BookStore,
    GammaServer,
    client_frames,
    drain,
    gamma_sample,
    metrics_until,
    price_change,
    receive_until,
    sample_lines,
    virtual_now_ms,
)

A, B, C, D, E, F = (
    f"{n}000000000000000000000000000000000000000000000000000000000000000000000000"
    for n in range(1, 7)
)
MakeContext = Callable[..., ComponentContext]


def lv(price: str, size: str) -> PriceLevel:
    return PriceLevel(Decimal(price), Decimal(size))


def initial(*assets: str) -> str:
    ids = ",".join(f'"{a}"' for a in sorted(assets))
    return f'{{"assets_ids":[{ids}],"type":"market","custom_feature_enabled":true}}'


def subscribe(*assets: str) -> str:
    ids = ",".join(f'"{a}"' for a in sorted(assets))
    return f'{{"assets_ids":[{ids}],"operation":"subscribe","custom_feature_enabled":true}}'


def unsubscribe(*assets: str) -> str:
    ids = ",".join(f'"{a}"' for a in sorted(assets))
    return f'{{"assets_ids":[{ids}],"operation":"unsubscribe"}}'


def make_clob(
    make_context: MakeContext,
    server: ClobMarketServer,
    *assets: str,
    name: str = "clob",
    now_ms: Callable[[], int] = virtual_now_ms,
    **options: Any,
) -> ClobMarket:
    options.setdefault("metrics_interval_s", 1000.0)  # samples only on status changes
    config = ClobMarketConfig(url=server.url, assets=assets, **options)
    return ClobMarket(config, make_context(name, now_ms))


def seed(store: BookStore) -> None:
    """A: 0.45 / 0.55 in Polymarket's order; B: 0.52 / 0.58 with levels shuffled."""
    store.set(
        A, [("0.40", "100"), ("0.45", "50"), ("0.30", "10")], [("0.55", "20"), ("0.60", "30")]
    )
    store.set(
        B,
        [("0.50", "1"), ("0.20", "2"), ("0.52", "3")],
        [("0.70", "1"), ("0.58", "2"), ("0.90", "3")],
        polymarket_order=False,
    )


async def wait_frames(server: ClobMarketServer, count: int, connection: int | None = None) -> None:
    with trio.fail_after(30):
        await server.wait_for(lambda: len(client_frames(server, connection)) >= count)


# -- subscribe and books -------------------------------------------------------------------


async def test_initial_frame_and_snapshots_build_books(
    nursery: trio.Nursery,
    bus: Bus,
    clob_server: ClobMarketServer,
    store: BookStore,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    seed(store)
    books = bus.subscribe(BOOKS)
    data = bus.subscribe(MARKET_DATA)
    comp = make_clob(make_context, clob_server, B, A, A)
    await nursery.start(comp.run)

    await wait_frames(clob_server, 1)
    assert client_frames(clob_server) == [
        f'{{"assets_ids":["{A}","{B}"],"type":"market","custom_feature_enabled":true}}'
    ]
    with trio.fail_after(10):
        tops = {top.asset_id: top for top in (await books.receive(), await books.receive())}
    a, b = tops[A], tops[B]
    assert a == BookTop(
        A,
        MARKET,
        TS,
        a.received_ms,
        (lv("0.45", "50"), lv("0.40", "100"), lv("0.30", "10")),
        (lv("0.55", "20"), lv("0.60", "30")),
        True,
    )
    assert (b.best_bid, b.best_ask, b.valid) == (Decimal("0.52"), Decimal("0.58"), True)
    assert b.bids == (lv("0.52", "3"), lv("0.50", "1"), lv("0.20", "2"))
    assert b.asks == (lv("0.58", "2"), lv("0.70", "1"), lv("0.90", "3"))
    assert b.mid == Decimal("0.55")
    snapshots = [data.receive_nowait(), data.receive_nowait()]
    assert {type(e) for e in snapshots} == {BookSnapshot}
    assert {e.asset_id for e in snapshots} == {A, B}
    # The initial dump came as one array frame, for both tokens.
    assert store.requests == [(A, B)]


async def test_custom_features_can_be_left_out(
    nursery: trio.Nursery,
    clob_server: ClobMarketServer,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    comp = make_clob(make_context, clob_server, A, custom_feature_enabled=False)
    await nursery.start(comp.run)
    await wait_frames(clob_server, 1)
    assert client_frames(clob_server) == [f'{{"assets_ids":["{A}"],"type":"market"}}']


async def test_book_depth_limits_the_published_levels(
    nursery: trio.Nursery,
    bus: Bus,
    clob_server: ClobMarketServer,
    store: BookStore,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    seed(store)
    books = bus.subscribe(BOOKS)
    await nursery.start(make_clob(make_context, clob_server, A, book_depth=1).run)
    with trio.fail_after(10):
        top = await books.receive()
    assert (top.bids, top.asks) == ((lv("0.45", "50"),), (lv("0.55", "20"),))


async def test_book_views_are_built_only_while_someone_watches(
    nursery: trio.Nursery,
    bus: Bus,
    clob_server: ClobMarketServer,
    store: BookStore,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    seed(store)
    data = bus.subscribe(MARKET_DATA)
    comp = make_clob(make_context, clob_server, A)
    await nursery.start(comp.run)
    await receive_until(data, lambda e: isinstance(e, BookSnapshot))
    assert comp.books[A].valid  # the book is kept all the same

    with bus.subscribe(BOOKS) as books:
        await clob_server.publish(price_change((A, "BUY", "0.44", "1"), ts=TS + 1))
        with trio.fail_after(10):
            top = await books.receive()
    assert (top.timestamp_ms, top.bids[1]) == (TS + 1, lv("0.44", "1"))


async def test_price_change_updates_the_book(
    nursery: trio.Nursery,
    bus: Bus,
    clob_server: ClobMarketServer,
    store: BookStore,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    seed(store)
    books = bus.subscribe(BOOKS)
    data = bus.subscribe(MARKET_DATA)
    comp = make_clob(make_context, clob_server, A, B)
    await nursery.start(comp.run)
    with trio.fail_after(10):
        await books.receive()
        await books.receive()

    # One message for both tokens: a better bid on A, A's best ask taken, B's ask moved.
    await clob_server.publish(
        price_change(
            (A, "BUY", "0.47", "25"),
            (A, "SELL", "0.55", "0"),
            (B, "SELL", "0.57", "4"),
            ts=TS + 1,
            best={A: ("0.47", "0.60"), B: ("0.52", "0.57")},
        )
    )
    with trio.fail_after(10):
        tops = {t.asset_id: t for t in (await books.receive(), await books.receive())}
    assert tops[A].bids == (lv("0.47", "25"), lv("0.45", "50"), lv("0.40", "100"), lv("0.30", "10"))
    assert tops[A].asks == (lv("0.60", "30"),)
    assert tops[A].timestamp_ms == TS + 1
    assert (tops[B].best_bid, tops[B].best_ask) == (Decimal("0.52"), Decimal("0.57"))
    deltas = await receive_until(data, lambda e: isinstance(e, BookDelta))
    assert deltas.asset_id == A
    assert deltas.changes[0] == (Side.BUY, Decimal("0.47"), Decimal("25"))
    assert comp.books[A].valid
    assert comp.books[B].valid


async def test_trades_and_custom_events_pass_through(
    nursery: trio.Nursery,
    bus: Bus,
    clob_server: ClobMarketServer,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    samples = {m["event_type"]: m for m in sample_lines("nautilus_clob_market_ws.jsonl")}
    trade, bba = samples["last_trade_price"], samples["best_bid_ask"]
    new, resolved = samples["new_market"], samples["market_resolved"]
    data = bus.subscribe(MARKET_DATA)
    metrics = bus.subscribe(METRICS)
    comp = make_clob(
        make_context,
        clob_server,
        trade["asset_id"],
        bba["asset_id"],
        resolved["assets_ids"][0],
        metrics_interval_s=1.0,
    )
    await nursery.start(comp.run)
    await wait_frames(clob_server, 1)

    for frame in (trade, bba, new, resolved):
        assert await clob_server.publish(frame) == 1
    with trio.fail_after(10):
        events = [await data.receive() for _ in range(4)]
    assert [type(e) for e in events] == [Trade, BestBidAsk, NewMarket, MarketResolved]
    got_trade = events[0]
    assert (got_trade.asset_id, got_trade.price, got_trade.size, got_trade.side) == (
        trade["asset_id"],
        Decimal(trade["price"]),
        Decimal(trade["size"]),
        Side(trade["side"]),
    )
    assert got_trade.event_type == "last_trade_price"
    assert events[1].best_bid == Decimal(bba["best_bid"])
    assert events[2].asset_ids == tuple(new["assets_ids"])
    assert events[3].winning_asset_id == resolved["winning_asset_id"]
    seen = await metrics_until(
        metrics,
        lambda m: m.get("polymarket.clob.messages_received{event_type=market_resolved}") == 1,
        "clob",
    )
    for event_type in ("last_trade_price", "best_bid_ask", "new_market"):
        assert seen[f"polymarket.clob.messages_received{{event_type={event_type}}}"] == 1


# -- reconnect, watchdog, connect failures -------------------------------------------------


async def test_server_close_reconnects_and_reseeds_books(
    nursery: trio.Nursery,
    bus: Bus,
    clob_server: ClobMarketServer,
    store: BookStore,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    seed(store)
    status = bus.subscribe(FEED_STATUS)
    books = bus.subscribe(BOOKS)
    metrics = bus.subscribe(METRICS)
    comp = make_clob(make_context, clob_server, A, backoff_initial_s=1.0)
    await nursery.start(comp.run)
    first = await receive_until(status, lambda e: True)
    assert (first.component, first.feed, first.socket, first.connected) == ("clob", "clob", 0, True)
    top = await receive_until(books, lambda t: t.asset_id == A)
    assert top.best_bid == Decimal("0.45")

    # The next connection's snapshot differs: the book must come from it, not survive.
    store.set(A, [("0.10", "7")], [("0.90", "8")], ts=TS + 50)
    await clob_server.disconnect_all()
    down = await receive_until(status, lambda e: True)
    assert not down.connected
    assert down.reason == "WebSocket closed with code 1001: going away"
    assert not comp.books[A].valid  # reset at once: stale until the new snapshot
    assert comp.books[A].best_bid is None
    assert [(t.valid, t.bids) for t in drain(books)] == [(False, ())]
    up = await receive_until(status, lambda e: True)
    assert up.connected
    # Backoff: the first delay is backoff_initial_s jittered down to at most half.
    assert 500 <= up.timestamp_ms - down.timestamp_ms <= 1001

    top = await receive_until(books, lambda t: t.asset_id == A)
    assert top.valid
    assert (top.bids, top.asks, top.timestamp_ms) == (
        (lv("0.10", "7"),),
        (lv("0.90", "8"),),
        TS + 50,
    )
    # The initial frame again, on the new connection.
    assert clob_server.frames_received == [(1, initial(A)), (2, initial(A))]
    seen = await metrics_until(metrics, lambda m: m.get("polymarket.clob.reconnects") == 1, "clob")
    assert seen["polymarket.clob.connection_status"] == 1


async def test_lost_connection_marks_its_books_not_valid_at_once(
    nursery: trio.Nursery,
    bus: Bus,
    clob_server: ClobMarketServer,
    store: BookStore,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    """Consumers keep the latest BookTop per token: without a not-valid one, they would
    trade on the book of before the outage for as long as it lasts."""
    seed(store)
    books = bus.subscribe(BOOKS)
    status = bus.subscribe(FEED_STATUS)
    await nursery.start(make_clob(make_context, clob_server, A, B).run)
    with trio.fail_after(10):
        await books.receive()
        await books.receive()
    clob_server.reject_next_connections(1000)  # once down, it stays down for a while
    await clob_server.disconnect_all()
    down = await receive_until(status, lambda e: not e.connected)
    tops = drain(books)
    assert {t.asset_id: (t.valid, t.bids, t.asks) for t in tops} == {
        A: (False, (), ()),
        B: (False, (), ()),
    }
    assert tops[0].received_ms == down.timestamp_ms
    assert tops[0].timestamp_ms == TS  # the server time of the last book event
    assert tops[0].market == MARKET


async def test_abrupt_loss_reconnects_too(
    nursery: trio.Nursery,
    bus: Bus,
    clob_server: ClobMarketServer,
    store: BookStore,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    seed(store)
    status = bus.subscribe(FEED_STATUS)
    books = bus.subscribe(BOOKS)
    await nursery.start(make_clob(make_context, clob_server, A).run)
    await receive_until(books, lambda t: t.asset_id == A)
    await clob_server.disconnect_all(code=None)  # no close frame: a lost connection
    await receive_until(status, lambda e: not e.connected)
    await receive_until(status, lambda e: e.connected)
    assert not (await receive_until(books, lambda t: t.asset_id == A)).valid
    assert (await receive_until(books, lambda t: t.asset_id == A)).valid
    assert clob_server.connections_accepted == 2


async def test_silent_feed_reconnects_after_the_silence_timeout_not_before(
    nursery: trio.Nursery,
    bus: Bus,
    clob_server: ClobMarketServer,
    store: BookStore,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    seed(store)
    status = bus.subscribe(FEED_STATUS)
    books = bus.subscribe(BOOKS)
    raw = bus.subscribe(RAW_FRAMES)
    comp = make_clob(make_context, clob_server, A, silence_timeout_s=30.0, ping_interval_s=5.0)
    await nursery.start(comp.run)
    await receive_until(status, lambda e: e.connected)
    await receive_until(books, lambda t: t.asset_id == A)
    last_data = trio.current_time()

    # The freeze: the socket stays open and PINGs are answered, but no data comes.
    clob_server.silent = True
    with trio.move_on_after(29.9) as quiet:
        await status.receive()
    assert quiet.cancelled_caught, "reconnected before the silence timeout"
    pings = [text for cid, text in clob_server.frames_received if text == "PING"]
    assert len(pings) == 5  # at 5, 10, ..., 25 s; each answered with PONG
    with trio.fail_after(1):
        down = await status.receive()
    assert not down.connected
    assert down.reason == "no data for 30 s (silent feed)"
    assert trio.current_time() - last_data == pytest.approx(30.0, abs=0.01)
    assert [f.text for f in drain(raw)].count("PONG") >= 5  # pongs came, and did not count

    clob_server.silent = False
    await receive_until(status, lambda e: e.connected)
    assert (await receive_until(books, lambda t: t.asset_id == A and t.valid)).bids
    assert client_frames(clob_server, 2) == [initial(A)]


async def test_flowing_data_keeps_the_connection(
    nursery: trio.Nursery,
    bus: Bus,
    clob_server: ClobMarketServer,
    store: BookStore,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    seed(store)
    status = bus.subscribe(FEED_STATUS)
    books = bus.subscribe(BOOKS)
    await nursery.start(make_clob(make_context, clob_server, A, silence_timeout_s=30.0).run)
    await receive_until(status, lambda e: e.connected)
    await receive_until(books, lambda t: t.asset_id == A)
    for n in range(1, 6):  # 100 s of data every 20 s: never 30 s of silence
        await trio.sleep(20)
        size = str(50 + n)
        await clob_server.publish(price_change((A, "BUY", "0.45", size), ts=TS + n))
        top = await books.receive()
        assert (top.timestamp_ms, top.bids[0]) == (TS + n, lv("0.45", size))
    with pytest.raises(trio.WouldBlock):
        status.receive_nowait()
    assert clob_server.connections_accepted == 1


async def test_refused_connects_are_retried_with_backoff(
    nursery: trio.Nursery,
    bus: Bus,
    clob_server: ClobMarketServer,
    store: BookStore,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    seed(store)
    books = bus.subscribe(BOOKS)
    metrics = bus.subscribe(METRICS)
    clob_server.reject_next_connections(2)
    comp = make_clob(make_context, clob_server, A, backoff_initial_s=1.0)
    start = trio.current_time()
    await nursery.start(comp.run)  # ready only once really connected
    # Delays: [0.5, 1] s, then [1, 2] s.
    assert 1.5 <= trio.current_time() - start <= 3.0
    assert (clob_server.connections_rejected, clob_server.connections_accepted) == (2, 1)
    assert (await receive_until(books, lambda t: t.asset_id == A)).valid
    seen = await metrics_until(
        metrics, lambda m: m.get("polymarket.clob.connection_status") == 1, "clob"
    )
    assert seen["polymarket.clob.reconnects"] == 0  # never connected before: no reconnect


async def test_connect_timeout_both_ways(
    nursery: trio.Nursery,
    bus: Bus,
    clob_server: ClobMarketServer,
    store: BookStore,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    """A proxy that holds each connection back before passing it on: 5.1 s is over the
    5 s connect timeout (the attempt is abandoned and retried), 4.9 s is within it."""
    seed(store)
    delays = [5.1, 4.9]
    accepted: list[float] = []
    assert clob_server.port is not None
    upstream_port = clob_server.port

    async def pipe(source: trio.abc.Stream, sink: trio.abc.Stream, done: trio.CancelScope) -> None:
        try:
            while data := await source.receive_some(65536):
                await sink.send_all(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass
        done.cancel()

    async def hold_back(stream: trio.SocketStream) -> None:
        async with stream:
            accepted.append(trio.current_time())
            await trio.sleep(delays.pop(0))
            upstream = await trio.open_tcp_stream("127.0.0.1", upstream_port)
            async with upstream, trio.open_nursery() as both:
                both.start_soon(pipe, stream, upstream, both.cancel_scope)
                both.start_soon(pipe, upstream, stream, both.cancel_scope)

    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    await nursery.start(trio.serve_listeners, hold_back, listeners)
    status = bus.subscribe(FEED_STATUS)
    config = ClobMarketConfig(
        url=f"ws://127.0.0.1:{port}/ws/market",
        assets=(A,),
        connect_timeout_s=5.0,
        backoff_initial_s=1.0,
        metrics_interval_s=1000.0,
    )
    await nursery.start(ClobMarket(config, make_context("clob")).run)

    assert len(accepted) == 2
    # The first attempt waited the whole timeout (not less), then the backoff.
    assert 5.0 + 0.5 <= accepted[1] - accepted[0] <= 5.0 + 1.0 + 0.01
    # The second was held back 4.9 s and still counted as connected.
    assert trio.current_time() - accepted[1] == pytest.approx(4.9, abs=0.01)
    assert (await receive_until(status, lambda e: True)).connected
    await wait_frames(clob_server, 1)
    assert client_frames(clob_server) == [initial(A)]


# -- server words and bad frames -----------------------------------------------------------


async def test_invalid_operation_is_logged_and_the_stream_goes_on(
    nursery: trio.Nursery,
    bus: Bus,
    clob_server: ClobMarketServer,
    store: BookStore,
    make_context: MakeContext,
    caplog: pytest.LogCaptureFixture,
    clock: trio.testing.MockClock,
) -> None:
    seed(store)
    status = bus.subscribe(FEED_STATUS)
    books = bus.subscribe(BOOKS)
    await nursery.start(make_clob(make_context, clob_server, A).run)
    await receive_until(books, lambda t: t.asset_id == A)
    await receive_until(status, lambda e: e.connected)

    await clob_server.send_control("INVALID OPERATION")
    await clob_server.send_control("NO NEW ASSETS")
    await clob_server.publish(price_change((A, "BUY", "0.46", "5"), ts=TS + 1))
    top = await receive_until(books, lambda t: t.timestamp_ms == TS + 1)
    assert top.best_bid == Decimal("0.46")
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert errors[0].name == "agbotkit.marketdata.clob.handler"
    assert "INVALID OPERATION" in errors[0].getMessage()
    with pytest.raises(trio.WouldBlock):
        status.receive_nowait()  # still the same connection


async def test_malformed_frames_are_counted_and_skipped(
    nursery: trio.Nursery,
    bus: Bus,
    clob_server: ClobMarketServer,
    store: BookStore,
    make_context: MakeContext,
    caplog: pytest.LogCaptureFixture,
    clock: trio.testing.MockClock,
) -> None:
    seed(store)
    books = bus.subscribe(BOOKS)
    data = bus.subscribe(MARKET_DATA)
    metrics = bus.subscribe(METRICS)
    await nursery.start(make_clob(make_context, clob_server, A, metrics_interval_s=1.0).run)
    await receive_until(books, lambda t: t.asset_id == A)

    await clob_server.send_control('{"event_type":"price_change",')  # bad JSON
    await clob_server.publish(f'{{"event_type":"nope","asset_id":"{A}"}}')  # unknown event
    await clob_server.publish(
        {
            "event_type": "last_trade_price",
            "asset_id": A,  # no price
            "market": MARKET,
            "side": "BUY",
            "size": "1",
            "timestamp": "1",
        }
    )
    good = {
        "event_type": "best_bid_ask",
        "asset_id": A,
        "market": MARKET,
        "best_bid": "0.45",
        "best_ask": "0.55",
        "spread": "0.1",
        "timestamp": str(TS + 1),
    }
    await clob_server.publish([{"event_type": "nope", "asset_id": A}, good])  # one bad element
    await clob_server.publish(price_change((A, "SELL", "0.54", "9"), ts=TS + 2))

    top = await receive_until(books, lambda t: t.timestamp_ms == TS + 2)
    assert top.best_ask == Decimal("0.54")
    assert isinstance(
        await receive_until(data, lambda e: not isinstance(e, BookSnapshot)), BestBidAsk
    )
    await metrics_until(metrics, lambda m: m.get("polymarket.clob.malformed") == 4, "clob")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(m.startswith("malformed CLOB frame dropped: invalid JSON") for m in warnings)


#: A frame nested 1,000 levels deep: msgspec raises RecursionError on it, not its own error.
DEEP = '{"event_type":"book","asset_id":"x","extra":' + "[" * 1_000 + "]" * 1_000 + "}"


async def test_deeply_nested_frame_is_counted_and_the_stream_goes_on(
    nursery: trio.Nursery,
    bus: Bus,
    clob_server: ClobMarketServer,
    store: BookStore,
    make_context: MakeContext,
    caplog: pytest.LogCaptureFixture,
    clock: trio.testing.MockClock,
) -> None:
    seed(store)
    books = bus.subscribe(BOOKS)
    metrics = bus.subscribe(METRICS)
    status = bus.subscribe(FEED_STATUS)
    comp = make_clob(make_context, clob_server, A, metrics_interval_s=1.0)
    await nursery.start(comp.run)
    await receive_until(books, lambda t: t.asset_id == A)
    assert (await receive_until(status, lambda e: True)).connected

    for _ in range(3):
        await clob_server.send_control(DEEP)
        await clob_server.send_control("[" + DEEP + "]")
    await clob_server.publish(price_change((A, "SELL", "0.54", "9"), ts=TS + 2))
    top = await receive_until(books, lambda t: t.timestamp_ms == TS + 2)
    assert top.best_ask == Decimal("0.54")
    seen = await metrics_until(metrics, lambda m: m.get("polymarket.clob.malformed") == 6, "clob")
    # The same connection all along: no crash, no reconnect.
    assert seen["polymarket.clob.reconnects"] == 0
    assert clob_server.connections_accepted == 1
    assert drain(status) == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings[0].startswith("malformed CLOB frame dropped: invalid JSON (nested too deeply)")
    assert len(warnings) == 1  # the rest within the throttle's window


async def test_oversize_frame_is_refused_and_counted(
    nursery: trio.Nursery,
    bus: Bus,
    clob_server: ClobMarketServer,
    store: BookStore,
    make_context: MakeContext,
    caplog: pytest.LogCaptureFixture,
    clock: trio.testing.MockClock,
) -> None:
    seed(store)
    books = bus.subscribe(BOOKS)
    data = bus.subscribe(MARKET_DATA)
    metrics = bus.subscribe(METRICS)
    comp = make_clob(make_context, clob_server, A, max_frame_bytes=2048, metrics_interval_s=1.0)
    await nursery.start(comp.run)
    await receive_until(books, lambda t: t.asset_id == A)

    huge = {
        "event_type": "last_trade_price",
        "asset_id": A,
        "market": MARKET,
        "price": "0.5",
        "side": "BUY",
        "size": "1",
        "timestamp": str(TS),
        "transaction_hash": "0x" + "f" * 3000,
    }
    await clob_server.publish(huge)
    await clob_server.publish(price_change((A, "BUY", "0.44", "1"), ts=TS + 1))
    top = await receive_until(books, lambda t: t.timestamp_ms == TS + 1)
    assert lv("0.44", "1") in top.bids
    assert not any(isinstance(e, Trade) for e in drain(data))
    await metrics_until(metrics, lambda m: m.get("polymarket.clob.malformed") == 1, "clob")
    assert any(
        "refused" in r.getMessage() and "max_frame_bytes" in r.getMessage() for r in caplog.records
    )


# -- resync ----------------------------------------------------------------------------------


async def test_crossed_book_resubscribes_the_token(
    nursery: trio.Nursery,
    bus: Bus,
    clob_server: ClobMarketServer,
    store: BookStore,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    seed(store)
    books = bus.subscribe(BOOKS)
    comp = make_clob(make_context, clob_server, A, B)
    await nursery.start(comp.run)
    await receive_until(books, lambda t: t.asset_id == A)
    await receive_until(books, lambda t: t.asset_id == B)

    store.set(A, [("0.50", "5")], [("0.56", "6")], ts=TS + 100)
    # A bid above the best ask (0.55): the book is crossed, it cannot be trusted.
    await clob_server.publish(price_change((A, "BUY", "0.58", "10"), ts=TS + 1))
    await wait_frames(clob_server, 3)
    assert client_frames(clob_server) == [initial(A, B), unsubscribe(A), subscribe(A)]
    # The crossed book is published as not valid, without its levels, at once ...
    invalid = await receive_until(books, lambda t: t.asset_id == A)
    assert (invalid.valid, invalid.bids, invalid.asks) == (False, (), ())
    # ... and the next view is the fresh snapshot.
    top = await receive_until(books, lambda t: t.asset_id == A)
    assert top.valid
    assert (top.bids, top.asks, top.timestamp_ms) == (
        (lv("0.50", "5"),),
        (lv("0.56", "6"),),
        TS + 100,
    )
    assert comp.sessions[0].handler.resyncs == 1
    assert comp.books[B].valid
    assert clob_server.current_subscriptions() == {1: frozenset({A, B})}


async def test_delta_contradicting_the_feed_best_prices_resyncs(
    nursery: trio.Nursery,
    bus: Bus,
    clob_server: ClobMarketServer,
    store: BookStore,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    seed(store)
    books = bus.subscribe(BOOKS)
    await nursery.start(make_clob(make_context, clob_server, A).run)
    await receive_until(books, lambda t: t.asset_id == A)
    # The server says the best bid is now 0.47, but the book (0.45 + this change) disagrees.
    await clob_server.publish(
        price_change((A, "BUY", "0.41", "10"), ts=TS + 1, best={A: ("0.47", "0.55")})
    )
    await wait_frames(clob_server, 3)
    assert client_frames(clob_server)[1:] == [unsubscribe(A), subscribe(A)]
    assert not (await receive_until(books, lambda t: t.asset_id == A)).valid
    assert (await receive_until(books, lambda t: t.asset_id == A)).timestamp_ms == TS


async def test_a_feed_that_keeps_disagreeing_causes_no_resubscribe_storm(
    nursery: trio.Nursery,
    bus: Bus,
    clob_server: ClobMarketServer,
    store: BookStore,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    seed(store)
    books = bus.subscribe(BOOKS)
    comp = make_clob(make_context, clob_server, A, B, metrics_interval_s=1.0)
    await nursery.start(comp.run)
    await receive_until(books, lambda t: t.asset_id == A)
    assert (comp.config.resync_backoff_initial_s, comp.config.resync_backoff_max_s) == (1, 60)

    # For 300 s, every second, A's feed says its best bid is 0.47 while every snapshot
    # says 0.45 (a precision quirk, say): each price_change after a snapshot disagrees.
    started = trio.current_time()
    invalid_tops = 0
    for second in range(300):
        await clob_server.publish(
            price_change((A, "BUY", "0.30", "11"), ts=TS + second, best={A: ("0.47", "0.55")})
        )
        await trio.sleep(1)
        invalid_tops += sum(1 for t in drain(books) if t.asset_id == A and not t.valid)
    resubscribes = client_frames(clob_server).count(subscribe(A))
    # Unpaced, that is one resubscribe a second (300). Paced: waits of about 1, 2, 4, 8,
    # 16, 32 s (each jittered to between half and all of it), then 60 s at most:
    # at least 6 + 300 / 60 - 1 and at most 6 + (300 - 31.5) / 30 + 1 resubscribes.
    assert 10 <= resubscribes <= 16
    assert comp.sessions[0].handler.resyncs == resubscribes
    # Each failure was published as a not valid book; B was left alone.
    assert invalid_tops >= resubscribes
    assert comp.books[B].valid
    assert subscribe(B) not in client_frames(clob_server)
    with bus.subscribe(METRICS) as metrics:
        seen = await metrics_until(
            metrics, lambda m: any("book_resyncs" in k for k in m), "clob", timeout_s=5
        )
    counted = seen[f"polymarket.clob.book_resyncs{{asset_id={A},reason=best_bid_mismatch}}"]
    # Counted when found; the last one may still wait for its turn.
    assert counted in (resubscribes, resubscribes + 1)
    assert trio.current_time() - started < 310

    # The feed agrees again and the book stays valid for the healthy period (60 s): the
    # next failure is resynced at once again.
    await clob_server.wait_for(lambda: not comp.sessions[0].handler._deferred)
    await receive_until(books, lambda t: t.asset_id == A and t.valid, timeout_s=120)
    await trio.sleep(61)
    before = len(client_frames(clob_server))
    at = trio.current_time()
    await clob_server.publish(
        price_change((A, "BUY", "0.30", "11"), ts=TS + 400, best={A: ("0.47", "0.55")})
    )
    await wait_frames(clob_server, before + 2)
    assert trio.current_time() - at < 0.5
    assert client_frames(clob_server)[before:] == [unsubscribe(A), subscribe(A)]


async def test_tick_size_change_invalidates_then_resubscribes(
    nursery: trio.Nursery,
    bus: Bus,
    clob_server: ClobMarketServer,
    store: BookStore,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    seed(store)
    books = bus.subscribe(BOOKS)
    data = bus.subscribe(MARKET_DATA)
    comp = make_clob(make_context, clob_server, A)
    await nursery.start(comp.run)
    await receive_until(books, lambda t: t.asset_id == A)

    store.set(A, [("0.961", "5")], [("0.965", "6")], ts=TS + 100, tick_size="0.001")
    await clob_server.publish(
        {
            "event_type": "tick_size_change",
            "asset_id": A,
            "market": MARKET,
            "old_tick_size": "0.01",
            "new_tick_size": "0.001",
            "timestamp": str(TS + 1),
        }
    )
    dropped = await receive_until(books, lambda t: t.asset_id == A)
    assert (dropped.valid, dropped.bids, dropped.asks, dropped.timestamp_ms) == (
        False,
        (),
        (),
        TS + 1,
    )
    assert isinstance(
        await receive_until(data, lambda e: not isinstance(e, BookSnapshot)), TickSizeChanged
    )
    await wait_frames(clob_server, 3)
    assert client_frames(clob_server)[1:] == [unsubscribe(A), subscribe(A)]
    fresh = await receive_until(books, lambda t: t.asset_id == A)
    assert fresh.valid
    assert (fresh.best_bid, fresh.best_ask) == (Decimal("0.961"), Decimal("0.965"))
    assert comp.books[A].tick_size == Decimal("0.001")


# -- several sockets, subscriptions while running ------------------------------------------


async def test_more_assets_than_a_socket_takes_open_more_sockets(
    nursery: trio.Nursery,
    bus: Bus,
    clob_server: ClobMarketServer,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    status = bus.subscribe(FEED_STATUS)
    metrics = bus.subscribe(METRICS)
    comp = make_clob(make_context, clob_server, A, B, C, D, E, max_assets_per_socket=2)
    await nursery.start(comp.run)
    assert len(comp.sessions) == 3
    assert all(session.connected for session in comp.sessions)
    assert sorted(clob_server.current_subscriptions().values(), key=len) == [
        frozenset({E}),
        frozenset({A, B}),
        frozenset({C, D}),
    ]
    assert sorted(client_frames(clob_server)) == sorted([initial(A, B), initial(C, D), initial(E)])
    assert [(e.socket, e.connected) for e in (status.receive_nowait() for _ in range(3))] == [
        (0, True),
        (1, True),
        (2, True),
    ]
    await metrics_until(metrics, lambda m: m.get("polymarket.clob.connection_status") == 1, "clob")


async def test_subscriptions_change_while_running(
    nursery: trio.Nursery,
    bus: Bus,
    clob_server: ClobMarketServer,
    store: BookStore,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    seed(store)
    store.set(C, [("0.1", "1")], [("0.2", "1")])
    books = bus.subscribe(BOOKS)
    comp = make_clob(make_context, clob_server, A, max_assets_per_socket=2)
    await nursery.start(comp.run)
    await receive_until(books, lambda t: t.asset_id == A)

    await bus.publish(SUBSCRIPTIONS, SubscriptionChange(add=(B, A)))
    assert (await receive_until(books, lambda t: t.asset_id == B)).valid
    assert client_frames(clob_server) == [initial(A), subscribe(B)]

    # Socket 0 is full: C and D open a second socket, with an initial frame of their own.
    await bus.publish(SUBSCRIPTIONS, SubscriptionChange("clob", add=(C, D)))
    assert (await receive_until(books, lambda t: t.asset_id == C)).valid
    assert client_frames(clob_server, 2) == [initial(C, D)]
    assert len(comp.sessions) == 2

    # Addressed to another component: ignored.
    await bus.publish(SUBSCRIPTIONS, SubscriptionChange("other", remove=(A,)))
    await bus.publish(SUBSCRIPTIONS, SubscriptionChange(remove=(A,)))
    await wait_frames(clob_server, 3, connection=1)
    assert client_frames(clob_server, 1) == [initial(A), subscribe(B), unsubscribe(A)]
    assert A not in comp.books

    # The room A left on socket 0 is used again.
    await bus.publish(SUBSCRIPTIONS, SubscriptionChange(add=(E,)))
    await wait_frames(clob_server, 4, connection=1)
    assert client_frames(clob_server, 1)[-1] == subscribe(E)
    assert clob_server.current_subscriptions() == {1: frozenset({B, E}), 2: frozenset({C, D})}


async def test_socket_without_tokens_sends_the_initial_frame_on_first_add(
    nursery: trio.Nursery,
    bus: Bus,
    clob_server: ClobMarketServer,
    store: BookStore,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    seed(store)
    books = bus.subscribe(BOOKS)
    status = bus.subscribe(FEED_STATUS)
    comp = make_clob(make_context, clob_server, silence_timeout_s=30.0)
    await nursery.start(comp.run)
    # Nothing subscribed: silence is normal, the watchdog leaves the socket alone.
    with trio.move_on_after(100) as quiet:
        await receive_until(status, lambda e: not e.connected, timeout_s=200)
    assert quiet.cancelled_caught
    assert clob_server.connections_accepted == 1
    assert client_frames(clob_server) == []

    await bus.publish(SUBSCRIPTIONS, SubscriptionChange(add=(A,)))
    assert (await receive_until(books, lambda t: t.asset_id == A)).valid
    assert client_frames(clob_server) == [initial(A)]  # not an operation: none was sent yet


async def test_silence_is_timed_from_the_first_subscription_of_an_idle_socket(
    nursery: trio.Nursery,
    bus: Bus,
    clob_server: ClobMarketServer,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    status = bus.subscribe(FEED_STATUS)
    comp = make_clob(make_context, clob_server, silence_timeout_s=30.0)
    await nursery.start(comp.run)
    await receive_until(status, lambda e: e.connected)
    await trio.sleep(25)  # idle: nothing subscribed, nothing expected
    # A token whose snapshot does not come (the store has no book for it).
    await bus.publish(SUBSCRIPTIONS, SubscriptionChange(add=(F,)))
    await wait_frames(clob_server, 1)
    subscribed = trio.current_time()
    with trio.move_on_after(29.9) as quiet:
        await status.receive()
    assert quiet.cancelled_caught, "silence counted from before the subscription"
    with trio.fail_after(1):
        down = await status.receive()
    assert not down.connected
    assert trio.current_time() - subscribed == pytest.approx(30.0, abs=0.01)


# -- markets, metrics ----------------------------------------------------------------------


async def test_markets_by_slug_are_resolved_through_gamma(
    nursery: trio.Nursery,
    bus: Bus,
    clob_server: ClobMarketServer,
    gamma: GammaServer,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    sample = gamma_sample()
    markets = bus.subscribe(MARKETS)
    comp = make_clob(make_context, clob_server, A, markets=(sample["slug"],), gamma_url=gamma.url)
    await nursery.start(comp.run)
    info = markets.receive_nowait()
    assert isinstance(info, MarketInfo)
    assert info.condition_id == sample["conditionId"]
    up, down = info.token_ids
    assert bus.retained(MARKETS) == [info]  # later subscribers get it too
    await wait_frames(clob_server, 1)
    assert client_frames(clob_server) == [initial(A, up, down)]
    assert gamma.requests == [f"/markets?slug={sample['slug']}"]


async def test_unknown_market_fails_the_start(
    clob_server: ClobMarketServer,
    gamma: GammaServer,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    comp = make_clob(make_context, clob_server, markets=("no-such-market",), gamma_url=gamma.url)
    with pytest.raises(GammaError, match="no-such-market"):
        await comp.run()
    assert clob_server.connections_accepted == 0


async def test_follow_markets_subscribes_announced_markets(
    nursery: trio.Nursery,
    bus: Bus,
    clob_server: ClobMarketServer,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    def market(cid: str, *tokens: str) -> MarketInfo:
        return MarketInfo(
            cid,
            "?",
            cid,
            ("Yes", "No"),
            tokens,
            Decimal("0.01"),
            Decimal(5),
            False,
            None,
            True,
            False,
        )

    bus.publish_retained(MARKETS, "0x1", market("0x1", A, B))
    comp = make_clob(make_context, clob_server, follow_markets=True)
    await nursery.start(comp.run)
    await wait_frames(clob_server, 1)
    assert client_frames(clob_server) == [initial(A, B)]

    bus.publish_retained(MARKETS, "0x2", market("0x2", C, D))
    await wait_frames(clob_server, 2)
    assert client_frames(clob_server) == [initial(A, B), subscribe(C, D)]
    assert clob_server.current_subscriptions() == {1: frozenset({A, B, C, D})}


async def test_lag_and_message_metrics(
    nursery: trio.Nursery,
    bus: Bus,
    clob_server: ClobMarketServer,
    store: BookStore,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    seed(store)
    books = bus.subscribe(BOOKS)
    metrics = bus.subscribe(METRICS)
    comp = make_clob(make_context, clob_server, A, now_ms=lambda: TS + 500, metrics_interval_s=0.5)
    await nursery.start(comp.run)
    await receive_until(books, lambda t: t.asset_id == A)
    seen = await metrics_until(metrics, lambda m: "polymarket.clob.lag_ms" in m, "clob")
    assert seen["polymarket.clob.lag_ms"] == 500  # received (TS + 500) - server time (TS)
    assert seen["polymarket.clob.lag_ms_max"] == 500
    assert seen["polymarket.clob.messages_received{event_type=book}"] == 1

    # Two messages in one frame: lags 100 and 300, mean 200.
    trade = {
        "event_type": "last_trade_price",
        "asset_id": A,
        "market": MARKET,
        "price": "0.5",
        "side": "SELL",
        "size": "3",
        "timestamp": str(TS + 400),
    }
    bba = {
        "event_type": "best_bid_ask",
        "asset_id": A,
        "market": MARKET,
        "best_bid": "0.45",
        "best_ask": "0.55",
        "spread": "0.1",
        "timestamp": str(TS + 200),
    }
    await clob_server.publish([trade, bba])

    def window_with_both(m: dict[str, float]) -> bool:
        return m.get("polymarket.clob.messages_received{event_type=best_bid_ask}") == 1 and (
            "polymarket.clob.lag_ms" in m and m["polymarket.clob.lag_ms"] != 500
        )

    seen = await metrics_until(metrics, window_with_both, "clob")
    assert seen["polymarket.clob.lag_ms"] == 200
    assert seen["polymarket.clob.lag_ms_max"] == 300
    assert seen["polymarket.clob.messages_received{event_type=last_trade_price}"] == 1
    assert seen["polymarket.clob.malformed"] == 0
    # The exact label set of one sample.
    sample = await receive_until(metrics, lambda s: s.name == "polymarket.clob.messages_received")
    assert sample.labels in (
        (("component", "clob"), ("event_type", "book")),
        (("component", "clob"), ("event_type", "best_bid_ask")),
        (("component", "clob"), ("event_type", "last_trade_price")),
    )
