"""The ``polymarket`` venue adapter, so far: dry runs sign and log every order, send none;
live trading is refused until the venue is finished."""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path

import pytest
import trio

from agbotkit.abc import ComponentContext, VenueContext
from agbotkit.bus.bus import Bus
from agbotkit.errors import CredentialsError
from agbotkit.model.execution import OrderStatus
from agbotkit.model.orders import Order, OrderType, Side
from agbotkit.model.venues import VenueEvent
from agbotkit.venues.polymarket.config import PolymarketConfig
from agbotkit.venues.polymarket.venue import GTD_BUFFER_S, PolymarketVenue

from .conftest import API_KEY, PASSPHRASE, SECRET, FakeClobRest, json_answer

HARDHAT_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
TOKEN = "71321045679252212594626385532706912750332728571942532289631379312455583992563"


@pytest.fixture(autouse=True)
def secrets_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYMARKET_PRIVATE_KEY", HARDHAT_KEY)
    monkeypatch.setenv("POLYMARKET_API_KEY", API_KEY)
    monkeypatch.setenv("POLYMARKET_API_SECRET", SECRET)
    monkeypatch.setenv("POLYMARKET_API_PASSPHRASE", PASSPHRASE)


def venue(clob: FakeClobRest, **options: object) -> PolymarketVenue:
    send, _ = trio.open_memory_channel[VenueEvent](100)
    context = VenueContext("pm", ComponentContext("execution", Bus()), send)
    return PolymarketVenue(PolymarketConfig(clob_url=clob.url, **options), context)  # type: ignore[arg-type]


def order(cid: str = "c1", order_type: OrderType = OrderType.GTC, **fields: object) -> Order:
    values: dict[str, object] = {
        "client_order_id": cid, "venue": "pm", "market_id": "0xm", "token_id": TOKEN,
        "side": Side.BUY, "price": "0.55", "size": "10", "order_type": order_type,
        "created_ms": 1_713_398_400_000,
    }  # fmt: skip
    values.update(fields)
    return Order(**values)  # type: ignore[arg-type]


def serve_market(clob: FakeClobRest, neg_risk: bool = False) -> None:
    clob.routes[("GET", "/tick-size")] = lambda _: json_answer({"minimum_tick_size": 0.01})
    clob.routes[("GET", "/neg-risk")] = lambda _: json_answer({"neg_risk": neg_risk})


async def test_a_dry_run_signs_and_logs_every_order_and_sends_none(
    clob: FakeClobRest, caplog: pytest.LogCaptureFixture
) -> None:
    serve_market(clob)
    pm = venue(clob)
    assert not pm.capabilities.real_money
    assert pm.order_id_for(order()) == ""  # the token's tick size is not known yet
    caplog.set_level(logging.INFO)
    ack = await pm.submit(order())
    assert ack.status is OrderStatus.REJECTED
    assert ack.reason == "dry run: signed and logged, not sent"
    assert clob.of("POST", "/order") == []
    # Signed all the same: the log names the order's id, the same every time.
    order_id = pm.order_id_for(order())
    assert order_id.startswith("0x")
    assert len(order_id) == 66
    assert order_id in caplog.text
    assert pm.order_id_for(order()) == order_id
    assert pm.order_id_for(order("c2")) != order_id  # another order, another salt
    acks = await pm.submit_batch([order("c3"), order("c4", OrderType.FOK)])
    assert [a.status for a in acks] == [OrderStatus.REJECTED, OrderStatus.REJECTED]
    assert clob.of("POST", "/orders") == []
    assert SECRET not in caplog.text
    assert PASSPHRASE not in caplog.text


async def test_a_gtd_order_asks_for_a_minute_more_than_its_expiry(clob: FakeClobRest) -> None:
    serve_market(clob)
    pm = venue(clob)
    await pm.tick_size(TOKEN)
    await pm.submit(order("warm"))  # learns the neg-risk flag
    expires_ms = 1_713_398_460_000
    pm.order_id_for(order("gtd", OrderType.GTD, expires_at_ms=expires_ms))
    signed = pm._signed["gtd"]
    assert signed.order.expiration == expires_ms // 1000 + GTD_BUFFER_S
    assert await pm.tick_size(TOKEN) == Decimal("0.01")
    assert len(clob.of("GET", "/tick-size")) == 1  # cached


async def test_open_orders_and_lookups_read_the_clob(clob: FakeClobRest) -> None:
    listed = {
        "id": "0xaa", "status": "LIVE", "market": "0xm", "asset_id": TOKEN, "side": "BUY",
        "original_size": "10", "size_matched": "4", "price": "0.5", "order_type": "GTC",
        "created_at": 1_713_398_400,
    }  # fmt: skip
    clob.routes[("GET", "/data/orders")] = lambda _: json_answer(
        {"data": [listed], "next_cursor": "LTE=", "limit": 100, "count": 1}
    )
    pm = venue(clob)
    (found,) = await pm.open_orders()
    assert (found.venue_order_id, found.status, found.filled_size) == (
        "0xaa",
        OrderStatus.PARTIALLY_FILLED,
        Decimal(4),
    )
    assert found.created_ms == 1_713_398_400_000
    assert clob.verified >= 1  # a private request, signed with the API secret


def test_live_trading_needs_api_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POLYMARKET_API_KEY")
    problems = PolymarketVenue.preflight(PolymarketConfig(dry_run=False), tmp_path)
    assert [p.field for p in problems] == [("credentials_file",)]
    assert "POLYMARKET_API_KEY" in problems[0].message
    send, _ = trio.open_memory_channel[VenueEvent](1)
    context = VenueContext("pm", ComponentContext("execution", Bus()), send)
    with pytest.raises(CredentialsError):
        PolymarketVenue(PolymarketConfig(dry_run=False), context)
    # With them, the venue claims real money: the execution component's switches apply.
    monkeypatch.setenv("POLYMARKET_API_KEY", API_KEY)
    assert PolymarketVenue(PolymarketConfig(dry_run=False), context).capabilities.real_money


def test_a_key_file_others_may_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(HARDHAT_KEY)
    key_file.chmod(0o644)
    problems = PolymarketVenue.preflight(PolymarketConfig(private_key_file=key_file), tmp_path)
    assert [p.field for p in problems] == [("private_key_file",)]
    assert "chmod 600" in problems[0].message
    assert HARDHAT_KEY[2:] not in problems[0].message


async def test_a_dry_run_without_a_key_signs_with_a_throwaway_one(
    clob: FakeClobRest, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("POLYMARKET_PRIVATE_KEY")
    assert PolymarketVenue.preflight(PolymarketConfig(), Path(".")) == []
    serve_market(clob)
    pm = venue(clob)
    assert "signing with a throwaway key" in caplog.text
    ack = await pm.submit(order())
    assert ack.reason == "dry run: signed and logged, not sent"
    assert pm.signer.maker != "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


async def test_a_sell_refused_for_a_short_allowance_refreshes_it_and_goes_once_more(
    clob: FakeClobRest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGBOTKIT_LIVE_TRADING", "1")
    serve_market(clob)
    short = {"success": False, "errorMsg": "not enough balance / allowance", "orderID": ""}
    clob.queue("POST", "/order", json_answer(short))
    clob.routes[("POST", "/order")] = lambda _: json_answer(
        {"success": True, "orderID": "0xab", "status": "live", "errorMsg": ""}
    )
    clob.routes[("GET", "/balance-allowance/update")] = lambda _: json_answer({})
    pm = venue(clob, dry_run=False)
    ack = await pm.submit(order("s1", side=Side.SELL))
    assert ack.status is OrderStatus.ACCEPTED
    first, second = clob.of("POST", "/order")
    assert first.body == second.body  # the very same signed order
    (refresh,) = clob.of("GET", "/balance-allowance/update")
    assert refresh.query["asset_type"] == ["CONDITIONAL"]
    # A buy refused that way is not sent again (its collateral, not a token, is short).
    clob.queue("POST", "/order", json_answer(short))
    refused = await pm.submit(order("b1"))
    assert refused.status is OrderStatus.REJECTED
    assert len(clob.of("POST", "/order")) == 3


@pytest.mark.parametrize(("version", "accepted"), [(2, True), (3, False)])
async def test_an_order_version_mismatch_asks_the_version_and_retries_only_on_v2(
    clob: FakeClobRest, monkeypatch: pytest.MonkeyPatch, version: int, accepted: bool
) -> None:
    monkeypatch.setenv("AGBOTKIT_LIVE_TRADING", "1")
    serve_market(clob)
    clob.routes[("GET", "/version")] = lambda _: json_answer({"version": version})
    mismatch = {"success": False, "errorMsg": "order_version_mismatch", "orderID": ""}
    clob.queue("POST", "/order", json_answer(mismatch))
    clob.routes[("POST", "/order")] = lambda _: json_answer(
        {"success": True, "orderID": "0xab", "status": "live", "errorMsg": ""}
    )
    ack = await venue(clob, dry_run=False).submit(order())
    assert (ack.status is OrderStatus.ACCEPTED) is accepted
    assert len(clob.of("POST", "/order")) == (2 if accepted else 1)
    if not accepted:
        assert ack.reason == "the CLOB takes order version 3; agbotkit signs V2 only: upgrade"
