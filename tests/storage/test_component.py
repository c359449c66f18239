"""The ``storage`` component on a real bus, writing to every backend (real databases).

The component writes from worker threads, so these tests run on the real clock with short
intervals and wait for conditions (bounded by ``trio.fail_after``) rather than sleeping.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
import trio
import trio.lowlevel

from agbotkit.abc import ComponentContext
from agbotkit.bus.bus import Bus
from agbotkit.db.backend import StorageBackend
from agbotkit.db.migrations import latest_version, upgrade
from agbotkit.db.records import ExecutionQuery, FillRecord, MetricsQuery, OrderStatus
from agbotkit.db.url import parse_storage_url
from agbotkit.errors import SchemaVersionError, StorageError
from agbotkit.model.execution import OrderStatus as ExecStatus
from agbotkit.model.execution import OrderStatusChanged
from agbotkit.model.metrics import Metric
from agbotkit.model.orders import (
    Fill,
    Order,
    OrderAccepted,
    OrderIntent,
    OrderType,
    Side,
)
from agbotkit.model.positions import Position, PositionSnapshot
from agbotkit.model.risk import OrderApproved, OrderDenied
from agbotkit.storage.component import RetentionConfig, Storage, StorageConfig
from agbotkit.storage.spill import SpillFile
from agbotkit.topics import (
    FILLS,
    METRICS,
    ORDER_DECISIONS,
    ORDER_OUTCOMES,
    ORDER_UPDATES,
    POSITIONS,
)

from .conftest import OpenDb, Outage, read_only
from .test_writer import refuse_fills

NOW = 1_763_900_000_000
ALL_TIME = ExecutionQuery(start_ms=0, end_ms=NOW * 2)


def make_config(url: str, timescale_mode: str, **options: Any) -> StorageConfig:
    defaults: dict[str, Any] = {
        "flush_interval_s": 0.05,
        "reconnect_initial_s": 0.05,
        "reconnect_max_s": 0.2,
        "metrics_interval_s": 0.1,
        "connect_timeout_s": 2.0,
        "drain_timeout_s": 10.0,
    }
    defaults.update(options)
    return StorageConfig(url=url, timescaledb=timescale_mode, **defaults)


def fill(number: int) -> Fill:
    return Fill(
        token_id="tok-yes",
        side=Side.BUY,
        price=Decimal("0.42"),
        size=Decimal(number),
        market_id="0xmarket",
        fee_usd=Decimal("0.01"),
        timestamp_ms=NOW + number,
        order_id=f"order-{number}",
    )


async def wait_until(condition: Callable[[], bool], timeout_s: float = 15.0) -> None:
    with trio.fail_after(timeout_s):
        # Polling: the state changes in worker threads, which set no trio.Event.
        while not condition():  # noqa: ASYNC110
            await trio.sleep(0.01)


class Running:
    """A storage component running in the test's nursery; :meth:`stop` cancels it."""

    def __init__(self, component: Storage) -> None:
        self.component = component
        self.scope = trio.CancelScope()
        self.stopped = trio.Event()

    async def run(self, *, task_status: trio.TaskStatus[None]) -> None:
        with self.scope:
            try:
                await self.component.run(task_status=task_status)
            finally:
                self.stopped.set()

    async def stop(self) -> None:
        self.scope.cancel()
        await self.stopped.wait()


@pytest.fixture
async def start_storage(
    tmp_path: Path, timescale_mode: str, nursery: trio.Nursery
) -> AsyncIterator[Callable[..., Any]]:
    """``await start(bus, url, **options)`` -> a :class:`Running` storage component."""
    running: list[Running] = []

    async def start(bus: Bus, url: str, **options: Any) -> Running:
        config = make_config(url, timescale_mode, **options)
        context = ComponentContext(
            "store", bus, stack_dir=tmp_path, now_ms=lambda: NOW, stack_name="test"
        )
        handle = Running(Storage(config, context))
        await nursery.start(handle.run)
        running.append(handle)
        return handle

    yield start
    for handle in running:
        if not handle.stopped.is_set():
            await handle.stop()


async def publish_execution(bus: Bus) -> None:
    intent = OrderIntent(
        market_id="0xmarket",
        token_id="tok-yes",
        side=Side.BUY,
        price="0.45",
        size="10",
        client_order_id="c-1",
        strategy="minibot",
    )
    denied = OrderIntent(
        market_id="0xother", token_id="tok-no", side=Side.SELL, price="0.6", size="5"
    )
    await bus.publish(ORDER_DECISIONS, OrderApproved(intent, timestamp_ms=NOW, component="risk"))
    await bus.publish(
        ORDER_DECISIONS,
        OrderDenied(
            denied, ("PositionLimit",), ("too big",), timestamp_ms=NOW + 1, component="risk"
        ),
    )
    # The venue's answer arrives twice: as an outcome (not stored) and as a status change.
    await bus.publish(
        ORDER_OUTCOMES,
        OrderAccepted(client_order_id="c-1", order_id="venue-9", timestamp_ms=NOW + 2),
    )
    order = Order.from_intent(intent, venue="paper", created_ms=NOW)
    await bus.publish(
        ORDER_UPDATES,
        OrderStatusChanged(
            order=order, status=ExecStatus.ACCEPTED, previous=ExecStatus.SUBMITTING,
            venue_order_id="venue-9", timestamp_ms=NOW + 2, component="execution",
        ),
    )  # fmt: skip
    gtd = Order(
        client_order_id="c-2", venue="paper", market_id="0xmarket", token_id="tok-no",
        side=Side.SELL, price="0.6", size="5", order_type=OrderType.GTD,
        expires_at_ms=NOW + 60_000, post_only=True,
    )  # fmt: skip
    await bus.publish(
        ORDER_UPDATES,
        OrderStatusChanged(
            order=gtd, status=ExecStatus.REJECTED, previous=ExecStatus.SUBMITTING,
            reason="not enough balance", timestamp_ms=NOW + 3, component="execution",
        ),
    )  # fmt: skip
    await bus.publish(FILLS, fill(1))
    position = Position(
        "tok-yes", "0xmarket", Decimal(1), Decimal("0.42"), Decimal(0), Decimal(0), Decimal("0.5")
    )
    bus.publish_nowait(POSITIONS, PositionSnapshot(position=position, timestamp_ms=NOW + 5))


async def test_ingests_every_topic_and_reads_back(
    start_storage: Any, storage_url: str, open_db: OpenDb
) -> None:
    bus = Bus()
    running = await start_storage(bus, storage_url)
    for i in range(250):
        bus.publish_nowait(
            METRICS, Metric.gauge("test.lag_ms", float(i), NOW + i, {"feed": "clob"})
        )
    bus.publish_nowait(METRICS, Metric.gauge("test.nan", math.nan, NOW))
    await publish_execution(bus)
    await running.stop()

    backend = open_db(storage_url)
    (series,) = backend.query_metrics(MetricsQuery("test.lag_ms", NOW, NOW + 1000))
    assert series.labels == (("feed", "clob"),)
    assert series.values == [float(i) for i in range(250)]
    assert backend.query_metrics(MetricsQuery("test.nan", 0, NOW * 2)) == []
    assert running.component.nonfinite == 1

    orders = backend.query_orders(ALL_TIME)
    assert [(o.id, o.status) for o in orders] == [
        ("c-1", OrderStatus.APPROVED),
        (orders[1].event_id, OrderStatus.DENIED),  # no client id: the row's own id
        ("c-1", OrderStatus.ACCEPTED),
        ("c-2", OrderStatus.REJECTED),
    ]
    approved, denied, accepted, rejected = orders
    assert (approved.price, approved.size, approved.side) == (Decimal("0.45"), Decimal(10), "BUY")
    assert (approved.strategy, approved.source, approved.venue) == ("minibot", "risk", "polymarket")
    assert denied.reason == "PositionLimit: too big"
    assert denied.market == "0xother"
    assert (accepted.side, accepted.price, accepted.venue_order_id, accepted.venue) == (
        "BUY",
        Decimal("0.45"),
        "venue-9",
        "paper",
    )
    assert (accepted.previous_status, accepted.filled_size, accepted.source) == (
        "submitting",
        Decimal(0),
        "execution",
    )
    assert (rejected.reason, rejected.price, rejected.order_type) == (
        "not enough balance",
        Decimal("0.6"),
        "GTD",
    )
    assert (rejected.expires_at_ms, rejected.post_only) == (NOW + 60_000, True)

    (stored_fill,) = backend.query_fills(ALL_TIME)
    assert (stored_fill.order_id, stored_fill.size, stored_fill.fee) == (
        "order-1",
        Decimal(1),
        Decimal("0.01"),
    )
    (position,) = backend.query_positions(ALL_TIME)
    assert (position.token_id, position.mark) == ("tok-yes", Decimal("0.5"))


async def test_a_stop_flushes_everything_accepted(
    start_storage: Any, storage_url: str, open_db: OpenDb
) -> None:
    bus = Bus()
    # Nothing would be written before the stop: batches never fill, the interval is long.
    running = await start_storage(bus, storage_url, flush_interval_s=3600, batch_size=100_000)
    for i in range(5000):
        bus.publish_nowait(METRICS, Metric.gauge("test.flush", float(i), NOW + i))
    for i in range(1, 201):
        await bus.publish(FILLS, fill(i))
    await running.stop()

    backend = open_db(storage_url)
    (series,) = backend.query_metrics(MetricsQuery("test.flush", NOW, NOW + 10_000))
    assert len(series.timestamps) == 5000
    assert len(backend.query_fills(ALL_TIME)) == 200


async def test_refuses_a_schema_newer_than_it_knows(
    start_storage: Any, storage_url: str, open_db: OpenDb, tmp_path: Path
) -> None:
    backend = open_db(storage_url)
    upgrade(backend)
    future = latest_version(backend.dialect) + 1
    _record_future_version(backend, future)
    with pytest.raises(SchemaVersionError, match="newer than"):
        await start_storage(Bus(), storage_url)


async def test_without_auto_upgrade_an_old_schema_names_the_command(
    start_storage: Any, storage_url: str
) -> None:
    with pytest.raises(SchemaVersionError, match="agbotkit db upgrade"):
        await start_storage(Bus(), storage_url, auto_upgrade=False)


async def test_retention_deletes_exactly_what_is_old(
    start_storage: Any, storage_url: str, open_db: OpenDb
) -> None:
    bus = Bus()
    running = await start_storage(
        bus, storage_url, retention=RetentionConfig(metrics_days=1, execution_days=2, frames_days=1)
    )
    day = 86_400_000
    # NOW is the component's clock: cut-offs are NOW - 1 day (metrics) and NOW - 2 days.
    for ts in (NOW - 3 * day, NOW - day - 1, NOW - day, NOW):
        bus.publish_nowait(METRICS, Metric.gauge("test.old", 1.0, ts))
    for offset in (-3 * day, -2 * day - 1, -2 * day, 0):
        await bus.publish(FILLS, attrs.evolve(fill(1), timestamp_ms=NOW + offset))
    await wait_until(lambda: running.component.writer.counts.execution == 4)
    await wait_until(lambda: running.component.writer.counts.metrics >= 4)
    assert await running.component.apply_retention()
    await running.stop()

    backend = open_db(storage_url)
    (series,) = backend.query_metrics(MetricsQuery("test.old", 0, NOW * 2))
    assert series.timestamps == [NOW - day, NOW]
    fills = backend.query_fills(ALL_TIME)
    assert [f.timestamp_ms for f in fills] == [NOW - 2 * day, NOW]
    assert running.component.retention_deleted["metrics"] == 2
    assert running.component.retention_deleted["fills"] == 2


def _record_future_version(backend: StorageBackend, version: int) -> None:
    """Pretend a newer agbotkit migrated this database: a bookkeeping row of its own."""
    from agbotkit.db.migrations import Migration

    backend.apply_migration(Migration(version, "from_the_future", "SELECT 1;", "SELECT 1;"), "up")


@pytest.mark.slow
async def test_a_database_outage_loses_no_order_or_fill(
    start_storage: Any, outage: Outage, open_db: OpenDb, request: pytest.FixtureRequest
) -> None:
    if "timescaledb" in request.node.name:
        pytest.skip("covered by the postgresql run; this one needs a server of its own")
    bus = Bus()
    running = await start_storage(bus, outage.url, execution_memory_rows=50, connect_timeout_s=0.3)
    writer = running.component.writer
    number = 0

    async def publish_fills(count: int) -> None:
        nonlocal number
        for _ in range(count):
            number += 1
            await bus.publish(FILLS, fill(number))
            bus.publish_nowait(METRICS, Metric.gauge("test.during", float(number), NOW + number))
            await trio.lowlevel.checkpoint()

    await publish_fills(100)
    await wait_until(lambda: writer.counts.execution == 100)
    await trio.to_thread.run_sync(outage.begin)
    await publish_fills(300)  # while the database is away: memory, then the spill file
    await wait_until(lambda: writer.connected is False)
    # Journal first: every row is on disk, none also held in memory (at most 50 allowed).
    await wait_until(lambda: writer.spill.rows == 300)
    assert len(writer.execution) == 0
    await trio.to_thread.run_sync(outage.end)
    await wait_until(lambda: writer.pending_execution == 0)
    assert not writer.spill.path.exists()
    await publish_fills(100)
    await running.stop()

    backend = open_db(outage.url)
    fills = backend.query_fills(ALL_TIME)
    assert sorted(int(f.order_id.split("-")[1]) for f in fills) == list(range(1, 501))
    assert len({f.id for f in fills}) == 500


@pytest.mark.slow
async def test_a_stop_while_the_database_is_away_spills_and_the_next_start_writes_it(
    start_storage: Any, outage: Outage, open_db: OpenDb, request: pytest.FixtureRequest
) -> None:
    if "timescaledb" in request.node.name:
        pytest.skip("covered by the postgresql run; this one needs a server of its own")
    bus = Bus()
    running = await start_storage(bus, outage.url, connect_timeout_s=0.3, drain_timeout_s=2.0)
    await wait_until(lambda: running.component.writer.connected is True)
    await trio.to_thread.run_sync(outage.begin)
    for i in range(1, 41):
        await bus.publish(FILLS, fill(i))
    spill_path = running.component.writer.spill.path
    await running.stop()
    assert spill_path.exists()
    spilled = spill_path.read_text(encoding="utf-8").splitlines()
    assert len(spilled) == 40

    await trio.to_thread.run_sync(outage.end)
    restarted = await start_storage(Bus(), outage.url)  # writes the spill file first
    assert not spill_path.exists()
    await restarted.stop()
    fills = open_db(outage.url).query_fills(ALL_TIME)
    assert sorted(int(f.order_id.split("-")[1]) for f in fills) == list(range(1, 41))


# The drop accounting does not depend on the backend: a locked SQLite file shows it.
@pytest.mark.parametrize("backend_kind", ["sqlite"])
async def test_when_the_database_is_slower_than_the_feed_metrics_drop_counted(
    start_storage: Any, outage: Outage, open_db: OpenDb, caplog: pytest.LogCaptureFixture
) -> None:
    bus = Bus()
    # No samples of the component's own in the count (metrics_interval_s): only the flood.
    running = await start_storage(
        bus,
        outage.url,
        batch_size=100,
        metrics_buffer=500,
        connect_timeout_s=0.2,
        metrics_interval_s=3600,
    )
    await wait_until(lambda: running.component.writer.connected is True)
    await trio.to_thread.run_sync(outage.begin)
    for i in range(5000):
        bus.publish_nowait(METRICS, Metric.gauge("test.flood", float(i), NOW + i))
        if i % 100 == 0:
            await trio.lowlevel.checkpoint()
    for i in range(1, 11):
        await bus.publish(FILLS, fill(i))
    await wait_until(lambda: running.component.metrics_dropped > 0)
    # Said once (then at most every 30 s while more are dropped), with the count so far.
    await wait_until(lambda: "metrics dropped so far" in caplog.text)
    (warning,) = [r for r in caplog.records if "metrics dropped so far" in r.message]
    assert warning.levelname == "WARNING"
    assert "(orders and fills are kept: " in warning.message
    await trio.to_thread.run_sync(outage.end)
    await wait_until(lambda: running.component.writer.pending_execution == 0)
    dropped = running.component.metrics_dropped
    await running.stop()

    backend = open_db(outage.url)
    (series,) = backend.query_metrics(MetricsQuery("test.flood", NOW, NOW + 10_000))
    # Every sample is either stored or counted as dropped; the newest always survive.
    assert len(series.timestamps) + dropped == 5000
    assert series.values[-1] == 4999.0
    assert len(backend.query_fills(ALL_TIME)) == 10


@pytest.mark.parametrize("backend_kind", ["sqlite"])
async def test_rows_the_database_refuses_stop_the_component_and_stay_journaled_once(
    storage_url: str, open_db: OpenDb, tmp_path: Path
) -> None:
    upgrade(open_db(storage_url))
    path = parse_storage_url(storage_url).path
    assert path is not None
    refuse_fills(path)
    bus = Bus()
    context = ComponentContext("store", bus, stack_dir=tmp_path, now_ms=lambda: NOW)
    component = Storage(make_config(storage_url, "off"), context)
    with pytest.RaisesGroup(
        pytest.RaisesExc(StorageError, match="fills refused by a test trigger"),
        flatten_subgroups=True,
    ):
        async with trio.open_nursery() as nursery:
            await nursery.start(component.run)
            for number in range(1, 11):  # all in the subscription before any write
                bus.publish_nowait(FILLS, fill(number))
            await trio.sleep_forever()  # until the component fails
    # Kept on disk, each row once (the stop's retries add no copies), for the next start.
    spilled = SpillFile(component.writer.spill.path).load()
    assert sorted(int(r.order_id.split("-")[1]) for r in spilled if isinstance(r, FillRecord)) == [
        *range(1, 11)
    ]


@pytest.mark.parametrize("backend_kind", ["sqlite"])
async def test_a_read_only_database_at_start_is_retried_not_fatal(
    start_storage: Any, storage_url: str, open_db: OpenDb, caplog: pytest.LogCaptureFixture
) -> None:
    path = parse_storage_url(storage_url).path
    assert path is not None
    open_db(storage_url).ping()  # an empty database file, no schema yet
    bus = Bus()
    with read_only(path):
        running = await start_storage(bus, storage_url, connect_timeout_s=0.2)
        writer = running.component.writer
        assert writer.connected is False
        assert "not reachable at start" in caplog.text
        assert "readonly" in caplog.text  # says why
        for number in range(1, 6):
            await bus.publish(FILLS, fill(number))
        await wait_until(lambda: writer.spill.rows == 5)  # journaled, nothing lost
    await wait_until(lambda: writer.pending_execution == 0)
    await running.stop()
    fills = open_db(storage_url).query_fills(ALL_TIME)
    assert sorted(int(f.order_id.split("-")[1]) for f in fills) == [1, 2, 3, 4, 5]
