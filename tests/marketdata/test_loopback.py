"""Tests of the loopback Polymarket servers, with ws_connect as the client over real sockets."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
import trio
import trio.testing

from agbotkit.errors import WsClosed, WsHandshakeError
from agbotkit.marketdata.replay.loopback.clob import ClobMarketServer
from agbotkit.marketdata.replay.loopback.rtds import RtdsServer
from agbotkit.ws.client import ws_connect
from agbotkit.ws.connection import WsConnection
from agbotkit.ws.frames import Oversize

A, B, C = "1111", "2222", "3333"  # token ids (real ones are ~77 digits)


@pytest.fixture
def lazy_clock() -> trio.testing.MockClock:
    """Virtual time that jumps only after 10 ms of real idleness.

    A clock that jumps as soon as every task waits could skip a deadline while a loopback
    packet is in flight; loopback delivery takes microseconds.
    """
    return trio.testing.MockClock(autojump_threshold=0.01)


def book(asset_id: str) -> dict[str, Any]:
    return {
        "event_type": "book",
        "asset_id": asset_id,
        "market": "0xmarket",
        "bids": [{"price": "0.48", "size": "30"}],
        "asks": [{"price": "0.52", "size": "25"}],
        "timestamp": "1757908892351",
        "hash": "655a38d4977427b086c25b985993691b753ed166",
    }


def books(asset_ids: Sequence[str]) -> list[str | dict[str, Any]]:
    """Books for A (as a dict) and B (as raw JSON text); C is unknown."""
    found: list[str | dict[str, Any]] = []
    for asset_id in asset_ids:
        if asset_id == A:
            found.append(book(A))
        elif asset_id == B:
            found.append(json.dumps(book(B)))
    return found


def initial(*assets: str, **extra: object) -> str:
    return json.dumps({"assets_ids": list(assets), "type": "market", **extra})


def operation(op: str, *assets: str, **extra: object) -> str:
    return json.dumps({"assets_ids": list(assets), "operation": op, **extra})


def price_change(*assets: str) -> dict[str, Any]:
    return {
        "event_type": "price_change",
        "market": "0xmarket",
        "price_changes": [
            {"asset_id": a, "price": "0.5", "size": "200", "side": "BUY", "hash": "h"}
            for a in assets
        ],
        "timestamp": "1757908892351",
    }


async def receive(conn: WsConnection, n: int = 1) -> list[str | Oversize]:
    """Exactly the next ``n`` frames (fails rather than hangs)."""
    got: list[str | Oversize] = []
    with trio.fail_after(5):
        while len(got) < n:
            got += await conn.receive()
    assert len(got) == n, got
    return got


async def drain(conn: WsConnection) -> None:
    """Read until the connection ends (with the WsClosed that ends it)."""
    while True:
        await conn.receive()


async def nothing_more(conn: WsConnection, server: ClobMarketServer | RtdsServer) -> None:
    """Prove nothing is queued for ``conn``: a PING's answer is the very next frame."""
    await conn.send_text("PING")
    assert await receive(conn) == ["PONG"]


@pytest.fixture
async def clob(nursery: trio.Nursery) -> ClobMarketServer:
    server = ClobMarketServer(snapshots=books)
    await nursery.start(server.run)
    return server


@pytest.fixture
async def rtds(nursery: trio.Nursery) -> RtdsServer:
    server = RtdsServer()
    await nursery.start(server.run)
    return server


async def clob_client(server: ClobMarketServer, *assets: str, **extra: object) -> WsConnection:
    """A connection that sent its initial frame and took in its books."""
    conn = await ws_connect(server.url)
    await conn.send_text(initial(*assets, **extra))
    if server.snapshots is not None and books(assets) and extra.get("initial_dump", True):
        await receive(conn)
    return conn


# -- CLOB market channel -------------------------------------------------------------------


async def test_clob_initial_frame_gets_one_array_of_books(clob: ClobMarketServer) -> None:
    assert clob.url.endswith("/ws/market")
    async with await ws_connect(clob.url) as conn:
        await conn.send_text(initial(A, B, C, custom_feature_enabled=True))
        [dump] = await receive(conn)
        assert isinstance(dump, str)
        assert json.loads(dump) == [book(A), book(B)]  # C is unknown: subscribed, no book
        await clob.wait_for(lambda: clob.current_subscriptions() == {1: {A, B, C}})
        assert clob.frames_received == [(1, initial(A, B, C, custom_feature_enabled=True))]
        assert (clob.connections_accepted, clob.active_connections) == (1, 1)


async def test_clob_without_initial_dump_and_ping(clob: ClobMarketServer) -> None:
    async with await ws_connect(clob.url) as conn:
        await conn.send_text(initial(A, initial_dump=False))
        await nothing_more(conn, clob)


async def test_clob_snapshot_text_arrays_are_spliced(nursery: trio.Nursery) -> None:
    server = ClobMarketServer(snapshots=lambda ids: [json.dumps([book(A), book(B)]), "[]"])
    await nursery.start(server.run)
    async with await clob_client(server) as conn:
        await conn.send_text(operation("subscribe", A))
        [dump] = await receive(conn)
        assert isinstance(dump, str)
        assert json.loads(dump) == [book(A), book(B)]


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        "[1,2]",
        '{"type":"market"}',  # no assets_ids
        '{"assets_ids":[1],"type":"market"}',
        '{"assets_ids":["1"],"type":"user"}',
        operation("subscribe", A),  # before the initial frame
        '{"assets_ids":["1"]}',
    ],
)
async def test_clob_invalid_frames(clob: ClobMarketServer, frame: str) -> None:
    async with await ws_connect(clob.url) as conn:
        await conn.send_text(frame)
        assert await receive(conn) == ["INVALID OPERATION"]
        await conn.send_text(initial(A))  # the socket is still usable
        assert len(await receive(conn)) == 1


async def test_clob_second_initial_frame_is_an_invalid_operation(clob: ClobMarketServer) -> None:
    async with await clob_client(clob, A) as conn:
        await conn.send_text(initial(B))
        assert await receive(conn) == ["INVALID OPERATION"]
        assert clob.current_subscriptions() == {1: {A}}
        await conn.send_text(operation("dance", B))
        assert await receive(conn) == ["INVALID OPERATION"]


async def test_clob_dynamic_subscribe_and_unsubscribe(clob: ClobMarketServer) -> None:
    async with await clob_client(clob, A) as conn:
        await conn.send_text(operation("subscribe", A, B, C))
        [dump] = await receive(conn)
        assert isinstance(dump, str)
        assert json.loads(dump) == [book(B)]  # only the new tokens
        await conn.send_text(operation("unsubscribe", A, C))
        await clob.wait_for(lambda: clob.current_subscriptions() == {1: {B}})
        assert await clob.publish(price_change(A)) == 0
        assert await clob.publish(price_change(B)) == 1
        [update] = await receive(conn)
        assert isinstance(update, str)
        assert json.loads(update) == price_change(B)


async def test_clob_publish_routing(clob: ClobMarketServer) -> None:
    async with (
        await clob_client(clob, A) as plain,
        await clob_client(clob, B, custom_feature_enabled=True) as custom,
        await ws_connect(clob.url) as idle,  # never sent its initial frame
    ):
        await clob.wait_for(lambda: len(clob.current_subscriptions()) == 3)
        both = json.dumps(price_change(A, B), indent=1)  # text goes out byte for byte
        assert await clob.publish(both) == 2
        assert await receive(plain) == [both]
        assert await receive(custom) == [both]

        assert await clob.publish(book(A)) == 1
        assert await receive(plain) == [json.dumps(book(A), separators=(",", ":"))]
        assert await clob.publish([book(A), book(B)]) == 2
        await receive(plain)
        await receive(custom)

        bba = {"event_type": "best_bid_ask", "asset_id": A, "best_bid": "0.4"}
        assert await clob.publish(bba) == 0  # A's only subscriber has no custom feature
        bba_b = {**bba, "asset_id": B}
        assert await clob.publish(bba_b) == 1
        new_market = {"event_type": "new_market", "id": "1", "assets_ids": []}
        assert await clob.publish(new_market) == 1
        resolved = {"event_type": "market_resolved", "assets_ids": [A, B]}
        assert await clob.publish(resolved) == 1
        assert await clob.publish("NO NEW ASSETS") == 1
        assert len(await receive(custom, 4)) == 4

        assert await clob.publish("PONG") == 0  # a recorded answer is no data
        assert await clob.publish('{"x":1}', asset_ids=[A]) == 1
        assert await clob.publish('{"x":2}', asset_ids=[B], custom_only=True) == 1
        assert await clob.publish('{"x":3}', all_clients=True) == 3
        assert await receive(plain, 2) == ['{"x":1}', '{"x":3}']
        assert await receive(custom, 2) == ['{"x":2}', '{"x":3}']
        assert await receive(idle) == ['{"x":3}']

        await clob.send_control("NO NEW ASSETS")
        for conn in (plain, custom, idle):
            assert await receive(conn) == ["NO NEW ASSETS"]
            await nothing_more(conn, clob)


async def test_clob_refuses_other_paths(clob: ClobMarketServer) -> None:
    with pytest.raises(WsHandshakeError) as info:
        await ws_connect(clob.url.replace("/ws/market", "/ws/user"))
    assert info.value.status == 404
    assert clob.connections_rejected == 1


async def test_oversize_client_frame_is_invalid(nursery: trio.Nursery) -> None:
    server = ClobMarketServer(max_message_bytes=100)
    await nursery.start(server.run)
    async with await ws_connect(server.url) as conn:
        await conn.send_text(initial(*[str(i) for i in range(50)]))
        assert await receive(conn) == ["INVALID OPERATION"]
        assert server.frames_received == []


# -- RTDS -----------------------------------------------------------------------------------


def subscribe(*subs: dict[str, Any], action: str = "subscribe") -> str:
    return json.dumps({"action": action, "subscriptions": list(subs)})


def sub(topic: str, type_: str = "*", filters: str | None = None) -> dict[str, Any]:
    return {"topic": topic, "type": type_} | ({} if filters is None else {"filters": filters})


def envelope(topic: str, type_: str = "update", **payload: object) -> dict[str, Any]:
    return {"topic": topic, "type": type_, "timestamp": 1788600389154, "payload": payload}


BTC = '{"symbol":"btc/usd"}'


async def rtds_client(server: RtdsServer, *subs: dict[str, Any]) -> WsConnection:
    """A connection past its empty greeting that subscribed to ``subs``."""
    conn = await ws_connect(server.url)
    assert await receive(conn) == [""]
    if subs:
        await conn.send_text(subscribe(*subs))
        await server.wait_for(lambda: len(server.frames_received) >= 1)
    return conn


async def test_rtds_greets_and_answers_ping(rtds: RtdsServer) -> None:
    assert rtds.url.count("/") == 2  # any path: the URL has none
    async with await ws_connect(rtds.url + "/anything") as conn:
        assert await receive(conn) == [""]
        await nothing_more(conn, rtds)


@pytest.mark.parametrize(("reply", "expected"), [("", [""]), (None, [])])
async def test_rtds_pong_variants(
    nursery: trio.Nursery, reply: str | None, expected: list[str]
) -> None:
    server = RtdsServer(pong_reply=reply)
    await nursery.start(server.run)
    async with await rtds_client(server) as conn:
        await conn.send_text("PING")
        await conn.send_text("not json")  # answered, so it shows what came before
        assert await receive(conn, len(expected) + 1) == [
            *expected,
            '{"message":"Invalid request body"}',
        ]


async def test_rtds_subscriptions_and_snapshots(nursery: trio.Nursery) -> None:
    asked: list[tuple[str, str, str | None]] = []

    def snapshots(topic: str, type_: str, filters: str | None) -> list[str | dict[str, Any]]:
        asked.append((topic, type_, filters))
        return [envelope(topic, "subscribe", symbol="btc/usd", data=[])]

    server = RtdsServer(snapshots=snapshots)
    await nursery.start(server.run)
    async with await rtds_client(server) as conn:
        await conn.send_text(
            subscribe(sub("crypto_prices_chainlink", "*", BTC), sub("activity", "trades"))
        )
        [snap] = await receive(conn)
        assert isinstance(snap, str)
        assert json.loads(snap)["type"] == "subscribe"
        assert asked == [("crypto_prices_chainlink", "*", BTC)]  # activity has no snapshot
        assert server.current_subscriptions() == {
            1: {("crypto_prices_chainlink", "*", BTC), ("activity", "trades", None)}
        }
        await conn.send_text(subscribe(sub("activity", "trades"), action="unsubscribe"))
        await server.wait_for(lambda: len(server.current_subscriptions()[1]) == 1)


@pytest.mark.parametrize(
    "frame",
    [
        subscribe(
            sub("crypto_prices"), {"topic": "crypto_prices", "type": "*", "filters": ["btcusdt"]}
        ),
        subscribe({"topic": "crypto_prices", "type": "*", "filters": {"symbol": "btcusdt"}}),
        '{"action":"subscribe"}',
        '{"action":"dance","subscriptions":[]}',
        '{"action":"subscribe","subscriptions":[{"topic":"activity"}]}',
        "[]",
    ],
)
async def test_rtds_invalid_request_body(rtds: RtdsServer, frame: str) -> None:
    async with await rtds_client(rtds) as conn:
        await conn.send_text(frame)
        assert await receive(conn) == ['{"message":"Invalid request body"}']
        assert rtds.current_subscriptions() == {1: frozenset()}
        await nothing_more(conn, rtds)  # the socket stays open


async def test_rtds_unknown_topic_voids_the_whole_batch(rtds: RtdsServer) -> None:
    async with await rtds_client(rtds) as conn:
        await conn.send_text(
            subscribe(sub("activity", "trades"), sub("market", "book"), sub("nope"))
        )
        [error] = await receive(conn)
        assert isinstance(error, str)
        assert json.loads(error) == {
            "body": {"message": "leger GetTopics error: topic market not found"},
            "statusCode": 401,
        }
        assert rtds.current_subscriptions() == {1: frozenset()}
        assert await rtds.publish(envelope("activity", "trades")) == 0


async def test_rtds_matching(rtds: RtdsServer) -> None:
    async with (
        await rtds_client(rtds, sub("crypto_prices_chainlink", "*", '{"symbol":"BTC/USD"}')) as btc,
        await rtds_client(
            rtds, sub("crypto_prices_chainlink", "update", '{"symbol": "btc/usd"}')
        ) as spaced,
        await rtds_client(rtds, sub("crypto_prices_chainlink", "update")) as every,
        await rtds_client(
            rtds,
            sub("activity", "trades", '{"event_slug":"fed"}'),
            sub("activity", "orders_matched", '{"market_slug":"cut"}'),
        ) as slugs,
    ):
        await rtds.wait_for(lambda: len(rtds.frames_received) == 4)
        update = envelope("crypto_prices_chainlink", symbol="btc/usd", value=1.0)
        assert await rtds.publish(update) == 2  # btc (any case) and every; spaced gets nothing
        eth = envelope("crypto_prices_chainlink", symbol="eth/usd", value=2.0)
        assert await rtds.publish(eth) == 1
        other_type = envelope("crypto_prices_chainlink", "subscribe", symbol="btc/usd")
        assert await rtds.publish(other_type) == 1  # only "*"
        assert await rtds.publish(envelope("activity", "trades", eventSlug="fed")) == 1
        assert await rtds.publish(envelope("activity", "trades", eventSlug="ecb")) == 0
        assert await rtds.publish(envelope("activity", "orders_matched", slug="cut")) == 1
        assert await rtds.publish(json.dumps([update, eth])) == 2
        for text in ("", "PONG", '{"message":"Invalid request body"}'):
            assert await rtds.publish(text) == 0  # a recording's answers match nobody
        assert len(await receive(btc, 3)) == 3
        assert len(await receive(every, 3)) == 3
        assert len(await receive(slugs, 2)) == 2
        for conn in (btc, spaced, every, slugs):
            await nothing_more(conn, rtds)


@pytest.mark.parametrize("filters", ["btcusdt,ethusdt", '{"symbol":["btc/usd"]}', "[1]"])
async def test_rtds_filters_that_deliver_nothing(rtds: RtdsServer, filters: str) -> None:
    async with await rtds_client(rtds, sub("crypto_prices", "update", filters)) as conn:
        assert await rtds.publish(envelope("crypto_prices", symbol="btc/usd")) == 0
        await nothing_more(conn, rtds)


# -- failure modes, both servers -------------------------------------------------------------


@pytest.fixture(params=["clob", "rtds"])
async def server(
    request: pytest.FixtureRequest, nursery: trio.Nursery
) -> ClobMarketServer | RtdsServer:
    made = (
        ClobMarketServer(snapshots=books)
        if request.param == "clob"
        else RtdsServer(snapshots=lambda *s: [envelope(s[0], "subscribe")])
    )
    await nursery.start(made.run)
    return made


async def connect(server: ClobMarketServer | RtdsServer) -> WsConnection:
    """A subscribed connection, past greeting and snapshots, that gets ``data(server)``."""
    if isinstance(server, ClobMarketServer):
        return await clob_client(server, A)
    conn = await rtds_client(server, sub("crypto_prices", "*"))
    await receive(conn)  # the snapshot
    return conn


def data(server: ClobMarketServer | RtdsServer, size: int = 10) -> str:
    if isinstance(server, ClobMarketServer):
        return json.dumps(price_change(A) | {"pad": "x" * size})
    return json.dumps(envelope("crypto_prices", symbol="btcusdt", pad="x" * size))


async def test_silent_freeze_keeps_answering_ping(server: ClobMarketServer | RtdsServer) -> None:
    async with await connect(server) as conn:
        server.silent = True
        assert await server.publish(data(server)) == 0
        await nothing_more(conn, server)
        server.silent = False
        assert await server.publish(data(server)) == 1
        assert await receive(conn) == [data(server)]


async def test_silent_server_sends_no_snapshots(server: ClobMarketServer | RtdsServer) -> None:
    server.silent = True
    async with await ws_connect(server.url) as conn:
        if isinstance(server, RtdsServer):
            assert await receive(conn) == [""]
            await conn.send_text(subscribe(sub("crypto_prices")))
        else:
            await conn.send_text(initial(A))
        await nothing_more(conn, server)


@pytest.mark.parametrize(("code", "reason"), [(1001, "going away"), (None, "connection lost")])
async def test_disconnect_all(
    server: ClobMarketServer | RtdsServer, code: int | None, reason: str
) -> None:
    async with await connect(server) as first, await connect(server) as second:
        await server.disconnect_all(code)
        assert server.active_connections == 0
        for conn in (first, second):
            with pytest.raises(WsClosed) as info:
                await receive(conn)
            assert (info.value.code, info.value.reason) == (code, reason)
    async with await connect(server):  # and the server takes new connections
        assert server.connections_accepted == 3


async def test_reject_next_connections(server: ClobMarketServer | RtdsServer) -> None:
    server.reject_next_connections(2, status=429)
    for _ in range(2):
        with pytest.raises(WsHandshakeError) as info:
            await ws_connect(server.url)
        assert info.value.status == 429
    async with await connect(server):
        assert (server.connections_rejected, server.connections_accepted) == (2, 1)


async def test_wait_for_wakes_on_changes(
    server: ClobMarketServer | RtdsServer, nursery: trio.Nursery
) -> None:
    both_seen = trio.Event()

    async def waiter() -> None:
        await server.wait_for(lambda: server.active_connections == 2)
        both_seen.set()

    nursery.start_soon(waiter)
    await trio.testing.wait_all_tasks_blocked()
    async with await connect(server), await connect(server):
        with trio.fail_after(5):
            await both_seen.wait()
        await server.publish(data(server))
        await server.flush()
    with trio.fail_after(5):
        await server.wait_for(lambda: server.active_connections == 0)


async def test_a_stuck_client_is_closed_as_a_slow_consumer(nursery: trio.Nursery) -> None:
    server = ClobMarketServer(send_queue_size=4)
    await nursery.start(server.run)
    big = json.dumps(price_change(A) | {"pad": "x" * 65536})
    async with await clob_client(server, A) as stuck, await clob_client(server, A) as reader:

        async def read_on() -> None:
            with pytest.raises(WsClosed):
                await drain(reader)

        nursery.start_soon(read_on)
        with trio.fail_after(20):
            while server.slow_consumers == 0:
                await server.publish(big)  # never blocks, however stuck a client is
        assert server.active_connections == 2  # the reader is fine
        with trio.fail_after(20), pytest.raises(WsClosed) as info:
            await drain(stuck)  # what was under way, then the close
        assert (info.value.code, info.value.reason) == (1013, "slow consumer: send buffer full")
        await server.wait_for(lambda: server.active_connections == 1)


async def test_a_slow_consumer_that_never_reads_is_cut(
    nursery: trio.Nursery, lazy_clock: trio.testing.MockClock
) -> None:
    server = ClobMarketServer(send_queue_size=4, slow_close_grace_s=3)
    await nursery.start(server.run)
    big = json.dumps(price_change(A) | {"pad": "x" * 65536})
    async with await clob_client(server, A) as stuck:
        while server.slow_consumers == 0:
            await server.publish(big)
        kicked = trio.current_time()
        await server.wait_for(lambda: server.active_connections == 0)
        assert trio.current_time() - kicked == pytest.approx(3)
        with pytest.raises(WsClosed) as info:
            await drain(stuck)
        assert info.value.code is None  # cut mid-frame: no close frame could follow
