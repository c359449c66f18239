"""The strategy's timer: ``on_timer`` every ``interval_s``, through the same queue as
every other message, so the hook runs in order with the rest and never during another.

A strategy changes the interval from a hook (``context.set_timer``); after each hook the
component calls :meth:`Timer.follow`, which restarts the timer task only when the interval
changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import trio

__all__ = ["Timer"]


class Timer:
    """Sends ``(handle, [now_ms])`` into ``send`` every interval (see the module).

    Args:
        nursery: where the timer task runs.
        send: the consumer's queue.
        handle: what the consumer calls with the time (the dispatcher's ``timer``).
        now_ms: the clock.
    """

    def __init__(
        self,
        nursery: trio.Nursery,
        send: trio.MemorySendChannel[Any],
        handle: Callable[[int], None],
        now_ms: Callable[[], int],
    ) -> None:
        self._nursery = nursery
        self._send = send
        self._handle = handle
        self._now_ms = now_ms
        self.interval_s = 0.0
        self._scope: trio.CancelScope | None = None

    def follow(self, interval_s: float) -> None:
        """Run at ``interval_s`` from now on (0: stop); nothing changes when it is the same."""
        if interval_s == self.interval_s:
            return
        self.interval_s = interval_s
        if self._scope is not None:
            self._scope.cancel()
            self._scope = None
        if interval_s > 0:
            self._scope = trio.CancelScope()
            self._nursery.start_soon(self._tick, self._scope, interval_s)

    async def _tick(self, scope: trio.CancelScope, interval_s: float) -> None:
        with scope:
            # A deadline grid, not sleep-after-work: a slow consumer does not stretch it.
            deadline = trio.current_time()
            while True:
                deadline += interval_s
                await trio.sleep_until(deadline)
                await self._send.send((self._handle, [self._now_ms()]))
