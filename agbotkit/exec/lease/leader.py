"""The execution component under a leader lease: it trades only while it holds the lease.

* **Standby** (the start, and after a loss): no venue runs, nothing is reconciled, sent or
  cancelled; an approved order is rejected at once ("standby: another process holds the
  leader lease NAME"), never queued: it would be stale by the time this process leads.
* **Taking over**: after an unclean predecessor, wait ``lease_s`` (it has fenced itself by
  then); start the venues, cancel everything if a kill switch is triggered, reconcile
  (adopting the open orders the previous leader placed, looking up the ones of ours in
  doubt), and only then take orders.
* **Loss**: the moment a check fails, or the lease runs out unrenewed (a deadline on the
  trading tasks' cancel scope, so even a process that was paused stops at its next
  checkpoint), new orders are refused and the trading tasks are cancelled (a request
  being sent is abandoned); orders caught mid-submit become
  ``UNKNOWN``, orders waiting for a submit worker are rejected; the venues stop. Nothing is
  cancelled on the venue: the orders now belong to the next leader. It tries for the lease
  again only after ``lease_s``, so that a standby goes first.
* **Stop**: the component's stop does what it always does (``cancel_on_stop``); then
  :meth:`Leader.release` lets go at once, for a standby to take over.

Metrics: ``exec.leader`` gauge [lease] (1 leading, 0 standby) and ``exec.leader_changes``
counter [lease, change: ``acquired``, ``lost``, ``released``].
"""

from __future__ import annotations

import collections
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import trio

from agbotkit.abc import ComponentContext
from agbotkit.exec.cancels import Cancels
from agbotkit.exec.gateway import Gateway
from agbotkit.exec.upkeep import Upkeep
from agbotkit.model.execution import OrderStatus
from agbotkit.model.metrics import MetricType

if TYPE_CHECKING:  # psycopg, under them, is optional: imported only with a lease
    from agbotkit.exec.lease.lease import LeaderLease
    from agbotkit.exec.lease.session import Taken

__all__ = ["METRIC_LEADER", "METRIC_LEADER_CHANGES", "Leader"]

METRIC_LEADER = "exec.leader"
METRIC_LEADER_CHANGES = "exec.leader_changes"


class Leader:
    """Runs one execution component's trading under ``lease``; see the module docstring.

    Args:
        lease: the lease.
        gateway: the component's gateway.
        cancels: its cancels.
        upkeep: its upkeep.
        context: its context.
        start_venues: starts every venue adapter in the given nursery (filling
            ``gateway.venues``).
        submit_workers: submit workers per venue.
    """

    def __init__(
        self,
        lease: LeaderLease,
        gateway: Gateway,
        cancels: Cancels,
        upkeep: Upkeep,
        context: ComponentContext,
        start_venues: Callable[[trio.Nursery], Awaitable[None]],
        submit_workers: int,
    ) -> None:
        self.lease = lease
        self.gateway = gateway
        self.cancels = cancels
        self.upkeep = upkeep
        self.context = context
        self.start_venues = start_venues
        self.submit_workers = submit_workers
        self.log = context.logger
        self.leading = False
        self.changes: collections.Counter[str] = collections.Counter()
        self.standby_reason = f"standby: another process holds the leader lease {lease.name}"

    async def run(self) -> None:
        """Wait for the lease, trade while it is held, fence at its loss; again, forever."""
        lease = self.lease
        while True:
            self.gateway.standby = self.standby_reason
            self.publish()
            taken, since = await lease.acquire()
            self.log.warning(
                "leader lease %s taken (term %d; %s)",
                lease.name,
                taken.term,
                _previous(taken, lease.config.lease_s),
            )
            reason = await self._lead(taken.clean, since)
            await self._after_loss(reason)
            # Let the standbys go first: a lease that keeps coming back here would flap.
            await trio.sleep(lease.config.lease_s)

    async def _lead(self, clean: bool, since: float) -> str:
        """Trade until the lease is lost; why it was."""
        reason = ""
        lease_s = self.lease.config.lease_s
        async with trio.open_nursery() as nursery:

            def renewed(sent: float) -> None:
                # The trading tasks are cancelled by trio itself at the lease's end, even
                # if this process was paused and the watch below has not run yet.
                nursery.cancel_scope.deadline = sent + lease_s
                self.gateway.lease_until = sent + lease_s

            async def watch() -> None:
                nonlocal reason
                reason = await self.lease.keep(since, renewed)
                # Fence first, before any other task runs: refuse, then stop sending.
                self.gateway.standby = self.standby_reason
                nursery.cancel_scope.cancel()

            renewed(since)
            nursery.start_soon(watch)
            if not clean:
                # The previous holder may not know yet that its session ended: it stops
                # within lease_s of its last good check, which was before we got the lock.
                await trio.sleep(lease_s)
            await self._take_over(nursery)
        self.gateway.standby = self.standby_reason
        return reason or f"no check of the lock succeeded within lease_s ({lease_s:g} s)"

    async def _take_over(self, nursery: trio.Nursery) -> None:
        gateway = self.gateway
        await self.start_venues(nursery)
        if gateway.kill_reasons:
            reasons = "; ".join(gateway.kill_reasons.values())
            await self.cancels.cancel_all(None, None, f"kill switch: {reasons}")
        for venue in gateway.venues.values():
            await self.upkeep.reconcile(venue)
        gateway.standby = ""
        self.leading = True
        self.changes["acquired"] += 1
        self.publish()
        self.log.warning("leader lease %s: reconciled; trading", self.lease.name)
        for venue in gateway.venues.values():
            for _ in range(self.submit_workers):
                nursery.start_soon(gateway.submit_worker, venue)

    async def _after_loss(self, reason: str) -> None:
        gateway, oms = self.gateway, self.gateway.oms
        if self.leading:
            self.changes["lost"] += 1
        self.leading = False
        self.log.error(
            "leader lease %s lost (%s): trading stopped; standby", self.lease.name, reason
        )
        self.publish()
        for state in oms.open_orders():
            if state.status is OrderStatus.SUBMITTING:
                await gateway.publish(
                    oms.outcome_unknown(
                        state.order.client_order_id,
                        "the leader lease was lost while submitting",
                        state.venue_order_id,
                    )
                )
        for venue in gateway.venues.values():
            await gateway.refuse_waiting(venue, "standby", self.standby_reason)
            with trio.move_on_after(gateway.config.cancel_timeout_s):
                await venue.adapter.aclose()
        gateway.venues.clear()
        await self.lease.drop()

    async def release(self) -> None:
        """The component stopped trading: let go of the lease cleanly, or close it."""
        if not self.leading:
            await self.lease.drop()
            return
        self.leading = False
        if await self.lease.release(self.lease.config.lease_s):
            self.changes["released"] += 1
            self.log.warning("leader lease %s released", self.lease.name)
        self.publish()

    def publish(self) -> None:
        """The lease's gauge and counters, now."""
        metric, name = self.context.metric, self.lease.name
        metric(METRIC_LEADER, 1.0 if self.leading else 0.0, labels={"lease": name})
        for change, count in self.changes.items():
            metric(
                METRIC_LEADER_CHANGES, count, MetricType.COUNTER, {"lease": name, "change": change}
            )


def _previous(taken: Taken, lease_s: float) -> str:
    if not taken.previous:
        return "the first holder"
    if taken.clean:
        return f"previous holder {taken.previous} released cleanly"
    return f"previous holder {taken.previous} not released: waiting {lease_s:g} s"
