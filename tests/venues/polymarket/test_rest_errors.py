"""How the CLOB REST client fails: every error the venue gives, mapped by what is known to
have happened (rate limits, cancel-only, 5xx, timeouts, blocks, bad credentials)."""

from __future__ import annotations

import logging

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
from agbotkit.venues.polymarket.transport import ClobTransport, RestConfig

from .conftest import (
    ADDRESS,
    API_KEY,
    CANCEL_ONLY,
    CLOUDFLARE,
    DISABLED,
    ERROR_500,
    ORDER,
    ORDER_ID,
    ORDER_OK,
    PASSPHRASE,
    SECRET,
    Answer,
    FakeClobRest,
    json_answer,
    open_order,
)

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
    assert caught.value.mode == mode
    assert error["error"] in str(caught.value)
    assert isinstance(caught.value, VenueError)
    assert not isinstance(caught.value, OrderOutcomeUnknownError)


async def test_5xx_is_retried_on_get(
    clock: trio.testing.MockClock, clob: FakeClobRest, client: ClobRestClient
) -> None:
    clob.queue(
        "GET", f"/data/order/{ORDER_ID}", Answer(500, ERROR_500), Answer(502, b"bad gateway")
    )
    clob.routes["GET", "/data/order/"] = lambda r: json_answer(open_order(9))
    found = await client.get_order(ORDER_ID)
    assert found is not None
    assert len(clob.requests) == 3

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
    assert len(clob.refused_auth) == 1
    assert clob.verified == 0


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
    clock: trio.testing.MockClock,
    clob: FakeClobRest,
    client: ClobRestClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
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
    texts = [
        caplog.text,
        repr(client.transport),
        *(str(e) for e in errors),
        *(repr(e) for e in errors),
        *(r.getMessage() for r in caplog.records),
    ]
    assert "GET /data/orders" in caplog.text  # the retries were logged
    for text in texts:
        assert SECRET not in text
        assert PASSPHRASE not in text


# -- budgets -----------------------------------------------------------------------------


def test_each_endpoint_has_its_published_budget() -> None:
    assert budget_of("POST", "/order") == "POST /order"
    assert budget_of("GET", f"/data/order/{ORDER_ID}") == "GET /data/order"
    assert budget_of("GET", "/data/orders?next_cursor=MA==") == "GET /data/orders"
    assert budget_of("GET", "/time") == GENERAL
    assert budget_of("POST", "/v1/heartbeats") == GENERAL


async def test_budgets_are_shared_by_the_process(rate_limits: RateLimits) -> None:
    config = RestConfig()
    async with (
        ClobTransport(config, rate_limits=rate_limits) as one,
        ClobTransport(config, rate_limits=rate_limits) as two,
    ):
        assert one.limiter("POST /order") is two.limiter("POST /order")
        assert one.limiter("POST /order").windows == (Window(3500, 10.0), Window(36000, 600.0))
        assert one.limiter("DELETE /cancel-all").windows == (Window(250, 10.0), Window(6000, 600.0))
        assert one.limiter("GET /balance-allowance/update").windows == (Window(50, 10.0),)
