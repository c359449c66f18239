"""The bus itself: typed fan-out of every published message to all subscriptions of its
topic, with retained messages for late subscribers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from trio.lowlevel import checkpoint

from agbotkit.bus.subscription import BusClosedError, BusFullError, Subscription
from agbotkit.bus.topic import Overflow, Topic

__all__ = ["Bus"]

T = TypeVar("T")


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
        """Publish, waiting for room at every ``block`` subscriber (never drops for them).

        A subscriber that closes while the publisher waits for it is skipped.

        Raises:
            BusClosedError: the bus is closed, or closed while waiting for room (the
                subscribers before the one waited for did get the message).
        """
        await self.publish_many(topic, (message,))

    async def publish_many(self, topic: Topic[T], messages: Iterable[T]) -> None:
        """:meth:`publish` each of ``messages`` in order, with one scheduling checkpoint for
        them all (not one each): what a burst of related messages costs once.

        Raises:
            BusClosedError: as :meth:`publish`.
        """
        await self.publish_together(((topic, messages),))

    async def publish_together(self, batches: Iterable[tuple[Topic[Any], Iterable[Any]]]) -> None:
        """:meth:`publish_many` for several topics, topic after topic, with one scheduling
        checkpoint for all (an order's new state and the venue's answer, say).

        Raises:
            BusClosedError: as :meth:`publish`.
        """
        if self._closed:
            batches = list(batches)
            names = ", ".join(repr(topic.name) for topic, _ in batches)
            raise BusClosedError(f"the bus is closed; cannot publish on {names}")
        # Readers waiting for a message are woken when this task comes back from its
        # checkpoint, one scheduling round later than they could be: meanwhile this task
        # (or another) can publish more, and each reader then takes a bigger batch per
        # wake-up. That is the bus's throughput under ``await publish`` in a loop.
        waiting: list[Subscription[Any]] | None = None
        try:
            for topic, messages in batches:
                for message in messages:
                    for subscription in self._subscriptions.get(topic.name, ()):
                        if not subscription._put(message):
                            if waiting:  # wake them now, not after this task's own wait
                                for reader in waiting:
                                    reader._wake_receiver()
                                waiting = None
                            await subscription._wait_for_room(message)
                            if self._closed:
                                raise BusClosedError(
                                    f"the bus is closed; cannot publish on {topic.name!r}"
                                )
                        elif subscription._receivers:
                            if waiting is None:
                                waiting = [subscription]
                            elif subscription not in waiting:
                                waiting.append(subscription)
            await checkpoint()
        finally:
            if waiting:
                for reader in waiting:
                    reader._wake_receiver()

    def close(self) -> None:
        """Close the bus: every subscriber's ``async for`` ends after its buffered messages.

        A publisher waiting for room gets :class:`BusClosedError`.
        """
        self._closed = True
        self._retained.clear()
        for subscriptions in self._subscriptions.values():
            for subscription in subscriptions:
                subscription._end()
        self._subscriptions.clear()

    def _unsubscribe(self, subscription: Subscription[T]) -> None:
        key = subscription.topic.name
        remaining = tuple(s for s in self._subscriptions.get(key, ()) if s is not subscription)
        if remaining:
            self._subscriptions[key] = remaining
        else:
            self._subscriptions.pop(key, None)
