"""The order manager's fill accounting: which fills count, and what they do to an order.

A fill is a fact: money moved. So a fill is counted whatever the order's status (a late
fill after a cancel still grows ``filled_size``, and makes the order ``FILLED`` when it
completes it), and a fill for an order nobody here knows is still published. What must
never happen is counting one twice: the venue re-sends a trade at each step of its
settlement (``MATCHED``, ``MINED``, ``CONFIRMED``), so a fill is recognised by its venue,
trade id and order id (one trade may fill several of our orders: each counts once).

A trade whose settlement failed (``FAILED``, after ``RETRYING``) did not happen after all:
the fill counted for it is taken back (:meth:`FillLedger.reverse`), once, and the failed
fill is published so that positions undo it too. A trade first heard of as ``FAILED`` was
never counted: there is nothing to undo.
"""

from __future__ import annotations

import logging
from decimal import Decimal

import attrs

from agbotkit.exec.state import FillResult, FillVerdict, OmsCounters, OrderState
from agbotkit.model.execution import OrderStatus
from agbotkit.model.members import (
    ACCEPTED,
    CANCEL_PENDING,
    FILLED,
    NEW,
    PARTIALLY_FILLED,
    REJECTED,
    SUBMITTING,
    UNKNOWN,
)
from agbotkit.model.orders import Fill, Order

_ZERO = Decimal(0)
_NOTHING = FillResult(FillVerdict.DUPLICATE, None)

__all__ = ["FillLedger", "published"]

LOGGER = logging.getLogger(__name__)

_new = object.__new__
_setattr = object.__setattr__
# Statuses a fill moves by the transition table (to PARTIALLY_FILLED or FILLED).
_FILLABLE = frozenset({SUBMITTING, UNKNOWN, ACCEPTED, PARTIALLY_FILLED})


class FillLedger:
    """The trades counted so far, and the rules for counting one.

    Args:
        counters: where duplicates, overfills, unknown-order fills and fills of orders
            never sent are counted.
    """

    __slots__ = ("_applied", "_counters", "_failed", "_trades")

    def __init__(self, counters: OmsCounters) -> None:
        self._counters = counters
        # Kept when orders are forgotten: a venue may re-send a trade long after. Each
        # counted trade keeps its size and price, what a failure of it takes back.
        self._trades: dict[tuple[str, str, str], tuple[Decimal, Decimal]] = {}
        self._failed: set[tuple[str, str, str]] = set()
        # The order each counted trade was applied to: a failure is taken back from that
        # order only, never from a later order that happens to reuse its ids.
        self._applied: dict[tuple[str, str, str], Order] = {}

    def is_duplicate(self, venue: str, fill: Fill) -> bool:
        """Whether ``fill`` was counted already (if not, it is remembered now). A fill
        without a trade id cannot be recognised: it is never a duplicate."""
        if not fill.trade_id:
            return False
        key = (venue, fill.trade_id, fill.order_id or fill.client_order_id)
        if key in self._trades:
            self._counters.duplicate_fills += 1
            return True
        self._trades[key] = (fill.size, fill.price)
        return False

    def failure(self, venue: str, fill: Fill) -> Fill | None:
        """The fill a ``FAILED`` report takes back (with the size and price counted for
        its trade), or ``None``: once only, and nothing for a trade never counted."""
        key = (venue, fill.trade_id, fill.order_id or fill.client_order_id)
        counted = self._trades.get(key) if fill.trade_id else None
        if counted is None or key in self._failed:
            self._counters.duplicate_fills += 1
            return None
        self._failed.add(key)
        self._counters.failed_trades += 1
        LOGGER.error(
            "trade %s FAILED on %s: its fill of %s %s @ %s for order %s is taken back",
            fill.trade_id,
            venue,
            fill.side,
            fill.size,
            fill.price,
            fill.order_id or fill.client_order_id,
        )
        size, price = counted
        if (fill.size, fill.price) == counted:
            return fill
        return attrs.evolve(fill, size=size, price=price)

    def take_back(
        self,
        venue: str,
        fill: Fill,
        state: OrderState | None,
        now_ms: int,
        component: str,
    ) -> FillResult:
        """A ``FAILED`` trade: take its fill back from ``state`` (the order, when still
        known) if it was counted; the result publishes the failure for positions to undo."""
        taken = self.failure(venue, fill)
        if taken is None:
            return _NOTHING
        fill = taken
        key = (venue, fill.trade_id, fill.order_id or fill.client_order_id)
        if state is not None and self._applied.get(key) is not state.order:
            state = None  # counted for no order, or for another: only positions undo it
        if state is None:  # the order was forgotten since: positions still take it back
            return FillResult(
                FillVerdict.REVERSED, fill if fill.venue else attrs.evolve(fill, venue=venue)
            )
        previous = state.status
        self.reverse(state, fill)
        state.reason = f"trade {fill.trade_id} failed: its fill was taken back"
        state.updated_ms = now_ms
        change = state.change(previous, component)
        return FillResult(FillVerdict.REVERSED, published(fill, state.order), (change,))

    def reverse(self, state: OrderState, fill: Fill) -> None:
        """Take a failed trade's fill off the order's filled size and notional. The status
        stays: a finished order does not reopen (the venue does not rest it again), and the
        venue's own updates say what becomes of an open one."""
        state.filled_size = max(state.filled_size - fill.size, _ZERO)
        state.filled_notional = max(state.filled_notional - fill.price * fill.size, _ZERO)

    def unknown_order(self, venue: str, fill: Fill) -> FillResult:
        """A fill for no order known here: counted, logged loudly, still to publish."""
        self._counters.unknown_order_fills += 1
        LOGGER.error(
            "fill for an order not known here: venue %s order %s trade %s, %s %s @ %s",
            venue,
            fill.order_id or fill.client_order_id,
            fill.trade_id,
            fill.side,
            fill.size,
            fill.price,
        )
        return FillResult(
            FillVerdict.UNKNOWN_ORDER, fill if fill.venue else attrs.evolve(fill, venue=venue)
        )

    def apply(
        self, state: OrderState, fill: Fill, venue: str = ""
    ) -> tuple[FillVerdict, OrderStatus]:
        """Add ``fill`` to the order's filled size and notional; its verdict (``NEW`` or
        ``OVERFILL``) and the order's status after it (the caller moves the order)."""
        order = state.order
        if fill.trade_id:
            self._applied[(venue, fill.trade_id, fill.order_id or fill.client_order_id)] = order
        filled = state.filled_size = state.filled_size + fill.size
        state.filled_notional += fill.price * fill.size
        verdict = FillVerdict.NEW
        if filled > order.size:
            verdict = FillVerdict.OVERFILL
            self._counters.overfills += 1
            LOGGER.error(
                "order %s overfilled: %s filled of %s (trade %s)",
                order.client_order_id,
                filled,
                order.size,
                fill.trade_id,
            )
        return verdict, self._status_after(state, filled >= order.size)

    def _status_after(self, state: OrderState, complete: bool) -> OrderStatus:
        status = state.status
        client_order_id = state.order.client_order_id
        if status in _FILLABLE:
            return FILLED if complete else PARTIALLY_FILLED
        if status is NEW:
            # Only a venue's mistake (or a foreign sender using our id) gets here: the order
            # stays NEW for the caller to see, and its fill is counted all the same.
            self._counters.illegal_transitions += 1
            LOGGER.error("order %s filled before it was sent", client_order_id)
            return status
        if complete:
            if status is not FILLED:
                LOGGER.info("order %s: a late fill completes it (was %s)", client_order_id, status)
            return FILLED
        if status is CANCEL_PENDING:
            # Still pending; a refused cancel goes back to PARTIALLY_FILLED now.
            state.status_before_cancel = PARTIALLY_FILLED
        elif status is REJECTED:
            LOGGER.error("order %s was rejected, yet it filled", client_order_id)
        return status


def published(fill: Fill, order: Order) -> Fill:
    """``fill`` with its client order id, market and venue filled in from ``order`` where
    the venue left them out."""
    if fill.client_order_id and fill.market_id and fill.venue:
        return fill
    # A copy, slot by slot: attrs.evolve would run every converter and validator of a fill
    # already validated again, 4 times the cost, for three strings from a valid order. The
    # tests check the copy equals evolve's, so a field added to Fill cannot be missed here.
    copy = _new(Fill)
    _setattr(copy, "token_id", fill.token_id)
    _setattr(copy, "side", fill.side)
    _setattr(copy, "price", fill.price)
    _setattr(copy, "size", fill.size)
    _setattr(copy, "market_id", fill.market_id or order.market_id)
    _setattr(copy, "fee_usd", fill.fee_usd)
    _setattr(copy, "taker", fill.taker)
    _setattr(copy, "timestamp_ms", fill.timestamp_ms)
    _setattr(copy, "order_id", fill.order_id)
    _setattr(copy, "trade_id", fill.trade_id)
    _setattr(copy, "trade_status", fill.trade_status)
    _setattr(copy, "client_order_id", fill.client_order_id or order.client_order_id)
    _setattr(copy, "venue", fill.venue or order.venue)
    return copy
