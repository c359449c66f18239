"""The order manager against the venue's open orders, its queries and its memory bound."""

from __future__ import annotations

import logging

import pytest

from agbotkit.exec.oms import OrderManager
from agbotkit.model.execution import OrderStatus as S
from agbotkit.model.orders import OrderType
from agbotkit.model.venues import OrderAck, VenueOrder

from .oms_values import T0, VENUE, Clock, fill, order, resting


def listed(venue_order_id: str, **kwargs: object) -> VenueOrder:
    fields: dict[str, object] = {
        "market_id": "m1",
        "token_id": "m1-yes",
        "side": "SELL",
        "price": "0.60",
        "size": 20,
        "created_ms": T0 - 1000,
    }
    fields.update(kwargs)
    return VenueOrder(venue_order_id=venue_order_id, **fields)  # type: ignore[arg-type]


def test_reconcile_adopts_what_it_does_not_know(
    oms: OrderManager, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    resting(oms, "c1", "v1")
    resting(oms, "c2", "v2")  # not on the venue any more
    oms.add(order("c3"))
    oms.submitting("c3")  # in flight: the venue may not list it yet
    venue_side = [
        listed("v1", client_order_id="c1"),
        listed("v8", client_order_id="theirs", status=S.PARTIALLY_FILLED, filled_size=5),
        listed("v9", order_type=OrderType.GTD, expires_at_ms=T0 + 60_000),
    ]
    result = oms.reconcile(VENUE, venue_side, adopt=True)
    assert (result.matched, result.to_cancel, result.missing_on_venue) == (1, (), ("c2",))
    assert [(c.client_order_id, c.previous, c.status) for c in result.adopted] == [
        ("theirs", None, S.PARTIALLY_FILLED),
        ("adopted-v9", None, S.ACCEPTED),
    ]
    adopted = oms.get("adopted-v9")
    assert adopted is not None
    assert oms.by_venue_id(VENUE, "v9") is adopted
    assert adopted.order.order_type is OrderType.GTD
    assert adopted.order.expires_at_ms == T0 + 60_000
    assert (adopted.order.side, adopted.order.size, adopted.order.strategy) == ("SELL", 20, "")
    assert adopted.reason == "adopted from the venue"
    assert result.adopted[0].filled_size == 0  # fills before now were never counted here
    assert "1 matched, 2 adopted, 0 to cancel, 1 missing on the venue" in caplog.text
    # Adopted orders live on like ours: fills count, cancels work.
    assert oms.on_fill(VENUE, fill("v8", "t1", size=15)).changes[0].status is S.PARTIALLY_FILLED
    assert oms.cancel_requested("adopted-v9", "not ours")[0].status is S.CANCEL_PENDING


def test_reconcile_lists_strangers_to_cancel(oms: OrderManager) -> None:
    resting(oms, "c1", "v1")
    stranger = listed("v8")
    result = oms.reconcile(VENUE, [listed("v1"), stranger], adopt=False)
    assert (result.matched, result.adopted, result.to_cancel) == (1, (), (stranger,))
    assert oms.by_venue_id(VENUE, "v8") is None
    assert len(oms.open_orders()) == 1


def test_reconcile_cancels_an_order_that_ended_here(oms: OrderManager) -> None:
    resting(oms, "c1", "v1")
    oms.cancel_requested("c1", "stop")
    oms.on_fill(VENUE, fill("v1", "t1", size=10))  # FILLED here
    still_there = listed("v1")
    result = oms.reconcile(VENUE, [still_there], adopt=True)
    assert (result.matched, result.adopted, result.to_cancel) == (0, (), (still_there,))


def test_reconcile_cannot_adopt_an_impossible_order(
    oms: OrderManager, caplog: pytest.LogCaptureFixture
) -> None:
    odd = listed("v8", price="1.5")
    result = oms.reconcile(VENUE, [odd, listed("v9", status=S.CANCELED)], adopt=True)
    assert (result.adopted, result.to_cancel) == ((), (odd,))
    assert "cannot adopt paper order v8" in caplog.text


def test_reconcile_learns_the_venue_id_of_a_matched_order(oms: OrderManager) -> None:
    oms.add(order("c1"))
    oms.submitting("c1")
    oms.outcome_unknown("c1", "timeout")
    result = oms.reconcile(VENUE, [listed("v1", client_order_id="c1")], adopt=True)
    assert (result.matched, result.missing_on_venue) == (1, ())
    assert oms.by_venue_id(VENUE, "v1") is oms.get("c1")


def test_missing_orders_are_resolved_by_looking_them_up(oms: OrderManager) -> None:
    resting(oms, "c1", "v1")
    resting(oms, "c2", "v2")
    result = oms.reconcile(VENUE, [], adopt=True)
    assert result.missing_on_venue == ("c1", "c2")
    (gone,) = oms.resolved("c1", None)
    assert (gone.previous, gone.status) == (S.ACCEPTED, S.CANCELED)
    assert gone.reason == "the venue no longer knows it"
    (filled,) = oms.resolved("c2", listed("v2", status=S.FILLED, filled_size=20))
    assert (filled.previous, filled.status, filled.filled_size) == (S.ACCEPTED, S.FILLED, 0)


def test_open_orders_by_venue_and_market(oms: OrderManager) -> None:
    resting(oms, "a", "va", market_id="m1")
    resting(oms, "b", "vb", market_id="m2")
    oms.add(order("c", venue="other", market_id="m1"))
    oms.submitting("c")
    oms.add(order("d"))  # NEW: not open

    def ids(states: list[object]) -> list[str]:
        return [s.order.client_order_id for s in states]  # type: ignore[attr-defined]

    assert ids(oms.open_orders()) == ["a", "b", "c"]
    assert ids(oms.open_orders(VENUE)) == ["a", "b"]
    assert ids(oms.open_orders(VENUE, "m2")) == ["b"]
    assert ids(oms.open_orders(None, "m1")) == ["a", "c"]
    assert ids(oms.open_orders("other")) == ["c"]
    assert oms.open_orders("nowhere") == []
    assert oms.open_orders(VENUE, "m9") == []
    oms.acknowledged(OrderAck(client_order_id="c", status=S.REJECTED))
    assert oms.open_orders("other") == []
    assert oms.by_venue_id(VENUE, "nope") is None
    assert oms.get("nope") is None


def test_forget_closed_drops_old_terminal_orders_only(oms: OrderManager, clock: Clock) -> None:
    resting(oms, "open", "v1")
    oms.add(order("old"))
    oms.refuse("old", "dry run")
    clock.ms += 10
    oms.add(order("recent"))
    oms.refuse("recent", "dry run")
    assert oms.forget_closed(T0 + 5) == 1
    assert oms.get("old") is None
    assert oms.get("recent") is not None
    assert oms.get("open") is not None
    assert oms.forget_closed(T0 + 5) == 0
    oms.add(order("old"))  # its id is free again


def test_a_venue_id_changing_or_claimed_twice_is_logged(
    oms: OrderManager, caplog: pytest.LogCaptureFixture
) -> None:
    oms.add(order("c1"))
    oms.submitting("c1", venue_order_id="0xguess")
    oms.acknowledged(OrderAck(client_order_id="c1", venue_order_id="0xreal"))
    assert oms.by_venue_id(VENUE, "0xreal") is oms.get("c1")
    assert oms.by_venue_id(VENUE, "0xguess") is None
    assert "the venue's id changed from 0xguess to 0xreal" in caplog.text
    oms.add(order("c2"))
    oms.submitting("c2")
    oms.acknowledged(OrderAck(client_order_id="c2", venue_order_id="0xreal"))
    assert oms.by_venue_id(VENUE, "0xreal") is oms.get("c2")
    assert "order id 0xreal was order c1's, now order c2's" in caplog.text
