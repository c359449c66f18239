"""The venue adapter contract, checked: run it in your own venue's tests.

Example::

    async def test_my_venue_keeps_the_contract(autojump_clock):
        await check_venue_contract(
            lambda context: MyVenue(MyVenue.Config(), context),
            resting=Order(client_order_id="template", venue="mine", market_id="0xm",
                          token_id="t1", side=Side.BUY, price="0.40", size=10),
            marketable=Order(client_order_id="template", venue="mine", market_id="0xm",
                             token_id="t1", side=Side.BUY, price="0.60", size=10),
        )

The check makes the venue with a :class:`~agbotkit.abc.VenueContext` of its own, starts its
:meth:`~agbotkit.abc.VenueAdapter.run`, and drives every method the way the execution layer
does: submit and look up, open orders (all and per market), cancel, cancel many, cancel all
(per market, then all), a batch, the lookup of an order that never arrived, and, given a
marketable order, its fill on the event channel. Each order it sends is a copy of a
template with a fresh client order id. It needs a fresh venue (or account) with no orders.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
import trio

from agbotkit.abc import ComponentContext, VenueAdapter, VenueContext
from agbotkit.bus.bus import Bus
from agbotkit.model.execution import OrderStatus
from agbotkit.model.orders import Fill, Order, Side, new_client_order_id
from agbotkit.model.venues import CancelResult, OrderAck, VenueCapabilities, VenueEvent

__all__ = ["check_venue_contract"]

#: The venue's name in the context the check hands it.
VENUE_NAME = "contract"


def _expect(condition: object, message: str) -> None:
    # Not ``assert``: a check that python -O would skip checks nothing.
    if not condition:
        raise AssertionError(f"venue contract: {message}")


async def check_venue_contract(
    venue_factory: Callable[[VenueContext], VenueAdapter[Any]],
    *,
    resting: Order,
    marketable: Order | None = None,
    other_market: Order | None = None,
    timeout_s: float = 10.0,
) -> None:
    """Check that a venue adapter keeps the :class:`~agbotkit.abc.VenueAdapter` contract.

    Args:
        venue_factory: makes the venue from the context the check gives it.
        resting: a template of an order the venue rests (not marketable).
        marketable: a template of an order that fills at once, fully or partly; ``None``
            skips the fill check.
        other_market: a template of a resting order in another market; ``None``: ``resting``
            with ``-other`` added to its market id.
        timeout_s: how long the whole check may take (use trio's autojump clock).

    Raises:
        AssertionError: the venue broke the contract (the message says where).
    """
    send, receive = trio.open_memory_channel[VenueEvent](math.inf)
    component = ComponentContext("execution", Bus())
    venue = venue_factory(VenueContext(VENUE_NAME, component, send))
    capabilities = venue.capabilities
    _expect(isinstance(capabilities, VenueCapabilities), "capabilities is not VenueCapabilities")
    other = other_market or attrs.evolve(resting, market_id=f"{resting.market_id}-other")
    broken: AssertionError | None = None
    with trio.move_on_after(timeout_s) as deadline:
        async with trio.open_nursery() as nursery:
            await nursery.start(venue.run)
            checks = _Checks(venue, receive)
            try:
                await checks.resting_orders(resting)
                await checks.cancels(resting, other)
                await checks.batch(resting)
                await checks.unknown_orders(resting)
                if marketable is not None:
                    await checks.fill(marketable)
                _expect(await venue.tick_size(resting.token_id) > 0, "tick_size is not > 0")
            except AssertionError as error:
                # Raised after the venue stopped, on its own: not inside the nursery's group.
                broken = error
            nursery.cancel_scope.cancel()
    if broken is not None:
        raise broken
    _expect(not deadline.cancelled_caught, f"not done within {timeout_s} s")


@attrs.define
class _Checks:
    venue: VenueAdapter[Any]
    events: trio.MemoryReceiveChannel[VenueEvent]

    def fresh(self, template: Order) -> Order:
        return attrs.evolve(template, client_order_id=new_client_order_id(), venue=VENUE_NAME)

    async def rest(self, template: Order) -> str:
        """Submit a copy of ``template``; check it rests; its venue order id."""
        order = self.fresh(template)
        ack = await self.venue.submit(order)
        _check_ack(ack, order, self.venue)
        _expect(
            ack.status is OrderStatus.ACCEPTED,
            f"a resting order's ack is ACCEPTED, not {ack.status} ({ack.reason})",
        )
        return ack.venue_order_id

    async def open_ids(self, market_id: str | None = None) -> set[str]:
        return {order.venue_order_id for order in await self.venue.open_orders(market_id)}

    async def resting_orders(self, template: Order) -> None:
        order = self.fresh(template)
        ack = await self.venue.submit(order)
        _check_ack(ack, order, self.venue)
        _expect(ack.status is OrderStatus.ACCEPTED, f"resting order acked {ack.status}")
        looked = await self.venue.get_order(ack.venue_order_id)
        _expect(looked is not None, "get_order does not find an order it accepted")
        assert looked is not None  # for the type checker: _expect raised otherwise
        _expect(looked.venue_order_id == ack.venue_order_id, "get_order returned another order")
        _expect(looked.status.open, f"a resting order looks {looked.status}")
        same = (looked.market_id, looked.token_id, looked.side, looked.price, looked.size)
        sent = (order.market_id, order.token_id, order.side, order.price, order.size)
        _expect(same == sent, f"get_order says {same}, the order was {sent}")
        _expect(
            looked.client_order_id in ("", order.client_order_id),
            "get_order gives another client order id",
        )
        _expect(ack.venue_order_id in await self.open_ids(), "open_orders() misses it")
        _expect(
            ack.venue_order_id in await self.open_ids(order.market_id),
            "open_orders(market_id) misses it",
        )
        found = await self.venue.find_order(order.client_order_id)
        _expect(
            found is not None and found.venue_order_id == ack.venue_order_id,
            "find_order does not find a resting order by its client order id",
        )
        await self.venue.cancel_all()

    async def cancels(self, template: Order, other: Order) -> None:
        one = await self.rest(template)
        result = await self.venue.cancel(one)
        _expect(isinstance(result, CancelResult), "cancel does not return a CancelResult")
        _expect(one in result.canceled, f"cancel did not cancel: {result}")
        after = await self.venue.get_order(one)
        _expect(
            after is not None and after.status is OrderStatus.CANCELED,
            f"a cancelled order looks {after}",
        )
        _expect(one not in await self.open_ids(), "a cancelled order is still open")
        again = await self.venue.cancel(one)
        _expect(
            one in again.not_canceled and one not in again.canceled,
            f"cancelling twice should say why not: {again}",
        )
        first, second = await self.rest(template), await self.rest(template)
        many = await self.venue.cancel_many([first, second])
        _expect(set(many.canceled) == {first, second}, f"cancel_many: {many}")
        here, there = await self.rest(template), await self.rest(other)
        per_market = await self.venue.cancel_all(template.market_id)
        _expect(per_market.canceled == (here,), f"cancel_all(market_id) cancelled {per_market}")
        _expect(await self.open_ids() == {there}, "cancel_all(market_id) touched another market")
        everything = await self.venue.cancel_all()
        _expect(everything.canceled == (there,), f"cancel_all() cancelled {everything}")
        _expect(await self.open_ids() == set(), "orders remain open after cancel_all()")

    async def batch(self, template: Order) -> None:
        size = min(self.venue.capabilities.max_batch, 3)
        orders = [self.fresh(template) for _ in range(size)]
        acks = await self.venue.submit_batch(orders)
        _expect(len(acks) == size, f"submit_batch of {size} gave {len(acks)} answers")
        for order, ack in zip(orders, acks, strict=True):
            _check_ack(ack, order, self.venue)
        ids = {ack.venue_order_id for ack in acks}
        _expect(len(ids) == size, "submit_batch gave two orders one venue order id")
        _expect(ids <= await self.open_ids(), "a batch's orders are not open")
        await self.venue.cancel_all()

    async def unknown_orders(self, template: Order) -> None:
        _expect(
            await self.venue.get_order("agbotkit-contract-no-such-order") is None,
            "get_order of an unknown id is not None",
        )
        never_sent = self.fresh(template)
        if self.venue.capabilities.computes_order_id:
            # How the execution layer learns that an order whose answer was lost never
            # arrived: by the id it would have had.
            computed = self.venue.order_id_for(never_sent)
            _expect(computed, "computes_order_id is set but order_id_for gives no id")
            _expect(await self.venue.get_order(computed) is None, "an unsent order was found")
        _expect(
            await self.venue.find_order(never_sent.client_order_id) is None,
            "find_order found an order that was never sent",
        )

    async def fill(self, template: Order) -> None:
        order = self.fresh(template)
        ack = await self.venue.submit(order)
        _check_ack(ack, order, self.venue)
        _expect(
            ack.status in (OrderStatus.FILLED, OrderStatus.PARTIALLY_FILLED),
            f"a marketable order's ack is FILLED or PARTIALLY_FILLED, not {ack.status}",
        )
        filled = Decimal(0)
        while filled == 0 or (ack.status is OrderStatus.FILLED and filled < order.size):
            event = await self.events.receive()
            if not isinstance(event, Fill):
                continue  # order updates: what a fill must come with is not prescribed
            by_client_id = event.client_order_id and event.client_order_id == order.client_order_id
            if event.order_id == ack.venue_order_id or by_client_id:
                _check_fill(event, order)
                filled += event.size
        _expect(filled <= order.size, f"{filled} filled of an order of {order.size}")


def _check_ack(ack: OrderAck, order: Order, venue: VenueAdapter[Any]) -> None:
    _expect(isinstance(ack, OrderAck), f"submit returned {ack!r}, not an OrderAck")
    _expect(ack.client_order_id == order.client_order_id, "the ack is for another order")
    _expect(ack.venue_order_id, f"an order the venue took has no venue order id: {ack}")
    computed = venue.order_id_for(order)
    if venue.capabilities.computes_order_id:
        _expect(computed == ack.venue_order_id, "order_id_for differs from the venue's id")
    else:
        _expect(computed == "", "order_id_for gives ids: set capabilities.computes_order_id")


def _check_fill(fill: Fill, order: Order) -> None:
    _expect(fill.trade_id, "a fill has no trade_id (it cannot be counted once)")
    _expect(
        (fill.token_id, fill.side) == (order.token_id, order.side),
        f"a fill of {fill.token_id} {fill.side} for an order of {order.token_id} {order.side}",
    )
    worse = fill.price > order.price if order.side is Side.BUY else fill.price < order.price
    _expect(not worse, f"filled at {fill.price}, worse than the limit {order.price}")
