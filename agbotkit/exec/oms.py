"""The order management system: every order's life, as a sans-IO state machine.

Pure: no trio, no I/O, no clock of its own (``now_ms`` is given). The ``execution``
component calls the command methods when it acts and feeds the venue's answers and events
in; every method returns the :class:`~agbotkit.model.execution.OrderStatusChanged` events to
publish, in order.

Every status change is checked against the table in :mod:`agbotkit.exec.transitions`. What the
table refuses (a stale or contradictory report) is logged, counted in
:attr:`OrderManager.counters` and ignored: nothing a venue says raises. Exceptions are for
the caller's mistakes only (adding a taken id, sending an order twice). Reports that arrive
late are not mistakes: the venue saying ``ACCEPTED`` about an order whose fills came first
only records the venue's id, and a fill is always counted, whatever the order's status (a
late fill that completes a cancelled order makes it ``FILLED``).

Fills are deduplicated by ``(venue, trade id, order id)``: one trade may fill several of
our orders, and a venue re-sends a trade at each step of its settlement. Every lookup is a
dict lookup (:mod:`agbotkit.exec.index`), so an update costs the same with 100,000 live
orders as with one, and a cancel-all is linear in the orders it cancels.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from agbotkit.exec.fills import FillLedger, published
from agbotkit.exec.index import OrderIndex
from agbotkit.exec.reconcile import found_status, missing_outcome, reconcile
from agbotkit.exec.state import (
    FillResult,
    FillVerdict,
    OmsCounters,
    OrderState,
    Reconciliation,
)
from agbotkit.exec.transitions import TERMINAL, allowed, progress
from agbotkit.model.execution import OrderStatus, OrderStatusChanged
from agbotkit.model.members import (
    ACCEPTED,
    CANCEL_PENDING,
    CANCELED,
    FAILED,
    NEW,
    PARTIALLY_FILLED,
    REJECTED,
    SUBMITTING,
    UNKNOWN,
)
from agbotkit.model.orders import Fill, Order
from agbotkit.model.venues import CancelResult, OrderAck, VenueOrder, VenueOrderUpdate

__all__ = [
    "FillResult",
    "FillVerdict",
    "OmsCounters",
    "OrderManager",
    "OrderState",
    "Reconciliation",
]

LOGGER = logging.getLogger(__name__)

# The statuses a venue reports for an order that rests (as opposed to one that ended).
_RESTING = frozenset({ACCEPTED, PARTIALLY_FILLED})
_CANCELABLE = frozenset({ACCEPTED, PARTIALLY_FILLED, UNKNOWN})
_CANCELED_FROM = frozenset(status for status in OrderStatus if allowed(status, CANCELED))
_DUPLICATE = FillResult(FillVerdict.DUPLICATE, None)


class OrderManager:
    """Every order of one execution component; see the module docstring.

    Args:
        component: the component's name, put on every event.
        now_ms: the clock for events' ``timestamp_ms``.
    """

    def __init__(self, *, component: str = "", now_ms: Callable[[], int] = lambda: 0) -> None:
        self.component = component
        self.now_ms = now_ms
        #: The statuses whose changes are built and returned (``None``, the default: all).
        #: A caller that publishes only some (a backtest whose strategy hears only
        #: cancels, or none) gets :data:`~agbotkit.exec.state.UNPUBLISHED` for every other
        #: change instead of an event built for nobody. Orders are tracked the same.
        self.publish: frozenset[OrderStatus] | None = None
        self.counters = OmsCounters()
        self._index = OrderIndex()
        self._fills = FillLedger(self.counters)

    # -- commands: what the execution component does -----------------------------------

    def add(self, order: Order) -> OrderStatusChanged:
        """Track a new order (``NEW``). Raises ValueError if its client order id is taken."""
        if self._index.get(order.client_order_id) is not None:
            raise ValueError(f"client order id {order.client_order_id!r} is taken")
        state = OrderState(order=order, status=NEW, updated_ms=self.now_ms())
        self._index.add(state)
        return state.change_for(self.publish, None, self.component)

    def submitting(self, client_order_id: str, venue_order_id: str = "") -> OrderStatusChanged:
        """``NEW -> SUBMITTING``, just before sending; ``venue_order_id`` when the adapter
        computes it before sending. Raises KeyError for an unknown id and ValueError when
        the order is not NEW (it must never be sent twice)."""
        state = self._require(client_order_id, NEW, "sent")
        self._index.set_venue_id(state, venue_order_id)
        return self._set(state, SUBMITTING, "")

    def refuse(self, client_order_id: str, reason: str) -> OrderStatusChanged:
        """``NEW -> REJECTED`` without sending (kill switch, dry run, unsupported type).
        Raises KeyError for an unknown id and ValueError when the order is not NEW."""
        return self._set(self._require(client_order_id, NEW, "refused"), REJECTED, reason)

    def acknowledged(self, ack: OrderAck) -> list[OrderStatusChanged]:
        """The venue answered a submit (``SUBMITTING`` or ``UNKNOWN`` -> the ack's status).

        An ack that arrives after the order's fills or updates (it is ``PARTIALLY_FILLED``
        already, say) only records the venue's id: the order never moves back. An ack for
        an id not known here is counted in ``unknown_order_updates``."""
        state = self._index.get(ack.client_order_id)
        if state is None:
            return self._not_ours("ack", ack.client_order_id)
        news = self._learn(state, ack.venue_order_id)
        return self._venue_says(state, ack.status, ack.reason, news)

    def outcome_unknown(
        self, client_order_id: str, reason: str, venue_order_id: str = ""
    ) -> list[OrderStatusChanged]:
        """``SUBMITTING -> UNKNOWN``: the submit's answer was lost. Nothing when the venue's
        events have told the order's fate meanwhile. Raises KeyError for an unknown id and
        ValueError for an order never sent."""
        state = self._index.get(client_order_id)
        if state is None:
            raise KeyError(client_order_id)
        if state.status is NEW:
            raise ValueError(f"order {client_order_id!r} was never sent")
        if state.status is not SUBMITTING:
            return []
        self._index.set_venue_id(state, venue_order_id)
        return [self._set(state, UNKNOWN, reason)]

    def cancel_requested(self, client_order_id: str, reason: str) -> list[OrderStatusChanged]:
        """An open order is being cancelled (-> ``CANCEL_PENDING``); nothing for an order
        already terminal or pending.

        A ``NEW`` order is rejected at once ("cancelled before sending"). A ``SUBMITTING``
        order cannot be cancelled yet (the venue may not know its id): nothing is returned,
        and the caller asks again once the submit is answered. An id not known here is
        logged and ignored."""
        state = self._index.get(client_order_id)
        if state is None:
            LOGGER.warning("cancel of order %s, which is not known here", client_order_id)
            return []
        status = state.status
        if status in _CANCELABLE:
            return [self._set(state, CANCEL_PENDING, reason)]
        if status is NEW:
            why = f"cancelled before sending: {reason}" if reason else "cancelled before sending"
            return [self._set(state, REJECTED, why)]
        return []

    def cancel_result(self, venue: str, result: CancelResult) -> list[OrderStatusChanged]:
        """The venue's answer to a cancel: ``canceled`` ids -> ``CANCELED`` (from any open
        status: the venue knows best); ``not_canceled`` ones back to their status before the
        cancel (a refusal because the order filled is left to its fills)."""
        changes: list[OrderStatusChanged] = []
        find = self._index.find
        # A cancel-all answers for thousands of orders at once: one clock reading, and the
        # venue's ids looked up in its own dict before the general search.
        now = self.now_ms()
        of_venue = self._index.venue_ids(venue)
        strangers: list[str] = []
        for venue_order_id in result.canceled:
            state = of_venue.get(venue_order_id)
            if state is None:
                state = find(venue, venue_order_id, "")
            if state is None:
                strangers.append(venue_order_id)
            elif state.status in _CANCELED_FROM:
                changes.append(self._set(state, CANCELED, "", now))
            elif state.status is not CANCELED:
                self._move(state, CANCELED, "")  # not allowed: logged and counted
        for venue_order_id, why in result.not_canceled.items():
            state = find(venue, venue_order_id, "")
            if state is None:
                strangers.append(venue_order_id)
            elif state.status is CANCEL_PENDING:
                LOGGER.info("order %s: the venue refused to cancel it: %s", venue_order_id, why)
                changes.append(self._cancel_refused(state, f"cancel refused: {why}"))
        if strangers:
            # One line for the lot: a venue's cancel-all may name many orders not ours.
            self.counters.unknown_order_updates += len(strangers)
            LOGGER.warning(
                "%s's cancel answer names %d orders not known here: %s",
                venue,
                len(strangers),
                ", ".join(strangers[:5]) + (", ..." if len(strangers) > 5 else ""),
            )
        return changes

    def resolved(
        self, client_order_id: str, found: VenueOrder | None, reason: str = ""
    ) -> list[OrderStatusChanged]:
        """The venue was asked about an ``UNKNOWN`` (or missing) order: its status now, or
        ``REJECTED`` ("never reached the venue") when the venue does not know it.

        An order the venue once accepted and no longer knows becomes ``CANCELED``. The
        venue's ``filled_size`` never changes ours (that counts fills as they arrive) but
        makes an ``ACCEPTED`` answer ``PARTIALLY_FILLED``."""
        state = self._index.get(client_order_id)
        if state is None:
            return self._not_ours("resolution", client_order_id)
        if found is None:
            if state.status in TERMINAL:
                return []
            change = self._move(state, *missing_outcome(state, reason))
            return [change] if change is not None else []
        news = self._learn(state, found.venue_order_id)
        return self._venue_says(
            state, found_status(found, state), reason or "found on the venue", news
        )

    # -- the venue's events ------------------------------------------------------------

    def on_update(self, venue: str, update: VenueOrderUpdate) -> list[OrderStatusChanged]:
        """The venue says an order's status changed.

        ``CANCELED`` and ``EXPIRED`` end the order. A report that the order rests while a
        cancel is pending, or ``ACCEPTED`` after fills made it ``PARTIALLY_FILLED``, is old
        news and changes nothing; the update's ``filled_size`` is advisory (fills count)."""
        state = self._index.find(venue, update.venue_order_id, update.client_order_id)
        if state is None:
            return self._not_ours("update", update.venue_order_id or update.client_order_id)
        news = not state.venue_order_id and self._learn(state, update.venue_order_id)
        return self._venue_says(state, update.status, update.reason, news)

    def on_fill(self, venue: str, fill: Fill) -> FillResult:
        """The venue reports a fill (matched by venue order id, else client order id).

        A trade already counted for the same order is a duplicate. A fill with no trade id
        cannot be recognised again and is always counted (see :mod:`agbotkit.exec.fills`).
        A ``FAILED`` trade counted before is taken back (verdict ``REVERSED``)."""
        if fill.trade_status is FAILED:
            found = self._index.find(venue, fill.order_id, fill.client_order_id)
            return self._fills.take_back(venue, fill, found, self.now_ms(), self.component)
        if self._fills.is_duplicate(venue, fill):
            return _DUPLICATE
        state = self._index.find(venue, fill.order_id, fill.client_order_id)
        if state is None:
            return self._fills.unknown_order(venue, fill)
        order = state.order
        if not state.venue_order_id and fill.order_id != order.client_order_id:
            self._learn(state, fill.order_id)
        previous = state.status
        verdict, status = self._fills.apply(state, fill, venue)
        if status is not previous:
            if status is not CANCEL_PENDING:
                state.status_before_cancel = None
            self._index.set_status(state, status)
        state.updated_ms = self.now_ms()
        return FillResult(
            verdict,
            published(fill, order),
            (state.change_for(self.publish, previous, self.component),),
        )

    def reconcile(
        self, venue: str, open_on_venue: Sequence[VenueOrder], *, adopt: bool
    ) -> Reconciliation:
        """Compare the venue's open orders with ours (at start, after a reconnect).

        Venue orders unknown here are adopted (client id: the venue's, else ``adopted-``
        and the venue's order id; strategy empty; their fills before now are not counted)
        or listed to cancel. A venue order we hold as terminal is listed to cancel in either
        mode (an order never reopens). Our open orders the venue does not list, except
        those still being submitted, are ``missing_on_venue``: look each up and pass the
        answer to :meth:`resolved`."""
        return reconcile(
            self._index,
            venue,
            open_on_venue,
            adopt=adopt,
            now_ms=self.now_ms(),
            component=self.component,
        )

    # -- queries -----------------------------------------------------------------------

    def get(self, client_order_id: str) -> OrderState | None:
        """The order with this client order id."""
        return self._index.get(client_order_id)

    def by_venue_id(self, venue: str, venue_order_id: str) -> OrderState | None:
        """The order with this venue order id at ``venue``."""
        return self._index.by_venue_id(venue, venue_order_id)

    def open_orders(
        self, venue: str | None = None, market_id: str | None = None
    ) -> list[OrderState]:
        """Orders that may rest on a venue (``status.open``), optionally of one venue and
        one market: O(number returned), not O(all orders ever)."""
        return self._index.open_orders(venue, market_id)

    def unknown_orders(self) -> list[OrderState]:
        """Orders in ``UNKNOWN``."""
        return self._index.unknown()

    def forget_closed(self, before_ms: int) -> int:
        """Drop terminal orders last changed before ``before_ms``, oldest closed first
        (memory bound; cheap enough to call every second of a backtest); their trade ids
        stay remembered for deduplication. Returns how many were dropped."""
        old = self._index.closed_before(before_ms)
        for state in old:
            self._index.remove(state)
        return len(old)

    # -- the machinery -------------------------------------------------------------------

    def _require(self, client_order_id: str, status: OrderStatus, what: str) -> OrderState:
        state = self._index.get(client_order_id)
        if state is None:
            raise KeyError(client_order_id)
        if state.status is not status:
            raise ValueError(
                f"order {client_order_id!r} is {state.status}, not {status}: it cannot be {what}"
            )
        return state

    def _set(
        self, state: OrderState, status: OrderStatus, reason: str, now: int | None = None
    ) -> OrderStatusChanged:
        """Move ``state`` to ``status`` (already checked) and return the change; ``now``
        when the caller read the clock once for a batch."""
        previous = state.status
        if reason:
            state.reason = reason
        if status is not CANCEL_PENDING:
            state.status_before_cancel = None
        elif state.status_before_cancel is None:
            state.status_before_cancel = previous  # where a refused cancel goes back to
        self._index.set_status(state, status)
        state.updated_ms = self.now_ms() if now is None else now
        return state.change_for(self.publish, previous, self.component)

    def _move(
        self, state: OrderState, status: OrderStatus, reason: str
    ) -> OrderStatusChanged | None:
        """Move ``state`` to ``status`` if the table allows it; else log and count."""
        if allowed(state.status, status, state.status_before_cancel):
            return self._set(state, status, reason)
        self.counters.illegal_transitions += 1
        LOGGER.warning(
            "order %s: %s -> %s is not allowed; ignored (%s)",
            state.order.client_order_id,
            state.status,
            status,
            reason,
        )
        return None

    def _venue_says(
        self, state: OrderState, status: OrderStatus, reason: str, news: bool
    ) -> list[OrderStatusChanged]:
        """Apply a status the venue reports; ``news``: the venue's id was just learned (a
        change is published for it even when the status stays)."""
        current = state.status
        if status in _RESTING and status is not current:
            if current is CANCEL_PENDING:
                # The cancel is still out: remember the better status to go back to.
                before = state.status_before_cancel
                if before is None or progress(status) > progress(before):
                    state.status_before_cancel = status
                status = current
            elif current not in TERMINAL and progress(status) <= progress(current):
                status = current  # an old report: fills or an update got here first
        if status is current:
            if not news:
                return []
            state.updated_ms = self.now_ms()
            return [state.change_for(self.publish, current, self.component)]
        change = self._move(state, status, reason)
        return [change] if change is not None else []

    def _cancel_refused(self, state: OrderState, reason: str) -> OrderStatusChanged:
        status = state.status_before_cancel or ACCEPTED
        if state.filled_size and status is not PARTIALLY_FILLED:
            status = PARTIALLY_FILLED  # it traded while the cancel was out
        return self._set(state, status, reason)

    def _learn(self, state: OrderState, venue_order_id: str) -> bool:
        """Record the venue's id of an order the venue reported on; whether it was news.
        Never for an order not sent yet: whatever the venue says about it is not about it."""
        return state.status is not NEW and self._index.set_venue_id(state, venue_order_id)

    def _not_ours(self, what: str, order_id: str) -> list[OrderStatusChanged]:
        self.counters.unknown_order_updates += 1
        LOGGER.warning("%s for order %s, which is not known here", what, order_id)
        return []
