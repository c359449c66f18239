"""The ``strategy`` component on a bare bus: the test plays the market-data, risk and
execution components, and watches what the strategy publishes."""

from __future__ import annotations

import itertools
from decimal import Decimal
from pathlib import Path

import pytest
import trio

from agbotkit.errors import ConfigError
from agbotkit.model.books import Side, TickSizeChanged
from agbotkit.model.execution import CancelOrder, OrderStatusChanged
from agbotkit.model.markets import MarketResolved, Trade
from agbotkit.model.orders import Fill, Order, OrderIntent, OrderRejected
from agbotkit.model.risk import OrderApproved, OrderDenied
from agbotkit.supervisor.plan import plan_file
from agbotkit.topics import (
    BOOKS,
    CANCEL_REQUESTS,
    FILLS,
    MARKET_DATA,
    MARKETS,
    METRICS,
    ORDER_DECISIONS,
    ORDER_INTENTS,
    ORDER_OUTCOMES,
    ORDER_UPDATES,
)

from .scripted import MARKET, NO, OTHER, OTHER_YES, SCRIPTED, YES, market, running, top, watch


def taken(subscription: object) -> list[object]:
    out: list[object] = []
    while True:
        try:
            out.append(subscription.receive_nowait())  # type: ignore[attr-defined]
        except (trio.WouldBlock, trio.EndOfChannel):
            return out


def order_of(intent: OrderIntent) -> Order:
    return Order.from_intent(intent, venue="paper", created_ms=0)


async def test_books_of_its_markets_call_on_book_and_orders_go_out_as_intents(
    autojump_clock: trio.abc.Clock, tmp_path: Path
) -> None:
    options = {"params": {"bid_on_book": True}, "venue": "paper", "markets": (MARKET,)}
    async with running(tmp_path, **options) as (bus, component, strategy):
        intents = watch(bus, ORDER_INTENTS)
        await bus.publish(MARKETS, market())
        await bus.publish(BOOKS, top(OTHER_YES, OTHER))  # not its market
        await bus.publish(BOOKS, top(YES, bid="0.47"))
        await trio.sleep(0.1)
        sent = taken(intents)
        assert [b.token_id for k, b in strategy.calls if k == "book"] == [YES]
        (intent,) = sent
        assert isinstance(intent, OrderIntent)
        assert intent.client_order_id == "mm-1"
        assert intent.strategy == "mm"
        assert intent.venue == "paper"
        assert intent.market_id == MARKET
        assert intent.side is Side.BUY
        assert intent.price == Decimal("0.47")
        assert intent.size == Decimal(5)
        book = strategy.calls[-1][1]
        assert book.best_bid == 0.47
        assert book.best_ask == 0.52
        assert book.tick_size == 0.01
        assert component.live is not None
        assert component.live.tokens(MARKET) == (YES, NO)
        assert [o.client_order_id for o in component.live.open_orders()] == ["mm-1"]


async def test_what_one_hook_queues_goes_out_in_order_after_it(
    autojump_clock: trio.abc.Clock, tmp_path: Path
) -> None:
    async with running(tmp_path, params={"requote_twice": True}) as (bus, _, _strategy):
        intents, cancels = watch(bus, ORDER_INTENTS), watch(bus, CANCEL_REQUESTS)
        await bus.publish(MARKETS, market())
        await bus.publish(BOOKS, top())
        await bus.publish(BOOKS, top(bid="0.46"))
        await trio.sleep(0.1)
        assert [i.client_order_id for i in taken(intents)] == ["mm-1", "mm-2", "mm-3", "mm-4"]
        assert [c.client_order_id for c in taken(cancels)] == ["mm-1", "mm-3"]


async def test_only_its_own_fills_and_order_changes_reach_it(
    autojump_clock: trio.abc.Clock, tmp_path: Path
) -> None:
    async with running(tmp_path, params={"bid_on_book": True}) as (bus, component, strategy):
        intents = watch(bus, ORDER_INTENTS)
        await bus.publish(MARKETS, market())
        await bus.publish(BOOKS, top())
        await trio.sleep(0.1)
        (intent,) = taken(intents)
        mine = order_of(intent)
        # "mm-99" has its prefix but it never issued it; "other-1" is another strategy's.
        for cid in ("other-1", "mm-99", "mm-1"):
            fill = Fill(
                token_id=YES, side=Side.BUY, price="0.48", size=2, market_id=MARKET,
                client_order_id=cid, trade_id=f"t-{cid}",
            )  # fmt: skip
            await bus.publish(FILLS, fill)
            foreign = Order.from_intent(
                OrderIntent(
                    market_id=MARKET, token_id=YES, side=Side.BUY, price="0.4", size=5,
                    client_order_id=cid,
                ),
                venue="paper", created_ms=0,
            )  # fmt: skip
            order = mine if cid == "mm-1" else foreign
            await bus.publish(ORDER_UPDATES, OrderStatusChanged(order=order, status="CANCELED"))
        await trio.sleep(0.1)
        fills = [f for k, f in strategy.calls if k == "fill"]
        assert [f.client_order_id for f in fills] == ["mm-1"]
        assert [c.client_order_id for k, c in strategy.calls if k == "cancel"] == ["mm-1"]
        assert [k for k in strategy.kinds() if k in ("update", "cancel")] == ["update", "cancel"]
        assert component.live is not None
        assert component.live.get_position(YES) == Decimal(2)
        assert component.live.open_orders() == []


async def test_a_denial_and_a_venue_rejection_are_rejections(
    autojump_clock: trio.abc.Clock, tmp_path: Path
) -> None:
    async with running(tmp_path, params={"bid_on_book": True}) as (bus, component, strategy):
        intents = watch(bus, ORDER_INTENTS)
        await bus.publish(MARKETS, market())
        await bus.publish(BOOKS, top())
        await trio.sleep(0.1)
        (first,) = taken(intents)
        await bus.publish(ORDER_DECISIONS, OrderApproved(first))
        await bus.publish(ORDER_OUTCOMES, OrderRejected(client_order_id="mm-1", reason="no money"))
        await bus.publish(BOOKS, top(bid="0.45"))
        await trio.sleep(0.1)
        (second,) = taken(intents)
        denied = OrderDenied(second, ("MaxOrderSize",), ("too big",))
        await bus.publish(ORDER_DECISIONS, denied)
        other = OrderDenied(
            OrderIntent(market_id=MARKET, token_id=YES, side=Side.BUY, price=0.4, size=1,
                        client_order_id="x-1"),
            ("KillSwitch",), ("off",),
        )  # fmt: skip
        await bus.publish(ORDER_DECISIONS, other)
        await trio.sleep(0.1)
        rejections = [r for k, r in strategy.calls if k == "rejected"]
        assert [(r.client_order_id, r.stage) for r in rejections] == [
            ("mm-1", "venue"),
            ("mm-2", "risk"),
        ]
        assert rejections[0].reason == "no money"
        assert rejections[0].price == Decimal("0.48")
        assert rejections[1].reason == "MaxOrderSize: too big"
        assert component.live is not None
        assert component.live.open_orders() == []


async def test_market_data_of_its_markets_calls_its_hooks(
    autojump_clock: trio.abc.Clock, tmp_path: Path
) -> None:
    async with running(tmp_path, markets=("slug-aaaa",)) as (bus, component, strategy):
        await bus.publish(MARKETS, market(OTHER, (OTHER_YES,)))
        await bus.publish(MARKETS, market())  # its slug
        trade = Trade(YES, MARKET, Side.BUY, Decimal("0.5"), Decimal(3), 1, 1, "last_trade_price")
        await bus.publish(MARKET_DATA, trade)
        await bus.publish(MARKET_DATA, Trade(OTHER_YES, OTHER, Side.BUY, Decimal("0.5"),
                                             Decimal(3), 1, 1, "last_trade_price"))  # fmt: skip
        change = TickSizeChanged(YES, MARKET, Decimal("0.01"), Decimal("0.001"), 2)
        await bus.publish(MARKET_DATA, change)
        await bus.publish(BOOKS, top())
        await bus.publish(MARKET_DATA, MarketResolved(MARKET, (YES, NO), YES, "Yes", 3))
        await trio.sleep(0.1)
        # Across topics only causes are ordered: the market before its data, the
        # tick-size change before the book published after it.
        assert sorted(strategy.kinds()) == ["book", "resolution", "start", "tick_size", "trade"]
        kinds = [k for k in strategy.kinds() if k != "book"]
        assert kinds == ["start", "trade", "tick_size", "resolution"]
        (book,) = [b for k, b in strategy.calls if k == "book"]
        assert book.tick_size == 0.001
        assert component.live is not None
        assert component.live.markets == (MARKET,)


async def test_cancel_on_stop_cancels_its_open_orders_after_on_stop(
    autojump_clock: trio.abc.Clock, tmp_path: Path
) -> None:
    async with running(tmp_path, params={"bid_on_book": True}) as (bus, _, strategy):
        cancels = watch(bus, CANCEL_REQUESTS)
        await bus.publish(MARKETS, market())
        await bus.publish(BOOKS, top())
        await trio.sleep(0.1)
    assert strategy.kinds()[-1] == "stop"
    (cancel,) = taken(cancels)
    assert cancel == CancelOrder(client_order_id="mm-1", reason="strategy", source="mm")


async def test_without_cancel_on_stop_its_orders_stay(
    autojump_clock: trio.abc.Clock, tmp_path: Path
) -> None:
    async with running(tmp_path, params={"bid_on_book": True}, cancel_on_stop=False) as (
        bus,
        _,
        strategy,
    ):
        cancels = watch(bus, CANCEL_REQUESTS)
        await bus.publish(MARKETS, market())
        await bus.publish(BOOKS, top())
        await trio.sleep(0.1)
    assert strategy.kinds()[-1] == "stop"
    assert taken(cancels) == []


async def test_the_timer_calls_on_timer_until_the_strategy_stops_it(
    autojump_clock: trio.abc.Clock, tmp_path: Path
) -> None:
    async with running(tmp_path, timer_s=2.0) as (_, _, strategy):
        await trio.sleep(20)
    times = [t for k, t in strategy.calls if k == "timer"]
    assert len(times) == 3  # the third call set the timer to 0
    assert [b - a for a, b in itertools.pairwise(times)] == [2000, 2000]


async def test_metrics_are_published_every_interval(
    autojump_clock: trio.abc.Clock, tmp_path: Path
) -> None:
    async with running(tmp_path, params={"bid_on_book": True}, metrics_interval_s=0.5) as (
        bus,
        _,
        _strategy,
    ):
        metrics = watch(bus, METRICS)
        await bus.publish(MARKETS, market())
        await bus.publish(BOOKS, top())
        await trio.sleep(0.2)
        fill = Fill(token_id=YES, side=Side.BUY, price="0.48", size=5, market_id=MARKET,
                    client_order_id="mm-1", fee_usd=0)  # fmt: skip
        await bus.publish(FILLS, fill)
        await bus.publish(BOOKS, top(bid="0.50", ask="0.54"))  # mid 0.52: +0.04 a share
        await trio.sleep(0.6)
        latest = {(m.name, m.labels): m.value for m in taken(metrics)}
    own = (("strategy_id", "mm"),)
    assert latest[("strategy.orders_submitted", own)] == 2
    assert latest[("strategy.fills", own)] == 1
    assert latest[("strategy.signals_generated", (("signal_type", "quote"), *own))] == 2
    pnl = latest[("strategy.pnl_usd", (("market", MARKET), *own))]
    assert pnl == pytest.approx(0.2)


STACK = """\
stack: {{name: t}}
components:
  mm:
    kind: strategy
    strategy: {strategy}
    params:
      size: {size}
"""


def test_check_reports_a_bad_param_with_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "stack.yaml"
    path.write_text(STACK.format(strategy=SCRIPTED, size="ten"))
    with pytest.raises(ConfigError) as caught:
        plan_file(path)
    (issue,) = caught.value.issues
    assert issue.path == "components.mm.params.size"
    assert issue.line == 7
    assert issue.file.endswith("stack.yaml")
    assert "expected" in issue.message


def test_check_reports_an_unknown_strategy_and_an_extra_param(tmp_path: Path) -> None:
    path = tmp_path / "stack.yaml"
    path.write_text(STACK.format(strategy="no_such_strategy", size=5))
    with pytest.raises(ConfigError) as caught:
        plan_file(path)
    (issue,) = caught.value.issues
    assert issue.path == "components.mm.strategy"
    assert "unknown strategy 'no_such_strategy'" in issue.message
    path.write_text(STACK.format(strategy=SCRIPTED, size="5\n      spread: 0.1"))
    with pytest.raises(ConfigError) as caught:
        plan_file(path)
    assert [i.path for i in caught.value.issues] == ["components.mm.params.spread"]


def test_a_valid_stack_plans_with_the_params_structured(tmp_path: Path) -> None:
    path = tmp_path / "stack.yaml"
    path.write_text(STACK.format(strategy=SCRIPTED, size="7"))
    (planned,) = plan_file(path).components
    assert planned.config.params == {"size": 7}
