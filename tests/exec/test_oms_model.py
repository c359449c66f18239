"""The order manager against a reference model, under random interleavings of everything.

Hypothesis drives adds, sends, acks, fills (re-sent trades, one trade for several orders,
fills without trade ids), cancels and the venue's answers, lost answers and their
resolution, venue updates and forgetting, in any order, and checks after every step what
must always hold: statuses stay in the enum and every move is in the table (or a late fill
completing an order), a terminal order stays terminal, ``filled_size`` is the sum of the
distinct fills counted for the order, no order is sent twice, and the indexes agree.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from agbotkit.exec.oms import FillVerdict, OrderManager
from agbotkit.exec.state import FillResult
from agbotkit.exec.transitions import ALLOWED, TERMINAL
from agbotkit.model.execution import OrderStatus, OrderStatusChanged
from agbotkit.model.orders import Fill, Order, Side, TradeStatus
from agbotkit.model.venues import CancelResult, OrderAck, VenueOrder, VenueOrderUpdate

VENUE = "paper"
IDS = [f"c{n}" for n in range(3)]
SIZE = Decimal(5)
ids = st.sampled_from(IDS)
statuses = st.sampled_from(list(OrderStatus))
ack_statuses = st.sampled_from(
    [
        OrderStatus.ACCEPTED,
        OrderStatus.PARTIALLY_FILLED,
        OrderStatus.FILLED,
        OrderStatus.CANCELED,
        OrderStatus.REJECTED,
    ]
)


def venue_id(client_order_id: str) -> str:
    return f"0x{client_order_id}"


def after_fill(before: OrderStatus | None, complete: bool) -> OrderStatus | None:
    """The rule for a counted fill: a complete order is FILLED whatever it was (but NEW,
    which no fill can change), else a live one is PARTIALLY_FILLED and any other stays."""
    if before is OrderStatus.NEW:
        return before
    if complete:
        return OrderStatus.FILLED
    live = {OrderStatus.SUBMITTING, OrderStatus.UNKNOWN, OrderStatus.ACCEPTED}
    return OrderStatus.PARTIALLY_FILLED if before in live else before


class Model:
    """What the order manager must agree with, kept the simple way."""

    def __init__(self) -> None:
        self.known: set[str] = set()  # added and not forgotten
        self.sent: set[str] = set()  # submitting() succeeded (this life of the id)
        self.trades: set[tuple[str, str]] = set()  # (trade id, order id) counted
        # counted trade -> (its order and that order's life, if applied to one; size; price)
        self.counted: dict[tuple[str, str], tuple[tuple[str, int] | None, Decimal, Decimal]] = {}
        self.lives: dict[str, int] = {}  # how often each id was added
        self.failed: set[tuple[str, str]] = set()  # counted trades taken back
        self.filled: dict[str, Decimal] = {}
        self.notional: dict[str, Decimal] = {}
        self.last: dict[str, OrderStatus] = {}


class OmsMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = 0
        self.oms = OrderManager(component="x", now_ms=lambda: self.now)
        self.model = Model()

    def check(self, changes: list[OrderStatusChanged] | tuple[OrderStatusChanged, ...]) -> None:
        for change in changes:
            assert change.status in OrderStatus
            previous = change.previous
            if previous is None or previous is change.status:
                continue
            late_fill = previous in TERMINAL and change.status is OrderStatus.FILLED
            assert late_fill or change.status in ALLOWED[previous], (previous, change.status)

    @rule(cid=ids, market=st.sampled_from(["m1", "m2"]))
    def add(self, cid: str, market: str) -> None:
        made = Order(
            client_order_id=cid,
            venue=VENUE,
            market_id=market,
            token_id="t",
            side=Side.BUY,
            price="0.5",
            size=SIZE,
        )
        if cid in self.model.known:
            with pytest.raises(ValueError, match="taken"):
                self.oms.add(made)
            return
        self.check([self.oms.add(made)])
        self.model.known.add(cid)
        self.model.lives[cid] = self.model.lives.get(cid, 0) + 1
        self.model.filled[cid] = Decimal(0)
        self.model.notional[cid] = Decimal(0)

    @rule(cid=ids, market=st.sampled_from(["m1", "m2"]), accepted=st.booleans())
    def place(self, cid: str, market: str, accepted: bool) -> None:
        """Add, send and (maybe) have accepted, in one step: to get to fills sooner."""
        if cid in self.model.known:
            return
        self.add(cid, market)
        self.submitting(cid)
        if accepted:
            self.ack(cid, OrderStatus.ACCEPTED)

    @rule(cid=ids)
    def submitting(self, cid: str) -> None:
        if cid not in self.model.known:
            with pytest.raises(KeyError):
                self.oms.submitting(cid, venue_id(cid))
            return
        state = self.oms.get(cid)
        assert state is not None
        if cid in self.model.sent or state.status is not OrderStatus.NEW:
            with pytest.raises(ValueError, match="not NEW"):
                self.oms.submitting(cid, venue_id(cid))
            return
        self.check([self.oms.submitting(cid, venue_id(cid))])
        self.model.sent.add(cid)

    def reported_id(self, cid: str) -> str:
        """The venue's id a venue report carries: none for an order never sent to it."""
        return venue_id(cid) if cid in self.model.sent else ""

    @rule(cid=ids, status=ack_statuses)
    def ack(self, cid: str, status: OrderStatus) -> None:
        ack = OrderAck(client_order_id=cid, venue_order_id=self.reported_id(cid), status=status)
        self.check(self.oms.acknowledged(ack))

    @rule(
        cid=ids,
        trade=st.sampled_from(["t1", "t2", "t3", "t4", ""]),
        size=st.integers(1, 3),
        price=st.sampled_from(["0.4", "0.5"]),
        trade_status=st.sampled_from(list(TradeStatus)),
        by_client_id=st.booleans(),
    )
    def fill(
        self,
        cid: str,
        trade: str,
        size: int,
        price: str,
        trade_status: TradeStatus,
        by_client_id: bool,
    ) -> None:
        order_id = venue_id(cid)
        client_order_id = cid if by_client_id and cid in self.model.sent else ""
        event = Fill(
            token_id="t",
            side=Side.BUY,
            price=price,
            size=size,
            order_id=order_id,
            trade_id=trade,
            trade_status=trade_status,
            client_order_id=client_order_id,
        )
        state = self.oms.get(cid)
        before = state.status if state is not None else None
        result = self.oms.on_fill(VENUE, event)
        self.check(result.changes)
        key = (trade, order_id)
        if trade_status is TradeStatus.FAILED:
            self.failed(cid, key, before, result)
            return
        if trade and key in self.model.trades:
            assert (result.verdict, result.fill) == (FillVerdict.DUPLICATE, None)
            return
        if trade:
            self.model.trades.add(key)
            applied_to = (cid, self.model.lives[cid]) if cid in self.model.sent else None
            self.model.counted[key] = (applied_to, Decimal(event.size), Decimal(event.price))
        if cid not in self.model.sent:  # the venue id is not known here
            assert result.verdict is FillVerdict.UNKNOWN_ORDER
            assert result.fill is not None
            assert result.fill.venue == VENUE
            return
        self.model.filled[cid] += event.size
        self.model.notional[cid] += event.size * event.price
        overfill = self.model.filled[cid] > SIZE
        assert result.verdict is (FillVerdict.OVERFILL if overfill else FillVerdict.NEW)
        assert result.fill is not None
        assert result.fill.client_order_id == cid
        (change,) = result.changes
        assert change.filled_size == self.model.filled[cid]
        assert change.previous is before
        assert change.status is after_fill(before, self.model.filled[cid] >= SIZE)

    def failed(
        self, cid: str, key: tuple[str, str], before: OrderStatus | None, result: FillResult
    ) -> None:
        """A FAILED report: it takes back a counted trade once; anything else is nothing."""
        counted = self.model.counted.get(key)
        if counted is None or key in self.model.failed:
            assert (result.verdict, result.fill, result.changes) == (
                FillVerdict.DUPLICATE,
                None,
                (),
            )
            return
        self.model.failed.add(key)
        owner, size, price = counted
        assert result.verdict is FillVerdict.REVERSED
        assert result.fill is not None
        assert (result.fill.size, result.fill.price) == (size, price)
        if (
            owner is None
            or self.model.lives.get(owner[0]) != owner[1]
            or (self.oms.get(owner[0]) is None)
        ):  # no order to undo it on (never applied, forgotten, or its id reused since)
            assert result.changes == ()
            return
        owner_id = owner[0]
        self.model.filled[owner_id] -= size
        self.model.notional[owner_id] -= size * price
        (change,) = result.changes
        assert change.filled_size == self.model.filled[owner_id]
        assert change.status is before  # a failure never moves the status

    @precondition(lambda self: self.model.sent)
    @rule(data=st.data(), trade=st.sampled_from(["t5", "t6", "t7"]), size=st.integers(1, 5))
    def trade_settles(self, data: st.DataObject, trade: str, size: int) -> None:
        """One trade of an order sent, through its settlement: reported three times,
        counted once."""
        cid = data.draw(st.sampled_from(sorted(self.model.sent)))
        for status in (TradeStatus.MATCHED, TradeStatus.MINED, TradeStatus.CONFIRMED):
            self.fill(cid, trade, size, "0.45", status, by_client_id=False)

    @rule(cid=ids)
    def outcome_unknown(self, cid: str) -> None:
        state = self.oms.get(cid)
        if state is None:
            with pytest.raises(KeyError):
                self.oms.outcome_unknown(cid, "timeout")
        elif state.status is OrderStatus.NEW:
            with pytest.raises(ValueError, match="never sent"):
                self.oms.outcome_unknown(cid, "timeout")
        else:
            self.check(self.oms.outcome_unknown(cid, "timeout", self.reported_id(cid)))

    @rule(cid=ids)
    def cancel_requested(self, cid: str) -> None:
        self.check(self.oms.cancel_requested(cid, "stop"))

    @rule(canceled=st.lists(ids, max_size=3), refused=st.lists(ids, max_size=3))
    def cancel_result(self, canceled: list[str], refused: list[str]) -> None:
        result = CancelResult(
            canceled=tuple(venue_id(cid) for cid in canceled),
            not_canceled={venue_id(cid): "matched" for cid in refused},
        )
        self.check(self.oms.cancel_result(VENUE, result))

    @rule(cid=ids, found=st.booleans(), status=statuses, filled=st.integers(0, 5))
    def resolved(self, cid: str, found: bool, status: OrderStatus, filled: int) -> None:
        answer = None
        if found:
            answer = VenueOrder(
                venue_order_id=self.reported_id(cid),
                market_id="m1",
                token_id="t",
                side=Side.BUY,
                price="0.5",
                size=SIZE,
                filled_size=filled,
                status=status,
                client_order_id=cid,
            )
        self.check(self.oms.resolved(cid, answer, "looked up"))

    @rule(cid=ids, status=statuses, by_client_id=st.booleans())
    def on_update(self, cid: str, status: OrderStatus, by_client_id: bool) -> None:
        update = VenueOrderUpdate(
            venue_order_id=self.reported_id(cid),
            status=status,
            client_order_id=cid if by_client_id else "",
        )
        self.check(self.oms.on_update(VENUE, update))

    @rule(back=st.integers(0, 3))
    def forget_closed(self, back: int) -> None:
        before = {cid: self.oms.get(cid) for cid in self.model.known}
        dropped = self.oms.forget_closed(self.now - back)
        gone = {cid for cid in self.model.known if self.oms.get(cid) is None}
        assert len(gone) == dropped
        for cid in gone:
            state = before[cid]
            assert state is not None
            assert state.status in TERMINAL
            assert state.updated_ms < self.now - back
            self.model.known.discard(cid)
            self.model.sent.discard(cid)
            self.model.last.pop(cid, None)

    @rule()
    def tick(self) -> None:
        self.now += 1

    @invariant()
    def agrees_with_the_model(self) -> None:
        oms, model = self.oms, self.model
        states = {}
        for cid in IDS:
            state = oms.get(cid)
            assert (state is not None) == (cid in model.known)
            if state is None:
                continue
            states[cid] = state
            assert state.order.client_order_id == cid
            assert state.status in OrderStatus
            assert state.filled_size == model.filled[cid]
            assert state.filled_notional == model.notional[cid]
            last = model.last.get(cid)
            if last in TERMINAL:
                assert state.status in TERMINAL
                assert state.status is last or state.status is OrderStatus.FILLED
            model.last[cid] = state.status
            if state.venue_order_id:
                assert state.venue_order_id == venue_id(cid)
                assert oms.by_venue_id(VENUE, state.venue_order_id) is state
            assert (cid in model.sent) == (state.venue_order_id != "")
        open_ids = {cid for cid, state in states.items() if state.status.open}
        assert len(oms.open_orders()) == len(open_ids)  # no order listed twice
        assert {s.order.client_order_id for s in oms.open_orders()} == open_ids
        assert {s.order.client_order_id for s in oms.open_orders(VENUE)} == open_ids
        for market in ("m1", "m2"):
            expected = {cid for cid in open_ids if states[cid].order.market_id == market}
            assert {s.order.client_order_id for s in oms.open_orders(VENUE, market)} == expected
            assert {s.order.client_order_id for s in oms.open_orders(None, market)} == expected
        unknown = {cid for cid, state in states.items() if state.status is OrderStatus.UNKNOWN}
        assert {s.order.client_order_id for s in oms.unknown_orders()} == unknown
        for state in oms.open_orders() + oms.unknown_orders():
            assert oms.get(state.order.client_order_id) is state


TestOmsMachine = OmsMachine.TestCase
TestOmsMachine.settings = settings(max_examples=150, stateful_step_count=50, deadline=None)
