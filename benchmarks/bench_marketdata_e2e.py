"""End to end: loopback socket -> session -> decode -> book -> event published.

A server PROCESS (its own core) streams CLOB ``price_change`` frames (1-5 changes on
100-level books) over a real loopback WebSocket; this process runs the ``clob_market``
component's client path and a subscriber of the ``books`` topic. Each frame's ``hash``
carries the server's ``perf_counter_ns`` at send time (CLOCK_MONOTONIC is shared by both
processes), so the subscriber measures send-to-published latency, an upper bound of
arrival-to-published.

Prints frames/s at full speed, and p50/p99 latency with the server pacing 5,000 frames/s.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import statistics
import sys
import time
from functools import partial
from pathlib import Path

import trio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agbotkit.abc import ComponentContext
from agbotkit.bus.bus import Bus
from agbotkit.bus.topic import Overflow
from agbotkit.marketdata.component import ClobMarket, ClobMarketConfig
from agbotkit.model.books import BookDelta
from agbotkit.topics import MARKET_DATA
from agbotkit.ws.connection import WsConnection
from agbotkit.ws.server import serve_ws

ASSET = "7132" * 19
MARKET = "0x" + "ab" * 32
LEVELS = 100


def _book_frame() -> str:
    bids = [{"price": f"{0.01 * p:.2f}", "size": "100"} for p in range(1, LEVELS // 2 + 1)]
    asks = [{"price": f"{0.01 * p:.2f}", "size": "100"} for p in range(99, 50, -1)]
    return json.dumps(
        [
            {
                "event_type": "book",
                "asset_id": ASSET,
                "market": MARKET,
                "timestamp": str(int(time.time() * 1000)),
                "hash": "0",
                "bids": bids,
                "asks": asks,
            }
        ]
    )


def _frames(count: int, rng: random.Random) -> list[dict[str, object]]:
    frames = []
    for _ in range(count):
        changes = []
        for _ in range(rng.randint(1, 5)):
            side = rng.choice(["BUY", "SELL"])
            price = rng.randint(1, 50) if side == "BUY" else rng.randint(51, 99)
            changes.append(
                {
                    "asset_id": ASSET,
                    "price": f"{0.01 * price:.2f}",
                    "size": str(rng.randint(1, 500)),
                    "side": side,
                }
            )
        frames.append({"market": MARKET, "price_changes": changes, "event_type": "price_change"})
    return frames


def _serve(port_queue: multiprocessing.Queue[int], count: int, rate: float) -> None:
    # Frames are serialised once, as templates; per frame only the send time (in the last
    # change's hash) and the timestamp are filled in, so the server outpaces the client.
    rng = random.Random(1)
    templates = []
    for frame in _frames(2000, rng):
        frame["price_changes"][-1]["hash"] = "HASH"  # type: ignore[index]
        frame["timestamp"] = "TS"
        text = json.dumps(frame, separators=(",", ":"))
        templates.append(
            text.replace("{", "{{")
            .replace("}", "}}")
            .replace('"HASH"', '"{h}"')
            .replace('"TS"', '"{t}"')
        )

    async def handler(conn: WsConnection) -> None:
        await conn.receive()  # the initial subscribe frame
        await conn.send_text(_book_frame())
        start = time.perf_counter()
        sent = 0
        while sent < count:
            if rate:
                due = min(count, int((time.perf_counter() - start) * rate) + 1)
                if due <= sent:
                    await trio.sleep(max(0.0, start + due / rate - time.perf_counter()))
                    continue
                batch = due - sent
            else:
                batch = min(64, count - sent)
            ts = str(int(time.time() * 1000))
            texts = [
                templates[(sent + i) % len(templates)].format(h=time.perf_counter_ns(), t=ts)
                for i in range(batch)
            ]
            await conn.send_texts(texts)
            sent += batch
        await trio.sleep(5)

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            port = await nursery.start(partial(serve_ws, handler, "127.0.0.1", 0))
            port_queue.put(port)

    trio.run(main)


async def _client(port: int, count: int) -> tuple[float, list[float]]:
    """Run the client path until ``count`` deltas were published; (frames/s, latencies µs)."""
    bus = Bus()
    config = ClobMarketConfig(
        url=f"ws://127.0.0.1:{port}/ws/market", assets=(ASSET,), silence_timeout_s=0, book_depth=5
    )
    component = ClobMarket(config, ComponentContext("bench", bus))
    events = bus.subscribe(MARKET_DATA, buffer=1_000_000, overflow=Overflow.DROP_OLDEST)
    latencies: list[float] = []
    deltas = 0
    first = 0.0
    async with trio.open_nursery() as nursery:
        await nursery.start(component.run)
        async for event in events:
            if not isinstance(event, BookDelta):
                continue
            now = time.perf_counter_ns()
            deltas += 1
            if deltas == 1:
                first = time.perf_counter()
            if event.hash:
                latencies.append((now - int(event.hash)) / 1000)
            if deltas >= count:
                break
        elapsed = time.perf_counter() - first
        nursery.cancel_scope.cancel()
    return (deltas - 1) / elapsed, latencies


def run_case(count: int, rate: float) -> tuple[float, list[float]]:
    """Start the server process, run the client, return its numbers."""
    ctx = multiprocessing.get_context("spawn")
    ports: multiprocessing.Queue[int] = ctx.Queue()
    server = ctx.Process(target=_serve, args=(ports, count + 10, rate), daemon=True)
    server.start()
    try:
        port = ports.get(timeout=30)
        return trio.run(_client, port, count)
    finally:
        server.kill()
        server.join()


def main() -> None:
    rate, _ = run_case(100_000, 0)
    print(
        f"marketdata.e2e.frames_per_second: {rate:,.0f} frames/s, socket to book updated and "
        "event published, price_change with 1-5 changes (target >= 30,000)"
    )
    paced, latencies = run_case(25_000, 5_000)
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[int(len(latencies) * 0.99)]
    print(
        f"marketdata.e2e.latency_at_5000fps: p50 {p50:,.0f} µs, p99 {p99:,.0f} µs, "
        f"max {latencies[-1]:,.0f} µs over {len(latencies):,} frames at {paced:,.0f} frames/s "
        "(target p99 <= 2,000 µs)"
    )


if __name__ == "__main__":
    main()
