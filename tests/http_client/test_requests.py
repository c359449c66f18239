"""What the client sends: the target and its query, the headers, the body's length."""

from __future__ import annotations

import h11
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agbotkit.http import HttpClient

from .servers import Answer, Received, Server, serve_app


def _echo(request: Received) -> Answer:
    body = request.target.encode()
    return [
        h11.Response(status_code=200, headers=[("Content-Length", str(len(body)))]),
        h11.Data(data=body),
        h11.EndOfMessage(),
    ]


async def _sent(
    server: Server, client: HttpClient, method: str, path: str, **kw: object
) -> Received:
    response = await client.request(method, path, **kw)
    assert response.status_code == 200
    return server.requests[-1]


async def test_params_are_encoded_as_httpx_did() -> None:
    params: dict[str, str | int] = {"market": "0xabc", "next_cursor": "MTAwMA==", "limit": 5}
    async with serve_app(_echo) as server, HttpClient(server.url) as client:
        received = await _sent(server, client, "GET", "/data/orders", params=params)
    assert received.target == "/data/orders?market=0xabc&next_cursor=MTAwMA%3D%3D&limit=5"
    expected = httpx.Request("GET", "http://x/data/orders", params=params).url.raw_path
    assert received.target.encode() == expected


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


@settings(max_examples=200, deadline=None)
@given(
    params=st.dictionaries(
        st.text(min_size=1, max_size=8), st.one_of(_TEXT, st.integers(), st.booleans())
    )
)
def test_query_spelling_matches_httpx(params: dict[str, str | int]) -> None:
    # Pure: the client's target against httpx's, without a server per example.
    client = HttpClient("http://127.0.0.1:9")
    request = client._request_event("GET", "/p", params, None, None)
    expected = httpx.Request("GET", "http://x/p", params=params).url.raw_path
    assert request.target == expected


async def test_params_join_a_query_already_in_the_path() -> None:
    async with serve_app(_echo) as server, HttpClient(server.url) as client:
        received = await _sent(server, client, "GET", "/p?a=1", params={"b": 2})
    assert received.target == "/p?a=1&b=2"


async def test_callers_headers_are_sent_and_framing_is_ours() -> None:
    headers = {
        "POLY_ADDRESS": "0x1",
        "Content-Type": "application/json",
        "Host": "evil.example",
        "Content-Length": "999",
        "Transfer-Encoding": "chunked",
        "Connection": "close",
        "User-Agent": "mine/1",
    }
    async with serve_app(_echo) as server, HttpClient(server.url) as client:
        received = await _sent(server, client, "POST", "/order", content=b"{}", headers=headers)
        await _sent(server, client, "GET", "/")
    assert received.header("poly_address") == ["0x1"]
    assert received.header("content-type") == ["application/json"]
    assert received.header("host") == [f"127.0.0.1:{server.port}"]
    assert received.header("content-length") == ["2"]
    assert received.header("transfer-encoding") == []
    assert received.header("connection") == []
    assert received.header("user-agent") == ["mine/1"]
    assert received.header("accept") == ["*/*"]
    assert received.body == b"{}"
    assert server.accepted == 1  # the caller's Connection: close was not sent


@pytest.mark.parametrize(
    ("method", "content", "length"),
    [
        ("GET", None, None),
        ("POST", b'{"a":1}', "7"),
        ("DELETE", b'["x"]', "5"),
        ("DELETE", None, "0"),
        ("POST", b"", "0"),
        ("GET", b"q", "1"),
    ],
)
async def test_content_length(method: str, content: bytes | None, length: str | None) -> None:
    async with serve_app(_echo) as server, HttpClient(server.url) as client:
        received = await _sent(server, client, method, "/x", content=content)
    assert received.method == method
    assert received.header("content-length") == ([] if length is None else [length])
    assert received.header("transfer-encoding") == []
    assert received.body == (content or b"")


async def test_host_header_omits_the_default_port() -> None:
    client = HttpClient("https://clob.example:443")
    request = client._request_event("GET", "/", None, None, None)
    assert (b"host", b"clob.example") in request.headers
    client = HttpClient("http://[::1]:8080")
    request = client._request_event("GET", "/", None, None, None)
    assert (b"host", b"[::1]:8080") in request.headers


@pytest.mark.parametrize(
    "headers",
    [{"X-Bad": "a\r\nInjected: 1"}, {"Bad Name": "x"}, {"X-Nul": "a\x00b"}],
)
async def test_a_bad_header_is_a_value_error_before_anything_is_sent(
    headers: dict[str, str],
) -> None:
    async with serve_app(_echo) as server, HttpClient(server.url) as client:
        with pytest.raises(ValueError, match="cannot send GET /"):
            await client.request("GET", "/", headers=headers)
    assert server.accepted == 0


async def test_connect_and_upgrade_are_refused() -> None:
    async with serve_app(_echo) as server, HttpClient(server.url) as client:
        with pytest.raises(ValueError, match="CONNECT"):
            await client.request("CONNECT", "example.com:443")
        received = await _sent(server, client, "GET", "/", headers={"Upgrade": "websocket"})
    assert received.header("upgrade") == []


@pytest.mark.parametrize(
    "base_url",
    [
        "https://clob.example/api",
        "https://clob.example/?a=1",
        "ftp://clob.example",
        "clob.example:443",
        "https://",
        "ws://127.0.0.1:1",
    ],
)
def test_base_url_must_be_an_http_origin(base_url: str) -> None:
    with pytest.raises(ValueError, match="base_url must be"):
        HttpClient(base_url)


def test_base_url_with_a_slash_is_an_origin() -> None:
    assert repr(HttpClient("https://clob.example/")) == "HttpClient('https://clob.example/')"
