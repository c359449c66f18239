"""The public venue contract check passes the scripted test venue (it is not the example's
only), and fails a venue that breaks the contract."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import trio.testing

from agbotkit.model.orders import Order, Side
from agbotkit.model.venues import VenueOrder
from agbotkit.testing import ScriptedExchange, ScriptedVenue, check_venue_contract
from agbotkit.testing.venue import ScriptedVenueConfig

TEMPLATE = Order(
    client_order_id="template",
    venue="sim",
    market_id="0xm",
    token_id="yes",
    side=Side.BUY,
    price="0.40",
    size=10,
)


@pytest.fixture
def exchange() -> Iterator[str]:
    ScriptedExchange.forget("contract")
    yield "contract"
    ScriptedExchange.forget("contract")


async def test_the_scripted_venue_keeps_the_contract(
    autojump_clock: trio.testing.MockClock, exchange: str
) -> None:
    await check_venue_contract(
        lambda context: ScriptedVenue(ScriptedVenueConfig(exchange=exchange), context),
        resting=TEMPLATE,
    )


class Forgetful(ScriptedVenue):
    """Loses track of orders: knows no order by its id."""

    async def get_order(self, venue_order_id: str) -> VenueOrder | None:
        return None


async def test_a_venue_that_loses_its_orders_fails_it(
    autojump_clock: trio.testing.MockClock, exchange: str
) -> None:
    def make(context: Any) -> ScriptedVenue:
        return Forgetful(ScriptedVenueConfig(exchange=exchange), context)

    with pytest.raises(AssertionError, match="get_order does not find an order it accepted"):
        await check_venue_contract(make, resting=TEMPLATE)
