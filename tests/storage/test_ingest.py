"""The storage component's intake on a real bus, into a writer that never reaches its
database (nothing here writes: the rows wait in the writer's batches)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import trio
import trio.testing

from agbotkit.bus.bus import Bus
from agbotkit.db.connect import open_backend
from agbotkit.db.convert import PositionThrottle, RecordMaker
from agbotkit.db.records import FillRecord, OrderRecord, OrderStatus, PositionRecord
from agbotkit.db.url import parse_storage_url
from agbotkit.model.execution import OrderStatus as ExecStatus
from agbotkit.model.execution import OrderStatusChanged
from agbotkit.model.feeds import RawFrame
from agbotkit.model.metrics import Metric
from agbotkit.model.orders import Fill, Order, OrderAccepted, OrderIntent, Side
from agbotkit.model.positions import Position, PositionSnapshot
from agbotkit.model.risk import OrderApproved
from agbotkit.storage.ingest import Ingest
from agbotkit.storage.spill import SpillFile
from agbotkit.storage.writer import BatchWriter
from agbotkit.topics import (
    FILLS,
    METRICS,
    ORDER_DECISIONS,
    ORDER_OUTCOMES,
    ORDER_UPDATES,
    POSITIONS,
    RAW_FRAMES,
)

INTENT = OrderIntent(
    market_id="0xm", token_id="tok", side=Side.BUY, price="0.4", size="2", client_order_id="c-1"
)


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[BatchWriter]:
    # Opening is lazy: the database is never touched by the intake.
    backend = open_backend(parse_storage_url(f"sqlite:///{tmp_path}/never.sqlite"))
    yield BatchWriter(
        backend, SpillFile(tmp_path / "spill.jsonl"), batch_size=3, memory_rows=100,
        auto_upgrade=False,
    )  # fmt: skip
    backend.close()


def ingest(writer: BatchWriter, prefixes: tuple[str, ...] = ()) -> Ingest:
    ids = (f"id{n}" for n in itertools.count(1))
    records = RecordMaker("polymarket", lambda: 5, new_id=lambda: next(ids))
    return Ingest(writer, records, PositionThrottle(60_000), prefixes)


def snapshot(ts: int) -> PositionSnapshot:
    position = Position("tok", "0xm", Decimal(1), Decimal(1), Decimal(0), Decimal(0), Decimal(1))
    return PositionSnapshot(position=position, timestamp_ms=ts, component="risk")


def publish_everything(bus: Bus) -> None:
    bus.publish_nowait(ORDER_DECISIONS, OrderApproved(INTENT, timestamp_ms=1, component="risk"))
    # Not stored: the same fact arrives as the order's status change.
    bus.publish_nowait(ORDER_OUTCOMES, OrderAccepted(client_order_id="c-1", order_id="v-1"))
    order = Order.from_intent(INTENT, venue="paper", created_ms=1)
    bus.publish_nowait(ORDER_UPDATES, OrderStatusChanged(order=order, status=ExecStatus.ACCEPTED))
    bus.publish_nowait(FILLS, Fill(token_id="tok", side=Side.BUY, price="0.4", size="2"))
    bus.publish_nowait(POSITIONS, snapshot(10))
    bus.publish_nowait(POSITIONS, snapshot(20))  # unchanged within the interval: not kept
    for number in range(5):
        bus.publish_nowait(METRICS, Metric.gauge("store.me", float(number), number))
    bus.publish_nowait(METRICS, Metric.gauge("other.metric", 1.0, 1))
    bus.publish_nowait(METRICS, Metric.gauge("store.inf", math.inf, 1))
    for number in range(5):
        bus.publish_nowait(RAW_FRAMES, RawFrame("clob", number, f"frame {number}"))


async def test_a_stop_takes_everything_waiting_and_nothing_else(writer: BatchWriter) -> None:
    bus = Bus()
    intake = ingest(writer, prefixes=("store.",))
    with intake.subscribed(bus, metrics_buffer=100, frames_buffer=100):
        publish_everything(bus)
        intake.take_waiting()
        intake.take_waiting()  # nothing more waits: it takes nothing, and does not block
    kinds = [type(r) for r in writer.execution.waiting]
    assert kinds == [OrderRecord, OrderRecord, FillRecord, PositionRecord]
    assert [r.status for r in writer.execution.waiting if isinstance(r, OrderRecord)] == [
        OrderStatus.APPROVED,
        OrderStatus.ACCEPTED,
    ]
    # Past the prefix filter and finite; a stop takes them beyond the batch size too.
    assert [m.value for m in writer.metrics.waiting] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert intake.nonfinite == 1
    assert [f.received_ms for f in writer.frames.waiting] == [0, 1, 2, 3, 4]
    assert (intake.metrics_dropped, intake.frames_dropped) == (0, 0)


async def test_without_a_frames_buffer_frames_are_not_subscribed(writer: BatchWriter) -> None:
    bus = Bus()
    intake = ingest(writer)
    with intake.subscribed(bus, metrics_buffer=10, frames_buffer=None):
        assert bus.subscriber_count(RAW_FRAMES) == 0
        assert bus.subscriber_count(FILLS) == 1
    assert bus.subscriber_count(FILLS) == 0  # the block's end closes them all
    assert intake.frames_dropped == 0


async def test_collecting_fills_the_batches_and_counts_what_does_not_fit(
    writer: BatchWriter,
) -> None:
    bus = Bus()
    intake = ingest(writer)
    with intake.subscribed(bus, metrics_buffer=2, frames_buffer=100):
        async with trio.open_nursery() as nursery:
            intake.start_collecting(nursery)
            nursery.start_soon(intake.collect_metrics)
            publish_everything(bus)
            await trio.testing.wait_all_tasks_blocked()
            # The subscription (2) kept the newest two samples: one to store, one infinite.
            assert intake.metrics_dropped == 5
            assert [m.name for m in writer.metrics.waiting] == ["other.metric"]
            assert intake.nonfinite == 1
            # The frames batch (3) is full: the other two were dropped, and counted.
            assert [f.received_ms for f in writer.frames.waiting] == [0, 1, 2]
            assert intake.frames_dropped == 2
            assert len(writer.execution) == 4
            bus.close()  # the stack is over: every collector returns


async def test_collecting_metrics_stops_while_the_batch_is_full(writer: BatchWriter) -> None:
    bus = Bus()
    intake = ingest(writer)
    with intake.subscribed(bus, metrics_buffer=100, frames_buffer=None):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(intake.collect_metrics)
            for number in range(5):
                bus.publish_nowait(METRICS, Metric.gauge("m", float(number), number))
            await trio.testing.wait_all_tasks_blocked()
            assert [m.value for m in writer.metrics.waiting] == [0.0, 1.0, 2.0]
            intake.take_waiting()  # as a stop does: the other two as well
            assert [m.value for m in writer.metrics.waiting] == [0.0, 1.0, 2.0, 3.0, 4.0]
            assert intake.metrics_dropped == 0
            nursery.cancel_scope.cancel()  # it waits for room, not for the bus


async def test_collecting_metrics_needs_the_subscriptions(writer: BatchWriter) -> None:
    with pytest.raises(RuntimeError, match="outside subscribed"):
        await ingest(writer).collect_metrics()
