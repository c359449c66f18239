"""The example plugin's venue, found through its entry point and held to the venue contract."""

from __future__ import annotations

import inspect
import math
import re
import sys
from decimal import Decimal
from typing import Any

import pytest
import trio
import trio.testing

from agbotkit import (
    FILLS,
    ORDER_DECISIONS,
    ORDER_UPDATES,
    Bus,
    ComponentContext,
    Fill,
    Order,
    OrderApproved,
    OrderIntent,
    OrderStatus,
    OrderType,
    Overflow,
    RateLimitedError,
    Side,
    TradeStatus,
    VenueAdapter,
    VenueContext,
    VenueError,
    VenueEvent,
    VenueOrderUpdate,
)
from agbotkit.plugins import PluginRegistry
from agbotkit.testing import Supervisor, check_venue_contract, plan_from_yaml

VENUES = "agbotkit.venues"


def load() -> type[VenueAdapter[Any]]:
    cls = PluginRegistry().load(VENUES, "example_venue")
    assert isinstance(cls, type)
    assert issubclass(cls, VenueAdapter)
    return cls


def order(price: str = "0.40", side: Side = Side.BUY, **changes: Any) -> Order:
    fields: dict[str, Any] = {
        "client_order_id": "template",
        "venue": "toy",
        "market_id": "0xm",
        "token_id": "yes",
        "side": side,
        "price": price,
        "size": 10,
    }
    return Order(**(fields | changes))


def test_found_through_its_entry_point_in_its_own_distribution() -> None:
    cls = load()
    assert cls.__module__ == "agbotkit_example.venue"
    infos = {(i.group, i.name): i for i in PluginRegistry().infos()}
    assert infos[(VENUES, "example_venue")].distribution == "agbotkit-example"
    assert cls.capabilities.real_money is False
    assert cls.capabilities.max_batch == 5


def test_it_imports_agbotkit_only_from_the_top_level() -> None:
    source = inspect.getsource(sys.modules[load().__module__])
    assert re.findall(r"^(?:from|import) (agbotkit\S*)", source, re.M) == ["agbotkit"]


async def test_keeps_the_venue_contract(autojump_clock: trio.testing.MockClock) -> None:
    cls = load()
    await check_venue_contract(
        lambda context: cls(cls.Config(fair_price=Decimal("0.5")), context),
        resting=order("0.40"),
        marketable=order("0.55"),
    )


async def test_the_contract_check_catches_a_broken_venue(
    autojump_clock: trio.testing.MockClock,
) -> None:
    # The check must be able to fail: a venue that forgets to filter by market.
    cls = load()

    class Sloppy(cls):  # type: ignore[misc, valid-type]
        async def cancel_all(self, market_id: str | None = None) -> Any:
            return await super().cancel_all(None)

    with pytest.raises(AssertionError, match=r"cancel_all\(market_id\) cancelled"):
        await check_venue_contract(
            lambda context: Sloppy(cls.Config(), context), resting=order("0.40")
        )


async def test_the_contract_check_gives_up_on_a_venue_that_never_starts(
    autojump_clock: trio.testing.MockClock,
) -> None:
    cls = load()

    class Stuck(cls):  # type: ignore[misc, valid-type]
        async def run(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
            await trio.sleep_forever()

    with pytest.raises(AssertionError, match=r"not done within 3 s"):
        await check_venue_contract(
            lambda context: Stuck(cls.Config(), context), resting=order("0.40"), timeout_s=3
        )
    assert trio.current_time() == 3


class Harness:
    """A ToyVenue running in a nursery, with its event channel."""

    def __init__(self, orders_per_s: int = 50) -> None:
        cls = load()
        self.send, self.events = trio.open_memory_channel[VenueEvent](math.inf)
        context = VenueContext("toy", ComponentContext("execution", Bus()), self.send)
        self.venue: Any = cls(
            cls.Config(fair_price=Decimal("0.5"), orders_per_s=orders_per_s), context
        )

    async def next_events(self, count: int) -> list[VenueEvent]:
        with trio.fail_after(1):
            return [await self.events.receive() for _ in range(count)]


@pytest.fixture
async def toy(autojump_clock: trio.testing.MockClock) -> Any:
    harness = Harness()
    async with trio.open_nursery() as nursery:
        await nursery.start(harness.venue.run)
        yield harness
        nursery.cancel_scope.cancel()


async def test_a_crossing_buy_fills_at_the_fair_price_as_a_taker(toy: Harness) -> None:
    ack = await toy.venue.submit(order("0.55", client_order_id="c1"))
    assert (ack.status, ack.venue_order_id) == (OrderStatus.FILLED, "toy-c1")
    [fill] = await toy.next_events(1)
    assert isinstance(fill, Fill)
    assert (fill.price, fill.size, fill.taker, fill.trade_id) == (
        Decimal("0.5"),
        Decimal(10),
        True,
        "toy-trade-1",
    )
    assert (fill.order_id, fill.client_order_id, fill.venue) == ("toy-c1", "c1", "toy")
    assert fill.trade_status is TradeStatus.CONFIRMED


async def test_a_resting_order_fills_as_a_maker_when_the_price_moves(toy: Harness) -> None:
    ack = await toy.venue.submit(order("0.60", Side.SELL, client_order_id="s1"))
    assert ack.status is OrderStatus.ACCEPTED
    toy.venue.move_fair_price(Decimal("0.65"))
    fill, update = await toy.next_events(2)
    assert isinstance(fill, Fill)
    assert (fill.price, fill.taker, fill.side) == (Decimal("0.65"), False, Side.SELL)
    assert update == VenueOrderUpdate(
        venue_order_id="toy-s1",
        client_order_id="s1",
        status=OrderStatus.FILLED,
        filled_size=Decimal(10),
        timestamp_ms=update.timestamp_ms,
    )
    assert await toy.venue.open_orders() == []


@pytest.mark.parametrize(
    ("changes", "status", "reason"),
    [
        ({"order_type": OrderType.FOK}, OrderStatus.CANCELED, "nothing to fill"),
        ({"order_type": OrderType.FAK}, OrderStatus.CANCELED, "nothing to fill"),
        ({"post_only": True, "price": "0.55"}, OrderStatus.REJECTED, "post-only"),
        (
            {"order_type": OrderType.GTD, "expires_at_ms": 1},
            OrderStatus.REJECTED,
            "expiry is in the past",
        ),
    ],
)
async def test_what_does_not_rest(
    toy: Harness, changes: dict[str, Any], status: OrderStatus, reason: str
) -> None:
    fields = {"price": "0.40"} | changes
    ack = await toy.venue.submit(order(**fields))
    assert ack.status is status
    assert reason in ack.reason


async def test_a_duplicate_client_order_id_is_rejected(toy: Harness) -> None:
    assert (await toy.venue.submit(order("0.40", client_order_id="d"))).accepted
    again = await toy.venue.submit(order("0.40", client_order_id="d"))
    assert (again.status, again.reason) == (OrderStatus.REJECTED, "duplicate client order id")


async def test_a_batch_larger_than_max_batch_is_refused_whole(toy: Harness) -> None:
    orders = [order("0.40", client_order_id=f"b{i}") for i in range(6)]
    with pytest.raises(VenueError, match=r"6 orders in one batch \(at most 5\)"):
        await toy.venue.submit_batch(orders)
    assert await toy.venue.open_orders() == []


async def test_cancel_says_why_not(toy: Harness) -> None:
    await toy.venue.submit(order("0.55", client_order_id="f"))
    result = await toy.venue.cancel_many(["toy-f", "nope"])
    assert result.canceled == ()
    assert dict(result.not_canceled) == {"toy-f": "already filled", "nope": "unknown order"}


async def test_too_many_orders_are_refused_like_a_429(
    autojump_clock: trio.testing.MockClock,
) -> None:
    venue = Harness(orders_per_s=2).venue
    await venue.submit(order(client_order_id="r1"))
    await trio.sleep(0.25)
    await venue.submit(order(client_order_id="r2"))
    with pytest.raises(RateLimitedError) as caught:
        await venue.submit(order(client_order_id="r3"))
    assert (caught.value.endpoint, caught.value.retry_after_s) == ("POST /order", 0.75)
    assert await venue.find_order("r3") is None  # refused before anything was placed
    await trio.sleep(0.75)
    assert (await venue.submit(order(client_order_id="r3"))).accepted


async def test_lookups_take_the_shared_budget(autojump_clock: trio.testing.MockClock) -> None:
    harness = Harness()
    venue, limits = harness.venue, harness.venue.context.rate_limits
    limiter = limits.limiter("example_venue:toy", "GET /order", [])
    assert limits.all() == [limiter]
    for _ in range(20):
        await venue.get_order("nope")
    assert trio.current_time() == 0
    await venue.open_orders()  # the 21st lookup in a second waits for room
    assert (trio.current_time(), limiter.waits) == (1.0, 1)


STACK = """\
stack: {shutdown_grace_s: 5}
components:
  execution:
    kind: execution
    venues:
      toy: {kind: example_venue, fair_price: 0.5}
"""


async def test_trades_inside_a_stack(autojump_clock: trio.testing.MockClock) -> None:
    supervisor = Supervisor(plan_from_yaml(STACK))
    bus = supervisor.bus
    updates = bus.subscribe(ORDER_UPDATES, overflow=Overflow.BLOCK)
    fills = bus.subscribe(FILLS, overflow=Overflow.BLOCK)
    buy = OrderIntent(
        market_id="0xm", token_id="yes", side=Side.BUY, price="0.55", size=10, client_order_id="b1"
    )
    rest = OrderIntent(
        market_id="0xm", token_id="yes", side=Side.BUY, price="0.40", size=10, client_order_id="r1"
    )
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            await nursery.start(supervisor.run)
            await bus.publish(ORDER_DECISIONS, OrderApproved(buy, component="risk"))
            await bus.publish(ORDER_DECISIONS, OrderApproved(rest, component="risk"))
            fill = await fills.receive()
            assert (fill.client_order_id, fill.trade_id, fill.venue) == ("b1", "toy-trade-1", "toy")
            assert fill.price == Decimal("0.5")
            final: dict[str, OrderStatus] = {}
            async for change in updates:
                final[change.client_order_id] = change.status
                if final == {"b1": OrderStatus.FILLED, "r1": OrderStatus.ACCEPTED}:
                    break
            supervisor.request_stop()
