"""The ``execution`` component on a scripted venue: orders, fills, unknown outcomes,
reconciliation, cancels, the kill switch, the stop and the dry-run rule."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import attrs
import pytest
import trio

from agbotkit.model.execution import CancelAll, CancelOrder, OrderStatus
from agbotkit.model.metrics import Metric
from agbotkit.model.orders import Fill, OrderAccepted, OrderRejected, Side, TradeStatus
from agbotkit.model.risk import KillSwitchChanged, OrderDenied
from agbotkit.model.venues import VenueOrder
from agbotkit.testing.venue import ScriptedExchange
from agbotkit.topics import (
    CANCEL_REQUESTS,
    FILLS,
    METRICS,
    ORDER_DECISIONS,
    ORDER_OUTCOMES,
    RISK_STATE,
)

from .stack import (
    MARKET,
    OTHER_MARKET,
    YES,
    approve,
    drain,
    intent,
    running,
    stack_yaml,
    watch,
)


async def test_an_approved_order_is_sent_once_and_accepted(
    autojump_clock: trio.abc.Clock, exchange: ScriptedExchange, tmp_path: Path
) -> None:
    async with running(stack_yaml(exchange.name), tmp_path) as (bus, updates):
        outcomes, metrics = watch(bus, ORDER_OUTCOMES), watch(bus, METRICS)
        order = intent()
        await approve(bus, order)
        accepted = await updates.until(order.client_order_id, OrderStatus.ACCEPTED)
        assert updates.statuses(order.client_order_id) == [
            OrderStatus.NEW,
            OrderStatus.SUBMITTING,
            OrderStatus.ACCEPTED,
        ]
        assert accepted.venue_order_id == f"v-{order.client_order_id}"
        assert accepted.order.venue == "sim"
        assert [o.client_order_id for o in exchange.received] == [order.client_order_id]
        outcome = await outcomes.receive()
        assert isinstance(outcome, OrderAccepted)
        assert outcome.order_id == accepted.venue_order_id
        await trio.sleep(1)
        names = {m.name for m in drain(metrics)}
        assert {"exec.latency_ms", "exec.orders_placed", "exec.open_orders"} <= names


async def test_a_denied_intent_is_never_sent(exchange: ScriptedExchange, tmp_path: Path) -> None:
    async with running(stack_yaml(exchange.name), tmp_path) as (bus, updates):
        await bus.publish(ORDER_DECISIONS, OrderDenied(intent(), ("PositionLimit",), ("too big",)))
        await trio.sleep(5)
        assert updates.all() == []
        assert exchange.received == []


async def test_fills_are_published_once_per_trade_and_order(
    autojump_clock: trio.abc.Clock, exchange: ScriptedExchange, tmp_path: Path
) -> None:
    async with running(stack_yaml(exchange.name), tmp_path) as (bus, updates):
        fills = watch(bus, FILLS)
        order = intent("10")
        await approve(bus, order)
        accepted = await updates.until(order.client_order_id, OrderStatus.ACCEPTED)
        await exchange.fill(accepted.venue_order_id, 4, trade_id="t1")
        # The venue re-sends the same trade as it settles: counted once.
        await exchange.report(
            Fill(
                token_id=YES, side=Side.BUY, price="0.5", size=4, market_id=MARKET,
                order_id=accepted.venue_order_id, trade_id="t1",
                trade_status=TradeStatus.CONFIRMED,
            )
        )  # fmt: skip
        await exchange.fill(accepted.venue_order_id, 6, trade_id="t2")
        done = await updates.until(order.client_order_id, OrderStatus.FILLED)
        assert done.filled_size == Decimal(10)
        published = drain(fills)
        assert [(f.trade_id, f.size, f.client_order_id) for f in published] == [
            ("t1", Decimal(4), order.client_order_id),
            ("t2", Decimal(6), order.client_order_id),
        ]


@pytest.mark.parametrize("computes_order_id", [True, False])
async def test_a_lost_answer_is_resolved_by_asking_the_venue_never_by_resending(
    autojump_clock: trio.abc.Clock,
    exchange: ScriptedExchange,
    tmp_path: Path,
    computes_order_id: bool,
) -> None:
    """Looked up by the venue id computed before sending, or else by our own id."""
    exchange.lose_answers = 1
    venues = (
        f"sim: {{kind: scripted, exchange: {exchange.name}, "
        f"computes_order_id: {str(computes_order_id).lower()}}}"
    )
    async with running(stack_yaml(exchange.name, venues=venues), tmp_path) as (bus, updates):
        order = intent()
        await approve(bus, order)
        resolved = await updates.until(order.client_order_id, OrderStatus.ACCEPTED)
        assert updates.statuses(order.client_order_id) == [
            OrderStatus.NEW,
            OrderStatus.SUBMITTING,
            OrderStatus.UNKNOWN,
            OrderStatus.ACCEPTED,
        ]
        assert resolved.venue_order_id == f"v-{order.client_order_id}"
        assert len(exchange.received) == 1


async def test_an_order_that_never_arrived_is_rejected_after_the_grace_period(
    autojump_clock: trio.abc.Clock, exchange: ScriptedExchange, tmp_path: Path
) -> None:
    exchange.drop_submits = 1
    async with running(stack_yaml(exchange.name, "unknown_grace_s: 20"), tmp_path) as (
        bus,
        updates,
    ):
        order = intent()
        await approve(bus, order)
        await updates.until(order.client_order_id, OrderStatus.UNKNOWN)
        start = trio.current_time()
        rejected = await updates.until(order.client_order_id, OrderStatus.REJECTED)
        assert trio.current_time() - start >= 20
        assert "never reached the venue" in rejected.reason
        assert len(exchange.received) == 1


@pytest.mark.parametrize("landed", [True, False])
async def test_a_submit_without_answer_times_out_to_unknown_then_resolves(
    autojump_clock: trio.abc.Clock, exchange: ScriptedExchange, tmp_path: Path, landed: bool
) -> None:
    exchange.stall(after_placing=landed)
    options = "submit_timeout_s: 2\nunknown_grace_s: 20"
    async with running(stack_yaml(exchange.name, options), tmp_path) as (bus, updates):
        order = intent()
        await approve(bus, order)
        unknown = await updates.until(order.client_order_id, OrderStatus.UNKNOWN)
        assert "no answer within 2 s" in unknown.reason
        await trio.sleep(5)  # lookups stall too; nothing is resent meanwhile
        assert len(exchange.received) == 1
        exchange.release()
        # The lookup finds the order resting if the request landed; otherwise, once the
        # grace period is over, the order is settled as never sent.
        wanted = OrderStatus.ACCEPTED if landed else OrderStatus.REJECTED
        await updates.until(order.client_order_id, wanted)
        assert len(exchange.received) == 1


@pytest.mark.parametrize("mode", ["adopt", "cancel"])
async def test_orders_open_on_the_venue_are_adopted_or_cancelled_at_start(
    autojump_clock: trio.abc.Clock, exchange: ScriptedExchange, tmp_path: Path, mode: str
) -> None:
    stranger = VenueOrder(
        venue_order_id="v-stranger", market_id=MARKET, token_id=YES, side=Side.SELL,
        price="0.6", size=5,
    )  # fmt: skip
    exchange.place(stranger)
    options = f"unknown_open_orders: {mode}"
    async with running(stack_yaml(exchange.name, options), tmp_path) as (_, updates):
        pass
    adopted = [c for c in updates.all() if c.venue_order_id == "v-stranger"]
    assert bool(adopted) is (mode == "adopt")
    if mode == "cancel":
        assert exchange.orders["v-stranger"].status is OrderStatus.CANCELED
    else:
        # Adopted, then cancelled by the stop (cancel_on_stop defaults to true).
        assert ("cancel_all", None) in exchange.cancel_calls
        assert exchange.orders["v-stranger"].status is OrderStatus.CANCELED


async def test_an_adopted_order_is_published_with_its_venue_id(
    autojump_clock: trio.abc.Clock, exchange: ScriptedExchange, tmp_path: Path
) -> None:
    exchange.place(
        VenueOrder(venue_order_id="v-x", market_id=MARKET, token_id=YES, side=Side.BUY,
                   price="0.4", size=5, client_order_id="mine-before-restart")
    )  # fmt: skip
    options = "cancel_on_stop: false"
    async with running(stack_yaml(exchange.name, options), tmp_path) as (_, updates):
        adopted = await updates.until("mine-before-restart", OrderStatus.ACCEPTED)
        assert adopted.reason == "adopted from the venue"
    last = updates.all()[-1]
    assert last.client_order_id == "mine-before-restart"
    assert last.venue_order_id == "v-x"
    assert last.reason == "last known state at stop"
    assert exchange.orders["v-x"].status is OrderStatus.ACCEPTED  # left resting


async def test_cancel_requests_cancel_one_order_or_a_market(
    autojump_clock: trio.abc.Clock, exchange: ScriptedExchange, tmp_path: Path
) -> None:
    async with running(stack_yaml(exchange.name), tmp_path) as (bus, updates):
        a, b, c = intent(), intent(), intent(market=OTHER_MARKET)
        await approve(bus, a, b, c)
        for one in (a, b, c):
            await updates.until(one.client_order_id, OrderStatus.ACCEPTED)
        await bus.publish(CANCEL_REQUESTS, CancelOrder(client_order_id=a.client_order_id))
        await updates.until(a.client_order_id, OrderStatus.CANCELED)
        assert updates.statuses(a.client_order_id)[-2:] == [
            OrderStatus.CANCEL_PENDING,
            OrderStatus.CANCELED,
        ]
        await bus.publish(CANCEL_REQUESTS, CancelAll(market_id=OTHER_MARKET, source="api"))
        await updates.until(c.client_order_id, OrderStatus.CANCELED)
        assert exchange.orders[f"v-{b.client_order_id}"].status is OrderStatus.ACCEPTED


async def test_the_kill_switch_cancels_everything_on_every_venue_and_refuses_orders(
    autojump_clock: trio.abc.Clock,
    tmp_path: Path,
) -> None:
    one, two = ScriptedExchange.named("kill-1"), ScriptedExchange.named("kill-2")
    venues = "a: {kind: scripted, exchange: kill-1}, b: {kind: scripted, exchange: kill-2}"
    text = stack_yaml("", "default_venue: a", venues=venues)
    try:
        async with running(text, tmp_path) as (bus, updates):
            outcomes = watch(bus, ORDER_OUTCOMES)
            x, y = intent(venue="a"), intent(venue="b")
            await approve(bus, x, y)
            for order in (x, y):
                await updates.until(order.client_order_id, OrderStatus.ACCEPTED)
            kill = KillSwitchChanged(True, "drawdown", 1, "policy", component="risk")
            bus.publish_retained(RISK_STATE, "risk", kill)
            await updates.until(x.client_order_id, OrderStatus.CANCELED)
            await updates.until(y.client_order_id, OrderStatus.CANCELED)
            assert ("cancel_all", None) in one.cancel_calls
            assert ("cancel_all", None) in two.cancel_calls
            late = intent()
            drain(outcomes)
            await approve(bus, late)
            refused = await updates.until(late.client_order_id, OrderStatus.REJECTED)
            assert "kill switch triggered: drawdown" in refused.reason
            assert isinstance(await outcomes.receive(), OrderRejected)
            bus.publish_retained(
                RISK_STATE, "risk", KillSwitchChanged(False, "", None, "api", component="risk")
            )
            again = intent()
            await approve(bus, again)
            await updates.until(again.client_order_id, OrderStatus.ACCEPTED)
            sent = [o.client_order_id for o in one.received + two.received]
            assert late.client_order_id not in sent
    finally:
        ScriptedExchange.forget("kill-1")
        ScriptedExchange.forget("kill-2")


@pytest.mark.parametrize("cancel_on_stop", [True, False])
async def test_stop_cancels_open_orders_only_when_asked(
    autojump_clock: trio.abc.Clock, exchange: ScriptedExchange, tmp_path: Path, cancel_on_stop: bool
) -> None:
    options = f"cancel_on_stop: {str(cancel_on_stop).lower()}"
    async with running(stack_yaml(exchange.name, options), tmp_path) as (bus, updates):
        order = intent()
        await approve(bus, order)
        await updates.until(order.client_order_id, OrderStatus.ACCEPTED)
    resting = exchange.orders[f"v-{order.client_order_id}"]
    expected = OrderStatus.CANCELED if cancel_on_stop else OrderStatus.ACCEPTED
    assert resting.status is expected
    assert (("cancel_all", None) in exchange.cancel_calls) is cancel_on_stop


@pytest.mark.parametrize(
    ("live_trading", "environ", "sent"),
    [
        ("false", {"AGBOTKIT_LIVE_TRADING": "1"}, False),
        ("true", {}, False),
        ("true", {"AGBOTKIT_LIVE_TRADING": "yes"}, False),
        ("true", {"AGBOTKIT_LIVE_TRADING": "1"}, True),
    ],
)
async def test_real_money_needs_live_trading_in_config_and_environment(
    autojump_clock: trio.abc.Clock,
    exchange: ScriptedExchange,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    live_trading: str,
    environ: dict[str, str],
    sent: bool,
) -> None:
    monkeypatch.delenv("AGBOTKIT_LIVE_TRADING", raising=False)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    venues = f"sim: {{kind: scripted, exchange: {exchange.name}, real_money: true}}"
    text = stack_yaml(exchange.name, f"live_trading: {live_trading}", venues=venues)
    async with running(text, tmp_path) as (bus, updates):
        order = intent()
        await approve(bus, order)
        wanted = OrderStatus.ACCEPTED if sent else OrderStatus.REJECTED
        change = await updates.until(order.client_order_id, wanted)
    assert bool(exchange.received) is sent
    if not sent:
        assert change.reason.startswith("dry run")


async def test_orders_queue_for_the_rate_budget_and_never_exceed_it(
    autojump_clock: trio.abc.Clock, exchange: ScriptedExchange, tmp_path: Path
) -> None:
    options = "submit_rate: [[3, 1.0], [5, 10.0]]\nrate_max_wait_s: 60\nsubmit_workers: 2"
    venues = f"sim: {{kind: scripted, exchange: {exchange.name}, max_batch: 1}}"
    text = stack_yaml(exchange.name, options, venues=venues)
    async with running(text, tmp_path) as (bus, updates):
        orders = [intent() for _ in range(8)]
        await approve(bus, *orders)
        for order in orders:
            await updates.until(order.client_order_id, OrderStatus.ACCEPTED)
    times = exchange.arrivals
    assert len(times) == 8
    for i, t in enumerate(times):
        assert sum(1 for u in times[i:] if u < t + 1.0) <= 3, times
        assert sum(1 for u in times[i:] if u < t + 10.0) <= 5, times
    assert times[-1] - times[0] >= 10  # the sustained window made the last ones wait


async def test_an_order_waiting_longer_than_allowed_for_its_budget_is_refused(
    autojump_clock: trio.abc.Clock, exchange: ScriptedExchange, tmp_path: Path
) -> None:
    options = "submit_rate: [[2, 10.0]]\nrate_max_wait_s: 1\nsubmit_workers: 1"
    venues = f"sim: {{kind: scripted, exchange: {exchange.name}, max_batch: 1}}"
    async with running(stack_yaml(exchange.name, options, venues=venues), tmp_path) as (
        bus,
        updates,
    ):
        orders = [intent() for _ in range(3)]
        await approve(bus, *orders)
        refused = await updates.until(orders[2].client_order_id, OrderStatus.REJECTED)
    assert "rate limited" in refused.reason
    assert len(exchange.received) == 2


async def test_queued_orders_go_in_batches_up_to_the_venue_limit(
    autojump_clock: trio.abc.Clock, exchange: ScriptedExchange, tmp_path: Path
) -> None:
    venues = f"sim: {{kind: scripted, exchange: {exchange.name}, max_batch: 3}}"
    text = stack_yaml(exchange.name, "submit_workers: 1", venues=venues)
    async with running(text, tmp_path) as (bus, updates):
        exchange.stall(after_placing=True)
        orders = [intent() for _ in range(7)]
        await approve(bus, *orders)
        await trio.sleep(1)  # the first batch is in flight, the others wait in the queue
        exchange.release()
        for order in orders:
            await updates.until(order.client_order_id, OrderStatus.ACCEPTED)
    # Never more than the venue's limit per request; the queued orders went together.
    assert max(exchange.requests) == 3
    assert sum(exchange.requests) == len(exchange.received) == 7
    assert len(exchange.requests) <= 3


async def test_unknown_venue_kind_is_refused_by_check(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    stack = tmp_path / "stack.yaml"
    stack.write_text(stack_yaml("x", venues="sim: {kind: nowhere}"))
    code, _, err = run_cli("check", str(stack))
    assert code != 0
    assert "components.execution.venues.sim.kind" in err
    assert "unknown venue kind 'nowhere'" in err
    stack.write_text(stack_yaml("x", venues="sim: {kind: scripted, max_batch: lots}"))
    code, _, err = run_cli("check", str(stack))
    assert "components.execution.venues.sim.max_batch" in err


def _metric(metrics: list[Metric], name: str) -> list[float]:
    return [m.value for m in metrics if m.name == name]


async def test_an_order_waiting_for_its_budget_is_refused_when_the_kill_switch_triggers(
    autojump_clock: trio.abc.Clock, exchange: ScriptedExchange, tmp_path: Path
) -> None:
    options = "submit_rate: [[1, 10.0]]\nrate_max_wait_s: 60\nsubmit_workers: 1"
    venues = f"sim: {{kind: scripted, exchange: {exchange.name}, max_batch: 1}}"
    async with running(stack_yaml(exchange.name, options, venues=venues), tmp_path) as (
        bus,
        updates,
    ):
        first, second = intent(), intent()
        await approve(bus, first, second)
        await updates.until(first.client_order_id, OrderStatus.ACCEPTED)
        await trio.sleep(1)  # the second waits for the budget
        bus.publish_retained(
            RISK_STATE, "risk", KillSwitchChanged(True, "stop", 1, "api", component="risk")
        )
        refused = await updates.until(second.client_order_id, OrderStatus.REJECTED)
    assert "kill switch triggered" in refused.reason
    assert [o.client_order_id for o in exchange.received] == [first.client_order_id]


async def test_a_429_refuses_the_order_and_closes_the_budget_for_its_retry_after(
    autojump_clock: trio.abc.Clock, exchange: ScriptedExchange, tmp_path: Path
) -> None:
    options = "rate_max_wait_s: 60\nsubmit_workers: 1"
    async with running(stack_yaml(exchange.name, options), tmp_path) as (bus, updates):
        exchange.too_many_requests = 7.0
        first = intent()
        await approve(bus, first)
        refused = await updates.until(first.client_order_id, OrderStatus.REJECTED)
        assert "rate limited on POST /order" in refused.reason
        refused_at = trio.current_time()
        second = intent()
        await approve(bus, second)
        await updates.until(second.client_order_id, OrderStatus.ACCEPTED)
    # The second went only once the venue's Retry-After had passed; nothing was resent.
    assert exchange.arrivals[-1] - refused_at >= 7.0
    assert [o.client_order_id for o in exchange.received] == [
        first.client_order_id,
        second.client_order_id,
    ]


async def test_a_trade_that_failed_to_settle_is_taken_back_and_published(
    autojump_clock: trio.abc.Clock, exchange: ScriptedExchange, tmp_path: Path
) -> None:
    async with running(stack_yaml(exchange.name), tmp_path) as (bus, updates):
        fills, metrics = watch(bus, FILLS), watch(bus, METRICS)
        order = intent("10")
        await approve(bus, order)
        accepted = await updates.until(order.client_order_id, OrderStatus.ACCEPTED)
        matched = await exchange.fill(accepted.venue_order_id, 4, trade_id="t1")
        await exchange.report(attrs.evolve(matched, trade_status=TradeStatus.FAILED))
        back = await updates.first(
            lambda c: c.client_order_id == order.client_order_id and "failed" in c.reason
        )
        assert back.filled_size == 0
        published = [await fills.receive(), await fills.receive()]
        assert [f.trade_status for f in published] == [TradeStatus.MATCHED, TradeStatus.FAILED]
        await trio.sleep(1)
        failed = [m.value for m in drain(metrics) if m.name == "exec.failed_trades"]
        assert failed
        assert failed[-1] == 1
