"""Reconciliation: the venue's open orders against the order manager's.

At start and after a reconnect the execution component lists a venue's open orders and
hands them to :meth:`agbotkit.exec.oms.OrderManager.reconcile`, which does the comparison
here. Venue orders unknown here are adopted (tracked from now on) or listed to cancel;
our open orders the venue does not list are listed for the caller to look up.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from agbotkit.exec.index import OrderIndex
from agbotkit.exec.state import OrderState, Reconciliation
from agbotkit.exec.transitions import TERMINAL, never_accepted
from agbotkit.model.execution import OrderStatus, OrderStatusChanged
from agbotkit.model.members import ACCEPTED, CANCELED, PARTIALLY_FILLED, REJECTED
from agbotkit.model.orders import Order, OrderType
from agbotkit.model.venues import VenueOrder

__all__ = ["ADOPTED", "found_status", "missing_outcome", "reconcile"]

LOGGER = logging.getLogger(__name__)

_S = OrderStatus
#: The reason on an adopted order's first change.
ADOPTED = "adopted from the venue"
_NEVER_ARRIVED = "never reached the venue"
_RESTING = frozenset({ACCEPTED, PARTIALLY_FILLED})


def reconcile(
    index: OrderIndex,
    venue: str,
    open_on_venue: Sequence[VenueOrder],
    *,
    adopt: bool,
    now_ms: int,
    component: str,
) -> Reconciliation:
    """Compare ``open_on_venue`` with the open orders of ``venue`` in ``index``, adopting
    unknown ones into it when ``adopt`` (see :meth:`~agbotkit.exec.oms.OrderManager.reconcile`)."""
    seen: set[str] = set()
    adopted: list[OrderStatusChanged] = []
    to_cancel: list[VenueOrder] = []
    for listed in open_on_venue:
        state = index.find(venue, listed.venue_order_id, listed.client_order_id)
        if state is not None and state.status in TERMINAL:
            LOGGER.warning(
                "order %s is %s here but open on %s: to cancel",
                state.order.client_order_id,
                state.status,
                venue,
            )
            to_cancel.append(listed)
        elif state is not None:
            if state.status is not _S.NEW:
                index.set_venue_id(state, listed.venue_order_id)
            seen.add(state.order.client_order_id)
        elif listed.status in TERMINAL:
            continue  # not open after all: nothing rests to adopt or cancel
        elif adopt and (change := _adopt(index, venue, listed, now_ms, component)) is not None:
            adopted.append(change)
            seen.add(change.client_order_id)
        else:
            to_cancel.append(listed)
    missing = tuple(
        state.order.client_order_id
        for state in index.open_orders(venue, None)
        if state.status is not _S.SUBMITTING and state.order.client_order_id not in seen
    )
    matched = len(seen) - len(adopted)
    LOGGER.info(
        "reconciled with %s: %d matched, %d adopted, %d to cancel, %d missing on the venue",
        venue,
        matched,
        len(adopted),
        len(to_cancel),
        len(missing),
    )
    return Reconciliation(tuple(adopted), tuple(to_cancel), missing, matched)


def _adopt(
    index: OrderIndex, venue: str, listed: VenueOrder, now_ms: int, component: str
) -> OrderStatusChanged | None:
    client_order_id = listed.client_order_id or f"adopted-{listed.venue_order_id}"
    if index.get(client_order_id) is not None:
        LOGGER.error(
            "cannot adopt %s order %s: id %s is taken",
            venue,
            listed.venue_order_id,
            client_order_id,
        )
        return None
    try:
        order = Order(
            client_order_id=client_order_id,
            venue=venue,
            market_id=listed.market_id,
            token_id=listed.token_id,
            side=listed.side,
            price=listed.price,
            size=listed.size,
            order_type=listed.order_type,
            expires_at_ms=listed.expires_at_ms if listed.order_type is OrderType.GTD else None,
            created_ms=listed.created_ms,
        )
    except ValueError as exc:
        LOGGER.error("cannot adopt %s order %s: %s", venue, listed.venue_order_id, exc)
        return None
    partly = listed.status is _S.PARTIALLY_FILLED or listed.filled_size > 0
    state = OrderState(
        order=order,
        status=_S.PARTIALLY_FILLED if partly else _S.ACCEPTED,
        venue_order_id=listed.venue_order_id,
        reason=ADOPTED,
        updated_ms=now_ms,
    )
    index.add(state)
    return state.change(None, component)


def missing_outcome(state: OrderState, reason: str) -> tuple[OrderStatus, str]:
    """What an open order the venue does not know became, and why: ``REJECTED`` when
    nothing ever showed it on the venue, else ``CANCELED`` (it was there, and is gone)."""
    if never_accepted(state.status, state.status_before_cancel):
        return REJECTED, f"{_NEVER_ARRIVED}: {reason}" if reason else _NEVER_ARRIVED
    gone = "the venue no longer knows it"
    return CANCELED, f"{gone}: {reason}" if reason else gone


def found_status(found: VenueOrder, state: OrderState) -> OrderStatus:
    """The status a lookup's answer gives an order: the venue's when it rests or ended,
    else ``ACCEPTED`` (it has it); ``PARTIALLY_FILLED`` instead of ``ACCEPTED`` once
    either side counted fills (the venue's ``filled_size`` never changes ours)."""
    status = found.status
    if status not in _RESTING and status not in TERMINAL:
        status = ACCEPTED
    if status is ACCEPTED and (found.filled_size or state.filled_size):
        status = PARTIALLY_FILLED
    return status
