"""One subscriber's view of a topic: a bounded buffer with its overflow policy, read in
batches (see :mod:`agbotkit.bus` for why batches)."""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import outcome
import trio
from trio.lowlevel import (
    Abort,
    Task,
    checkpoint,
    checkpoint_if_cancelled,
    current_task,
    reschedule,
    wait_task_rescheduled,
)

from agbotkit.bus.topic import Overflow, Topic
from agbotkit.errors import AgbotkitError

if TYPE_CHECKING:
    from agbotkit.bus.bus import Bus

__all__ = ["MAX_BATCH", "BusClosedError", "BusFullError", "Subscription"]

T = TypeVar("T")

#: Most messages ``async for`` hands out in a row without a schedule point, and the default
#: size limit of :meth:`Subscription.receive_batch`.
MAX_BATCH = 1024


# The bus's errors subclass trio's own (an `async for` over a closed channel, a full
# channel) so that trio idioms keep working, and AgbotkitError like every other error.
class BusClosedError(AgbotkitError, trio.ClosedResourceError):
    """Raised when publishing to or subscribing on a closed bus."""


class BusFullError(AgbotkitError, trio.WouldBlock):
    """Raised by :meth:`Bus.publish_nowait` when a ``block`` subscriber has no room."""


def _leave_when_aborted(
    waiters: collections.OrderedDict[Task, Any], task: Task
) -> Callable[[object], Abort]:
    """The abort function of ``task`` waiting in ``waiters`` (for a cancellation).

    Whoever wakes a waiting task pops it from ``waiters`` first, so a task still in there
    was not woken, and cancelling it is safe.
    """

    def abort(_: object) -> Abort:
        del waiters[task]
        return Abort.SUCCEEDED

    return abort


class Subscription(Generic[T]):
    """One subscriber's view of a topic; iterate it with ``async for``.

    ``async for`` and :meth:`receive_batch` read in batches: a subscriber is woken once for
    everything published since it last waited. :meth:`receive` and :meth:`receive_nowait`
    take one message at a time; all of them can be mixed and keep the publishing order.

    Attributes:
        topic: the topic subscribed to.
        overflow: the overflow policy.
        dropped: messages dropped because the buffer was full (``drop-oldest`` only).
    """

    def __init__(self, bus: Bus, topic: Topic[T], buffer: int, overflow: Overflow) -> None:
        if buffer < 1:
            raise ValueError(f"a subscription buffer must hold at least 1 message, got {buffer}")
        self.topic = topic
        self.overflow = Overflow(overflow)
        self.dropped = 0
        self._bus = bus
        self._capacity = buffer
        self._block = self.overflow is Overflow.BLOCK
        self._buffer: collections.deque[T] = collections.deque()
        # Tasks waiting in receive*/__anext__ for a message, oldest first.
        self._receivers: collections.OrderedDict[Task, None] = collections.OrderedDict()
        # Publishers waiting for room (``block`` only), oldest first, with their message.
        # Invariant: publishers wait only while the buffer is full.
        self._senders: collections.OrderedDict[Task, T] = collections.OrderedDict()
        self._accepting = True  # False once closed by the subscriber or by the bus
        self._closed = False  # closed by the subscriber: nothing more to read
        self._ended = False  # the bus closed: the buffer is read, then the stream ends
        # Messages __anext__ handed out since the last schedule point of a receive; starts
        # full, so that the first one is a checkpoint as trio's conventions expect.
        self._streak = MAX_BATCH

    def __aiter__(self) -> Subscription[T]:
        return self

    async def __anext__(self) -> T:
        buffer = self._buffer
        # What is already buffered is handed out without a trip through the scheduler (the
        # batch fast path), but a schedule point comes at least every MAX_BATCH messages.
        if not buffer or self._streak >= MAX_BATCH:
            try:
                await self._wait()
            except (trio.EndOfChannel, trio.ClosedResourceError):
                raise StopAsyncIteration from None
        self._streak += 1
        message = buffer.popleft()
        if self._senders:
            self._admit_senders()
        return message

    async def receive(self) -> T:
        """The next message; raises ``trio.EndOfChannel`` when the bus closed.

        Raises:
            trio.EndOfChannel: the bus closed and every buffered message was read.
            trio.ClosedResourceError: this subscription was closed.
        """
        await self._wait()
        message = self._buffer.popleft()
        if self._senders:
            self._admit_senders()
        return message

    async def receive_batch(self, max_items: int = MAX_BATCH) -> list[T]:
        """Wait for at least one message, then take every buffered one (up to ``max_items``).

        One schedule point per call, however many messages it returns: the cheap way to
        read a busy topic.

        Raises:
            ValueError: ``max_items`` is below 1.
            trio.EndOfChannel: the bus closed and every buffered message was read.
            trio.ClosedResourceError: this subscription was closed.
        """
        if max_items < 1:
            raise ValueError(f"max_items must be at least 1, got {max_items}")
        await self._wait()
        buffer = self._buffer
        if len(buffer) <= max_items:
            batch = list(buffer)
            buffer.clear()
        else:
            batch = [buffer.popleft() for _ in range(max_items)]
        if self._senders:
            self._admit_senders()
        return batch

    def receive_nowait(self) -> T:
        """The next buffered message; raises ``trio.WouldBlock`` when there is none.

        Raises:
            trio.WouldBlock: nothing is buffered.
            trio.EndOfChannel: the bus closed and every buffered message was read.
            trio.ClosedResourceError: this subscription was closed.
        """
        if self._closed:
            raise trio.ClosedResourceError("this subscription is closed")
        if not self._buffer:
            if self._ended:
                raise trio.EndOfChannel
            raise trio.WouldBlock
        message = self._buffer.popleft()
        if self._senders:
            self._admit_senders()
        return message

    def close(self) -> None:
        """Stop receiving; messages published afterwards no longer reach this subscriber.

        What was buffered is discarded; a publisher waiting for room here goes on.
        """
        self._bus._unsubscribe(self)
        if self._closed:
            return
        self._closed = True
        self._accepting = False
        self._buffer.clear()
        self._release_senders()
        self._wake_all_receivers()

    def __enter__(self) -> Subscription[T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def _wait(self) -> None:
        """Return once a message is buffered, after one schedule point (Cancelled at it
        takes nothing)."""
        self._streak = MAX_BATCH  # until a message is ready, the next __anext__ waits too
        if self._buffer:
            await checkpoint()
            if self._buffer:
                self._streak = 0
                return
        while True:
            if self._closed:
                await checkpoint_if_cancelled()
                raise trio.ClosedResourceError("this subscription is closed")
            if self._buffer:
                self._streak = 0
                return
            if self._ended:
                await checkpoint_if_cancelled()
                raise trio.EndOfChannel
            # Woken by a publisher (or by close); look again, as another reader of this
            # subscription may have been first.
            task = current_task()
            self._receivers[task] = None
            await wait_task_rescheduled(_leave_when_aborted(self._receivers, task))

    def _offer(self, message: T) -> bool:
        """Deliver without waiting; False when a ``block`` subscriber is full."""
        if not self._put(message):
            return False
        if self._receivers:
            self._wake_receiver()
        return True

    def _put(self, message: T) -> bool:
        """Buffer ``message`` without waking a reader; False when a ``block`` one is full."""
        if not self._accepting:
            return True  # closed: the message goes nowhere, nobody waits for it
        buffer = self._buffer
        if len(buffer) >= self._capacity:
            if self._block:
                return False
            buffer.popleft()  # make room: the oldest message goes
            self.dropped += 1
        buffer.append(message)
        return True

    def _wake_receiver(self) -> None:
        """Wake the longest waiting reader (it takes what is buffered when it runs)."""
        if self._receivers:
            reschedule(self._receivers.popitem(last=False)[0])

    async def _wait_for_room(self, message: T) -> None:
        """Wait until ``message`` is in this full ``block`` subscriber's buffer (or it left).

        Queued up: a reader making room moves the message in and wakes this task, in
        arrival order, so a newcomer never overtakes a waiting publisher.
        """
        task = current_task()
        self._senders[task] = message  # cancelled while waiting: the message does not go in
        await wait_task_rescheduled(_leave_when_aborted(self._senders, task))

    def _admit_senders(self) -> None:
        """Move the messages of waiting publishers into the room just made, oldest first."""
        buffer, senders = self._buffer, self._senders
        while senders and len(buffer) < self._capacity:
            task, message = senders.popitem(last=False)
            buffer.append(message)
            reschedule(task)
        if buffer:
            self._wake_receiver()

    def _release_senders(self) -> None:
        """Let waiting publishers go on without delivering here (the subscriber left)."""
        while self._senders:
            reschedule(self._senders.popitem(last=False)[0])

    def _wake_all_receivers(self) -> None:
        while self._receivers:
            reschedule(self._receivers.popitem(last=False)[0])

    def _end(self) -> None:
        """The bus closed: no more messages; readers finish the buffer, then stop."""
        self._accepting = False
        self._ended = True
        while self._senders:
            task, _ = self._senders.popitem(last=False)
            error = BusClosedError(f"the bus is closed; cannot publish on {self.topic.name!r}")
            reschedule(task, outcome.Error(error))
        self._wake_all_receivers()
