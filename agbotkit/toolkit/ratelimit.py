"""Rate limits a process shares: per-endpoint budgets over sliding windows.

A venue publishes budgets such as "``POST /order``: 3,500 per 10 s and 36,000 per 10 min".
A :class:`RateLimiter` holds one endpoint's windows; :meth:`RateLimiter.acquire` waits, in
arrival order, until every window has room, and refuses (:class:`RateLimitedError`) only a
call that would wait longer than ``max_wait_s`` in all (queued behind earlier calls, then
for room). A 429 from the venue closes the budget for its ``Retry-After``, for callers
already waiting too (:meth:`RateLimiter.back_off`). :class:`RateLimits` hands every
component of a process the same limiter for the same key, so two components trading one
account share one budget (:attr:`agbotkit.abc.ComponentContext.rate_limits`).
"""

from __future__ import annotations

import collections
import logging
import math
from collections.abc import Sequence

import attrs
import trio

from agbotkit.errors import RateLimitedError

__all__ = ["RateLimiter", "RateLimits", "Window"]

LOGGER = logging.getLogger(__name__)


@attrs.frozen
class Window:
    """At most ``max_calls`` calls in any ``period_s`` seconds (a sliding window)."""

    max_calls: int = attrs.field(validator=attrs.validators.ge(1))
    period_s: float = attrs.field(validator=attrs.validators.gt(0))


class RateLimiter:
    """One endpoint's budget; see the module docstring.

    Args:
        venue: the venue's name (for errors).
        endpoint: the budget's name (``POST /order``).
        windows: every window the calls must fit.
        max_wait_s: the longest a call may wait, queued and for room, before it is
            refused.

    Attributes:
        waits: calls that had to wait for room.
        waited_s: the time they waited, in total.
        refused: calls refused because the wait would have been too long.
    """

    def __init__(
        self, venue: str, endpoint: str, windows: Sequence[Window], *, max_wait_s: float
    ) -> None:
        if not windows:
            raise ValueError("a rate limiter needs at least one window")
        self.venue = venue
        self.endpoint = endpoint
        self.windows = tuple(windows)
        self.max_wait_s = max_wait_s
        self.waits = 0
        self.waited_s = 0.0
        self.refused = 0
        # One deque of call times per window; never longer than the window's max_calls.
        self._calls = [collections.deque[float]() for _ in self.windows]
        self._closed_until = -math.inf
        self._queue = trio.Lock()  # trio's Lock is fair: callers get room in arrival order

    def delay(self, cost: int = 1) -> float:
        """How long a call of ``cost`` would wait now, ignoring the queue (0: none)."""
        now = trio.current_time()
        return max(0.0, self._ready_at(cost, now) - now)

    def _ready_at(self, cost: int, now: float) -> float:
        """The earliest time from ``now`` at which ``cost`` more calls fit every window."""
        ready = max(now, self._closed_until)
        for window, calls in zip(self.windows, self._calls, strict=True):
            if cost > window.max_calls:
                return math.inf
            # Room appears when the call that leaves room for ``cost`` more ages out.
            excess = len(calls) + cost - window.max_calls
            if excess > 0:
                ready = max(ready, calls[excess - 1] + window.period_s)
        return ready

    async def acquire(self, cost: int = 1) -> float:
        """Wait for room for ``cost`` calls, take it, and return how long that took.

        The wait counts from the call: time spent queued behind earlier callers counts
        towards ``max_wait_s`` too.

        Raises:
            RateLimitedError: the wait would exceed ``max_wait_s`` (nothing is taken).
            ValueError: ``cost`` is less than 1.
        """
        if cost < 1:
            raise ValueError(f"a call costs at least 1, not {cost}")
        arrival = trio.current_time()
        if not self._queue.locked() and self._ready_at(cost, arrival) <= arrival:
            self._take(cost, arrival)  # room now and nobody queued: no scheduling round
            return 0.0
        give_up = arrival + self.max_wait_s
        # Queue first (trio's Lock is fair: callers get room in arrival order), but no
        # longer than the call may wait in all.
        try:
            self._queue.acquire_nowait()
        except trio.WouldBlock:
            with trio.move_on_at(give_up) as queued:
                await self._queue.acquire()
            if queued.cancelled_caught:
                raise self._refuse(max(self.delay(cost), self.max_wait_s)) from None
        else:
            await trio.lowlevel.cancel_shielded_checkpoint()
        try:
            stamp = await self._wait_for_room(cost, give_up)
        finally:
            self._queue.release()
        waited = stamp - arrival
        if waited > 0:
            self.waits += 1
            self.waited_s += waited
        return waited

    async def _wait_for_room(self, cost: int, give_up: float) -> float:
        """Sleep until ``cost`` calls fit, take them and return when (queue held)."""
        while True:
            now = trio.current_time()
            ready = self._ready_at(cost, now)
            if ready > give_up:
                raise self._refuse(ready - now)
            if ready > now:
                await trio.sleep_until(ready)
                # A 429 while we slept closes the budget again: look once more. Judged at
                # ``ready`` itself, so a clock that wakes a rounding error early cannot
                # let a call in before its room.
                if self._ready_at(cost, ready) > ready:
                    continue
                now = max(trio.current_time(), ready)
            self._take(cost, now)
            return now

    def _refuse(self, wait: float) -> RateLimitedError:
        self.refused += 1
        return RateLimitedError(self.venue, self.endpoint, wait)

    def _take(self, cost: int, now: float) -> None:
        """Record ``cost`` calls made at ``now``, forgetting those out of every window."""
        for window, calls in zip(self.windows, self._calls, strict=True):
            while calls and calls[0] + window.period_s <= now:
                calls.popleft()
            calls.extend([now] * cost)

    def back_off(self, retry_after_s: float) -> None:
        """The venue said 429: take no call for ``retry_after_s`` seconds from now."""
        self._closed_until = max(self._closed_until, trio.current_time() + retry_after_s)


class RateLimits:
    """The process's limiters, by key: everyone asking for one key shares one budget."""

    def __init__(self) -> None:
        self._limiters: dict[tuple[str, str], RateLimiter] = {}

    def limiter(
        self, venue: str, endpoint: str, windows: Sequence[Window], *, max_wait_s: float = 10.0
    ) -> RateLimiter:
        """The limiter of ``endpoint`` at ``venue``, made with ``windows`` on first use.

        ``venue`` should name the account, not only the venue kind, when two accounts
        have separate budgets (``polymarket:0xabc``).
        """
        key = (venue, endpoint)
        found = self._limiters.get(key)
        if found is None:
            found = self._limiters[key] = RateLimiter(
                venue, endpoint, windows, max_wait_s=max_wait_s
            )
        elif found.windows != tuple(windows):
            # One budget per key: the first caller's windows stay, but say so.
            LOGGER.warning(
                "rate limit %s %s: asked for %s, sharing the budget made first with %s",
                venue,
                endpoint,
                list(windows),
                list(found.windows),
            )
        return found

    def all(self) -> list[RateLimiter]:
        """Every limiter made so far."""
        return list(self._limiters.values())
