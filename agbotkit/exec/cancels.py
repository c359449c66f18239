"""Cancels: one order, every order (of a venue, of a market), and the kill switch's.

A cancel first moves the order to ``CANCEL_PENDING`` (published), then asks the venue;
the venue's answer moves it to ``CANCELED`` or back. A cancel that times out leaves the
order pending: :mod:`agbotkit.exec.upkeep` looks it up later. Cancels take their own
rate budget and never wait behind queued submits, so the kill switch works while orders
pile up. A cancel-all asks the venue to cancel everything (not order by order): orders
this component never knew are cancelled too.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import trio

from agbotkit.errors import VenueError
from agbotkit.exec.gateway import Gateway
from agbotkit.exec.venue import RunningVenue
from agbotkit.model.execution import CancelAll, CancelOrder, CancelRequest, OrderStatus
from agbotkit.model.risk import KillSwitchChanged
from agbotkit.model.venues import CancelResult

__all__ = ["Cancels"]

LOGGER = logging.getLogger(__name__)


class Cancels:
    """Carries out cancel requests and the kill switch for a :class:`Gateway`."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    async def on_request(self, request: CancelRequest) -> None:
        """A ``CANCEL_REQUESTS`` message."""
        if isinstance(request, CancelAll):
            await self.cancel_all(request.venue, request.market_id, request.reason or "cancel all")
        else:
            await self.cancel_order(request)

    async def cancel_order(self, request: CancelOrder) -> None:
        """Cancel one order by our id (else the venue's)."""
        gateway, oms = self.gateway, self.gateway.oms
        if gateway.standby:  # the orders are the leader's to cancel
            LOGGER.warning("cancel of %s ignored: %s", request.client_order_id, gateway.standby)
            return
        state = oms.get(request.client_order_id) if request.client_order_id else None
        if state is None and request.venue_order_id:
            for name in gateway.venues:
                state = oms.by_venue_id(name, request.venue_order_id)
                if state is not None:
                    break
        if state is None:
            LOGGER.warning(
                "cancel of an unknown order refused (client id %r, venue id %r)",
                request.client_order_id,
                request.venue_order_id,
            )
            return
        reason = request.reason or f"cancel requested by {request.source or 'someone'}"
        client_id = state.order.client_order_id
        if state.status is OrderStatus.SUBMITTING:
            gateway.cancel_after_ack[client_id] = reason  # sent once the venue answered
            return
        changes = oms.cancel_requested(client_id, reason)
        await gateway.publish(changes)
        venue = gateway.venues.get(state.order.venue)
        if venue is None or not changes or state.status is not OrderStatus.CANCEL_PENDING:
            return  # finished already, or never sent
        if not state.venue_order_id:
            LOGGER.warning("order %s: no venue id yet; cancel waits for its lookup", client_id)
            return
        result = await self._ask(venue, venue.adapter.cancel, state.venue_order_id)
        if result is not None:
            await self._apply(venue, result)

    async def cancel_all(self, venue_name: str | None, market_id: str | None, reason: str) -> None:
        """Cancel every open order on every venue (or one), every market (or one), at once."""
        gateway = self.gateway
        chosen = [v for n, v in gateway.venues.items() if venue_name in (None, n)]
        if venue_name is not None and not chosen:
            LOGGER.warning("cancel-all for unknown venue %r ignored", venue_name)
        async with trio.open_nursery() as nursery:
            for venue in chosen:
                nursery.start_soon(self._cancel_venue, venue, market_id, reason)

    async def _cancel_venue(self, venue: RunningVenue, market_id: str | None, reason: str) -> None:
        gateway, oms = self.gateway, self.gateway.oms
        changes = []
        for state in oms.open_orders(venue.name, market_id):
            if state.status is OrderStatus.SUBMITTING:
                gateway.cancel_after_ack[state.order.client_order_id] = reason
            else:
                changes.extend(oms.cancel_requested(state.order.client_order_id, reason))
        await gateway.publish(changes)
        if venue.dry_run:
            return  # nothing was ever sent to it
        result = await self._ask(venue, venue.adapter.cancel_all, market_id)
        if result is not None:
            LOGGER.info(
                "venue %s: cancel-all%s: %d cancelled, %d not (%s)",
                venue.name,
                f" of market {market_id}" if market_id else "",
                len(result.canceled),
                len(result.not_canceled),
                reason,
            )
            await self._apply(venue, result)

    async def after_ack(self, client_order_id: str) -> None:
        """Send a cancel that was asked for while the order was being submitted."""
        reason = self.gateway.cancel_after_ack.pop(client_order_id, None)
        if reason is not None:
            await self.cancel_order(CancelOrder(client_order_id=client_order_id, reason=reason))

    async def on_kill_switch(self, change: KillSwitchChanged) -> None:
        """A risk component's kill switch changed: refuse orders while any is triggered,
        and cancel everything everywhere when one triggers."""
        kill = self.gateway.kill_reasons
        key = change.component or "risk"
        was_triggered = key in kill
        if not change.active:
            if kill.pop(key, None) is not None:
                LOGGER.warning("kill switch of %s reset: orders may be sent again", key)
            return
        kill[key] = change.reason or "triggered"
        if not was_triggered:
            LOGGER.critical(
                "kill switch of %s: %s; cancelling every open order", key, change.reason
            )
            await self.cancel_all(None, None, f"kill switch: {change.reason}")

    async def _ask(
        self, venue: RunningVenue, call: Callable[[Any], Awaitable[CancelResult]], argument: Any
    ) -> CancelResult | None:
        """One cancel request, bounded; ``None`` when it failed or timed out."""
        timeout = self.gateway.config.cancel_timeout_s
        with trio.move_on_after(timeout):
            try:
                await venue.cancel_limiter.acquire()
                return await call(argument)
            except VenueError as exc:
                LOGGER.error("venue %s: cancel failed: %s", venue.name, exc.reason)
                return None
        LOGGER.error("venue %s: no answer to a cancel within %g s", venue.name, timeout)
        return None

    async def _apply(self, venue: RunningVenue, result: CancelResult) -> None:
        changes = self.gateway.oms.cancel_result(venue.name, result)
        self.gateway.metrics.canceled(venue.name, len(result.canceled))
        await self.gateway.publish(changes)
