"""The strategy's timer: ``on_timer`` every ``interval_s``, through the same intake as
every other message, so the hook runs in order with the rest and never during another.

A strategy changes the interval from a hook (``context.set_timer``); after each hook the
component calls :meth:`Timer.follow`, which restarts the timer task only when the interval
changed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import trio

__all__ = ["Timer"]


class Timer:
    """Queues the time for the consumer every interval (see the module).

    Args:
        nursery: where the timer task runs.
        put: queues one message for the consumer's timer feed.
        now_ms: the clock.
    """

    def __init__(
        self,
        nursery: trio.Nursery,
        put: Callable[[int], Awaitable[None]],
        now_ms: Callable[[], int],
    ) -> None:
        self._nursery = nursery
        self._put = put
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
                await self._put(self._now_ms())
