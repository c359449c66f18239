"""Benchmark of the dashboard: metrics ingested per second over one ``WS /metrics`` connection
while 10 browser-style subscribers read ``WS /dashboard``, and the latency from ingest to
delivery to a subscriber.

Run ``python benchmarks/bench_dashboard.py``; it prints the numbers with the targets the issue
set (>= 100,000 metrics/s with 100 metrics per frame, >= 8,000/s with one per frame, p99
<= 300 ms). It measures, it does not judge: no timing is asserted.

The dashboard component runs in this process on 127.0.0.1, port 0, with its default push
interval (0.2 s). The clients run in one child process (this script with ``--client``) so they
do not share the server's core: 10 subscribers (trio-websocket) and one producer. The
producer writes WebSocket frames itself (masked with a zero key, which the protocol allows),
several per ``send_all``, so that the client is not what limits the rate. Three phases:

* **batched** and **one per frame**: the producer sends as fast as the socket takes. The rate
  is the server's own count of stored metrics over the phase (its first second excluded),
  and the server's CPU time per metric is printed too: on a shared machine the wall-clock
  rate depends on what else runs, the CPU cost does not.
* **latency**: the producer sends 20,000 metrics/s (100 per frame, paced), below saturation,
  so a point's send time is its ingest time; each subscriber records, for every point it
  receives, its wall clock minus the point's timestamp.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import sys
import time

import numpy as np
import numpy.typing as npt
import trio
from trio_websocket import ConnectionClosed, open_websocket_url

from agbotkit.abc import ComponentContext
from agbotkit.bus.bus import Bus
from agbotkit.dashboard.component import Dashboard, DashboardConfig

SUBSCRIBERS = 10
SERIES = 100
PHASE_S = 5.0
WARMUP_S = 1.0
PACED_RATE = 20_000  # metrics/s in the latency phase
# The latency phase first: a saturating phase leaves megabytes queued in the socket, which
# would take seconds to drain after it (the rates are measured while saturated anyway).
PHASES = (("latency", 100), ("batched", 100), ("one per frame", 1))
TARGETS = {"batched": 100_000, "one per frame": 8_000}
P99_TARGET_MS = 300
_STAMP = re.compile(r"\[(\d+),")  # a point in a batch frame: [timestamp, value]


# -- the client process ---------------------------------------------------------------------


def _message(per_frame: int, first: int) -> bytes:
    now = time.time_ns() // 1_000_000
    return "\n".join(
        f'{{"timestamp":{now},"metric_type":"gauge",'
        f'"metric_name":"bench.s{(first + i) % SERIES}","value":{first + i}}}'
        for i in range(per_frame)
    ).encode()


def _frame(payload: bytes) -> bytes:
    """A masked text frame; the all-zero mask key leaves the payload as it is."""
    n = len(payload)
    if n < 126:
        header = bytes((0x81, 0x80 | n))
    elif n < 65_536:
        header = bytes((0x81, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x81, 0x80 | 127)) + n.to_bytes(8, "big")
    return header + b"\0\0\0\0" + payload


async def _open_producer(host: str, port: int) -> trio.SocketStream:
    stream = await trio.open_tcp_stream(host, port)
    key = base64.b64encode(os.urandom(16))
    await stream.send_all(
        # The port too: the dashboard refuses a Host that does not name where it listens.
        b"GET /metrics HTTP/1.1\r\nHost: "
        + f"{host}:{port}".encode()
        + b"\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Key: "
        + key
        + b"\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    response = b""
    while b"\r\n\r\n" not in response:
        response += await stream.receive_some(4096)
    if not response.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(f"handshake refused: {response[:80]!r}")
    return stream


async def _subscriber(
    url: str,
    latencies: list[npt.NDArray[np.int64]],
    measuring: list[bool],
    *,
    task_status: trio.TaskStatus[None],
) -> None:
    async with open_websocket_url(
        f"{url}/dashboard", message_queue_size=64, receive_buffer_size=1 << 16
    ) as ws:
        await ws.get_message()  # hello
        task_status.started()
        try:
            while True:
                frame = await ws.get_message()
                if measuring[0] and isinstance(frame, str):
                    now = time.time_ns() // 1_000_000
                    # Every point's timestamp, without building a Python object per point.
                    stamps = _STAMP.findall(frame)
                    if stamps:
                        latencies.append(now - np.array(stamps, dtype=np.int64))
        except ConnectionClosed:
            pass


async def _produce(stream: trio.SocketStream, per_frame: int, rate: float | None) -> int:
    """Send for WARMUP_S + PHASE_S; as fast as possible, or ``rate`` metrics/s."""
    frames_per_write = max(1, 1600 // per_frame)
    sent = 0
    start = trio.current_time()
    while trio.current_time() - start < WARMUP_S + PHASE_S:
        chunk = []
        for _ in range(frames_per_write):
            chunk.append(_frame(_message(per_frame, sent)))
            sent += per_frame
        await stream.send_all(b"".join(chunk))
        if rate is not None:
            await trio.sleep_until(start + sent / rate)
    return sent


async def _client(url: str) -> None:
    host, port = url.removeprefix("ws://").rsplit(":", 1)
    latencies: list[npt.NDArray[np.int64]] = []
    measuring = [False]  # only during the latency phase, after its warm-up
    async with trio.open_nursery() as nursery:
        for _ in range(SUBSCRIBERS):
            await nursery.start(_subscriber, url, latencies, measuring)
        stream = await _open_producer(host, int(port))
        for name, per_frame in PHASES:
            paced = name == "latency"
            if paced:
                nursery.start_soon(_measure_after_warmup, measuring)
            started = time.time()
            sent = await _produce(stream, per_frame, PACED_RATE if paced else None)
            measuring[0] = False
            print(json.dumps({"phase": name, "start": started, "end": time.time(), "sent": sent}))
            await trio.sleep(1.0)  # let the server drain what the socket still holds
        await stream.aclose()
        nursery.cancel_scope.cancel()
    every = np.concatenate(latencies) if latencies else np.zeros(1, dtype=np.int64) - 1
    p50, p99, top = np.percentile(every, [50, 99, 100]).tolist()
    result = {"deliveries": len(every) if latencies else 0, "p50": p50, "p99": p99, "max": top}
    print(json.dumps({"phase": "latencies", **result}))


async def _measure_after_warmup(measuring: list[bool]) -> None:
    await trio.sleep(WARMUP_S)
    measuring[0] = True


# -- the server process ---------------------------------------------------------------------


async def _server() -> None:
    config = DashboardConfig(
        port=0, max_messages_per_second=1e9, max_frame_bytes=16 << 20, max_series=1000
    )
    dashboard = Dashboard(config, ComponentContext("dashboard", Bus()))
    samples: list[tuple[float, float, float]] = []  # wall clock, CPU time, metrics stored
    async with trio.open_nursery() as nursery:
        await nursery.start(dashboard.run)
        assert dashboard.hub is not None
        counters = dashboard.hub.counters

        async def sample() -> None:
            while True:
                stored = counters.get("agbotkit.dashboard.ingested", 0.0)
                samples.append((time.time(), time.process_time(), stored))
                await trio.sleep(0.05)

        nursery.start_soon(sample)
        url = "ws" + dashboard.urls[0].removeprefix("http")
        command = [sys.executable, __file__, "--client", url]
        completed = await trio.run_process(command, capture_stdout=True)
        nursery.cancel_scope.cancel()
    for line in completed.stdout.decode().splitlines():
        _report(json.loads(line), samples)


def _report(phase: dict[str, float | str], samples: list[tuple[float, float, float]]) -> None:
    name = phase["phase"]
    if name == "latencies":
        print(
            f"ingest -> subscriber latency at {PACED_RATE:,} metrics/s over "
            f"{phase['deliveries']:,} point deliveries to {SUBSCRIBERS} subscribers: "
            f"p50 {phase['p50']:.0f} ms, p99 {phase['p99']:.0f} ms, max {phase['max']:.0f} ms "
            f"(target p99 <= {P99_TARGET_MS} ms)"
        )
        return
    if name not in TARGETS:
        return
    assert isinstance(phase["start"], float)
    assert isinstance(phase["end"], float)
    window = [s for s in samples if phase["start"] + WARMUP_S <= s[0] <= phase["end"]]
    (wall_a, cpu_a, stored_a), (wall_b, cpu_b, stored_b) = window[0], window[-1]
    rate = (stored_b - stored_a) / (wall_b - wall_a)
    cpu_us = (cpu_b - cpu_a) / max(stored_b - stored_a, 1) * 1e6
    per_frame = dict(PHASES)[str(name)]
    print(
        f"ingest, {per_frame:>3} metric(s) per frame, {SUBSCRIBERS} subscribers: "
        f"{rate:>9,.0f} metrics/s (target >= {TARGETS[str(name)]:,}); server CPU "
        f"{cpu_us:.1f} us/metric = {1e6 / cpu_us:,.0f} metrics per CPU-second, "
        f"it had {(cpu_b - cpu_a) / (wall_b - wall_a):.0%} of a core"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--client", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        trio.run(_client, args.client)
    else:
        started = time.monotonic()
        trio.run(_server)
        print(f"(benchmark took {time.monotonic() - started:.1f} s)")


if __name__ == "__main__":
    main()
