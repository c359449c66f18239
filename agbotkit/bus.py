"""The in-process message bus: typed topics fanned out to bounded subscriptions.

Each subscription owns a trio memory channel with its own buffer and overflow policy:

* ``block``: a publisher waits for room (orders, fills: nothing may be lost);
* ``drop-oldest``: the oldest buffered message gives way and is counted in
  :attr:`Subscription.dropped` (metrics, ticks: fresh data matters more than old).

Closing the bus closes every subscription's channel, which ends each subscriber's
``async for`` once it has read what was already buffered.
"""

from __future__ import annotations

import contextlib
import enum
from typing import Any, Generic, TypeVar

import attrs
import trio

__all__ = ["Bus", "BusClosedError", "BusFullError", "Overflow", "Subscription", "Topic"]

T = TypeVar("T")


class Overflow(enum.StrEnum):
    """What happens when a subscription's buffer is full."""

    BLOCK = "block"
    DROP_OLDEST = "drop-oldest"


class BusClosedError(trio.ClosedResourceError):
    """Raised when publishing to or subscribing on a closed bus."""


class BusFullError(trio.WouldBlock):
    """Raised by :meth:`Bus.publish_nowait` when a ``block`` subscriber has no room."""


@attrs.frozen
class Topic(Generic[T]):
    """A named, typed channel of the bus.

    Attributes:
        name: the topic's name (topics are equal when their names are).
        doc: what flows on it, for ``agbotkit`` docs and the dashboard.
    """

    name: str
    doc: str = attrs.field(default="", eq=False)


class Subscription(Generic[T]):
    """One subscriber's view of a topic; iterate it with ``async for``.

    Attributes:
        topic: the topic subscribed to.
        overflow: the overflow policy.
        dropped: messages dropped because the buffer was full (``drop-oldest`` only).
    """

    def __init__(self, bus: Bus, topic: Topic[T], buffer: int, overflow: Overflow) -> None:
        if buffer < 1:
            raise ValueError(f"a subscription buffer must hold at least 1 message, got {buffer}")
        self.topic = topic
        self.overflow = overflow
        self.dropped = 0
        self._bus = bus
        self._send, self._receive = trio.open_memory_channel[T](buffer)

    def __aiter__(self) -> Subscription[T]:
        return self

    async def __anext__(self) -> T:
        try:
            return await self._receive.receive()
        except (trio.EndOfChannel, trio.ClosedResourceError):
            raise StopAsyncIteration from None

    async def receive(self) -> T:
        """The next message; raises ``trio.EndOfChannel`` when the bus closed."""
        return await self._receive.receive()

    def receive_nowait(self) -> T:
        """The next buffered message; raises ``trio.WouldBlock`` when there is none."""
        return self._receive.receive_nowait()

    def close(self) -> None:
        """Stop receiving; messages published afterwards no longer reach this subscriber."""
        self._bus._unsubscribe(self)
        self._send.close()
        self._receive.close()

    def __enter__(self) -> Subscription[T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _offer(self, message: T) -> bool:
        """Deliver without waiting; False when a ``block`` subscriber is full."""
        try:
            self._send.send_nowait(message)
        except trio.WouldBlock:
            if self.overflow is Overflow.BLOCK:
                return False
            self._receive.receive_nowait()  # make room: the oldest message goes
            self.dropped += 1
            self._send.send_nowait(message)
        except trio.BrokenResourceError:
            pass  # the subscriber closed its end; it is being unsubscribed
        return True

    async def _deliver(self, message: T) -> None:
        if not self._offer(message):
            with contextlib.suppress(trio.BrokenResourceError):  # the subscriber left
                await self._send.send(message)


class Bus:
    """Typed fan-out: every message published on a topic reaches all its subscriptions."""

    def __init__(self) -> None:
        # Keyed by topic name; tuples, replaced on change, so publishing iterates without
        # copying. Each subscription's type matches its topic's (subscribe() ties them).
        self._subscriptions: dict[str, tuple[Subscription[Any], ...]] = {}
        # topic name -> key -> the latest retained message (see publish_retained)
        self._retained: dict[str, dict[object, Any]] = {}
        self._closed = False

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def subscribe(
        self, topic: Topic[T], *, buffer: int = 1024, overflow: Overflow = Overflow.DROP_OLDEST
    ) -> Subscription[T]:
        """Subscribe to ``topic``; only messages published from now on are received."""
        if self._closed:
            raise BusClosedError(f"the bus is closed; cannot subscribe to {topic.name!r}")
        subscription = Subscription(self, topic, buffer, overflow)
        for message in self._retained.get(topic.name, {}).values():
            subscription._offer(message)
        self._subscriptions[topic.name] = (*self._subscriptions.get(topic.name, ()), subscription)
        return subscription

    def publish_retained(self, topic: Topic[T], key: object, message: T) -> None:
        """Publish, and keep ``message`` as the latest for ``key``: every later subscriber
        receives the retained messages of the topic first (state such as market metadata,
        which a component starting later still needs)."""
        self._retained.setdefault(topic.name, {})[key] = message
        self.publish_nowait(topic, message)

    def retained(self, topic: Topic[T]) -> list[T]:
        """The messages retained on ``topic``, oldest key first."""
        return list(self._retained.get(topic.name, {}).values())

    def subscriber_count(self, topic: Topic[T]) -> int:
        """How many subscriptions ``topic`` has now."""
        return len(self._subscriptions.get(topic.name, ()))

    def publish_nowait(self, topic: Topic[T], message: T) -> None:
        """Publish without waiting (from sync code, or for lossy topics).

        Raises:
            BusFullError: a ``block`` subscriber has no room; the message still reached
                every subscriber that had room (use :meth:`publish` for lossless topics).
            BusClosedError: the bus is closed.
        """
        if self._closed:
            raise BusClosedError(f"the bus is closed; cannot publish on {topic.name!r}")
        full = False
        for subscription in self._subscriptions.get(topic.name, ()):
            if not subscription._offer(message):
                full = True
        if full:
            raise BusFullError(f"a 'block' subscriber of {topic.name!r} is full")

    async def publish(self, topic: Topic[T], message: T) -> None:
        """Publish, waiting for room at every ``block`` subscriber (never drops for them)."""
        if self._closed:
            raise BusClosedError(f"the bus is closed; cannot publish on {topic.name!r}")
        for subscription in self._subscriptions.get(topic.name, ()):
            await subscription._deliver(message)
        await trio.lowlevel.checkpoint()

    def close(self) -> None:
        """Close the bus: every subscriber's ``async for`` ends after its buffered messages."""
        self._closed = True
        self._retained.clear()
        for subscriptions in self._subscriptions.values():
            for subscription in subscriptions:
                subscription._send.close()
        self._subscriptions.clear()

    def _unsubscribe(self, subscription: Subscription[T]) -> None:
        key = subscription.topic.name
        remaining = tuple(s for s in self._subscriptions.get(key, ()) if s is not subscription)
        if remaining:
            self._subscriptions[key] = remaining
        else:
            self._subscriptions.pop(key, None)
