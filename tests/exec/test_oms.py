"""The order manager by hand: every transition, acks, unknown outcomes, cancels, updates."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from agbotkit.exec.oms import OrderManager
from agbotkit.model.execution import OrderStatus as S
from agbotkit.model.execution import OrderStatusChanged
from agbotkit.model.venues import CancelResult, OrderAck, VenueOrder, VenueOrderUpdate

from .oms_values import T0, VENUE, Clock, fill, order, resting


def statuses(changes: list[OrderStatusChanged]) -> list[tuple[S | None, S]]:
    return [(change.previous, change.status) for change in changes]


def update(venue_order_id: str, status: S, **kwargs: object) -> VenueOrderUpdate:
    return VenueOrderUpdate(venue_order_id=venue_order_id, status=status, **kwargs)  # type: ignore[arg-type]


def venue_order(venue_order_id: str = "v1", **kwargs: object) -> VenueOrder:
    fields: dict[str, object] = {
        "market_id": "m1",
        "token_id": "m1-yes",
        "side": "BUY",
        "price": "0.40",
        "size": 10,
    }
    fields.update(kwargs)
    return VenueOrder(venue_order_id=venue_order_id, **fields)  # type: ignore[arg-type]


# -- the whole life ----------------------------------------------------------------------


def test_an_order_from_new_to_filled(oms: OrderManager, clock: Clock) -> None:
    added = oms.add(order("c1"))
    assert (added.previous, added.status, added.timestamp_ms) == (None, S.NEW, T0)
    assert added.component == "execution"
    clock.ms += 1
    sending = oms.submitting("c1")
    assert (sending.previous, sending.status, sending.timestamp_ms) == (S.NEW, S.SUBMITTING, T0 + 1)
    changes = oms.acknowledged(OrderAck(client_order_id="c1", venue_order_id="v1"))
    assert statuses(changes) == [(S.SUBMITTING, S.ACCEPTED)]
    assert changes[0].venue_order_id == "v1"
    assert oms.by_venue_id(VENUE, "v1") is oms.get("c1")
    first = oms.on_fill(VENUE, fill("v1", "t1", size=4, price="0.40"))
    assert statuses(list(first.changes)) == [(S.ACCEPTED, S.PARTIALLY_FILLED)]
    second = oms.on_fill(VENUE, fill("v1", "t2", size=6, price="0.45"))
    (done,) = second.changes
    assert (done.previous, done.status, done.filled_size) == (S.PARTIALLY_FILLED, S.FILLED, 10)
    assert done.average_price == Decimal("0.43")
    assert done.remaining_size == 0
    assert oms.open_orders() == []
    assert oms.counters.illegal_transitions == 0


def test_add_refuses_a_taken_client_id(oms: OrderManager) -> None:
    oms.add(order("c1"))
    with pytest.raises(ValueError, match="taken"):
        oms.add(order("c1"))


def test_an_order_is_never_sent_twice(oms: OrderManager) -> None:
    oms.add(order("c1"))
    oms.submitting("c1")
    with pytest.raises(ValueError, match="SUBMITTING, not NEW"):
        oms.submitting("c1")
    oms.outcome_unknown("c1", "timeout")
    with pytest.raises(ValueError, match="UNKNOWN, not NEW"):
        oms.submitting("c1")
    with pytest.raises(KeyError):
        oms.submitting("nobody")


def test_refuse_rejects_a_new_order_only(oms: OrderManager) -> None:
    oms.add(order("c1"))
    change = oms.refuse("c1", "kill switch")
    assert (change.previous, change.status, change.reason) == (S.NEW, S.REJECTED, "kill switch")
    with pytest.raises(ValueError, match="REJECTED"):
        oms.refuse("c1", "again")
    with pytest.raises(ValueError, match="REJECTED"):
        oms.submitting("c1")


# -- acknowledgements --------------------------------------------------------------------


@pytest.mark.parametrize(
    "status", [S.ACCEPTED, S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.REJECTED]
)
def test_an_ack_sets_its_status(oms: OrderManager, status: S) -> None:
    oms.add(order("c1"))
    oms.submitting("c1")
    ack = OrderAck(client_order_id="c1", venue_order_id="v1", status=status, reason="why")
    (change,) = oms.acknowledged(ack)
    assert (change.previous, change.status, change.venue_order_id) == (S.SUBMITTING, status, "v1")
    assert change.reason == "why"


def test_an_ack_after_the_fills_does_not_move_the_order_back(oms: OrderManager) -> None:
    oms.add(order("c1"))
    oms.submitting("c1")
    result = oms.on_fill(VENUE, fill("", "t1", size=3, client_order_id="c1"))
    assert result.changes[0].status is S.PARTIALLY_FILLED
    (change,) = oms.acknowledged(OrderAck(client_order_id="c1", venue_order_id="v1"))
    # Only the venue's id is news: the order stays partly filled.
    assert (change.previous, change.status, change.venue_order_id) == (
        S.PARTIALLY_FILLED,
        S.PARTIALLY_FILLED,
        "v1",
    )
    assert oms.counters.illegal_transitions == 0
    assert oms.acknowledged(OrderAck(client_order_id="c1", venue_order_id="v1")) == []


def test_a_fill_before_the_ack_teaches_the_venue_id(oms: OrderManager) -> None:
    oms.add(order("c1"))
    oms.submitting("c1")
    oms.on_fill(VENUE, fill("v1", "t1", size=3, client_order_id="c1"))
    assert oms.by_venue_id(VENUE, "v1") is oms.get("c1")
    assert oms.acknowledged(OrderAck(client_order_id="c1", venue_order_id="v1")) == []
    (change,) = oms.acknowledged(
        OrderAck(client_order_id="c1", venue_order_id="v1", status=S.FILLED)
    )
    assert (change.previous, change.status) == (S.PARTIALLY_FILLED, S.FILLED)


def test_a_contradicting_ack_is_counted_not_raised(
    oms: OrderManager, caplog: pytest.LogCaptureFixture
) -> None:
    resting(oms)
    ack = OrderAck(client_order_id="c1", venue_order_id="v1", status=S.REJECTED)
    assert oms.acknowledged(ack) == []
    assert oms.get("c1").status is S.ACCEPTED  # type: ignore[union-attr]
    assert oms.counters.illegal_transitions == 1
    assert "ACCEPTED -> REJECTED is not allowed" in caplog.text


def test_an_ack_for_an_unknown_order_is_counted(oms: OrderManager) -> None:
    assert oms.acknowledged(OrderAck(client_order_id="ghost", venue_order_id="v9")) == []
    assert oms.counters.unknown_order_updates == 1


# -- submits whose outcome was lost ------------------------------------------------------


def test_a_lost_answer_makes_the_order_unknown(oms: OrderManager) -> None:
    oms.add(order("c1"))
    oms.submitting("c1", venue_order_id="0xhash")
    (change,) = oms.outcome_unknown("c1", "timeout")
    assert (change.previous, change.status, change.reason) == (S.SUBMITTING, S.UNKNOWN, "timeout")
    assert change.venue_order_id == "0xhash"
    assert oms.unknown_orders() == [oms.get("c1")]
    assert oms.open_orders() == [oms.get("c1")]


def test_outcome_unknown_after_the_venue_spoke_changes_nothing(oms: OrderManager) -> None:
    resting(oms)
    assert oms.outcome_unknown("c1", "timeout", venue_order_id="v1") == []
    assert oms.get("c1").status is S.ACCEPTED  # type: ignore[union-attr]
    oms.add(order("c2"))
    with pytest.raises(ValueError, match="never sent"):
        oms.outcome_unknown("c2", "timeout")
    with pytest.raises(KeyError):
        oms.outcome_unknown("nobody", "timeout")


def unknown(oms: OrderManager, client_order_id: str = "c1", venue_order_id: str = "0xhash") -> None:
    oms.add(order(client_order_id))
    oms.submitting(client_order_id, venue_order_id=venue_order_id)
    oms.outcome_unknown(client_order_id, "connection dropped")


def test_an_unknown_order_found_resting_on_the_venue(oms: OrderManager) -> None:
    unknown(oms)
    (change,) = oms.resolved("c1", venue_order("0xhash"))
    assert (change.previous, change.status, change.reason) == (
        S.UNKNOWN,
        S.ACCEPTED,
        "found on the venue",
    )
    assert oms.unknown_orders() == []


def test_an_unknown_order_found_partly_filled_keeps_our_fill_count(oms: OrderManager) -> None:
    unknown(oms)
    (change,) = oms.resolved("c1", venue_order("0xhash", filled_size=3), "looked up")
    assert (change.status, change.filled_size, change.reason) == (
        S.PARTIALLY_FILLED,
        0,
        "looked up",
    )
    # The fills come as events and are counted then.
    result = oms.on_fill(VENUE, fill("0xhash", "t1", size=3))
    assert result.changes[0].filled_size == 3


def test_an_unknown_order_found_filled_takes_the_venues_status(oms: OrderManager) -> None:
    unknown(oms)
    found = venue_order("0xhash", filled_size=10, status=S.FILLED)
    (change,) = oms.resolved("c1", found)
    assert (change.status, change.filled_size) == (S.FILLED, 0)


def test_an_unknown_order_that_never_arrived_is_rejected(oms: OrderManager) -> None:
    unknown(oms)
    (change,) = oms.resolved("c1", None, "lookup: 404")
    assert (change.previous, change.status) == (S.UNKNOWN, S.REJECTED)
    assert change.reason == "never reached the venue: lookup: 404"
    assert oms.open_orders() == []
    assert oms.unknown_orders() == []
    assert oms.resolved("c1", None) == []  # resolved already


def test_an_ack_or_a_fill_resolves_an_unknown_order(oms: OrderManager) -> None:
    unknown(oms, "c1", "0xa")
    unknown(oms, "c2", "0xb")
    (acked,) = oms.acknowledged(OrderAck(client_order_id="c1", venue_order_id="0xa"))
    assert (acked.previous, acked.status) == (S.UNKNOWN, S.ACCEPTED)
    (filled,) = oms.on_fill(VENUE, fill("0xb", "t1", size=10)).changes
    assert (filled.previous, filled.status) == (S.UNKNOWN, S.FILLED)
    assert oms.unknown_orders() == []


def test_resolving_an_unknown_id_is_counted(oms: OrderManager) -> None:
    assert oms.resolved("ghost", None) == []
    assert oms.counters.unknown_order_updates == 1


# -- cancels -----------------------------------------------------------------------------


def test_cancel_of_a_resting_order(oms: OrderManager) -> None:
    resting(oms)
    (pending,) = oms.cancel_requested("c1", "strategy says")
    assert (pending.previous, pending.status, pending.reason) == (
        S.ACCEPTED,
        S.CANCEL_PENDING,
        "strategy says",
    )
    assert oms.get("c1").status_before_cancel is S.ACCEPTED  # type: ignore[union-attr]
    assert oms.cancel_requested("c1", "again") == []  # already pending
    (done,) = oms.cancel_result(VENUE, CancelResult(canceled=("v1",)))
    assert (done.previous, done.status, done.reason) == (
        S.CANCEL_PENDING,
        S.CANCELED,
        "strategy says",
    )
    assert oms.open_orders() == []
    assert oms.cancel_requested("c1", "late") == []  # terminal


def test_cancel_of_a_new_order_rejects_it(oms: OrderManager) -> None:
    oms.add(order("c1"))
    oms.add(order("c2"))
    (change,) = oms.cancel_requested("c1", "")
    assert (change.status, change.reason) == (S.REJECTED, "cancelled before sending")
    (change,) = oms.cancel_requested("c2", "kill switch")
    assert change.reason == "cancelled before sending: kill switch"


def test_cancel_of_a_submitting_order_waits_for_its_ack(oms: OrderManager) -> None:
    oms.add(order("c1"))
    oms.submitting("c1")
    assert oms.cancel_requested("c1", "stop") == []
    assert oms.get("c1").status is S.SUBMITTING  # type: ignore[union-attr]


def test_cancel_of_an_unknown_order_then_it_never_arrived(oms: OrderManager) -> None:
    unknown(oms)
    (pending,) = oms.cancel_requested("c1", "stop")
    assert pending.status is S.CANCEL_PENDING
    (change,) = oms.resolved("c1", None)
    assert (change.previous, change.status) == (S.CANCEL_PENDING, S.REJECTED)


def test_cancel_of_an_unknown_id_is_ignored(oms: OrderManager) -> None:
    assert oms.cancel_requested("ghost", "stop") == []


@pytest.mark.parametrize("before", [S.ACCEPTED, S.PARTIALLY_FILLED])
def test_a_refused_cancel_goes_back(
    oms: OrderManager, before: S, caplog: pytest.LogCaptureFixture
) -> None:
    resting(oms)
    if before is S.PARTIALLY_FILLED:
        oms.on_fill(VENUE, fill("v1", "t1", size=2))
    oms.cancel_requested("c1", "stop")
    caplog.set_level(logging.INFO)
    refusal = CancelResult(not_canceled={"v1": "order is being matched"})
    (change,) = oms.cancel_result(VENUE, refusal)
    assert (change.previous, change.status) == (S.CANCEL_PENDING, before)
    assert change.reason == "cancel refused: order is being matched"
    assert "refused to cancel" in caplog.text
    assert oms.get("c1").status_before_cancel is None  # type: ignore[union-attr]
    assert oms.cancel_result(VENUE, refusal) == []  # not pending any more


def test_a_refused_cancel_after_fills_returns_partly_filled(oms: OrderManager) -> None:
    resting(oms)
    oms.cancel_requested("c1", "stop")
    (change,) = oms.on_fill(VENUE, fill("v1", "t1", size=2)).changes
    assert (change.status, change.filled_size) == (S.CANCEL_PENDING, 2)
    (back,) = oms.cancel_result(VENUE, CancelResult(not_canceled={"v1": "matched"}))
    assert back.status is S.PARTIALLY_FILLED


def test_the_venue_cancelling_an_open_order_is_the_truth(oms: OrderManager) -> None:
    resting(oms, "c1", "v1")
    unknown(oms, "c2", "0xb")
    changes = oms.cancel_result(VENUE, CancelResult(canceled=("v1", "0xb", "v404")))
    assert statuses(changes) == [(S.ACCEPTED, S.CANCELED), (S.UNKNOWN, S.CANCELED)]
    assert oms.counters.unknown_order_updates == 1
    assert oms.cancel_result(VENUE, CancelResult(canceled=("v1",))) == []  # said twice


def test_cancel_all_goes_through_the_open_orders(oms: OrderManager) -> None:
    for n in range(5):
        resting(oms, f"c{n}", f"v{n}", market_id=f"m{n % 2}")
    for state in oms.open_orders(VENUE, "m0"):
        oms.cancel_requested(state.order.client_order_id, "cancel all")
    changes = oms.cancel_result(VENUE, CancelResult(canceled=("v0", "v2", "v4")))
    assert [change.client_order_id for change in changes] == ["c0", "c2", "c4"]
    assert [state.order.client_order_id for state in oms.open_orders()] == ["c1", "c3"]


# -- the venue's updates -----------------------------------------------------------------


@pytest.mark.parametrize("status", [S.CANCELED, S.EXPIRED])
def test_the_venue_ends_an_order(oms: OrderManager, status: S) -> None:
    resting(oms)
    (change,) = oms.on_update(VENUE, update("v1", status, reason="GTD expiry"))
    assert (change.previous, change.status, change.reason) == (S.ACCEPTED, status, "GTD expiry")
    assert oms.open_orders() == []


def test_an_update_moves_an_order_by_the_table(oms: OrderManager) -> None:
    resting(oms)
    (change,) = oms.on_update(VENUE, update("v1", S.PARTIALLY_FILLED, filled_size=4))
    assert (change.status, change.filled_size) == (S.PARTIALLY_FILLED, 0)  # fills count
    assert oms.on_update(VENUE, update("v1", S.PARTIALLY_FILLED)) == []  # said again
    assert oms.on_update(VENUE, update("v1", S.ACCEPTED)) == []  # old news
    (change,) = oms.on_update(VENUE, update("v1", S.FILLED))
    assert change.status is S.FILLED
    assert oms.counters.illegal_transitions == 0


def test_an_update_matched_by_client_id_records_the_venue_id(oms: OrderManager) -> None:
    oms.add(order("c1"))
    oms.submitting("c1")
    (change,) = oms.on_update(VENUE, update("v1", S.ACCEPTED, client_order_id="c1"))
    assert (change.status, change.venue_order_id) == (S.ACCEPTED, "v1")
    assert oms.by_venue_id(VENUE, "v1") is oms.get("c1")


def test_a_resting_report_during_a_cancel_keeps_it_pending(oms: OrderManager) -> None:
    resting(oms)
    oms.cancel_requested("c1", "stop")
    assert oms.on_update(VENUE, update("v1", S.PARTIALLY_FILLED)) == []
    state = oms.get("c1")
    assert state is not None
    assert (state.status, state.status_before_cancel) == (S.CANCEL_PENDING, S.PARTIALLY_FILLED)
    (change,) = oms.on_update(VENUE, update("v1", S.CANCELED))
    assert change.status is S.CANCELED


def test_illegal_updates_are_counted_and_change_nothing(
    oms: OrderManager, caplog: pytest.LogCaptureFixture
) -> None:
    resting(oms)
    oms.on_update(VENUE, update("v1", S.CANCELED))
    assert oms.on_update(VENUE, update("v1", S.ACCEPTED)) == []
    assert oms.on_update(VENUE, update("v1", S.PARTIALLY_FILLED)) == []
    assert oms.on_update(VENUE, update("v1", S.EXPIRED)) == []
    assert oms.get("c1").status is S.CANCELED  # type: ignore[union-attr]
    assert oms.counters.illegal_transitions == 3
    assert [r.levelname for r in caplog.records].count("WARNING") == 3
    assert "CANCELED -> ACCEPTED is not allowed" in caplog.text


def test_an_update_for_an_unknown_order_is_counted(oms: OrderManager) -> None:
    assert oms.on_update(VENUE, update("v404", S.CANCELED)) == []
    resting(oms)
    assert oms.on_update("other-venue", update("v1", S.CANCELED)) == []
    assert oms.counters.unknown_order_updates == 2


def test_a_cancel_answer_naming_strangers_is_logged_once(
    oms: OrderManager, caplog: pytest.LogCaptureFixture
) -> None:
    resting(oms)
    answer = CancelResult(
        canceled=("v1", *(f"x{n}" for n in range(6))), not_canceled={"y": "unknown order"}
    )
    assert statuses(oms.cancel_result(VENUE, answer)) == [(S.ACCEPTED, S.CANCELED)]
    assert oms.counters.unknown_order_updates == 7
    (record,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "names 7 orders not known here: x0, x1, x2, x3, x4, ..." in record.getMessage()


def test_a_venue_that_uses_our_ids_as_its_own(oms: OrderManager) -> None:
    oms.add(order("c1"))
    oms.submitting("c1")
    oms.acknowledged(OrderAck(client_order_id="c1"))  # no id of its own
    oms.cancel_requested("c1", "stop")
    (change,) = oms.cancel_result(VENUE, CancelResult(canceled=("c1",)))
    assert (change.previous, change.status) == (S.CANCEL_PENDING, S.CANCELED)


def test_a_cancel_the_venue_started_goes_back_when_it_fails(oms: OrderManager) -> None:
    resting(oms)
    (pending,) = oms.on_update(VENUE, update("v1", S.CANCEL_PENDING))
    assert pending.status is S.CANCEL_PENDING
    (back,) = oms.cancel_result(VENUE, CancelResult(not_canceled={"v1": "too late"}))
    assert (back.previous, back.status) == (S.CANCEL_PENDING, S.ACCEPTED)
