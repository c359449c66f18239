"""MultiMarketCoordinator: who hears which market, whose orders are whose, and event
inventory (pure: no event loop)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agbotkit.model.markets import MarketInfo
from agbotkit.model.orders import Fill, OrderIntent, Side
from agbotkit.strategies.coordinator import MultiMarketCoordinator

A, B, C, SOLO = "0xa", "0xb", "0xc", "0xsolo"
EVENT = "0xevent"


def info(market: str, event_id: str | None = EVENT) -> MarketInfo:
    return MarketInfo(
        market, f"{market}?", market, ("Yes", "No"), (f"{market}-yes", f"{market}-no"),
        Decimal("0.01"), Decimal(5), event_id is not None, None, True, False, None, event_id,
    )  # fmt: skip


def intent(cid: str, market: str = A, venue: str = "") -> OrderIntent:
    return OrderIntent(
        market_id=market, token_id=f"{market}-yes", side=Side.BUY, price="0.3", size=10,
        client_order_id=cid, venue=venue,
    )  # fmt: skip


def fill(cid: str, token: str, size: int, side: Side = Side.BUY) -> Fill:
    return Fill(token_id=token, side=side, price="0.3", size=size, client_order_id=cid)


@pytest.fixture
def coordinator() -> MultiMarketCoordinator:
    c = MultiMarketCoordinator()
    c.register("arb", [A, B, C], venue="polymarket")
    c.register("mm", [A])
    c.register("watcher")  # no markets: hears them all
    for market in (A, B, C):
        c.learn_market(info(market))
    c.learn_market(info(SOLO, event_id=None))
    return c


def test_market_data_goes_to_the_strategies_subscribed_to_its_market(
    coordinator: MultiMarketCoordinator,
) -> None:
    assert coordinator.listeners(A) == ("arb", "mm", "watcher")
    assert coordinator.listeners(B) == ("arb", "watcher")
    assert coordinator.listeners(SOLO) == ("watcher",)
    coordinator.register("mm", [SOLO])  # re-registered: its markets change
    assert coordinator.listeners(A) == ("arb", "watcher")
    assert coordinator.listeners(SOLO) == ("mm", "watcher")  # registration order
    coordinator.unregister("watcher")
    assert coordinator.listeners(B) == ("arb",)


def test_orders_go_to_each_strategys_venue_and_their_answers_come_back(
    coordinator: MultiMarketCoordinator,
) -> None:
    routed = coordinator.route_order("arb", intent("arb-1"))
    assert (routed.venue, routed.strategy) == ("polymarket", "arb")
    # An order that names its venue keeps it; a strategy without a venue leaves it empty.
    assert coordinator.route_order("arb", intent("arb-2", venue="paper")).venue == "paper"
    assert coordinator.route_order("mm", intent("mm-1")).venue == ""
    assert coordinator.owner("arb-1") == "arb"
    assert coordinator.owner("mm-1") == "mm"
    assert coordinator.owner("nobody-1") is None
    assert coordinator.apply_fill(fill("mm-1", f"{A}-yes", 4)) == "mm"
    assert coordinator.apply_fill(fill("nobody-1", f"{A}-yes", 4)) is None
    assert coordinator.position("mm", f"{A}-yes") == 4
    assert coordinator.position("arb", f"{A}-yes") == 0
    with pytest.raises(ValueError, match="client order id"):
        coordinator.route_order("arb", intent(""))
    with pytest.raises(KeyError):
        coordinator.route_order("ghost", intent("g-1"))


def test_inventory_is_tracked_across_the_markets_of_an_event(
    coordinator: MultiMarketCoordinator,
) -> None:
    assert coordinator.event_of(A) == EVENT
    assert coordinator.event_of(SOLO) == SOLO
    assert coordinator.event_markets(EVENT) == (A, B, C)
    for n, market in enumerate((A, B, C), 1):
        coordinator.route_order("arb", intent(f"arb-{n}", market))
        coordinator.apply_fill(fill(f"arb-{n}", f"{market}-yes", 10 * n))
    coordinator.route_order("arb", intent("arb-9", B))
    coordinator.apply_fill(fill("arb-9", f"{B}-no", 5))
    coordinator.apply_fill(fill("arb-1", f"{A}-yes", 4, Side.SELL))
    inventory = coordinator.event_inventory("arb", EVENT)
    assert inventory.markets == (A, B, C)
    assert inventory.shares[f"{A}-yes"] == 6
    assert inventory.shares[f"{B}-no"] == 5
    assert inventory.net_yes == {A: 6, B: 15, C: 30}
    assert inventory.complete_baskets == 6  # the thinnest leg: A's YES
    # Another strategy's inventory of the same event is its own.
    assert coordinator.event_inventory("mm", EVENT).complete_baskets == 0
    # A market that leaves the event no longer counts in it.
    coordinator.assign_event(A, "0xother")
    assert coordinator.event_inventory("arb", EVENT).complete_baskets == 20
    assert coordinator.event_markets("0xother") == (A,)
