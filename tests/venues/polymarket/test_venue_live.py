"""The ``polymarket`` venue live, against the fake CLOB: signed orders accepted by a server
that checks every signature and HMAC, fills from the user channel, unknown outcomes
resolved without a second order, fills missed while the socket was down read back, failed
trades taken back, 429 and cancel-only, and the switches that keep money safe."""

from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import trio

from agbotkit.bus.bus import Bus
from agbotkit.bus.subscription import Subscription
from agbotkit.bus.topic import Overflow
from agbotkit.model.execution import OrderStatus, OrderStatusChanged
from agbotkit.model.orders import Fill, OrderIntent, OrderType, Side, TradeStatus
from agbotkit.model.risk import OrderApproved
from agbotkit.supervisor.runner import Supervisor
from agbotkit.testing import FakeClob
from agbotkit.testing.fake_clob.accounts import FakeAccount
from agbotkit.testing.stacks import plan_from_yaml
from agbotkit.topics import FILLS, ORDER_DECISIONS, ORDER_UPDATES
from agbotkit.venues.polymarket.amounts import market_order_amounts
from agbotkit.venues.polymarket.body import order_body
from agbotkit.venues.polymarket.credentials import ApiCredentials
from agbotkit.venues.polymarket.keys import SigningKey
from agbotkit.venues.polymarket.rest import ClobRestClient
from agbotkit.venues.polymarket.signer import OrderSigner
from agbotkit.venues.polymarket.transport import ClobTransport, RestConfig

from .conftest import ADDRESS, API_KEY, PASSPHRASE, SECRET

HARDHAT_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
HARDHAT_KEY_2 = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
TOKEN = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
MARKET = "0x" + "11" * 32
ENV = {
    "POLYMARKET_PRIVATE_KEY": HARDHAT_KEY,
    "POLYMARKET_API_KEY": API_KEY,
    "POLYMARKET_API_SECRET": SECRET,
    "POLYMARKET_API_PASSPHRASE": PASSPHRASE,
}


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AGBOTKIT_LIVE_TRADING", "1")


def stack(
    fake: FakeClob,
    *,
    dry_run: bool = False,
    live_trading: bool = True,
    heartbeat_s: float = 0,
    cancel_on_stop: bool = True,
) -> str:
    return textwrap.dedent(f"""
        stack: {{shutdown_grace_s: 5}}
        components:
          execution:
            kind: execution
            live_trading: {str(live_trading).lower()}
            cancel_on_stop: {str(cancel_on_stop).lower()}
            submit_timeout_s: 3
            unknown_grace_s: 5
            venues:
              pm:
                kind: polymarket
                dry_run: {str(dry_run).lower()}
                clob_url: {fake.url}
                user_ws_url: {fake.ws_url}
                timeout_s: 2
                heartbeat_interval_s: {heartbeat_s}
        """)


@asynccontextmanager
async def trading(fake: FakeClob, tmp_path: Path, **options: Any) -> AsyncIterator[Bus]:
    supervisor = Supervisor(plan_from_yaml(stack(fake, **options), base_dir=tmp_path))
    async with trio.open_nursery() as nursery:
        await nursery.start(supervisor.run)
        yield supervisor.bus
        supervisor.request_stop()


@asynccontextmanager
async def clob(heartbeat_timeout_s: float | None = None) -> AsyncIterator[FakeClob]:
    fake = FakeClob(
        accounts=[FakeAccount(ADDRESS, API_KEY, SECRET, PASSPHRASE)],
        heartbeat_timeout_s=heartbeat_timeout_s,
    )
    fake.set_book(TOKEN, bids=[("0.48", 100)], asks=[("0.52", 10), ("0.54", 100)], market=MARKET)
    async with fake:
        yield fake


def intent(
    cid: str, price: str, size: str = "10", order_type: OrderType = OrderType.GTC
) -> OrderIntent:
    return OrderIntent(
        market_id=MARKET, token_id=TOKEN, side=Side.BUY, price=price, size=size,
        client_order_id=cid, order_type=order_type,
    )  # fmt: skip


async def approve(bus: Bus, *intents: OrderIntent) -> None:
    for one in intents:
        await bus.publish(ORDER_DECISIONS, OrderApproved(one))


async def until(
    updates: Subscription[OrderStatusChanged], cid: str, status: OrderStatus, timeout_s: float = 30
) -> OrderStatusChanged:
    with trio.fail_after(timeout_s):
        async for change in updates:
            if change.client_order_id == cid and change.status is status:
                return change
    raise AssertionError("no more updates")


async def sell_as_another_trader(fake: FakeClob, price: str, size: str) -> None:
    """A FAK sell by Hardhat's second account, signed and sent like any order."""
    key = SigningKey(HARDHAT_KEY_2)
    credentials = ApiCredentials("0f0f0f0f-other", SECRET, "other-passphrase")
    fake.add_account(FakeAccount.of(key.address, credentials))
    signer = OrderSigner(key)
    amounts = market_order_amounts(Side.SELL, Decimal(size), Decimal(price), Decimal("0.01"))
    order = signer.build(
        token_id=TOKEN,
        side=Side.SELL,
        maker_amount=amounts.maker_amount,
        taker_amount=amounts.taker_amount,
        timestamp_ms=1_713_398_400_000,
    )
    body = order_body(
        signer.sign(order, neg_risk=False), owner=credentials.api_key, order_type=OrderType.FAK
    )
    config = RestConfig(base_url=fake.url, timeout_s=5)
    async with ClobTransport(config, address=key.address, credentials=credentials) as transport:
        answer = await ClobRestClient(transport).post_order(body)
    assert answer.success, answer


async def fills_of(subscription: Subscription[Fill], count: int) -> list[Fill]:
    with trio.fail_after(30):
        return [await subscription.receive() for _ in range(count)]


async def test_a_signed_order_is_accepted_by_the_strict_fake_with_its_hash_as_id(
    tmp_path: Path,
) -> None:
    async with clob() as fake, trading(fake, tmp_path) as bus:
        with bus.subscribe(ORDER_UPDATES, buffer=1000, overflow=Overflow.BLOCK) as updates:
            await approve(bus, intent("rest", "0.45"))
            accepted = await until(updates, "rest", OrderStatus.ACCEPTED)
    assert accepted.venue_order_id.startswith("0x")
    assert len(accepted.venue_order_id) == 66
    assert len(fake.orders) == 1


async def test_a_marketable_order_fills_through_the_user_channel_once_per_trade(
    tmp_path: Path,
) -> None:
    async with clob() as fake, trading(fake, tmp_path) as bus:
        with bus.subscribe(FILLS, buffer=1000, overflow=Overflow.BLOCK) as fills:
            await approve(bus, intent("take", "0.52", "10"))
            (fill,) = await fills_of(fills, 1)
            assert (fill.price, fill.size, fill.taker) == (Decimal("0.52"), Decimal(10), True)
            assert fill.client_order_id == "take"
            assert fill.trade_status is TradeStatus.MATCHED
            await fake.settle(fill.trade_id)  # MINED, CONFIRMED: the same trade again
            await trio.sleep(1)
            with pytest.raises(trio.WouldBlock):
                fills.receive_nowait()


async def test_a_submit_without_answer_is_resolved_never_resent(
    autojump_clock: trio.abc.Clock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with clob() as fake, trading(fake, tmp_path) as bus:
        fake.faults.hang_orders = 1  # placed, never answered
        with bus.subscribe(ORDER_UPDATES, buffer=1000, overflow=Overflow.BLOCK) as updates:
            await approve(bus, intent("slow", "0.45"))
            submitting = await until(updates, "slow", OrderStatus.SUBMITTING)
            # The user channel (or, failing it, a lookup by the hash) says it rests.
            accepted = await until(updates, "slow", OrderStatus.ACCEPTED)
            await trio.sleep(10)  # the submit's timeout, and a few lookups after it
    assert "outcome UNKNOWN" in caplog.text
    assert accepted.venue_order_id == submitting.venue_order_id != ""
    assert len(fake.orders) == 1  # never sent again


async def test_fills_missed_while_the_user_channel_was_down_are_read_back(
    tmp_path: Path,
) -> None:
    async with clob() as fake, trading(fake, tmp_path) as bus:
        with bus.subscribe(FILLS, buffer=1000, overflow=Overflow.BLOCK) as fills:
            with bus.subscribe(ORDER_UPDATES, buffer=1000, overflow=Overflow.BLOCK) as updates:
                # The best bid (the book's own is 0.48): the next seller hits it.
                await approve(bus, intent("rest", "0.49", "5"))
                await until(updates, "rest", OrderStatus.ACCEPTED)
            fake.drop_user_sockets()
            # Another trader hits our bid while no socket of ours is up (the reconnect waits
            # a backoff of a tenth of a second or more): its trade event goes nowhere.
            await sell_as_another_trader(fake, "0.49", "5")
            (fill,) = await fills_of(fills, 1)
    assert (fill.client_order_id, fill.size, fill.taker) == ("rest", Decimal(5), False)


async def test_a_failed_trade_is_taken_back(tmp_path: Path) -> None:
    async with clob() as fake, trading(fake, tmp_path) as bus:
        fake.faults.fail_trades = True
        with bus.subscribe(FILLS, buffer=1000, overflow=Overflow.BLOCK) as fills:
            await approve(bus, intent("take", "0.52", "10"))
            (matched,) = await fills_of(fills, 1)
            await fake.settle(matched.trade_id)  # RETRYING, then FAILED
            (failed,) = await fills_of(fills, 1)
    assert failed.trade_status is TradeStatus.FAILED
    assert failed.trade_id == matched.trade_id


async def test_cancel_only_and_429_are_refusals_not_unknowns(tmp_path: Path) -> None:
    async with clob() as fake, trading(fake, tmp_path) as bus:
        with bus.subscribe(ORDER_UPDATES, buffer=1000, overflow=Overflow.BLOCK) as updates:
            fake.faults.cancel_only = True
            await approve(bus, intent("a", "0.45"))
            refused = await until(updates, "a", OrderStatus.REJECTED)
            assert "cancel-only" in refused.reason
            fake.faults.cancel_only = False
            fake.faults.too_many_requests = 1
            await approve(bus, intent("b", "0.45"))
            limited = await until(updates, "b", OrderStatus.REJECTED)
            assert "rate limited" in limited.reason


@pytest.mark.parametrize(("dry_run", "live_trading"), [(True, True), (False, False)])
async def test_nothing_is_sent_without_every_switch(
    tmp_path: Path, dry_run: bool, live_trading: bool
) -> None:
    async with (
        clob() as fake,
        trading(fake, tmp_path, dry_run=dry_run, live_trading=live_trading) as bus,
    ):
        with bus.subscribe(ORDER_UPDATES, buffer=1000, overflow=Overflow.BLOCK) as updates:
            await approve(bus, intent("x", "0.45"))
            refused = await until(updates, "x", OrderStatus.REJECTED)
    assert "dry run" in refused.reason
    assert fake.orders == []


async def test_heartbeats_keep_orders_alive_and_their_end_cancels_them(
    autojump_clock: trio.abc.Clock, tmp_path: Path
) -> None:
    async with clob(heartbeat_timeout_s=5) as fake:
        options: dict[str, Any] = {"heartbeat_s": 1, "cancel_on_stop": False}
        async with trading(fake, tmp_path, **options) as bus:
            with bus.subscribe(ORDER_UPDATES, buffer=1000, overflow=Overflow.BLOCK) as updates:
                await approve(bus, intent("rest", "0.45"))
                accepted = await until(updates, "rest", OrderStatus.ACCEPTED)
            await trio.sleep(20)  # heartbeats every second: the dead-man switch stays armed
            assert fake.heartbeat_cancels == []
        # The process stopped (and left its orders resting): the heartbeats stopped too.
        await trio.sleep(6)
        assert fake.heartbeat_cancels == [accepted.venue_order_id]
