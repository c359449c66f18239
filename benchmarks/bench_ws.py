"""Benchmark of agbotkit.ws and its loopback servers: messages per second.

Run ``python benchmarks/bench_ws.py`` (``--profile`` adds a cProfile of each case). It
prints one line per number; it measures, it does not judge: no timing is asserted.

Every case runs server and client in one ``trio.run``, on one core, over a real loopback
TCP socket, with ~300-byte ``price_change`` frames; the clock runs from the first frame
sent to the last one received by ``WsConnection.receive()`` batches.

* ``ws.receive_throughput``: a ``serve_ws`` handler writes frames in batches of 256
  (``send_texts``) as fast as the socket takes them;
* ``ws.send_text_per_message``: the same, one ``send_text`` (one write) per frame, so the
  client wakes up for (nearly) every frame;
* ``loopback.clob_publish``: ``ClobMarketServer.publish`` to one subscribed client, with
  the token ids given, and read from each frame (JSON-parsed, as the replay does);
* ``wsproto.parse_only``: wsproto's general parser alone on the same bytes, without
  sockets: what every frame would cost without the reader's fast path.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import time
from collections.abc import Awaitable, Callable, Sequence

import trio
from wsproto import ConnectionType
from wsproto.connection import Connection
from wsproto.events import TextMessage

from agbotkit.marketdata.replay.loopback.clob import ClobMarketServer
from agbotkit.ws.client import ws_connect
from agbotkit.ws.connection import WsConnection
from agbotkit.ws.server import serve_ws

ASSET = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
MESSAGES = 200_000
BATCH = 256
BURST = 1000
REPEATS = 2
TRIO_WEBSOCKET_REFERENCE = 20_000


def _frame(i: int) -> str:
    """A ~300-byte price_change, as Polymarket sends it."""
    return json.dumps(
        {
            "event_type": "price_change",
            "market": "0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1",
            "price_changes": [
                {
                    "asset_id": ASSET,
                    "price": "0.5",
                    "size": str(200 + i % 1000),
                    "side": "BUY",
                    "hash": "56621a121a47ed9333273e21c83b660cff37ae50",
                }
            ],
            "timestamp": str(1757908892351 + i),
        },
        separators=(",", ":"),
    )


FRAMES = [_frame(i) for i in range(1000)]
FRAME_BYTES = sum(len(f) for f in FRAMES) // len(FRAMES)


async def _receive_all(conn: WsConnection, messages: int) -> None:
    got = 0
    while got < messages:
        got += len(await conn.receive())


async def _ws_case(messages: int, batched: bool) -> float:
    async def handler(conn: WsConnection) -> None:
        if batched:
            for start in range(0, messages, BATCH):
                await conn.send_texts(
                    [FRAMES[i % 1000] for i in range(start, min(start + BATCH, messages))]
                )
        else:
            for i in range(messages):
                await conn.send_text(FRAMES[i % 1000])
        await trio.sleep_forever()

    async with trio.open_nursery() as nursery:
        port = await nursery.start(serve_ws, handler)
        async with await ws_connect(f"ws://127.0.0.1:{port}/ws/market") as conn:
            start = time.perf_counter()
            await _receive_all(conn, messages)
            elapsed = time.perf_counter() - start
        nursery.cancel_scope.cancel()
    return elapsed


async def _clob_case(messages: int, give_ids: bool) -> float:
    server = ClobMarketServer(send_queue_size=2 * BURST)
    ids = [ASSET] if give_ids else None
    async with trio.open_nursery() as nursery:
        await nursery.start(server.run)
        async with await ws_connect(server.url) as conn:
            await conn.send_text(json.dumps({"assets_ids": [ASSET], "type": "market"}))
            await server.wait_for(lambda: server.current_subscriptions() == {1: {ASSET}})
            start = time.perf_counter()
            async with trio.open_nursery() as inner:
                inner.start_soon(_receive_all, conn, messages)
                publish = server.publish
                for burst in range(0, messages, BURST):
                    for i in range(burst, min(burst + BURST, messages)):
                        await publish(FRAMES[i % 1000], ids)
                    await server.flush()  # bursts keep the queue bounded without drops
            elapsed = time.perf_counter() - start
        assert server.slow_consumers == 0
        nursery.cancel_scope.cancel()
    return elapsed


def _parse_only(messages: int) -> float:
    server = Connection(ConnectionType.SERVER)
    blob = b"".join(server.send(TextMessage(data=f)) for f in FRAMES[:200])
    client = Connection(ConnectionType.CLIENT)
    start = time.perf_counter()
    for _ in range(messages // 200):
        client.receive_data(blob)
        for _event in client.events():
            pass
    return time.perf_counter() - start


Case = Callable[[int], Awaitable[float]]
CASES: list[tuple[str, Case, int, str]] = [
    (
        "ws.receive_throughput",
        lambda n: _ws_case(n, batched=True),
        MESSAGES,
        f"trio-websocket reference ~{TRIO_WEBSOCKET_REFERENCE:,}",
    ),
    (
        "ws.send_text_per_message",
        lambda n: _ws_case(n, batched=False),
        MESSAGES // 10,
        "one write and one wake-up per frame: trio scheduling and syscalls, not parsing",
    ),
    (
        "loopback.clob_publish",
        lambda n: _clob_case(n, give_ids=True),
        MESSAGES,
        "asset ids given",
    ),
    (
        "loopback.clob_publish_parsed",
        lambda n: _clob_case(n, give_ids=False),
        MESSAGES,
        "asset ids read from each frame",
    ),
]


def _rate(case: Case, messages: int) -> float:
    """Best messages/s of ``REPEATS`` runs (after a short warm-up run)."""
    trio.run(case, messages // 20)
    return max(messages / trio.run(case, messages) for _ in range(REPEATS))


def main(argv: Sequence[str] | None = None) -> None:
    """Print the numbers; ``--profile`` also prints the top functions of each case."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--profile", action="store_true", help="cProfile each case")
    args = parser.parse_args(argv)
    where = f"{FRAME_BYTES}-byte text frames, loopback, server and client on one core"
    for name, case, messages, note in CASES:
        rate = _rate(case, messages)
        print(f"{name}: {rate:,.0f} msgs/s ({where}; {note})", flush=True)
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            trio.run(case, messages // 4)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(12)
    parse = 50_000 / _parse_only(50_000)
    print(
        f"wsproto.parse_only: {parse:,.0f} msgs/s (its general parser, no sockets; for comparison)"
    )


if __name__ == "__main__":
    main()
