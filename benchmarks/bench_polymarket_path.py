"""Intent -> risk -> execution -> signed V2 order -> accepted by the fake CLOB over
loopback HTTP (the fake checks every HMAC and recovers every order's signer).

Run: ``python benchmarks/bench_polymarket_path.py``. Prints p50 / p99 µs from publishing an
``OrderIntent`` to its ``OrderAccepted``, one order at a time (target p50 <= 2 ms), and the
orders per second: in bursts of 15 intents, each waited for, and sustained, with 3,000
intents queued at once (target >= 2,000/s; the execution component's submit workers batch
what waits into ``POST /orders`` of up to 15). Twice: with the fake CLOB in
a process of its own, as the real CLOB is another machine's work (the headline figures),
then in this process, sharing its core with the bot.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import numpy as np
import trio

from agbotkit.bus.bus import Bus
from agbotkit.bus.topic import Overflow
from agbotkit.model.orders import OrderAccepted, OrderIntent, Side
from agbotkit.supervisor.runner import Supervisor
from agbotkit.testing import FakeClob
from agbotkit.testing.fake_clob.accounts import FakeAccount
from agbotkit.testing.stacks import plan_from_yaml
from agbotkit.topics import ORDER_INTENTS, ORDER_OUTCOMES

KEY = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
API_KEY, SECRET, PASSPHRASE = "b3e2c94c-bench", "c2VjcmV0LWJlbmNoLXNlY3JldA==", "bench-pass"
TOKEN = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
MARKET = "0x" + "22" * 32
POLICIES = "policies:\n  - type: PositionLimit\n    max_size: 100000000\n"


def stack(url: str, ws_url: str) -> str:
    return f"""
stack: {{shutdown_grace_s: 30}}
components:
  risk: {{kind: risk, policy_file: policies.yaml, intent_buffer: 100000}}
  execution:
    kind: execution
    needs: [risk]
    live_trading: true
    cancel_on_stop: false
    submit_rate: [[1000000, 1.0]]
    venues:
      pm: {{kind: polymarket, dry_run: false, clob_url: "{url}", user_ws_url: "{ws_url}"}}
"""


def intent(n: int) -> OrderIntent:
    price = Decimal("0.30") + Decimal(n % 10) / 100  # below the 0.55 ask: it rests
    return OrderIntent(
        market_id=MARKET, token_id=TOKEN, side=Side.BUY, price=price, size=5,
        client_order_id=f"b{n}",
    )  # fmt: skip


async def accepted(bus: Bus, first: int, count: int, chunk: int) -> list[float]:
    """Seconds from publishing each chunk to the acceptance of its every order."""
    took = []
    with bus.subscribe(ORDER_OUTCOMES, buffer=100_000, overflow=Overflow.BLOCK) as outcomes:
        for start in range(first, first + count, chunk):
            began = time.perf_counter()
            await bus.publish_many(ORDER_INTENTS, [intent(n) for n in range(start, start + chunk)])
            for _ in range(chunk):
                outcome = await outcomes.receive()
                assert isinstance(outcome, OrderAccepted), outcome
            took.append(time.perf_counter() - began)
    return took


async def sustained(bus: Bus, first: int, count: int) -> float:
    """Orders accepted per second with the pipeline kept full: ``count`` intents published
    at once, the clock stopped at the last acceptance (batches fill up to 15 by themselves
    while the submit workers are busy)."""
    with bus.subscribe(ORDER_OUTCOMES, buffer=100_000, overflow=Overflow.BLOCK) as outcomes:
        began = time.perf_counter()
        await bus.publish_many(ORDER_INTENTS, [intent(n) for n in range(first, first + count)])
        for _ in range(count):
            outcome = await outcomes.receive()
            assert isinstance(outcome, OrderAccepted), outcome
        return count / (time.perf_counter() - began)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def new_fake(port: int = 0, ws_port: int = 0) -> FakeClob:
    fake = FakeClob(
        accounts=[FakeAccount(ADDRESS, API_KEY, SECRET, PASSPHRASE)], port=port, ws_port=ws_port
    )
    fake.set_book(TOKEN, bids=[("0.20", 100)], asks=[("0.55", 100)], market=MARKET)
    return fake


async def serve_fake(port: int, ws_port: int) -> None:
    """The child process: the fake CLOB until stdin closes."""
    async with new_fake(port, ws_port):
        print("ready", flush=True)
        await trio.to_thread.run_sync(sys.stdin.read)


async def measure(url: str, ws_url: str, where: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "policies.yaml").write_text(POLICIES)
        supervisor = Supervisor(plan_from_yaml(stack(url, ws_url), base_dir=Path(folder)))
        async with trio.open_nursery() as nursery:
            await nursery.start(supervisor.run)
            bus = supervisor.bus
            await accepted(bus, 0, 50, 1)  # warm-up: connections, caches
            one = np.array(await accepted(bus, 1_000, 500, 1)) * 1e6
            p50, p99 = np.percentile(one, [50, 99]).tolist()
            print(
                f"polymarket.intent_to_accepted ({where}): p50 {p50:.0f} µs, p99 {p99:.0f} µs "
                "(target p50 <= 2,000 µs)"
            )
            bursts = await accepted(bus, 10_000, 1_500, 15)
            rate = 1_500 / sum(bursts)
            print(
                f"polymarket.orders_per_s ({where}): {rate:,.0f} orders/s in bursts of 15, "
                "each waited for"
            )
            rate = await sustained(bus, 20_000, 3_000)
            print(
                f"polymarket.orders_per_s ({where}): {rate:,.0f} orders/s sustained, 3,000 "
                "intents queued at once (target >= 2,000)"
            )
            supervisor.request_stop()


async def main() -> None:
    os.environ.update(
        POLYMARKET_PRIVATE_KEY=KEY, POLYMARKET_API_KEY=API_KEY, POLYMARKET_API_SECRET=SECRET,
        POLYMARKET_API_PASSPHRASE=PASSPHRASE, AGBOTKIT_LIVE_TRADING="1",
    )  # fmt: skip
    port, ws_port = free_port(), free_port()
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port), str(ws_port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        url, ws_url = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{ws_port}/ws/user"
        await measure(url, ws_url, "fake in its own process")
    finally:
        child.communicate("")
    async with new_fake() as fake:
        await measure(fake.url, fake.ws_url, "fake in this process")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        trio.run(serve_fake, int(sys.argv[2]), int(sys.argv[3]))
    else:
        trio.run(main)
