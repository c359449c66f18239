"""Bus events to storage records (pure: no I/O, no trio).

Every record gets its unique key here, once (``event_id`` of an order row, ``id`` of a
fill): a record written twice, after a retry or from the spill file, is stored once.

A fill with a venue trade id gets an id derived from ``(venue, trade_id, order)``, so a
trade the venue reports again (Polymarket re-sends a trade at each settlement step) is
stored once: the unique key is ``(id, timestamp)``, so a report of a trade seen before
is given the time its first report was stored under (remembered for the latest 100,000
trades of the process). Across restarts the trade's own timestamp (the venue's match
time) makes the key the same again; a fill without a timestamp or a trade id cannot be
recognised then.
"""

from __future__ import annotations

import collections
import hashlib
import uuid
from collections.abc import Callable
from typing import TypeVar

import attrs

from agbotkit.db.records import FillRecord, OrderRecord, OrderStatus, PositionRecord
from agbotkit.model.execution import OrderStatusChanged
from agbotkit.model.numbers import optional_decimal, to_decimal
from agbotkit.model.orders import Fill
from agbotkit.model.positions import Position, PositionSnapshot
from agbotkit.model.risk import OrderDecision, OrderDenied

__all__ = [
    "PositionThrottle",
    "RecordMaker",
    "fill_id",
    "position_from_record",
    "position_record",
]

#: Markets remembered by order id, to complete fills that carry none.
_REMEMBERED_ORDERS = 100_000
#: Trades remembered with the time their first report was stored under.
_REMEMBERED_TRADES = 100_000


def _new_id() -> str:
    return uuid.uuid4().hex


def fill_id(venue: str, trade_id: str, order_id: str) -> str:
    """The row id of a fill that has a venue trade id: the same for every report of the
    trade's fill of that order (32 hex digits, like a random id)."""
    key = "\x1f".join((venue, trade_id, order_id)).encode()
    return hashlib.blake2b(key, digest_size=16).hexdigest()


V = TypeVar("V")


def _remember(memory: collections.OrderedDict[str, V], key: str, value: V, cap: int) -> None:
    memory[key] = value
    memory.move_to_end(key)
    if len(memory) > cap:
        memory.popitem(last=False)


@attrs.define
class RecordMaker:
    """Turns execution events into rows, remembering orders' markets to complete fills.

    Attributes:
        venue: the venue written on rows whose event names none.
        now_ms: the clock, for events without a timestamp.
        new_id: makes unique row keys.
    """

    venue: str
    now_ms: Callable[[], int]
    new_id: Callable[[], str] = _new_id
    _markets: collections.OrderedDict[str, str] = attrs.field(
        factory=collections.OrderedDict, init=False
    )
    _trade_times: collections.OrderedDict[str, int] = attrs.field(
        factory=collections.OrderedDict, init=False
    )

    def decision(self, event: OrderDecision) -> OrderRecord:
        """The row of a risk decision: ``approved`` or ``denied``."""
        intent = event.intent
        event_id = self.new_id()
        if intent.client_order_id:
            self._remember_market(intent.client_order_id, intent.market_id)
        denied = isinstance(event, OrderDenied)
        return OrderRecord(
            event_id=event_id,
            id=intent.client_order_id or event_id,
            timestamp_ms=event.timestamp_ms or self.now_ms(),
            venue=intent.venue or self.venue,
            market=intent.market_id,
            token_id=intent.token_id,
            side=intent.side.value,
            price=intent.price,
            size=intent.size,
            status=OrderStatus.DENIED if denied else OrderStatus.APPROVED,
            strategy=intent.strategy,
            reason=_denial_reason(event) if isinstance(event, OrderDenied) else "",
            source=event.component,
            order_type=intent.order_type.value,
            expires_at_ms=intent.expires_at_ms,
            post_only=intent.post_only,
        )

    def order_update(self, event: OrderStatusChanged) -> OrderRecord:
        """The row of an order's status change (its status, in lower case)."""
        order = event.order
        self._remember_market(order.client_order_id, order.market_id)
        if event.venue_order_id:
            self._remember_market(event.venue_order_id, order.market_id)
        return OrderRecord(
            event_id=self.new_id(),
            id=order.client_order_id,
            timestamp_ms=event.timestamp_ms or self.now_ms(),
            venue=order.venue or self.venue,
            market=order.market_id,
            token_id=order.token_id,
            side=order.side.value,
            price=order.price,
            size=order.size,
            status=OrderStatus(event.status.value.lower()),
            venue_order_id=event.venue_order_id,
            strategy=order.strategy,
            reason=event.reason,
            source=event.component,
            order_type=order.order_type.value,
            # OrderStatusChanged does not convert these (Order and Fill do): a str or an int
            # would reach the row, and the spill file would read back another value.
            filled_size=to_decimal(event.filled_size),
            average_price=optional_decimal(event.average_price),
            expires_at_ms=order.expires_at_ms,
            post_only=order.post_only,
            previous_status=event.previous.value.lower() if event.previous else "",
        )

    def fill(self, event: Fill) -> FillRecord:
        """The row of a fill; see the module docstring for its id."""
        venue = event.venue or self.venue
        order_id = event.order_id or event.client_order_id
        timestamp_ms = event.timestamp_ms
        if event.trade_id:
            row_id = fill_id(venue, event.trade_id, order_id)
            # A report seen before keeps the first one's time: same (id, timestamp), one row.
            timestamp_ms = self._trade_times.get(row_id) or timestamp_ms or self.now_ms()
            _remember(self._trade_times, row_id, timestamp_ms, _REMEMBERED_TRADES)
        else:
            row_id = self.new_id()
            timestamp_ms = timestamp_ms or self.now_ms()
        market = event.market_id or self._markets.get(event.order_id, "")
        if not market and event.client_order_id:
            market = self._markets.get(event.client_order_id, "")
        return FillRecord(
            id=row_id,
            timestamp_ms=timestamp_ms,
            order_id=order_id,
            venue=venue,
            market=market,
            token_id=event.token_id,
            side=event.side.value,
            price=event.price,
            size=event.size,
            fee=event.fee_usd,
            taker=event.taker,
            trade_id=event.trade_id,
            trade_status=event.trade_status.value if event.trade_status else "",
            client_order_id=event.client_order_id,
        )

    def _remember_market(self, order_id: str, market_id: str) -> None:
        _remember(self._markets, order_id, market_id, _REMEMBERED_ORDERS)


def _denial_reason(event: OrderDenied) -> str:
    """``Policy: reason; Policy: reason``: which policies denied it, and why."""
    return "; ".join(f"{v.policy}: {v.reason}" for v in event.violations)


def position_record(snapshot: PositionSnapshot) -> PositionRecord:
    """The row of a position snapshot."""
    position = snapshot.position
    return PositionRecord(
        timestamp_ms=snapshot.timestamp_ms,
        source=snapshot.component,
        token_id=position.token_id,
        market=position.market_id,
        size=position.size,
        cost_basis_usd=position.cost_basis_usd,
        realised_pnl_usd=position.realised_pnl_usd,
        fees_usd=position.fees_usd,
        mark=position.mark,
        settled=position.settled,
    )


def position_from_record(record: PositionRecord) -> Position:
    """The position a stored snapshot row holds (the inverse of :func:`position_record`)."""
    return Position(
        record.token_id,
        record.market,
        record.size,
        record.cost_basis_usd,
        record.realised_pnl_usd,
        record.fees_usd,
        record.mark,
        record.settled,
    )


@attrs.define
class PositionThrottle:
    """Keeps one snapshot per token per ``interval_ms``, and every change of holdings.

    The risk component publishes each traded position every second; a year of those is too
    many rows to be useful, while a snapshot after each fill is what a later audit needs.
    """

    interval_ms: int
    _last: dict[tuple[str, str], tuple[int, PositionRecord]] = attrs.field(factory=dict, init=False)

    def keep(self, record: PositionRecord) -> bool:
        """Whether ``record`` should be stored (and remember it if so)."""
        key = (record.source, record.token_id)
        last = self._last.get(key)
        if last is not None:
            last_ms, previous = last
            same_holdings = (
                previous.size == record.size
                and previous.cost_basis_usd == record.cost_basis_usd
                and previous.settled == record.settled
            )
            if same_holdings and record.timestamp_ms - last_ms < self.interval_ms:
                return False
        self._last[key] = (record.timestamp_ms, record)
        return True
