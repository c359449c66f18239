"""The CLOB REST client against a loopback server that checks every L2 signature."""

from __future__ import annotations

import json
import logging
from decimal import Decimal

import pytest
import trio
import trio.testing

from agbotkit.errors import (
    CancelOnlyError,
    OrderOutcomeUnknownError,
    RateLimitedError,
    VenueError,
)
from agbotkit.toolkit.ratelimit import RateLimits, Window
from agbotkit.venues.polymarket.credentials import ApiCredentials
from agbotkit.venues.polymarket.limits import GENERAL, budget_of
from agbotkit.venues.polymarket.rest import ClobRestClient
from agbotkit.venues.polymarket.transport import ClobTransport, RestConfig, encode_body

from .conftest import (
    ADDRESS,
    API_KEY,
    PASSPHRASE,
    SECRET,
    Answer,
    FakeClobRest,
    Request,
    json_answer,
    rest_samples,
)

SAMPLES = rest_samples()
TRADE, ORDER_OK, ORDER_FAILED, ERROR_500 = SAMPLES[1], SAMPLES[3], SAMPLES[4], SAMPLES[5]
CANCEL_FAILED, BATCH_CANCEL, FEE_RATE = SAMPLES[6], SAMPLES[7], SAMPLES[8]
ORDER_ID = "0x" + "ab" * 32
#: A V2 order body (the signature is not checked here: the signing tests do that).
ORDER = {
    "order": {
        "salt": 123456789,
        "maker": ADDRESS,
        "signer": ADDRESS,
        "tokenId": "71321045679252212594626385532706912750332728571942532289631379312455583992563",
        "makerAmount": "100000000",
        "takerAmount": "50000000",
        "side": "BUY",
        "expiration": "0",
        "signatureType": 0,
        "timestamp": "1713398400000",
        "metadata": "0x" + "00" * 32,
        "builder": "0x" + "00" * 32,
        "signature": "0x" + "11" * 65,
    },
    "owner": API_KEY,
    "orderType": "GTC",
    "deferExec": False,
    "postOnly": False,
}
CANCEL_ONLY = {"error": "Trading is currently cancel-only. New orders are not accepted."}
DISABLED = {"error": "Trading is currently disabled. Check polymarket.com for updates"}
CLOUDFLARE = b"<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title>"


def open_order(n: int) -> dict[str, object]:
    return {"id": f"0x{n:064x}", "status": "LIVE", "side": "BUY", "price": "0.5",
            "original_size": "10", "size_matched": "0", "asset_id": "123",
            "market": "0x" + "cd" * 32, "order_type": "GTC", "created_at": 1764000000,
            "expiration": "0", "owner": API_KEY, "outcome": "Yes"}  # fmt: skip


# -- orders ------------------------------------------------------------------------------


async def test_post_order_sends_the_signed_bytes_and_decodes_the_answer(
    clob: FakeClobRest, client: ClobRestClient
) -> None:
    clob.routes["POST", "/order"] = lambda r: Answer(body=ORDER_OK)
    answer = await client.post_order(ORDER)
    assert answer.success and answer.order_id == json.loads(ORDER_OK)["orderID"]
    [request] = clob.of("POST", "/order")
    assert request.body == json.dumps(ORDER, separators=(",", ":")).encode()
    assert request.headers["content-type"] == "application/json"
    assert clob.verified == 1 and not clob.refused_auth

    clob.routes["POST", "/order"] = lambda r: Answer(body=ORDER_FAILED)
    body = encode_body(ORDER)
    answer = await client.post_order(body)
    assert (answer.success, answer.order_id, answer.error_msg) == (
        False, None, "Insufficient balance")  # fmt: skip
    assert clob.of("POST", "/order")[1].body == body


async def test_order_response_with_every_field(clob: FakeClobRest, client: ClobRestClient) -> None:
    full = {"success": True, "orderID": ORDER_ID, "status": "matched", "makingAmount": "50",
            "takingAmount": "100", "transactionsHashes": ["0x01"], "tradeIDs": ["t-1"],
            "errorMsg": ""}  # fmt: skip
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
    assert one.canceled == [] and list(one.not_canceled.values()) == ["already canceled or matched"]
    many = await client.cancel_many(["0x" + "11" * 32, "0x" + "22" * 32])
    assert len(many.canceled) == 2 and len(many.not_canceled) == 1
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
    assert orders[0].price == "0.5" and orders[0].status == "LIVE"
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
    assert request.query["after"] == ["1726000000"] and request.query["market"] == [trade["market"]]


async def test_get_order(clob: FakeClobRest, client: ClobRestClient) -> None:
    clob.queue("GET", f"/data/order/{ORDER_ID}", json_answer({"error": "order not found"}, 404),
               Answer(body=b""), Answer(body=b"null"))  # fmt: skip
    for _ in range(3):
        assert await client.get_order(ORDER_ID) is None
    clob.routes["GET", "/data/order/"] = lambda r: json_answer(open_order(7))
    found = await client.get_order(ORDER_ID)
    assert found is not None and int(found.id, 16) == 7
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
    assert balance.balance == "1500000" and balance.allowances == {"0xE111": "115792"}
    assert clob.requests[0].query == {
        "asset_type": ["CONDITIONAL"], "token_id": ["123"], "signature_type": ["2"]}  # fmt: skip
    await client.update_balance_allowance("COLLATERAL")
    assert clob.requests[1].query == {"asset_type": ["COLLATERAL"], "signature_type": ["0"]}
    beat = await client.heartbeat("h1")
    assert beat.heartbeat_id == "h2" and clob.requests[2].body == b'{"heartbeat_id":"h1"}'
    assert clob.verified == 3


async def test_heartbeat_path_is_configurable(clob: FakeClobRest) -> None:
    clob.routes["POST", "/heartbeats"] = lambda r: json_answer({"status": "ok"})
    config = RestConfig(base_url=clob.url, heartbeat_path="/heartbeats")
    async with ClobTransport(config, address=ADDRESS, credentials=ApiCredentials(
            API_KEY, SECRET, PASSPHRASE)) as transport:  # fmt: skip
        assert (await ClobRestClient(transport).heartbeat()).status == "ok"
    assert clob.of("POST", "/heartbeats") and clob.verified == 1


# -- errors ------------------------------------------------------------------------------


async def test_429_closes_the_budget_for_retry_after(
    clock: trio.testing.MockClock, clob: FakeClobRest, client: ClobRestClient
) -> None:
    clob.queue(
        "POST", "/order", Answer(429, b'{"error":"Too Many Requests"}', {"Retry-After": "3"})
    )
    clob.routes["POST", "/order"] = lambda r: Answer(body=ORDER_OK)
    with pytest.raises(RateLimitedError) as caught:
        await client.post_order(ORDER)
    assert (caught.value.endpoint, caught.value.retry_after_s) == ("POST /order", 3.0)
    assert (await client.post_order(ORDER)).success
    first, second = clob.of("POST", "/order")
    assert second.at - first.at >= 3.0  # the next request waited for Retry-After


async def test_429_without_retry_after_uses_the_default(
    clock: trio.testing.MockClock, clob: FakeClobRest, client: ClobRestClient
) -> None:
    clob.queue("GET", "/data/orders", Answer(429, b'{"error":"Too Many Requests"}'))
    with pytest.raises(RateLimitedError) as caught:
        await client.open_orders()
    assert caught.value.retry_after_s == 1.0
    assert len(clob.requests) == 1  # a 429 is not retried by the client itself


@pytest.mark.parametrize(
    ("error", "mode"), [(CANCEL_ONLY, "cancel-only"), (DISABLED, "trading disabled")]
)
async def test_503_cancel_only(
    clob: FakeClobRest, client: ClobRestClient, error: dict[str, str], mode: str
) -> None:
    clob.routes["POST", "/order"] = lambda r: json_answer(error, 503)
    with pytest.raises(CancelOnlyError) as caught:
        await client.post_order(ORDER)
    assert caught.value.mode == mode and error["error"] in str(caught.value)
    assert isinstance(caught.value, VenueError) and not isinstance(
        caught.value, OrderOutcomeUnknownError
    )


async def test_5xx_is_retried_on_get(
    clock: trio.testing.MockClock, clob: FakeClobRest, client: ClobRestClient
) -> None:
    clob.queue(
        "GET", f"/data/order/{ORDER_ID}", Answer(500, ERROR_500), Answer(502, b"bad gateway")
    )
    clob.routes["GET", "/data/order/"] = lambda r: json_answer(open_order(9))
    found = await client.get_order(ORDER_ID)
    assert found is not None and len(clob.requests) == 3

    clob.routes["GET", "/data/order/"] = lambda r: Answer(500, ERROR_500)
    with pytest.raises(VenueError, match=r"failed 3 times: 500 Internal server error"):
        await client.get_order(ORDER_ID)
    assert len(clob.requests) == 6


async def test_5xx_is_never_retried_on_post_order(
    clock: trio.testing.MockClock, clob: FakeClobRest, client: ClobRestClient
) -> None:
    clob.routes["POST", "/order"] = lambda r: Answer(500, ERROR_500)
    with pytest.raises(OrderOutcomeUnknownError, match="Internal server error"):
        await client.post_order(ORDER)
    clob.routes["DELETE", "/order"] = lambda r: Answer(500, ERROR_500)
    with pytest.raises(VenueError) as caught:
        await client.cancel(ORDER_ID)
    assert not isinstance(caught.value, OrderOutcomeUnknownError)
    assert [r.method for r in clob.requests] == ["POST", "DELETE"]


async def test_post_that_never_answers_is_an_unknown_outcome(
    clock: trio.testing.MockClock, clob: FakeClobRest, client: ClobRestClient
) -> None:
    clob.routes["POST", "/order"] = lambda r: Answer(hang=True)
    clob.routes["POST", "/orders"] = lambda r: Answer(hang=True)
    start = trio.current_time()
    with pytest.raises(OrderOutcomeUnknownError, match=r"no answer to POST /order within 5 s"):
        await client.post_order(ORDER)
    assert trio.current_time() - start == pytest.approx(5.0, abs=0.1)
    with pytest.raises(OrderOutcomeUnknownError, match="never send them again"):
        await client.post_orders([ORDER])
    assert len(clob.requests) == 2


async def test_get_or_cancel_that_never_answers_is_a_venue_error(
    clock: trio.testing.MockClock, clob: FakeClobRest, client: ClobRestClient
) -> None:
    clob.routes["GET", "/data/orders"] = lambda r: Answer(hang=True)
    clob.routes["DELETE", "/order"] = lambda r: Answer(hang=True)
    for call in (client.open_orders, lambda: client.cancel(ORDER_ID)):
        with pytest.raises(VenueError, match="within 5 s") as caught:
            await call()
        assert not isinstance(caught.value, OrderOutcomeUnknownError)
    assert len(clob.requests) == 2  # a timeout is not retried


async def test_answer_just_within_the_timeout_is_used(
    clock: trio.testing.MockClock, clob: FakeClobRest, client: ClobRestClient
) -> None:
    clob.routes["POST", "/order"] = lambda r: Answer(body=ORDER_OK, delay_s=4.5)
    start = trio.current_time()
    assert (await client.post_order(ORDER)).success
    assert trio.current_time() - start == pytest.approx(4.5, abs=0.1)


async def test_cloudflare_html_403_says_blocked(clob: FakeClobRest, client: ClobRestClient) -> None:
    clob.routes["POST", "/order"] = lambda r: Answer(403, CLOUDFLARE, content_type="text/html")
    with pytest.raises(VenueError, match=r"403, request blocked .* not the API's JSON"):
        await client.post_order(ORDER)
    clob.routes["GET", "/data/orders"] = lambda r: json_answer({"error": "forbidden"}, 403)
    with pytest.raises(VenueError, match=r"GET /data/orders: 403 forbidden$"):
        await client.open_orders()


async def test_400_carries_the_venues_error(clob: FakeClobRest, client: ClobRestClient) -> None:
    clob.routes["POST", "/order"] = lambda r: json_answer({"error": "Invalid order payload"}, 400)
    with pytest.raises(VenueError, match=r"POST /order: 400 Invalid order payload") as caught:
        await client.post_order(ORDER)
    assert not isinstance(caught.value, OrderOutcomeUnknownError)


async def test_wrong_secret_is_refused_with_a_clear_error(
    clob: FakeClobRest, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = ApiCredentials(API_KEY, "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZy0=", PASSPHRASE)
    config = RestConfig(base_url=clob.url)
    async with ClobTransport(config, address=ADDRESS, credentials=wrong) as transport:
        with pytest.raises(VenueError, match=r"401 Unauthorized/Invalid api key: the API key"):
            await ClobRestClient(transport).cancel_all()
    assert len(clob.refused_auth) == 1 and clob.verified == 0


async def test_unreachable_venue(clock: trio.testing.MockClock) -> None:
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    await listeners[0].aclose()
    config = RestConfig(base_url=f"http://127.0.0.1:{port}", get_retries=1)
    creds = ApiCredentials(API_KEY, SECRET, PASSPHRASE)
    async with ClobTransport(config, address=ADDRESS, credentials=creds) as transport:
        client = ClobRestClient(transport)
        with pytest.raises(VenueError, match=r"failed 2 times: cannot connect"):
            await client.server_time()
        # Nothing was sent: the order was not placed, so a plain rejection.
        with pytest.raises(VenueError, match="POST /order: cannot connect") as caught:
            await client.post_order(ORDER)
        assert not isinstance(caught.value, OrderOutcomeUnknownError)


async def test_private_request_without_credentials_is_refused(clob: FakeClobRest) -> None:
    async with ClobTransport(RestConfig(base_url=clob.url)) as transport:
        with pytest.raises(VenueError, match="needs API credentials"):
            await ClobRestClient(transport).cancel_all()
    assert clob.requests == []


async def test_secrets_never_reach_logs_or_errors(
    clock: trio.testing.MockClock, clob: FakeClobRest, client: ClobRestClient,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)  # httpx and httpcore included
    clob.routes["POST", "/order"] = lambda r: Answer(500, ERROR_500)
    clob.routes["GET", "/data/orders"] = lambda r: Answer(502, b"bad gateway")
    clob.routes["DELETE", "/cancel-all"] = lambda r: Answer(hang=True)
    clob.queue("GET", "/balance-allowance", Answer(429, b"{}", {"Retry-After": "1"}))
    errors: list[BaseException] = []
    for call in (
        lambda: client.post_order(ORDER),
        client.open_orders,
        client.cancel_all,
        lambda: client.balance_allowance("COLLATERAL"),
    ):
        with pytest.raises(VenueError) as caught:
            await call()
        errors.append(caught.value)
    texts = [caplog.text, repr(client.transport), *(str(e) for e in errors),
             *(repr(e) for e in errors), *(r.getMessage() for r in caplog.records)]  # fmt: skip
    assert "GET /data/orders" in caplog.text  # the retries were logged
    for text in texts:
        assert SECRET not in text and PASSPHRASE not in text


# -- budgets -----------------------------------------------------------------------------


def test_each_endpoint_has_its_published_budget() -> None:
    assert budget_of("POST", "/order") == "POST /order"
    assert budget_of("GET", f"/data/order/{ORDER_ID}") == "GET /data/order"
    assert budget_of("GET", "/data/orders?next_cursor=MA==") == "GET /data/orders"
    assert budget_of("GET", "/time") == GENERAL
    assert budget_of("POST", "/v1/heartbeats") == GENERAL


async def test_budgets_are_shared_by_the_process(rate_limits: RateLimits) -> None:
    config = RestConfig()
    async with ClobTransport(config, rate_limits=rate_limits) as one, ClobTransport(
        config, rate_limits=rate_limits
    ) as two:  # fmt: skip
        assert one.limiter("POST /order") is two.limiter("POST /order")
        assert one.limiter("POST /order").windows == (Window(3500, 10.0), Window(36000, 600.0))
        assert one.limiter("DELETE /cancel-all").windows == (Window(250, 10.0), Window(6000, 600.0))
        assert one.limiter("GET /balance-allowance/update").windows == (Window(50, 10.0),)
