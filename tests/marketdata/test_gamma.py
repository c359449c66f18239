"""Resolving markets through Gamma (``resolve_markets``) against a loopback HTTP server."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import trio
import trio.testing

from agbotkit.errors import GammaError
from agbotkit.marketdata.gamma.client import resolve_markets

from .conftest import GammaServer, gamma_sample

SAMPLE = gamma_sample()
SLUG = SAMPLE["slug"]
CONDITION_ID = SAMPLE["conditionId"]
UP = "104239898038807136052399800151408521467737075933964991162589336683346093173875"
DOWN = "71183960810705820955071415844881728181970340514894896943812046065452395013351"


async def test_resolves_by_slug_and_by_condition_id(gamma: GammaServer) -> None:
    infos = await resolve_markets(gamma.url, [SLUG, CONDITION_ID])

    assert gamma.requests == [f"/markets?slug={SLUG}", f"/markets?condition_ids={CONDITION_ID}"]
    assert len(infos) == 2
    info = infos[0]
    assert info == infos[1]
    assert info.condition_id == CONDITION_ID
    assert info.slug == SLUG
    assert info.outcomes == ("Up", "Down")
    assert info.token_ids == (UP, DOWN)
    assert info.tick_size == Decimal("0.01")
    assert info.min_order_size == Decimal(5)
    assert info.market_id == "1557558"
    assert info.end_date_ms == 1773307500000  # 2026-03-12T09:25:00Z
    assert (info.active, info.closed, info.neg_risk) == (True, False, False)


async def test_wrapped_answer_is_read(gamma: GammaServer) -> None:
    gamma.body = json.dumps({"data": [SAMPLE]}).encode()
    [info] = await resolve_markets(gamma.url, [SLUG])
    assert info.token_ids == (UP, DOWN)


async def test_unknown_slug_names_the_slug(gamma: GammaServer) -> None:
    with pytest.raises(GammaError, match=r"no market with slug 'no-such-market' on http://"):
        await resolve_markets(gamma.url, [SLUG, "no-such-market"])


async def test_unknown_condition_id_names_it(gamma: GammaServer) -> None:
    with pytest.raises(GammaError, match=r"no market with condition_id '0xdead'"):
        await resolve_markets(gamma.url, ["0xdead"])


async def test_http_error_is_a_gamma_error(gamma: GammaServer) -> None:
    gamma.status = 500
    with pytest.raises(GammaError, match=rf"lookup of market '{SLUG}' .* failed: HTTPStatusError"):
        await resolve_markets(gamma.url, [SLUG])


async def test_unreadable_answer_is_a_gamma_error(gamma: GammaServer) -> None:
    gamma.body = b'[{"slug": "x"}]'  # no conditionId
    with pytest.raises(GammaError, match=r"answered market 'x' with data agbotkit cannot read"):
        await resolve_markets(gamma.url, ["x"])


async def test_unreachable_gamma_is_a_gamma_error() -> None:
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    await listeners[0].aclose()  # nobody listens there any more
    with pytest.raises(GammaError, match=r"ConnectError"):
        await resolve_markets(f"http://127.0.0.1:{port}", [SLUG])


async def test_answer_within_the_timeout_is_used(
    clock: trio.testing.MockClock, gamma: GammaServer
) -> None:
    gamma.delay_s = 9.0
    start = trio.current_time()
    [info] = await resolve_markets(gamma.url, [SLUG], timeout_s=10.0)
    assert info.token_ids == (UP, DOWN)
    assert trio.current_time() - start == pytest.approx(9.0, abs=0.1)


async def test_answer_after_the_timeout_is_a_gamma_error(
    clock: trio.testing.MockClock, gamma: GammaServer
) -> None:
    gamma.delay_s = 11.0
    start = trio.current_time()
    with pytest.raises(GammaError, match=rf"lookup of market '{SLUG}' .* failed"):
        await resolve_markets(gamma.url, [SLUG], timeout_s=10.0)
    assert trio.current_time() - start == pytest.approx(10.0, abs=0.1)
