"""The ``rtds`` component against :class:`~agbotkit.marketdata.replay.loopback.rtds.RtdsServer`."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import trio
import trio.testing

from agbotkit.abc import ComponentContext
from agbotkit.bus.bus import Bus
from agbotkit.marketdata.component import Rtds, RtdsConfig, RtdsSubscriptionConfig
from agbotkit.marketdata.replay.loopback.rtds import RtdsServer
from agbotkit.model.books import Side
from agbotkit.model.markets import Trade
from agbotkit.model.prices import PricePoint, ReferencePrice, ReferencePriceSnapshot
from agbotkit.topics import FEED_STATUS, MARKET_DATA, METRICS, RAW_FRAMES

from .conftest import (
    EPOCH_MS,
    client_frames,
    drain,
    metrics_until,
    receive_until,
    sample_lines,
    virtual_now_ms,
)

MakeContext = Callable[..., ComponentContext]
CHAINLINK = RtdsSubscriptionConfig("crypto_prices_chainlink", symbols=("btc/usd", "eth/usd"))
TRADES = RtdsSubscriptionConfig("activity", "trades")
SUBSCRIBE = (
    '{"action":"subscribe","subscriptions":['
    '{"topic":"crypto_prices_chainlink","type":"*","filters":"{\\"symbol\\":\\"btc/usd\\"}"},'
    '{"topic":"crypto_prices_chainlink","type":"*","filters":"{\\"symbol\\":\\"eth/usd\\"}"},'
    '{"topic":"activity","type":"trades"}]}'
)
TS = EPOCH_MS - 1000


def make_rtds(
    make_context: MakeContext,
    server: RtdsServer,
    *subscriptions: RtdsSubscriptionConfig,
    now_ms: Callable[[], int] = virtual_now_ms,
    **options: Any,
) -> Rtds:
    options.setdefault("metrics_interval_s", 1000.0)
    config = RtdsConfig(
        subscriptions=subscriptions or (CHAINLINK, TRADES), url=server.url, **options
    )
    return Rtds(config, make_context("rtds", now_ms))


def btc_update(value: str, ts: int = TS) -> dict[str, Any]:
    """A Chainlink update: ``full_accuracy_value`` is E18 fixed point."""
    e18 = str(int(Decimal(value) * 10**18))
    return {
        "connection_id": "gZexFa6cUWeIKEiTDA==",
        "topic": "crypto_prices_chainlink",
        "type": "update",
        "timestamp": ts,
        "payload": {
            "symbol": "btc/usd",
            "timestamp": ts - 500,
            "value": float(value),
            "full_accuracy_value": e18,
        },
    }


def activity_trade(ts: int = TS) -> dict[str, Any]:
    return {
        "connection_id": "gZexFa6cUWeIKEiTDA==",
        "topic": "activity",
        "type": "trades",
        "timestamp": ts,
        "payload": {
            "asset": "123",
            "bio": "",
            "conditionId": "0xc0",
            "eventSlug": "ev",
            "icon": "",
            "name": "",
            "outcome": "Yes",
            "outcomeIndex": 0,
            "price": 0.42,
            "profileImage": "",
            "proxyWallet": "0xw",
            "pseudonym": "P",
            "side": "SELL",
            "size": 12.5,
            "slug": "mk",
            "timestamp": ts // 1000 - 2,
            "title": "?",
            "transactionHash": "0xt",
        },
    }


async def wait_sent(server: RtdsServer, count: int, connection: int | None = None) -> None:
    with trio.fail_after(30):
        await server.wait_for(lambda: len(client_frames(server, connection)) >= count)


async def test_subscribe_frame_is_exact(
    nursery: trio.Nursery,
    rtds_server: RtdsServer,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    await nursery.start(make_rtds(make_context, rtds_server).run)
    await wait_sent(rtds_server, 1)
    assert client_frames(rtds_server) == [SUBSCRIBE]
    assert rtds_server.current_subscriptions() == {
        1: frozenset(
            {
                ("crypto_prices_chainlink", "*", '{"symbol":"btc/usd"}'),
                ("crypto_prices_chainlink", "*", '{"symbol":"eth/usd"}'),
                ("activity", "trades", None),
            }
        )
    }


async def test_activity_filters_are_compact_json_strings(
    nursery: trio.Nursery,
    rtds_server: RtdsServer,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    by_event = RtdsSubscriptionConfig(
        "activity", "orders_matched", event_slug="ev", market_slug="mk"
    )
    await nursery.start(make_rtds(make_context, rtds_server, by_event).run)
    await wait_sent(rtds_server, 1)
    assert client_frames(rtds_server) == [
        '{"action":"subscribe","subscriptions":[{"topic":"activity","type":"orders_matched",'
        '"filters":"{\\"event_slug\\":\\"ev\\",\\"market_slug\\":\\"mk\\"}"}]}'
    ]


async def test_prices_and_trades_are_published(
    nursery: trio.Nursery,
    bus: Bus,
    rtds_server: RtdsServer,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    snapshot = {
        "topic": "crypto_prices_chainlink",
        "type": "subscribe",
        "timestamp": TS - 100,
        "payload": {
            "symbol": "btc/usd",
            "data": [
                {"timestamp": TS - 2000, "value": 97000.5},
                {"timestamp": TS - 1000, "value": 97001.25},
            ],
        },
    }

    def snapshots(topic: str, type_: str, filters: str | None) -> list[dict[str, Any]]:
        return [snapshot] if filters == '{"symbol":"btc/usd"}' else []

    rtds_server.snapshots = snapshots
    data = bus.subscribe(MARKET_DATA)
    await nursery.start(make_rtds(make_context, rtds_server).run)
    first = await receive_until(data, lambda e: True)
    assert first == ReferencePriceSnapshot(
        "crypto_prices_chainlink",
        "btc/usd",
        (PricePoint(TS - 2000, Decimal("97000.5")), PricePoint(TS - 1000, Decimal("97001.25"))),
        TS - 100,
    )

    assert await rtds_server.publish(btc_update("97012.123456789012345678")) == 1
    assert await rtds_server.publish(activity_trade()) == 1
    # Not subscribed: the server does not send it.
    assert await rtds_server.publish({**btc_update("1"), "topic": "crypto_prices"}) == 0
    price = await receive_until(data, lambda e: True)
    assert isinstance(price, ReferencePrice)
    assert (price.topic, price.symbol, price.price, price.price_time_ms, price.timestamp_ms) == (
        "crypto_prices_chainlink",
        "btc/usd",
        Decimal("97012.123456789012345678"),
        TS - 500,
        TS,
    )
    trade = await receive_until(data, lambda e: True)
    assert isinstance(trade, Trade)
    assert (trade.asset_id, trade.market, trade.side, trade.price, trade.size) == (
        "123",
        "0xc0",
        Side.SELL,
        Decimal("0.42"),
        Decimal("12.5"),
    )
    assert (trade.topic, trade.event_type, trade.timestamp_ms) == ("activity", "trades", TS)
    assert trade.trade_time_ms == (TS // 1000 - 2) * 1000  # activity stamps are seconds


async def test_sample_frames_and_arrays_are_published(
    nursery: trio.Nursery,
    bus: Bus,
    rtds_server: RtdsServer,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    samples = sample_lines("nautilus_rtds.jsonl")
    data = bus.subscribe(MARKET_DATA)
    subscriptions = (
        RtdsSubscriptionConfig("crypto_prices", symbols=("btcusdt",)),
        RtdsSubscriptionConfig("equity_prices", symbols=("AAPL",)),
    )
    await nursery.start(make_rtds(make_context, rtds_server, *subscriptions).run)
    await wait_sent(rtds_server, 1)
    assert await rtds_server.publish(samples) == 1  # one array frame of four envelopes
    with trio.fail_after(10):
        events = [await data.receive() for _ in range(4)]
    assert [type(e).__name__ for e in events] == [
        "ReferencePriceSnapshot",
        "ReferencePrice",
        "ReferencePriceSnapshot",
        "ReferencePrice",
    ]
    assert events[1].price == Decimal("61035.86000000")
    assert events[3].price == Decimal("198.4523")


async def test_empty_frames_and_pongs_are_ignored(
    nursery: trio.Nursery,
    bus: Bus,
    rtds_server: RtdsServer,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    raw = bus.subscribe(RAW_FRAMES)
    data = bus.subscribe(MARKET_DATA)
    metrics = bus.subscribe(METRICS)
    comp = make_rtds(make_context, rtds_server, ping_interval_s=5.0, metrics_interval_s=1.0)
    await nursery.start(comp.run)
    await trio.sleep(11)  # two PINGs, each answered with PONG
    await rtds_server.send_control("pong")
    await rtds_server.publish(btc_update("97000"))
    await receive_until(data, lambda e: True)
    assert [f.text for f in drain(raw)] == [
        "",
        "PONG",
        "PONG",
        "pong",
        json.dumps(btc_update("97000"), separators=(",", ":")),
    ]
    assert drain(data) == []
    seen = await metrics_until(metrics, lambda m: any("messages_received" in k for k in m), "rtds")
    assert seen["polymarket.rtds.malformed"] == 0
    assert [k for k in seen if "messages_received" in k] == [
        "polymarket.rtds.messages_received{message_type=update,topic=crypto_prices_chainlink}"
    ]


async def test_deeply_nested_frame_is_counted_and_the_stream_goes_on(
    nursery: trio.Nursery,
    bus: Bus,
    rtds_server: RtdsServer,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    data = bus.subscribe(MARKET_DATA)
    metrics = bus.subscribe(METRICS)
    status = bus.subscribe(FEED_STATUS)
    await nursery.start(make_rtds(make_context, rtds_server, metrics_interval_s=1.0).run)
    assert (await receive_until(status, lambda e: True)).connected
    deep = '{"topic":"activity","type":"trades","payload":' + "[" * 1_000 + "]" * 1_000 + "}"
    for _ in range(3):
        await rtds_server.send_control(deep)
        await rtds_server.send_control("[" * 1_000 + "]" * 1_000)
    assert await rtds_server.publish(btc_update("97000.5")) == 1
    price = await receive_until(data, lambda e: True)
    assert isinstance(price, ReferencePrice)
    assert price.price == Decimal("97000.5")
    seen = await metrics_until(metrics, lambda m: m.get("polymarket.rtds.malformed") == 6, "rtds")
    # The same connection all along: no crash, no reconnect.
    assert seen["polymarket.rtds.reconnects"] == 0
    assert seen["polymarket.rtds.connection_status"] == 1
    assert rtds_server.connections_accepted == 1
    assert drain(status) == []


async def test_rejected_subscription_is_reported_once_and_not_resent(
    nursery: trio.Nursery,
    bus: Bus,
    rtds_server: RtdsServer,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    status = bus.subscribe(FEED_STATUS)
    metrics = bus.subscribe(METRICS)
    unknown = RtdsSubscriptionConfig("no_such_topic")
    problems: list[str] = []
    context = ComponentContext("rtds", bus, now_ms=virtual_now_ms, on_degraded=problems.append)
    config = RtdsConfig(
        subscriptions=(CHAINLINK, unknown),
        url=rtds_server.url,
        silence_timeout_s=30.0,
        ping_interval_s=5.0,
        metrics_interval_s=1000.0,
    )
    comp = Rtds(config, context)
    await nursery.start(comp.run)
    await receive_until(status, lambda e: e.connected)
    await wait_sent(rtds_server, 1)
    # The whole batch is void: nothing subscribed, one 401 error frame back.
    assert rtds_server.current_subscriptions() == {1: frozenset()}
    await rtds_server.wait_for(lambda: comp.handler.rejected is not None)
    assert comp.handler.rejected == "401: leger GetTopics error: topic no_such_topic not found"
    # Published at once: the component's health, and a metric per topic of the batch.
    assert problems == [
        "RTDS rejected the subscription (crypto_prices_chainlink/*, no_such_topic/*; "
        "status 401): leger GetTopics error: topic no_such_topic not found; not retried"
    ]
    rejected = "polymarket.rtds.subscription_rejected{message_type=*,topic=%s}"
    seen = await metrics_until(metrics, lambda m: m.get(rejected % "no_such_topic") == 1, "rtds")
    assert {k: v for k, v in seen.items() if "subscription_rejected" in k} == {
        rejected % "crypto_prices_chainlink": 1,
        rejected % "no_such_topic": 1,
    }
    assert seen["polymarket.rtds.connection_status"] == 1  # connected, but degraded
    # The same error again is not logged again.
    await rtds_server.send_control('{"body":{"message":"again"},"statusCode":401}')

    # Nothing subscribed: long silence is normal, the watchdog leaves the socket alone.
    with trio.move_on_after(100) as quiet:
        await receive_until(status, lambda e: True, timeout_s=200)
    assert quiet.cancelled_caught
    assert rtds_server.connections_accepted == 1

    await rtds_server.disconnect_all()
    await receive_until(status, lambda e: e.connected)
    # Once the new connection's first PING is in, anything sent before it is in too.
    with trio.fail_after(10):
        await rtds_server.wait_for(lambda: (2, "PING") in rtds_server.frames_received)
    assert client_frames(rtds_server, 2) == []  # the rejected frame was not sent again
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    message = errors[0].getMessage()
    assert "crypto_prices_chainlink/*, no_such_topic/*" in message
    assert "status 401" in message
    assert len(problems) == 1


async def test_silent_feed_reconnects_and_resubscribes(
    nursery: trio.Nursery,
    bus: Bus,
    rtds_server: RtdsServer,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    status = bus.subscribe(FEED_STATUS)
    data = bus.subscribe(MARKET_DATA)
    metrics = bus.subscribe(METRICS)
    comp = make_rtds(make_context, rtds_server, silence_timeout_s=30.0, ping_interval_s=5.0)
    await nursery.start(comp.run)
    await receive_until(status, lambda e: e.connected)
    await rtds_server.publish(btc_update("97000"))
    await receive_until(data, lambda e: True)
    last_data = trio.current_time()

    with trio.move_on_after(29.9) as quiet:
        await status.receive()
    assert quiet.cancelled_caught  # PINGs answered all along, but they are not data
    with trio.fail_after(1):
        down = await status.receive()
    assert not down.connected
    assert trio.current_time() - last_data == pytest.approx(30.0, abs=0.01)
    await receive_until(status, lambda e: e.connected)
    await wait_sent(rtds_server, 1, connection=2)
    assert client_frames(rtds_server) == [SUBSCRIBE, SUBSCRIBE]
    await rtds_server.publish(btc_update("97001"))
    assert (await receive_until(data, lambda e: True)).price == Decimal("97001")
    await metrics_until(
        metrics,
        lambda m: (
            m.get("polymarket.rtds.reconnects") == 1
            and m.get("polymarket.rtds.connection_status") == 1
        ),
        "rtds",
    )


async def test_message_metrics_are_labelled_by_topic_and_type(
    nursery: trio.Nursery,
    bus: Bus,
    rtds_server: RtdsServer,
    make_context: MakeContext,
    clock: trio.testing.MockClock,
) -> None:
    data = bus.subscribe(MARKET_DATA)
    metrics = bus.subscribe(METRICS)
    comp = make_rtds(make_context, rtds_server, now_ms=lambda: TS + 250, metrics_interval_s=0.5)
    await nursery.start(comp.run)
    await wait_sent(rtds_server, 1)
    await rtds_server.publish([btc_update("1"), btc_update("2"), activity_trade(TS + 50)])
    with trio.fail_after(10):
        for _ in range(3):
            await data.receive()
    samples = []
    with trio.fail_after(10):
        while not any(s.name == "polymarket.rtds.lag_ms" for s in samples):
            samples = await metrics.receive_batch()
    counters = {s.labels: s.value for s in samples if s.name == "polymarket.rtds.messages_received"}
    assert counters == {
        (
            ("component", "rtds"),
            ("message_type", "update"),
            ("topic", "crypto_prices_chainlink"),
        ): 2,
        (("component", "rtds"), ("message_type", "trades"), ("topic", "activity")): 1,
    }
    values = {s.name: s.value for s in samples}
    assert values["polymarket.rtds.lag_ms"] == pytest.approx((250 + 250 + 200) / 3)
    assert values["polymarket.rtds.lag_ms_max"] == 250
    rejected = {s.labels: s.value for s in samples if s.name.endswith("subscription_rejected")}
    assert rejected == {
        (("component", "rtds"), ("message_type", "*"), ("topic", "crypto_prices_chainlink")): 0,
        (("component", "rtds"), ("message_type", "trades"), ("topic", "activity")): 0,
    }
