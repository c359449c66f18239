"""The paper venue on a real bus: market data in on MARKET_DATA, fills and updates out
through the venue context's channel (time is trio's autojump clock)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal

import attrs
import pytest
import trio

from agbotkit.abc import ComponentContext, VenueContext
from agbotkit.bus.bus import Bus
from agbotkit.errors import VenueError
from agbotkit.model.books import (
    BestBidAsk,
    BookDelta,
    BookSnapshot,
    LevelChange,
    PriceLevel,
    TickSizeChanged,
)
from agbotkit.model.execution import OrderStatus
from agbotkit.model.markets import MarketInfo, MarketResolved, Trade
from agbotkit.model.orders import Fill, Order, OrderType, Side
from agbotkit.model.venues import VenueEvent, VenueOrderUpdate
from agbotkit.plugins import PluginRegistry
from agbotkit.topics import MARKET_DATA, MARKETS
from agbotkit.venues.paper.venue import PaperConfig, PaperVenue

BUY, SELL = Side.BUY, Side.SELL
TOKEN, MARKET = "tok", "mkt"
D = Decimal


@attrs.define
class Harness:
    venue: PaperVenue
    bus: Bus
    events: trio.MemoryReceiveChannel[VenueEvent]

    async def publish(self, message: object) -> None:
        self.bus.publish_nowait(MARKET_DATA, message)
        await trio.sleep(0.001)  # autojump: the venue has processed it when this returns

    def reported(self) -> list[VenueEvent]:
        taken: list[VenueEvent] = []
        while True:
            try:
                taken.append(self.events.receive_nowait())
            except trio.WouldBlock:
                return taken


@contextlib.asynccontextmanager
async def running(config: PaperConfig | None = None) -> AsyncIterator[Harness]:
    bus = Bus()
    component = ComponentContext("execution", bus, now_ms=lambda: int(trio.current_time() * 1000))
    send, receive = trio.open_memory_channel[VenueEvent](1000)
    venue = PaperVenue(config or PaperConfig(), VenueContext("paper", component, send))
    async with trio.open_nursery() as nursery:
        await nursery.start(venue.run)
        yield Harness(venue, bus, receive)
        nursery.cancel_scope.cancel()


def snapshot(
    bids: list[tuple[str, str]], asks: list[tuple[str, str]], tick: str | None = None
) -> BookSnapshot:
    return BookSnapshot(
        TOKEN,
        MARKET,
        tuple(PriceLevel(D(p), D(s)) for p, s in bids),
        tuple(PriceLevel(D(p), D(s)) for p, s in asks),
        1,
        tick_size=None if tick is None else D(tick),
    )


def delta(*changes: tuple[Side, str, str]) -> BookDelta:
    return BookDelta(TOKEN, MARKET, tuple(LevelChange(s, D(p), D(z)) for s, p, z in changes), 2)


def order(
    cid: str,
    side: Side,
    price: str,
    size: str,
    order_type: OrderType = OrderType.GTC,
    **extra: object,
) -> Order:
    return Order(
        client_order_id=cid,
        venue="paper",
        market_id=MARKET,
        token_id=TOKEN,
        side=side,
        price=D(price),
        size=D(size),
        order_type=order_type,
        **extra,  # type: ignore[arg-type]  # expires_at_ms, typed by Order
    )


def trade(taker: Side, price: str, size: str, topic: str | None = None) -> Trade:
    return Trade(TOKEN, MARKET, taker, D(price), D(size), 3, 3, "last_trade_price", topic)


def fills(events: list[VenueEvent]) -> list[tuple[Decimal, Decimal, bool]]:
    return [(e.price, e.size, e.taker) for e in events if isinstance(e, Fill)]


def updates(events: list[VenueEvent]) -> list[tuple[str, OrderStatus, str]]:
    return [
        (e.venue_order_id, e.status, e.reason) for e in events if isinstance(e, VenueOrderUpdate)
    ]


async def test_an_order_walks_the_live_book_and_rests(autojump_clock: trio.abc.Clock) -> None:
    async with running(PaperConfig(fee_rate=D("0.02"))) as h:
        await h.publish(
            snapshot([("0.50", "100")], [("0.52", "10"), ("0.54", "20"), ("0.56", "50")])
        )
        ack = await h.venue.submit(order("a", BUY, "0.55", "40"))
        # Reported before the answer: 10 @ 0.52 and 20 @ 0.54 as taker; 10 rest at 0.55.
        events = h.reported()
        assert fills(events) == [(D("0.52"), D(10), True), (D("0.54"), D(20), True)]
        # 10 * 0.02 * 0.52 * 0.48 = 0.04992 USD
        assert isinstance(events[0], Fill)
        assert events[0].fee_usd == D("0.04992")
        assert (ack.status, ack.venue_order_id) == (OrderStatus.PARTIALLY_FILLED, "paper-a")
        assert h.venue.order_id_for(order("a", BUY, "0.55", "40")) == "paper-a"
        (resting,) = await h.venue.open_orders(MARKET)
        assert (resting.venue_order_id, resting.filled_size) == ("paper-a", D(30))
        assert await h.venue.get_order("paper-a") == resting
        assert await h.venue.find_order("a") == resting
        assert await h.venue.get_order("paper-never") is None


async def test_trades_on_the_bus_fill_a_resting_order_after_its_queue(
    autojump_clock: trio.abc.Clock,
) -> None:
    async with running() as h:
        await h.publish(snapshot([("0.50", "100")], [("0.55", "10")]))
        assert (await h.venue.submit(order("a", BUY, "0.50", "30"))).status is OrderStatus.ACCEPTED
        # The same trade from RTDS is ignored: the CLOB's print is the one counted.
        await h.publish(trade(SELL, "0.50", "500", topic="activity"))
        assert h.reported() == []
        # 110 sold at 0.50: 100 ahead, 10 for us, as maker.
        await h.publish(trade(SELL, "0.50", "110"))
        assert fills(h.reported()) == [(D("0.50"), D(10), False)]
        # The book moves through: bids at 0.50 gone, an ask at 0.49 x 50: our last 20 at 0.50.
        await h.publish(delta((BUY, "0.50", "0"), (SELL, "0.49", "50")))
        events = h.reported()
        assert fills(events) == [(D("0.50"), D(20), False)]
        assert updates(events) == [("paper-a", OrderStatus.FILLED, "")]
        assert await h.venue.open_orders() == []


async def test_the_order_meets_the_book_as_it_is_after_the_latency(
    autojump_clock: trio.abc.Clock,
) -> None:
    async with running(PaperConfig(submit_latency_ms=50)) as h:
        await h.publish(snapshot([("0.50", "100")], [("0.52", "10"), ("0.54", "20")]))
        acks = []

        async def send() -> None:
            acks.append(await h.venue.submit(order("a", BUY, "0.54", "30", OrderType.FAK)))

        started = trio.current_time()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(send)
            await trio.sleep(0.010)
            # While the order travels, the 0.52 asks are taken by someone else.
            await h.publish(delta((SELL, "0.52", "0")))
        assert trio.current_time() - started == pytest.approx(0.050)
        # Only the 20 at 0.54 were left: the FAK's other 10 are cancelled.
        assert fills(h.reported()) == [(D("0.54"), D(20), True)]
        assert acks[0].status is OrderStatus.CANCELED


async def test_a_cancel_after_its_latency_may_find_the_order_filled(
    autojump_clock: trio.abc.Clock,
) -> None:
    async with running(PaperConfig(cancel_latency_ms=100)) as h:
        await h.publish(snapshot([("0.50", "5")], [("0.55", "10")]))
        await h.venue.submit(order("a", BUY, "0.50", "10"))
        results = []

        async def cancel() -> None:
            results.append(await h.venue.cancel("paper-a"))

        async with trio.open_nursery() as nursery:
            nursery.start_soon(cancel)
            await trio.sleep(0.010)
            await h.publish(trade(SELL, "0.50", "15"))  # 5 ahead, then our 10
        assert dict(results[0].not_canceled) == {"paper-a": "already filled"}
        assert updates(h.reported()) == [("paper-a", OrderStatus.FILLED, "")]
        await h.venue.submit(order("b", BUY, "0.49", "10"))
        await h.venue.submit(order("c", BUY, "0.48", "10"))
        assert (await h.venue.cancel_many(["paper-b"])).canceled == ("paper-b",)
        assert (await h.venue.cancel_all(MARKET)).canceled == ("paper-c",)


async def test_a_gtd_order_expires_on_the_timer(autojump_clock: trio.abc.Clock) -> None:
    async with running() as h:
        await h.publish(snapshot([("0.50", "100")], [("0.55", "10")]))
        now_ms = int(trio.current_time() * 1000)
        gtd = order("g", BUY, "0.50", "10", OrderType.GTD, expires_at_ms=now_ms + 500)
        assert (await h.venue.submit(gtd)).status is OrderStatus.ACCEPTED
        await trio.sleep(0.4)
        assert h.reported() == []
        await trio.sleep(0.3)  # the expiry check runs every 100 ms
        assert updates(h.reported()) == [("paper-g", OrderStatus.EXPIRED, "GTD order expired")]
        assert await h.venue.open_orders() == []


async def test_a_resolved_market_cancels_its_orders(autojump_clock: trio.abc.Clock) -> None:
    async with running() as h:
        await h.publish(snapshot([("0.50", "100")], [("0.55", "10")]))
        await h.venue.submit(order("a", BUY, "0.50", "10"))
        await h.publish(MarketResolved(MARKET, (TOKEN,), TOKEN, "Yes", 5))
        assert updates(h.reported()) == [("paper-a", OrderStatus.CANCELED, "market resolved")]


async def test_orders_need_a_valid_book_and_the_tokens_tick(autojump_clock: trio.abc.Clock) -> None:
    async with running() as h:
        early = await h.venue.submit(order("a", BUY, "0.50", "10"))
        assert early.status is OrderStatus.REJECTED
        await h.publish(snapshot([("0.50", "100")], [("0.55", "10")], tick="0.001"))
        assert await h.venue.tick_size(TOKEN) == D("0.001")
        assert (await h.venue.submit(order("b", BUY, "0.505", "10"))).status is OrderStatus.ACCEPTED
        # A tick-size change drops the book until the next snapshot.
        await h.publish(TickSizeChanged(TOKEN, MARKET, D("0.001"), D("0.01"), 4))
        dropped = await h.venue.submit(order("c", BUY, "0.49", "10"))
        assert dropped.reason == "no order book for token tok yet (waiting for market data)"
        await h.publish(snapshot([("0.50", "100")], [("0.55", "10")]))
        off_grid = await h.venue.submit(order("d", BUY, "0.495", "10"))
        assert off_grid.reason == "price 0.495 is not a multiple of the tick size 0.01"


async def test_market_metadata_sets_the_minimum_size(autojump_clock: trio.abc.Clock) -> None:
    async with running() as h:
        info = MarketInfo(
            MARKET,
            "Q?",
            "q",
            ("Yes", "No"),
            (TOKEN, "no"),
            D("0.01"),
            D(15),
            False,
            None,
            True,
            False,
        )
        h.bus.publish_retained(MARKETS, MARKET, info)
        await h.publish(snapshot([("0.40", "100")], [("0.60", "10")]))
        small = await h.venue.submit(order("a", BUY, "0.50", "10"))
        assert small.reason == "size 10 is below the minimum of 15 shares for a resting order"


async def test_batches_take_at_most_fifteen(autojump_clock: trio.abc.Clock) -> None:
    async with running() as h:
        await h.publish(snapshot([("0.40", "100")], [("0.60", "10")]))
        acks = await h.venue.submit_batch([order(f"o{i}", BUY, "0.50", "5") for i in range(15)])
        assert [a.status for a in acks] == [OrderStatus.ACCEPTED] * 15
        with pytest.raises(VenueError):
            await h.venue.submit_batch([order(f"p{i}", BUY, "0.50", "5") for i in range(16)])


async def test_lost_market_data_drops_every_book(autojump_clock: trio.abc.Clock) -> None:
    async with running(PaperConfig(market_data_buffer=2)) as h:
        await h.publish(snapshot([("0.40", "100")], [("0.60", "10")]))
        for size in ("1", "2", "3"):  # three at once into a buffer of two: one is lost
            h.bus.publish_nowait(MARKET_DATA, delta((BUY, "0.40", size)))
        await trio.sleep(0.001)
        lost = await h.venue.submit(order("a", BUY, "0.50", "10"))
        assert lost.status is OrderStatus.REJECTED


def test_the_paper_venue_is_a_built_in_plugin() -> None:
    assert PluginRegistry().load("agbotkit.venues", "paper") is PaperVenue
    capabilities = PaperVenue(
        PaperConfig(min_size=D(3)),
        VenueContext("p", ComponentContext("x", Bus()), trio.open_memory_channel[VenueEvent](1)[0]),
    ).capabilities
    assert (capabilities.max_batch, capabilities.min_size, capabilities.real_money) == (
        15,
        D(3),
        False,
    )
    assert capabilities.computes_order_id
    assert capabilities.post_only
    assert capabilities.order_types == frozenset(OrderType)


async def test_a_crossed_snapshot_is_no_book_and_other_messages_are_ignored(
    autojump_clock: trio.abc.Clock,
) -> None:
    async with running() as h:
        await h.publish(snapshot([("0.60", "10")], [("0.50", "10")]))  # crossed: not valid
        assert (await h.venue.submit(order("a", BUY, "0.45", "10"))).status is OrderStatus.REJECTED
        await h.publish(BestBidAsk(TOKEN, MARKET, D("0.4"), D("0.6"), D("0.2"), 3))
        assert h.reported() == []


async def test_the_venue_stops_when_the_bus_closes(autojump_clock: trio.abc.Clock) -> None:
    bus = Bus()
    send, _ = trio.open_memory_channel[VenueEvent](1)
    venue = PaperVenue(PaperConfig(), VenueContext("paper", ComponentContext("x", bus), send))
    async with trio.open_nursery() as nursery:
        await nursery.start(venue.run)
        bus.close()
    # Reaching this line is the test: run() returned by itself.
