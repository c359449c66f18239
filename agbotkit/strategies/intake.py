"""Several bus subscriptions read by one consumer, in an order that respects causes.

The strategy's hooks run one at a time, from one task, so the subscriptions are merged:
a task per subscription hands its batches to the consumer through one bounded channel
(so a slow strategy makes lossless publishers wait, as a single subscription would).

Trio does not order tasks woken together, so two messages published one after the other
on two topics (a market's metadata, then its first trade) may come through the channel in
either order. Hence the consumer works in **rounds**: it takes everything the channel
holds, then goes through the feeds in a fixed order (the order given: what later messages
depend on first), and for each handles what was forwarded and what still waits in its
subscription (``receive_nowait``). A message published before another is then handled in
an earlier round, or earlier in the same round when its feed comes first, never later:
publishing puts a message in every subscription's buffer at once, so when the later one
is seen the earlier one is already either handled or waiting (see :mod:`agbotkit.risk.judge`
for the same argument).
"""

from __future__ import annotations

import collections
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import attrs
import trio

from agbotkit.bus.subscription import Subscription
from agbotkit.toolkit.tasks import take_waiting

__all__ = ["Feed", "Intake"]


@attrs.frozen
class Feed:
    """One input of the consumer.

    Attributes:
        handle: what is called with each message, synchronously.
        subscription: where its messages come from; ``None`` for a feed that only
            :meth:`Intake.sender` fills (a timer).
    """

    handle: Callable[[Any], None]
    subscription: Subscription[Any] | None = None


class Intake:
    """Merges ``feeds`` for one consumer (see the module).

    Args:
        feeds: the inputs, in the order each round handles them.
        buffer: batches that may wait in the channel before forwarders wait.
    """

    def __init__(self, feeds: Sequence[Feed], buffer: int) -> None:
        self.feeds = tuple(feeds)
        self._send, self._receive = trio.open_memory_channel[tuple[int, list[Any]]](buffer)
        self._pending = [collections.deque[Any]() for _ in self.feeds]

    def sender(self, feed: Feed) -> Callable[[Any], Awaitable[None]]:
        """A coroutine function that queues one message for ``feed`` (the timer's)."""
        index = self.feeds.index(feed)
        send = self._send.clone()

        async def put(message: Any) -> None:
            await send.send((index, [message]))

        return put

    async def forward(self, index: int, done: trio.CancelScope) -> None:
        """Forward feed ``index``'s subscription until the bus closes (then cancel
        ``done``: the stack is over)."""
        subscription = self.feeds[index].subscription
        assert subscription is not None
        while True:
            try:
                batch = await subscription.receive_batch()
            except (trio.EndOfChannel, trio.ClosedResourceError):
                done.cancel()
                return
            await self._send.send((index, batch))

    def catch_up(self) -> None:
        """Handle everything already waiting, without waiting (before the first hook)."""
        for feed in self.feeds:
            if feed.subscription is not None:
                for message in take_waiting(feed.subscription):
                    feed.handle(message)

    async def run(self, after_each: Callable[[], Awaitable[None]]) -> None:
        """Handle every message in rounds, awaiting ``after_each`` after each; forever."""
        pending, feeds = self._pending, self.feeds
        async for index, batch in self._receive:
            pending[index].extend(batch)
            for other, more in take_waiting(self._receive):
                pending[other].extend(more)
            for feed, queue in zip(feeds, pending, strict=True):
                if feed.subscription is not None:
                    queue.extend(take_waiting(feed.subscription))
                while queue:
                    feed.handle(queue.popleft())
                    await after_each()
