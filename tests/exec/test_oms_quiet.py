"""An order manager that publishes only some statuses (``publish``) tracks every order
exactly as one that publishes all, and returns the one placeholder for the changes it
leaves out instead of building events nobody reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from agbotkit.exec.oms import OrderManager
from agbotkit.exec.state import UNPUBLISHED
from agbotkit.model.execution import OrderStatus as S
from agbotkit.model.execution import OrderStatusChanged
from agbotkit.model.venues import CancelResult, OrderAck, VenueOrderUpdate

from .oms_values import VENUE, Clock, fill, order

Step = Callable[[OrderManager], Any]

# One script through most of the order manager's paths: acks, fills, cancels (granted and
# refused), updates, an unknown outcome resolved, a refusal.
SCRIPT: list[Step] = [
    lambda m: m.add(order("a")),
    lambda m: m.submitting("a", "va"),
    lambda m: m.acknowledged(OrderAck(client_order_id="a", venue_order_id="va")),
    lambda m: m.on_fill(VENUE, fill("va", "t1", size=4)),
    lambda m: m.cancel_requested("a", "strategy"),
    lambda m: m.cancel_result(VENUE, CancelResult(not_canceled={"va": "busy"})),
    lambda m: m.cancel_requested("a", "again"),
    lambda m: m.cancel_result(VENUE, CancelResult(canceled=("va",))),
    lambda m: m.add(order("b")),
    lambda m: m.submitting("b"),
    lambda m: m.outcome_unknown("b", "timeout"),
    lambda m: m.resolved("b", None, "not found"),
    lambda m: m.add(order("c")),
    lambda m: m.submitting("c", "vc"),
    lambda m: m.on_update(VENUE, VenueOrderUpdate(venue_order_id="vc", status=S.ACCEPTED)),
    lambda m: m.on_fill(VENUE, fill("vc", "t2", size=10)),
    lambda m: m.add(order("d")),
    lambda m: m.refuse("d", "dry run"),
]


def changes_of(result: Any) -> list[OrderStatusChanged]:
    if isinstance(result, OrderStatusChanged):
        return [result]
    if isinstance(result, list):
        return result
    return list(getattr(result, "changes", ()))


def state_of(oms: OrderManager, client_order_id: str) -> tuple[object, ...]:
    state = oms.get(client_order_id)
    assert state is not None
    return (
        state.status,
        state.venue_order_id,
        state.filled_size,
        state.filled_notional,
        state.reason,
        state.updated_ms,
        state.status_before_cancel,
    )


@pytest.mark.parametrize(
    "publish", [frozenset(), frozenset({S.CANCELED, S.EXPIRED}), frozenset({S.FILLED})]
)
def test_publishing_some_statuses_tracks_the_same(publish: frozenset[S]) -> None:
    clock = Clock()
    loud = OrderManager(component="execution", now_ms=clock)
    quiet = OrderManager(component="execution", now_ms=clock)
    quiet.publish = publish
    published = 0
    for step in SCRIPT:
        clock.ms += 1
        heard = changes_of(step(loud))
        said = changes_of(step(quiet))
        published += len(heard)
        # as many changes; the ones of a published status equal, the rest the placeholder
        assert len(said) == len(heard)
        for mine, theirs in zip(said, heard, strict=True):
            assert theirs is not UNPUBLISHED
            if theirs.status in publish:
                assert mine == theirs
            else:
                assert mine is UNPUBLISHED
        for client_order_id in ("a", "b", "c", "d"):
            if loud.get(client_order_id) is not None:
                assert state_of(quiet, client_order_id) == state_of(loud, client_order_id)
    assert published >= len(SCRIPT)
    assert [s.order.client_order_id for s in quiet.open_orders()] == [
        s.order.client_order_id for s in loud.open_orders()
    ]
    assert quiet.counters == loud.counters
    assert {c: quiet.get(c).status for c in "abcd"} == {  # type: ignore[union-attr]
        "a": S.CANCELED,
        "b": S.REJECTED,
        "c": S.FILLED,
        "d": S.REJECTED,
    }


def test_the_placeholder_names_no_real_order() -> None:
    assert UNPUBLISHED.client_order_id == "(unpublished)"
    assert UNPUBLISHED.order.market_id == UNPUBLISHED.order.token_id == ""
