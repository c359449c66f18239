"""A storage component in a process of its own, for the crash test (test_crash.py).

Usage: ``python crash_child.py URL STACK_DIR COUNT``. It starts ``storage`` on URL, prints
``ready`` once the database answered, then waits for a line on stdin (the test takes the
database away meanwhile), publishes COUNT order decisions and COUNT fills, prints
``accepted N`` once the component took all of them from the bus, and waits to be killed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import trio

from agbotkit.abc import ComponentContext
from agbotkit.bus.bus import Bus
from agbotkit.model.orders import Fill, OrderIntent, Side
from agbotkit.model.risk import OrderApproved
from agbotkit.storage.component import Storage, StorageConfig
from agbotkit.topics import FILLS, ORDER_DECISIONS

NOW = 1_763_900_000_000


def storage_config(url: str) -> StorageConfig:
    return StorageConfig(
        url=url,
        timescaledb="off",
        flush_interval_s=0.05,
        reconnect_initial_s=0.05,
        reconnect_max_s=0.2,
        connect_timeout_s=0.3,
        metrics_interval_s=0.5,
    )


def order(number: int) -> OrderApproved:
    intent = OrderIntent(
        market_id="0xmarket",
        token_id="tok-yes",
        side=Side.BUY,
        price="0.45",
        size=str(number),
        client_order_id=f"c-{number}",
        strategy="crash",
    )
    return OrderApproved(intent, timestamp_ms=NOW + number, component="risk")


def fill(number: int) -> Fill:
    return Fill(
        token_id="tok-yes",
        side=Side.BUY,
        price=Decimal("0.42"),
        size=Decimal(number),
        market_id="0xmarket",
        timestamp_ms=NOW + number,
        order_id=f"order-{number}",
    )


async def wait_for(condition: Callable[[], bool]) -> None:
    # Polling: the writer's state changes in worker threads, which set no trio.Event.
    while not condition():  # noqa: ASYNC110
        await trio.sleep(0.01)


async def main(url: str, stack_dir: Path, count: int) -> None:
    bus = Bus()
    context = ComponentContext(
        "store", bus, stack_dir=stack_dir, now_ms=lambda: NOW, stack_name="crash"
    )
    storage = Storage(storage_config(url), context)
    writer = storage.writer
    async with trio.open_nursery() as nursery:
        await nursery.start(storage.run)
        await wait_for(lambda: writer.connected is True)
        print("ready", flush=True)
        await trio.to_thread.run_sync(sys.stdin.readline)  # the database is away now
        for number in range(1, count + 1):
            await bus.publish(ORDER_DECISIONS, order(number))
            await bus.publish(FILLS, fill(number))
        # Accepted: the component took every row off the bus and knows the database is away.
        await wait_for(lambda: writer.pending_execution == 2 * count and not writer.connected)
        print(f"accepted {writer.pending_execution}", flush=True)
        await trio.sleep_forever()


if __name__ == "__main__":
    trio.run(main, sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]))
