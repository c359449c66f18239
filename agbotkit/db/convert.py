"""Bus events to storage records (pure: no I/O, no trio).

Every record gets its unique key here, once (``event_id`` of an order row, ``id`` of a
fill): a record written twice, after a retry or from the spill file, is stored once.
"""

from __future__ import annotations

import collections
import uuid
from collections.abc import Callable

import attrs

from agbotkit.db.records import FillRecord, OrderRecord, OrderStatus, PositionRecord
from agbotkit.model.orders import (
    Fill,
    OrderAccepted,
    OrderIntent,
    OrderOutcome,
    OrderRejected,
)
from agbotkit.model.positions import Position, PositionSnapshot
from agbotkit.model.risk import OrderDecision, OrderDenied

__all__ = [
    "PositionThrottle",
    "RecordMaker",
    "position_from_record",
    "position_record",
]

#: Intents remembered to complete the venue's answers (which carry no side, price, size).
_REMEMBERED_INTENTS = 100_000


def _new_id() -> str:
    return uuid.uuid4().hex


@attrs.define
class RecordMaker:
    """Turns execution events into rows, remembering intents to complete later rows.

    Attributes:
        venue: the venue written on every row (events do not carry one yet).
        now_ms: the clock, for events without a timestamp.
        new_id: makes unique row keys.
    """

    venue: str
    now_ms: Callable[[], int]
    new_id: Callable[[], str] = _new_id
    _intents: collections.OrderedDict[str, OrderIntent] = attrs.field(
        factory=collections.OrderedDict, init=False
    )

    def decision(self, event: OrderDecision) -> OrderRecord:
        """The row of a risk decision: ``approved`` or ``denied``."""
        intent = event.intent
        event_id = self.new_id()
        if intent.client_order_id:
            self._remember(intent)
        denied = isinstance(event, OrderDenied)
        return OrderRecord(
            event_id=event_id,
            id=intent.client_order_id or event_id,
            timestamp_ms=event.timestamp_ms or self.now_ms(),
            venue=self.venue,
            market=intent.market_id,
            token_id=intent.token_id,
            side=intent.side.value,
            price=intent.price,
            size=intent.size,
            status=OrderStatus.DENIED if denied else OrderStatus.APPROVED,
            strategy=intent.strategy,
            reason=_denial_reason(event) if isinstance(event, OrderDenied) else "",
            source=event.component,
        )

    def outcome(self, event: OrderOutcome) -> OrderRecord:
        """The row of the venue's answer: ``accepted`` or ``rejected``."""
        intent = self._intents.get(event.client_order_id) if event.client_order_id else None
        event_id = self.new_id()
        accepted = isinstance(event, OrderAccepted)
        return OrderRecord(
            event_id=event_id,
            id=event.client_order_id or event.order_id or event_id,
            timestamp_ms=event.timestamp_ms or self.now_ms(),
            venue=self.venue,
            market=event.market_id or (intent.market_id if intent else ""),
            token_id=event.token_id or (intent.token_id if intent else ""),
            side=intent.side.value if intent else "",
            price=intent.price if intent else None,
            size=intent.size if intent else None,
            status=OrderStatus.ACCEPTED if accepted else OrderStatus.REJECTED,
            venue_order_id=event.order_id,
            strategy=intent.strategy if intent else "",
            reason=event.reason if isinstance(event, OrderRejected) else "",
        )

    def fill(self, event: Fill) -> FillRecord:
        """The row of a fill."""
        intent = self._intents.get(event.order_id) if event.order_id else None
        return FillRecord(
            id=self.new_id(),
            timestamp_ms=event.timestamp_ms or self.now_ms(),
            order_id=event.order_id,
            venue=self.venue,
            market=event.market_id or (intent.market_id if intent else ""),
            token_id=event.token_id,
            side=event.side.value,
            price=event.price,
            size=event.size,
            fee=event.fee_usd,
            taker=event.taker,
        )

    def _remember(self, intent: OrderIntent) -> None:
        self._intents[intent.client_order_id] = intent
        self._intents.move_to_end(intent.client_order_id)
        if len(self._intents) > _REMEMBERED_INTENTS:
            self._intents.popitem(last=False)


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
