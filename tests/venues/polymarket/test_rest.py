"""The CLOB REST endpoints against a loopback server that checks every L2 signature."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from agbotkit.errors import (
    VenueError,
)
from agbotkit.venues.polymarket.credentials import ApiCredentials
from agbotkit.venues.polymarket.rest import ClobRestClient
from agbotkit.venues.polymarket.transport import ClobTransport, RestConfig, encode_body

from .conftest import (
    ADDRESS,
    API_KEY,
    BATCH_CANCEL,
    CANCEL_FAILED,
    FEE_RATE,
    ORDER,
    ORDER_FAILED,
    ORDER_ID,
    ORDER_OK,
    PASSPHRASE,
    SECRET,
    TRADE,
    Answer,
    FakeClobRest,
    Request,
    json_answer,
    open_order,
)

# -- orders ------------------------------------------------------------------------------


async def test_post_order_sends_the_signed_bytes_and_decodes_the_answer(
    clob: FakeClobRest, client: ClobRestClient
) -> None:
    clob.routes["POST", "/order"] = lambda r: Answer(body=ORDER_OK)
    answer = await client.post_order(ORDER)
    assert answer.success
    assert answer.order_id == json.loads(ORDER_OK)["orderID"]
    [request] = clob.of("POST", "/order")
    assert request.body == json.dumps(ORDER, separators=(",", ":")).encode()
    assert request.headers["content-type"] == "application/json"
    assert clob.verified == 1
    assert not clob.refused_auth

    clob.routes["POST", "/order"] = lambda r: Answer(body=ORDER_FAILED)
    body = encode_body(ORDER)
    answer = await client.post_order(body)
    assert (answer.success, answer.order_id, answer.error_msg) == (
        False,
        None,
        "Insufficient balance",
    )
    assert clob.of("POST", "/order")[1].body == body


async def test_order_response_with_every_field(clob: FakeClobRest, client: ClobRestClient) -> None:
    full = {
        "success": True,
        "orderID": ORDER_ID,
        "status": "matched",
        "makingAmount": "50",
        "takingAmount": "100",
        "transactionsHashes": ["0x01"],
        "tradeIDs": ["t-1"],
        "errorMsg": "",
    }
    clob.routes["POST", "/order"] = lambda r: json_answer(full)
    answer = await client.post_order(ORDER)
    assert (answer.status, answer.making_amount, answer.taking_amount) == ("matched", "50", "100")
    assert (answer.transactions_hashes, answer.trade_ids) == (["0x01"], ["t-1"])


async def test_batch_of_orders_is_one_array(clob: FakeClobRest, client: ClobRestClient) -> None:
    clob.routes["POST", "/orders"] = lambda r: Answer(
        body=b"[" + ORDER_OK + b"," + ORDER_FAILED + b"]"
    )
    answers = await client.post_orders([ORDER, encode_body(ORDER)])
    assert [a.success for a in answers] == [True, False]
    [request] = clob.of("POST", "/orders")
    assert json.loads(request.body) == [ORDER, ORDER]
    with pytest.raises(ValueError, match="1 to 15 orders, not 16"):
        await client.post_orders([ORDER] * 16)
    with pytest.raises(ValueError, match="not 0"):
        await client.post_orders([])
    assert len(clob.requests) == 1


async def test_cancels(clob: FakeClobRest, client: ClobRestClient) -> None:
    clob.routes["DELETE", "/order"] = lambda r: Answer(body=CANCEL_FAILED)
    clob.routes["DELETE", "/orders"] = lambda r: Answer(body=BATCH_CANCEL)
    clob.routes["DELETE", "/cancel-all"] = lambda r: json_answer({"canceled": [ORDER_ID]})
    clob.routes["DELETE", "/cancel-market-orders"] = lambda r: json_answer({"canceled": []})

    one = await client.cancel(ORDER_ID)
    assert one.canceled == []
    assert list(one.not_canceled.values()) == ["already canceled or matched"]
    many = await client.cancel_many(["0x" + "11" * 32, "0x" + "22" * 32])
    assert len(many.canceled) == 2
    assert len(many.not_canceled) == 1
    assert (await client.cancel_all()).canceled == [ORDER_ID]
    await client.cancel_market(market="0xcd", asset_id="123")

    bodies = [(r.method, r.path, r.body) for r in clob.requests]
    assert bodies == [
        ("DELETE", "/order", b'{"orderID":"%s"}' % ORDER_ID.encode()),
        ("DELETE", "/orders", b'["0x' + b"11" * 32 + b'","0x' + b"22" * 32 + b'"]'),
        ("DELETE", "/cancel-all", b""),
        ("DELETE", "/cancel-market-orders", b'{"market":"0xcd","asset_id":"123"}'),
    ]
    assert clob.verified == 4
    with pytest.raises(ValueError, match="market, an asset_id or both"):
        await client.cancel_market()
    with pytest.raises(ValueError, match="at most 3000"):
        await client.cancel_many(["0x"] * 3001)


# -- reading -----------------------------------------------------------------------------


async def test_open_orders_read_every_page(clob: FakeClobRest, client: ClobRestClient) -> None:
    pages = {"MA==": ([1, 2], "MTAw"), "MTAw": ([3, 4], "MjAw"), "MjAw": ([5], "LTE=")}

    def page(request: Request) -> Answer:
        numbers, cursor = pages[request.query["next_cursor"][0]]
        data = [open_order(n) for n in numbers]
        return json_answer({"limit": 2, "count": len(data), "next_cursor": cursor, "data": data})

    clob.routes["GET", "/data/orders"] = page
    orders = await client.open_orders(market="0xcd")
    assert [int(o.id, 16) for o in orders] == [1, 2, 3, 4, 5]
    assert orders[0].price == "0.5"
    assert orders[0].status == "LIVE"
    requests = clob.of("GET", "/data/orders")
    assert [r.query["next_cursor"] for r in requests] == [["MA=="], ["MTAw"], ["MjAw"]]
    assert all(r.query["market"] == ["0xcd"] for r in requests)
    assert clob.verified == 3  # signed over the path alone: the query string differs


async def test_pages_that_never_end_are_refused(clob: FakeClobRest, client: ClobRestClient) -> None:
    clob.routes["GET", "/data/orders"] = lambda r: json_answer({"next_cursor": "MTAw", "data": []})
    with pytest.raises(VenueError, match="the pages do not end"):
        await client.open_orders()
    assert len(clob.requests) == 2


async def test_trades_decode_the_recorded_trade(clob: FakeClobRest, client: ClobRestClient) -> None:
    trade = json.loads(TRADE)
    clob.routes["GET", "/data/trades"] = lambda r: json_answer(
        {"next_cursor": "LTE=", "data": [trade]}
    )
    [got] = await client.trades(market=trade["market"], after=1726000000)
    assert (got.id, got.price, got.size, got.status) == (trade["id"], "0.489", "5", "CONFIRMED")
    assert got.maker_orders[0].matched_amount == "5"
    [request] = clob.requests
    assert request.query["after"] == ["1726000000"]
    assert request.query["market"] == [trade["market"]]


async def test_get_order(clob: FakeClobRest, client: ClobRestClient) -> None:
    clob.queue(
        "GET",
        f"/data/order/{ORDER_ID}",
        json_answer({"error": "order not found"}, 404),
        Answer(body=b""),
        Answer(body=b"null"),
    )
    for _ in range(3):
        assert await client.get_order(ORDER_ID) is None
    clob.routes["GET", "/data/order/"] = lambda r: json_answer(open_order(7))
    found = await client.get_order(ORDER_ID)
    assert found is not None
    assert int(found.id, 16) == 7
    assert clob.verified == 4


async def test_public_values_are_cached(clob: FakeClobRest, client: ClobRestClient) -> None:
    clob.routes["GET", "/tick-size"] = lambda r: Answer(body=b'{"minimum_tick_size": 0.001}')
    clob.routes["GET", "/neg-risk"] = lambda r: json_answer({"neg_risk": True})
    clob.routes["GET", "/fee-rate"] = lambda r: Answer(body=FEE_RATE)
    clob.routes["GET", "/time"] = lambda r: Answer(body=b"1764000123")
    for _ in range(2):
        assert await client.tick_size("123") == Decimal("0.001")
        assert await client.neg_risk("123") is True
        assert await client.fee_rate_bps("123") == 150
    assert len(clob.requests) == 3
    client.forget_tick_size("123")
    assert await client.tick_size("123") == Decimal("0.001")
    assert await client.server_time() == 1764000123
    assert len(clob.requests) == 5
    assert all("poly_signature" not in r.headers for r in clob.requests)


async def test_balance_allowance_and_heartbeat(clob: FakeClobRest, client: ClobRestClient) -> None:
    clob.routes["GET", "/balance-allowance"] = lambda r: json_answer(
        {"balance": "1500000", "allowances": {"0xE111": "115792"}}
    )
    clob.routes["GET", "/balance-allowance/update"] = lambda r: json_answer({})
    clob.routes["POST", "/v1/heartbeats"] = lambda r: json_answer(
        {"status": "ok", "heartbeat_id": "h2"}
    )
    balance = await client.balance_allowance("CONDITIONAL", "123", signature_type=2)
    assert balance.balance == "1500000"
    assert balance.allowances == {"0xE111": "115792"}
    assert clob.requests[0].query == {
        "asset_type": ["CONDITIONAL"],
        "token_id": ["123"],
        "signature_type": ["2"],
    }
    await client.update_balance_allowance("COLLATERAL")
    assert clob.requests[1].query == {"asset_type": ["COLLATERAL"], "signature_type": ["0"]}
    beat = await client.heartbeat("h1")
    assert beat.heartbeat_id == "h2"
    assert clob.requests[2].body == b'{"heartbeat_id":"h1"}'
    assert clob.verified == 3


async def test_heartbeat_path_is_configurable(clob: FakeClobRest) -> None:
    clob.routes["POST", "/heartbeats"] = lambda r: json_answer({"status": "ok"})
    config = RestConfig(base_url=clob.url, heartbeat_path="/heartbeats")
    async with ClobTransport(
        config, address=ADDRESS, credentials=ApiCredentials(API_KEY, SECRET, PASSPHRASE)
    ) as transport:
        assert (await ClobRestClient(transport).heartbeat()).status == "ok"
    assert clob.of("POST", "/heartbeats")
    assert clob.verified == 1
