"""The bus: fan-out, overflow policies, closing as end of stream."""

from __future__ import annotations

import contextlib

import pytest
import trio
import trio.testing

from agbotkit.bus.bus import Bus
from agbotkit.bus.subscription import MAX_BATCH, BusClosedError, BusFullError, Subscription
from agbotkit.bus.topic import Overflow, Topic

TICKS: Topic[int] = Topic("ticks", "numbers, for tests")
OTHER: Topic[int] = Topic("other")


async def _collect(subscription: Subscription[int], into: list[int]) -> None:
    async for message in subscription:
        into.append(message)


async def test_fan_out_to_many_subscribers() -> None:
    bus = Bus()
    received: list[list[int]] = [[] for _ in range(100)]
    async with trio.open_nursery() as nursery:
        for into in received:
            nursery.start_soon(_collect, bus.subscribe(TICKS, overflow=Overflow.BLOCK), into)
        assert bus.subscriber_count(TICKS) == 100
        for i in range(20):
            await bus.publish(TICKS, i)
        for i in range(20, 30):
            bus.publish_nowait(TICKS, i)
        bus.close()
    assert received == [list(range(30))] * 100


async def test_each_subscriber_gets_only_what_was_published_after_it_subscribed() -> None:
    bus = Bus()
    bus.publish_nowait(TICKS, 1)  # nobody listens: nothing happens
    first = bus.subscribe(TICKS)
    await bus.publish(TICKS, 2)
    second = bus.subscribe(TICKS)
    bus.publish_nowait(TICKS, 3)
    bus.close()
    assert [m async for m in first] == [2, 3]
    assert [m async for m in second] == [3]


async def test_topics_are_separate_and_equal_by_name() -> None:
    bus = Bus()
    ticks = bus.subscribe(TICKS)
    same = bus.subscribe(Topic[int]("ticks", "another description"))
    other = bus.subscribe(OTHER)
    bus.publish_nowait(TICKS, 1)
    bus.publish_nowait(OTHER, 2)
    await bus.publish(Topic[int]("ticks"), 3)
    bus.close()
    assert [m async for m in ticks] == [1, 3]
    assert [m async for m in same] == [1, 3]
    assert [m async for m in other] == [2]
    assert Topic("ticks") == Topic("ticks", "doc")
    assert hash(Topic("ticks")) == hash(Topic("ticks", "doc"))


async def test_drop_oldest_keeps_the_newest_and_counts_what_it_dropped() -> None:
    bus = Bus()
    lossy = bus.subscribe(TICKS, buffer=3, overflow=Overflow.DROP_OLDEST)
    lossless = bus.subscribe(TICKS, buffer=100, overflow=Overflow.BLOCK)
    for i in range(10):
        bus.publish_nowait(TICKS, i)
    for i in range(10, 12):
        await bus.publish(TICKS, i)  # never waits for a drop-oldest subscriber
    assert (lossy.dropped, lossless.dropped) == (9, 0)
    assert [lossy.receive_nowait() for _ in range(3)] == [9, 10, 11]
    with pytest.raises(trio.WouldBlock):
        lossy.receive_nowait()
    bus.close()
    assert [m async for m in lossless] == list(range(12))


async def test_drop_oldest_is_the_default_with_1024_messages() -> None:
    bus = Bus()
    subscription = bus.subscribe(TICKS)
    assert subscription.overflow is Overflow.DROP_OLDEST
    for i in range(1030):
        bus.publish_nowait(TICKS, i)
    assert subscription.dropped == 6
    assert subscription.receive_nowait() == 6


async def test_block_makes_publish_wait_until_the_subscriber_reads() -> None:
    bus = Bus()
    slow = bus.subscribe(TICKS, buffer=2, overflow=Overflow.BLOCK)
    published: list[int] = []

    async def publish(message: int) -> None:
        await bus.publish(TICKS, message)
        published.append(message)

    async with trio.open_nursery() as nursery:
        await bus.publish(TICKS, 1)
        await bus.publish(TICKS, 2)
        nursery.start_soon(publish, 3)
        await trio.testing.wait_all_tasks_blocked()
        assert published == []  # the buffer is full: the publisher waits
        assert await slow.receive() == 1
        await trio.testing.wait_all_tasks_blocked()
        assert published == [3]
    assert [slow.receive_nowait() for _ in range(2)] == [2, 3]
    assert slow.dropped == 0


async def test_block_publisher_waits_for_the_slowest_subscriber() -> None:
    bus = Bus()
    fast = bus.subscribe(TICKS, buffer=1, overflow=Overflow.BLOCK)
    slow = bus.subscribe(TICKS, buffer=1, overflow=Overflow.BLOCK)
    done = trio.Event()

    async def publish_two() -> None:
        await bus.publish(TICKS, 1)
        await bus.publish(TICKS, 2)
        done.set()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(publish_two)
        await trio.testing.wait_all_tasks_blocked()
        assert fast.receive_nowait() == 1
        await trio.testing.wait_all_tasks_blocked()
        assert not done.is_set()
        assert slow.receive_nowait() == 1
        await trio.testing.wait_all_tasks_blocked()
        assert done.is_set()
    assert (fast.receive_nowait(), slow.receive_nowait()) == (2, 2)


async def test_block_paces_the_publisher_and_loses_nothing(autojump_clock: object) -> None:
    bus = Bus()
    subscription = bus.subscribe(TICKS, buffer=4, overflow=Overflow.BLOCK)
    received: list[int] = []

    async def slow_reader() -> None:
        async for message in subscription:
            received.append(message)
            await trio.sleep(1)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(slow_reader)
        start = trio.current_time()
        for i in range(100):
            await bus.publish(TICKS, i)
        # The reader takes 1 s per message; all but the last 4 + 1 were read before.
        assert trio.current_time() - start == pytest.approx(95)
        bus.close()
    assert received == list(range(100))


async def test_publish_nowait_raises_for_a_full_block_subscriber() -> None:
    bus = Bus()
    full = bus.subscribe(TICKS, buffer=1, overflow=Overflow.BLOCK)
    lossy = bus.subscribe(TICKS, buffer=1, overflow=Overflow.DROP_OLDEST)
    roomy = bus.subscribe(TICKS, buffer=10, overflow=Overflow.BLOCK)
    bus.publish_nowait(TICKS, 1)
    with pytest.raises(BusFullError, match=r"^a 'block' subscriber of 'ticks' is full$"):
        bus.publish_nowait(TICKS, 2)
    assert isinstance(BusFullError(), trio.WouldBlock)
    # Every subscriber with room still got it.
    assert full.receive_nowait() == 1
    with pytest.raises(trio.WouldBlock):
        full.receive_nowait()
    assert (lossy.receive_nowait(), lossy.dropped) == (2, 1)
    assert [roomy.receive_nowait(), roomy.receive_nowait()] == [1, 2]


async def test_close_ends_every_async_for_after_the_buffered_messages() -> None:
    bus = Bus()
    idle: list[int] = []
    busy_sub = bus.subscribe(TICKS, overflow=Overflow.BLOCK)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_collect, bus.subscribe(OTHER), idle)
        for i in range(5):
            await bus.publish(TICKS, i)
        await trio.testing.wait_all_tasks_blocked()
        assert not bus.closed
        bus.close()  # the waiting subscriber of OTHER ends, with nothing
        assert bus.closed
    assert idle == []
    assert [m async for m in busy_sub] == [0, 1, 2, 3, 4]
    with pytest.raises(trio.EndOfChannel):
        await busy_sub.receive()
    bus.close()  # closing twice is harmless
    assert bus.subscriber_count(TICKS) == 0


async def test_publishing_or_subscribing_after_close_raises() -> None:
    bus = Bus()
    bus.close()
    with pytest.raises(BusClosedError, match=r"^the bus is closed; cannot publish on 'ticks'$"):
        await bus.publish(TICKS, 1)
    with pytest.raises(BusClosedError, match=r"^the bus is closed; cannot publish on 'ticks'$"):
        bus.publish_nowait(TICKS, 1)
    with pytest.raises(BusClosedError, match=r"^the bus is closed; cannot subscribe to 'ticks'$"):
        bus.subscribe(TICKS)
    assert issubclass(BusClosedError, trio.ClosedResourceError)


async def test_closed_subscription_stops_receiving_and_is_removed() -> None:
    bus = Bus()
    staying = bus.subscribe(TICKS)
    leaving = bus.subscribe(TICKS)
    bus.publish_nowait(TICKS, 1)
    leaving.close()
    assert bus.subscriber_count(TICKS) == 1
    bus.publish_nowait(TICKS, 2)
    assert [m async for m in leaving] == []
    with pytest.raises(trio.ClosedResourceError):
        leaving.receive_nowait()
    leaving.close()  # closing twice is harmless
    staying.close()
    assert bus.subscriber_count(TICKS) == 0
    bus.publish_nowait(TICKS, 3)  # nobody left: fine


async def test_subscription_as_context_manager() -> None:
    bus = Bus()
    with bus.subscribe(TICKS) as subscription:
        bus.publish_nowait(TICKS, 1)
        assert subscription.receive_nowait() == 1
        assert bus.subscriber_count(TICKS) == 1
    assert bus.subscriber_count(TICKS) == 0


async def test_closing_a_subscription_ends_its_reader() -> None:
    bus = Bus()
    subscription = bus.subscribe(TICKS)
    received: list[int] = []
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_collect, subscription, received)
        bus.publish_nowait(TICKS, 1)
        await trio.testing.wait_all_tasks_blocked()
        subscription.close()
    assert received == [1]
    assert not bus.closed


@pytest.mark.parametrize("buffer", [0, -1])
async def test_buffer_below_one_is_refused(buffer: int) -> None:
    bus = Bus()
    with pytest.raises(
        ValueError, match=rf"^a subscription buffer must hold at least 1 message, got {buffer}$"
    ):
        bus.subscribe(TICKS, buffer=buffer)
    assert bus.subscriber_count(TICKS) == 0


@pytest.mark.parametrize("waiting_on", ["leaving", "other"])
async def test_a_subscriber_leaving_mid_publish_does_not_fail_the_publisher(
    waiting_on: str,
) -> None:
    bus = Bus()
    first = bus.subscribe(TICKS, buffer=1, overflow=Overflow.BLOCK)
    second = bus.subscribe(TICKS, buffer=1, overflow=Overflow.BLOCK)
    leaving, other = (first, second) if waiting_on == "leaving" else (second, first)
    bus.publish_nowait(TICKS, 1)
    published = trio.Event()

    async def publish() -> None:
        await bus.publish(TICKS, 2)
        published.set()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(publish)
        await trio.testing.wait_all_tasks_blocked()  # waiting for room in `first`
        leaving.close()
        await trio.testing.wait_all_tasks_blocked()
        assert not published.is_set()  # `other` is full as well
        # Room in `other`: "leaving": the publisher, which went on from the closed `first`
        # to `second`, delivers there; "other": it delivers to `first`, then skips the
        # closed `second`.
        assert other.receive_nowait() == 1
        await trio.testing.wait_all_tasks_blocked()
        assert published.is_set()
    assert bus.subscriber_count(TICKS) == 1
    assert other.receive_nowait() == 2
    assert other is not leaving


async def test_close_while_a_publisher_waits_raises_bus_closed() -> None:
    bus = Bus()
    bus.subscribe(TICKS, buffer=1, overflow=Overflow.BLOCK)
    bus.publish_nowait(TICKS, 1)
    errors: list[BaseException] = []

    async def publish() -> None:
        try:
            await bus.publish(TICKS, 2)
        except trio.ClosedResourceError as exc:
            errors.append(exc)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(publish)
        await trio.testing.wait_all_tasks_blocked()
        bus.close()
    assert [type(error) for error in errors] == [BusClosedError]


async def test_retained_messages_reach_later_subscribers_first() -> None:
    bus = Bus()
    early = bus.subscribe(TICKS)
    bus.publish_retained(TICKS, "a", 1)
    bus.publish_retained(TICKS, "b", 2)
    bus.publish_retained(TICKS, "a", 3)  # replaces a's message, keeps a's place
    bus.publish_nowait(TICKS, 4)  # not retained
    assert bus.retained(TICKS) == [3, 2]
    assert bus.retained(OTHER) == []
    late = bus.subscribe(TICKS)
    bus.publish_nowait(TICKS, 5)
    bus.close()
    assert [m async for m in early] == [1, 2, 3, 4, 5]
    assert [m async for m in late] == [3, 2, 5]
    assert bus.retained(TICKS) == []


# Batches -------------------------------------------------------------------------------------


async def test_receive_batch_takes_everything_buffered_in_order() -> None:
    bus = Bus()
    subscription = bus.subscribe(TICKS, buffer=10, overflow=Overflow.BLOCK)
    for i in range(7):
        bus.publish_nowait(TICKS, i)
    assert await subscription.receive_batch(max_items=3) == [0, 1, 2]
    assert await subscription.receive_batch() == [3, 4, 5, 6]
    with pytest.raises(trio.WouldBlock):
        subscription.receive_nowait()
    with pytest.raises(ValueError, match=r"^max_items must be at least 1, got 0$"):
        await subscription.receive_batch(max_items=0)


async def test_receive_batch_waits_for_at_least_one_message() -> None:
    bus = Bus()
    subscription = bus.subscribe(TICKS)
    batches: list[list[int]] = []

    async def read() -> None:
        batches.append(await subscription.receive_batch())

    async with trio.open_nursery() as nursery:
        nursery.start_soon(read)
        await trio.testing.wait_all_tasks_blocked()
        assert batches == []
        bus.publish_nowait(TICKS, 1)
        bus.publish_nowait(TICKS, 2)  # the reader has not run yet: same batch
    assert batches == [[1, 2]]


async def test_receive_batch_after_close() -> None:
    bus = Bus()
    ended = bus.subscribe(TICKS)
    closed = bus.subscribe(TICKS)
    bus.publish_nowait(TICKS, 1)
    closed.close()
    bus.close()
    assert await ended.receive_batch() == [1]
    with pytest.raises(trio.EndOfChannel):
        await ended.receive_batch()
    with pytest.raises(trio.ClosedResourceError):
        await closed.receive_batch()


async def test_batches_keep_the_publishing_order_whatever_the_mix_of_reads() -> None:
    bus = Bus()
    subscription = bus.subscribe(TICKS, buffer=8, overflow=Overflow.BLOCK)
    received: list[int] = []

    async def read() -> None:
        async for message in subscription:
            received.append(message)
            if message % 7 == 0:
                received.extend(await subscription.receive_batch(max_items=3))
            if message % 5 == 0:
                with contextlib.suppress(trio.WouldBlock):
                    received.append(subscription.receive_nowait())
            if message % 3 == 0:
                await trio.lowlevel.checkpoint()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(read)
        for i in range(500):
            if i % 4:
                await bus.publish(TICKS, i)
            else:
                with contextlib.suppress(BusFullError):
                    bus.publish_nowait(TICKS, i)
                    continue
                await bus.publish(TICKS, i)
        bus.close()
    assert received == list(range(500))


async def test_drop_oldest_counts_what_a_batching_reader_missed() -> None:
    bus = Bus()
    subscription = bus.subscribe(TICKS, buffer=4, overflow=Overflow.DROP_OLDEST)
    received: list[int] = []

    async def read() -> None:
        async for message in subscription:
            received.append(message)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(read)
        for burst in range(10):
            for i in range(burst * 10, burst * 10 + 10):
                bus.publish_nowait(TICKS, i)  # 10 at once into a buffer of 4
            await trio.testing.wait_all_tasks_blocked()
        bus.close()
    # Only what was buffered when the reader ran was delivered: the last 4 of each burst.
    assert received == [i for i in range(100) if i % 10 >= 6]
    assert subscription.dropped == 60
    assert len(received) + subscription.dropped == 100


async def test_drop_oldest_drops_what_async_for_has_not_handed_out_yet() -> None:
    bus = Bus()
    subscription = bus.subscribe(TICKS, buffer=3)
    for i in range(3):
        bus.publish_nowait(TICKS, i)
    received: list[int] = []
    async for message in subscription:
        received.append(message)
        if message == 0:
            # Buffered but not handed out yet: 1 and 2 still count against the buffer.
            for i in (3, 4, 5):
                bus.publish_nowait(TICKS, i)
            bus.close()
    assert received == [0, 3, 4, 5]
    assert subscription.dropped == 2


async def test_close_ends_async_for_after_draining_more_than_a_batch() -> None:
    bus = Bus()
    subscription = bus.subscribe(TICKS, buffer=3 * MAX_BATCH)
    for i in range(3 * MAX_BATCH):
        bus.publish_nowait(TICKS, i)
    bus.close()
    assert [m async for m in subscription] == list(range(3 * MAX_BATCH))
    assert subscription.dropped == 0


async def test_closing_the_subscription_mid_batch_ends_async_for_at_once() -> None:
    bus = Bus()
    subscription = bus.subscribe(TICKS)
    for i in range(10):
        bus.publish_nowait(TICKS, i)
    received: list[int] = []
    async for message in subscription:
        received.append(message)
        if message == 2:
            subscription.close()
    assert received == [0, 1, 2]


async def test_async_for_reaches_a_schedule_point_at_least_every_max_batch_messages() -> None:
    bus = Bus()
    subscription = bus.subscribe(TICKS, buffer=3 * MAX_BATCH)
    for i in range(3 * MAX_BATCH):
        bus.publish_nowait(TICKS, i)
    received: list[int] = []
    with trio.CancelScope() as scope:
        async for message in subscription:
            received.append(message)
            if message == 10:
                scope.cancel()  # noticed at the next schedule point of the loop
    # The first message came after a checkpoint; the batch it started runs to MAX_BATCH
    # messages without one, then the loop checkpoints and is cancelled, taking nothing.
    assert received == list(range(MAX_BATCH))
    assert subscription.receive_nowait() == MAX_BATCH


async def test_async_for_starts_with_a_checkpoint() -> None:
    bus = Bus()
    subscription = bus.subscribe(TICKS)
    bus.publish_nowait(TICKS, 1)
    received: list[int] = []
    with trio.CancelScope() as scope:
        scope.cancel()
        async for message in subscription:
            received.append(message)
    assert received == []
    assert subscription.receive_nowait() == 1  # a cancelled read takes nothing


# Cancellation --------------------------------------------------------------------------------


@pytest.mark.parametrize("read", ["receive", "receive_batch", "async-for"])
async def test_a_cancelled_read_takes_nothing(read: str, autojump_clock: object) -> None:
    bus = Bus()
    subscription = bus.subscribe(TICKS, overflow=Overflow.BLOCK)

    async def one() -> list[int]:
        if read == "receive":
            return [await subscription.receive()]
        if read == "receive_batch":
            return await subscription.receive_batch()
        return [await subscription.__anext__()]

    with trio.move_on_after(1) as scope:
        await one()  # nothing is published: it waits, then is cancelled
    assert scope.cancelled_caught
    bus.publish_nowait(TICKS, 1)
    with trio.CancelScope() as scope:
        scope.cancel()
        await one()  # something is buffered, but the cancelled read takes nothing
    assert scope.cancelled_caught
    bus.publish_nowait(TICKS, 2)
    assert await one() == ([1] if read != "receive_batch" else [1, 2])


async def test_a_cancelled_blocked_publish_delivers_nothing_to_the_full_subscriber(
    autojump_clock: object,
) -> None:
    bus = Bus()
    first = bus.subscribe(TICKS, buffer=10, overflow=Overflow.BLOCK)
    full = bus.subscribe(TICKS, buffer=1, overflow=Overflow.BLOCK)
    await bus.publish(TICKS, 1)
    with trio.move_on_after(1) as scope:
        await bus.publish(TICKS, 2)
    assert scope.cancelled_caught
    # Subscribers before the full one got it, the full one did not.
    assert [first.receive_nowait(), first.receive_nowait()] == [1, 2]
    assert full.receive_nowait() == 1
    with pytest.raises(trio.WouldBlock):
        full.receive_nowait()
    await bus.publish(TICKS, 3)  # the cancelled publisher left no trace
    assert (first.receive_nowait(), full.receive_nowait()) == (3, 3)


async def test_waiting_publishers_get_room_in_arrival_order(autojump_clock: object) -> None:
    bus = Bus()
    subscription = bus.subscribe(TICKS, buffer=1, overflow=Overflow.BLOCK)
    bus.publish_nowait(TICKS, 0)
    async with trio.open_nursery() as nursery:
        for i in range(1, 6):
            nursery.start_soon(bus.publish, TICKS, i)
            await trio.testing.wait_all_tasks_blocked()  # each queues up behind the others
        with trio.move_on_after(1):  # a newcomer that gives up leaves the queue intact
            await bus.publish(TICKS, 99)
        received = [subscription.receive_nowait()]
        while len(received) < 6:
            await trio.testing.wait_all_tasks_blocked()
            with contextlib.suppress(trio.WouldBlock):
                bus.publish_nowait(TICKS, -1)  # full: refused, does not overtake
            received.append(await subscription.receive())
    assert received == [0, 1, 2, 3, 4, 5]


async def test_a_subscriber_waiting_for_a_message_is_woken_by_publish() -> None:
    bus = Bus()
    subscription = bus.subscribe(TICKS)
    got: list[int] = []

    async def read() -> None:
        got.append(await subscription.receive())

    async with trio.open_nursery() as nursery:
        nursery.start_soon(read)
        await trio.testing.wait_all_tasks_blocked()
        await bus.publish(TICKS, 1)
        for _ in range(3):  # within a couple of scheduling rounds
            await trio.lowlevel.checkpoint()
        assert got == [1]
