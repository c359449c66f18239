"""What keeps the execution component's picture true: start-up reconciliation, the lookup
of orders whose fate is unknown, and the last word at a stop.

* **Reconciliation** (start): each venue lists its open orders; ones this component does
  not know are adopted or cancelled (``unknown_open_orders``), and the difference logged.
* **Resolution** (every ``resolve_interval_s``): an ``UNKNOWN`` order is looked up by the
  venue id its adapter computed before sending, else by our id; the venue's answer
  settles it. "Not found" settles it as never sent only after ``unknown_grace_s`` (a slow
  request may still land). A cancel pending longer than ``cancel_timeout_s`` is looked up
  the same way.
* **Stop**: with ``cancel_on_stop``, every open order on every venue is cancelled; orders
  caught mid-submit become ``UNKNOWN``; then every order still open is published once more
  as its last known state, so storage holds it.
"""

from __future__ import annotations

import logging

import trio

from agbotkit.errors import VenueError
from agbotkit.exec.cancels import Cancels
from agbotkit.exec.gateway import Gateway
from agbotkit.exec.oms import OrderState
from agbotkit.exec.venue import RunningVenue
from agbotkit.model.execution import OrderStatus, OrderStatusChanged
from agbotkit.model.venues import VenueOrder, VenueOrderUpdate

__all__ = ["Upkeep"]

LOGGER = logging.getLogger(__name__)


class Upkeep:
    """Reconciliation, resolution and the stop, for one :class:`Gateway`."""

    def __init__(self, gateway: Gateway, cancels: Cancels) -> None:
        self.gateway = gateway
        self.cancels = cancels

    async def reconcile(self, venue: RunningVenue) -> None:
        """Compare ``venue``'s open orders with ours; adopt or cancel the strangers.

        Raises:
            VenueError: the venue could not list its orders in ``reconcile_timeout_s``.
        """
        gateway = self.gateway
        timeout = gateway.config.reconcile_timeout_s
        listed: list[VenueOrder] = []
        with trio.move_on_after(timeout) as scope:
            listed = await venue.adapter.open_orders()
        if scope.cancelled_caught:
            raise VenueError(venue.name, f"open orders not listed within {timeout:g} s")
        adopt = gateway.config.unknown_open_orders == "adopt" or venue.dry_run
        found = gateway.oms.reconcile(venue.name, listed, adopt=adopt)
        await gateway.publish(found.adopted)
        LOGGER.info(
            "venue %s: %d open orders; %d known, %d adopted, %d to cancel, %d of ours missing",
            venue.name,
            len(listed),
            found.matched,
            len(found.adopted),
            len(found.to_cancel),
            len(found.missing_on_venue),
        )
        if found.to_cancel:
            ids = [order.venue_order_id for order in found.to_cancel]
            LOGGER.warning("venue %s: cancelling %d orders not ours: %s", venue.name, len(ids), ids)
            with trio.move_on_after(gateway.config.cancel_timeout_s):
                await venue.adapter.cancel_many(ids)
        for client_id in found.missing_on_venue:
            state = gateway.oms.get(client_id)
            if state is not None:
                await self._look_up(venue, state, missing=True)

    async def resolve_once(self) -> None:
        """Look up every UNKNOWN order, and every cancel pending too long."""
        gateway = self.gateway
        now_ms = gateway.context.now_ms()
        stale_ms = gateway.config.cancel_timeout_s * 1000
        for venue in gateway.venues.values():
            for state in gateway.oms.open_orders(venue.name):
                if state.status is OrderStatus.UNKNOWN or (
                    state.status is OrderStatus.CANCEL_PENDING
                    and now_ms - state.updated_ms >= stale_ms
                ):
                    await self._look_up(venue, state)

    async def _look_up(
        self, venue: RunningVenue, state: OrderState, *, missing: bool = False
    ) -> None:
        gateway = self.gateway
        adapter = venue.adapter
        client_id = state.order.client_order_id
        found: VenueOrder | None = None
        with trio.move_on_after(gateway.config.cancel_timeout_s) as scope:
            try:
                if state.venue_order_id:
                    found = await adapter.get_order(state.venue_order_id)
                else:
                    found = await adapter.find_order(client_id)
            except VenueError as exc:
                LOGGER.warning("order %s: lookup failed (%s); asking again later", client_id, exc)
                return
        if scope.cancelled_caught:
            LOGGER.warning("order %s: lookup timed out; asking again later", client_id)
            return
        if state.status is OrderStatus.CANCEL_PENDING:
            if found is not None:
                update = VenueOrderUpdate(
                    venue_order_id=found.venue_order_id,
                    status=found.status,
                    client_order_id=client_id,
                    reason="looked up after a cancel without answer",
                    timestamp_ms=gateway.context.now_ms(),
                )
                await gateway.publish(gateway.oms.on_update(venue.name, update))
            return
        age_ms = gateway.context.now_ms() - state.updated_ms
        if found is None and not missing and age_ms < gateway.config.unknown_grace_s * 1000:
            return  # the request may still arrive: ask again later
        reason = (
            "looked up after an unknown outcome" if not missing else "missing at reconciliation"
        )
        changes = gateway.oms.resolved(client_id, found, reason)
        if changes:
            LOGGER.warning("order %s: resolved to %s (%s)", client_id, changes[-1].status, reason)
        await gateway.publish(changes)

    async def stop(self) -> None:
        """The component is stopping: cancel (if configured), then publish what is open."""
        gateway = self.gateway
        gateway.stopping = True
        if gateway.config.cancel_on_stop:
            await self.cancels.cancel_all(None, None, "stopping (cancel_on_stop)")
        oms = gateway.oms
        for state in oms.open_orders():
            if state.status is OrderStatus.SUBMITTING:
                client_id = state.order.client_order_id
                await gateway.publish(
                    oms.outcome_unknown(client_id, "stopped while submitting", state.venue_order_id)
                )
        last = [
            _last_word(state, gateway.context.now_ms(), gateway.oms.component)
            for state in oms.open_orders()
        ]
        await gateway.publish(last)
        if last:
            shown = [c.client_order_id for c in last[:10]]
            more = f" and {len(last) - 10} more" if len(last) > 10 else ""
            LOGGER.warning("stopping with %d orders open: %s%s", len(last), shown, more)


def _last_word(state: OrderState, now_ms: int, component: str) -> OrderStatusChanged:
    state.reason = "last known state at stop"
    state.updated_ms = now_ms
    return state.change(state.status, component)
