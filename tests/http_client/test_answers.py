"""Answers in every framing h11 knows, whole or in pieces, and the broken ones."""

from __future__ import annotations

import itertools
import socket

import h11
import pytest
import trio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agbotkit.http import (
    HttpClient,
    HttpConnectError,
    HttpConnectionLostError,
    HttpProtocolError,
)

from .servers import Answer, Received, raw_handler, serve, serve_app

CHUNKED = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Many: a\r\nX-Many: b\r\n\r\n"
    b"5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\n"
)
SIZED = b"HTTP/1.1 201 Created\r\nContent-Length: 11\r\nContent-Type: text/plain\r\n\r\nhello world"


async def test_chunked_answer() -> None:
    async with (
        serve(raw_handler(CHUNKED, then_close=False)) as server,
        HttpClient(server.url) as client,
    ):
        response = await client.request("GET", "/")
        assert response.status_code == 200
        assert response.content == b"hello world"
        assert response.headers["transfer-encoding"] == "chunked"
        assert response.headers["x-many"] == "a, b"


async def test_content_length_answer() -> None:
    async with (
        serve(raw_handler(SIZED, then_close=False)) as server,
        HttpClient(server.url) as client,
    ):
        response = await client.request("GET", "/")
    assert (response.status_code, response.content) == (201, b"hello world")
    assert response.headers == {"content-length": "11", "content-type": "text/plain"}


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({0, len(data), *(cut % (len(data) + 1) for cut in cuts)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    answer=st.sampled_from([CHUNKED, SIZED]),
    cuts=st.lists(st.integers(min_value=0, max_value=500), max_size=30),
)
async def test_an_answer_in_tiny_writes_reads_the_same(answer: bytes, cuts: list[int]) -> None:
    pieces = _split(answer, cuts)
    async with (
        serve(raw_handler(*pieces, then_close=False)) as server,
        HttpClient(server.url) as client,
    ):
        response = await client.request("GET", "/")
    assert response.content == b"hello world"


async def test_one_byte_writes_then_reuse() -> None:
    handler = raw_handler(*(bytes([b]) for b in SIZED), then_close=False)
    async with serve(handler) as server, HttpClient(server.url) as client:
        assert (await client.request("GET", "/")).content == b"hello world"


async def test_informational_answers_come_before_the_final_one() -> None:
    def app(_: Received) -> Answer:
        return [
            h11.InformationalResponse(status_code=100, headers=[]),
            h11.InformationalResponse(status_code=103, headers=[("Link", "</a>")]),
            h11.Response(status_code=200, headers=[("Content-Length", "4")]),
            h11.Data(data=b"done"),
            h11.EndOfMessage(),
        ]

    async with serve_app(app) as server, HttpClient(server.url) as client:
        for _ in range(2):
            response = await client.request("POST", "/", content=b"{}")
            assert (response.status_code, response.content) == (200, b"done")
            assert "link" not in response.headers
    assert server.accepted == 1


async def test_no_content_answer() -> None:
    def app(_: Received) -> Answer:
        return [h11.Response(status_code=204, headers=[]), h11.EndOfMessage()]

    async with serve_app(app) as server, HttpClient(server.url) as client:
        for _ in range(3):
            response = await client.request("DELETE", "/order")
            assert (response.status_code, response.content) == (204, b"")
    assert server.accepted == 1


async def test_head_answer_has_no_body() -> None:
    def app(_: Received) -> Answer:
        return [
            h11.Response(status_code=200, headers=[("Content-Length", "99")]),
            h11.EndOfMessage(),
        ]

    async with serve_app(app) as server, HttpClient(server.url) as client:
        for _ in range(2):
            response = await client.request("HEAD", "/")
            assert (response.headers["content-length"], response.content) == ("99", b"")
    assert server.accepted == 1


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        b"HTTP/1.0 200 OK\r\n\r\nhello",  # no length: the body ends with the connection
        b"HTTP/1.1 200 OK\r\n\r\nhello",
    ],
)
async def test_http_1_0_and_read_until_close_answers(answer: bytes) -> None:
    async with serve(raw_handler(answer)) as server, HttpClient(server.url) as client:
        for _ in range(2):
            assert (await client.request("GET", "/")).content == b"hello"
    assert server.accepted == client.connections_opened == 2


@pytest.mark.parametrize("chunked", [False, True])
async def test_a_body_over_the_limit_is_a_protocol_error(chunked: bool) -> None:
    def app(_: Received) -> Answer:
        headers = [] if chunked else [("Content-Length", "1000")]
        events: list[h11.Event] = [h11.Response(status_code=200, headers=headers)]
        events += [h11.Data(data=b"x" * 100)] * 10
        return [*events, h11.EndOfMessage()]

    async with (
        serve_app(app) as server,
        HttpClient(server.url, max_response_bytes=999) as client,
    ):
        with pytest.raises(HttpProtocolError, match="larger than 999 bytes"):
            await client.request("GET", "/")
        async with HttpClient(server.url, max_response_bytes=1000) as client:
            assert len((await client.request("GET", "/")).content) == 1000


@pytest.mark.parametrize(
    "garbage",
    [
        b"SSH-2.0-OpenSSH_9.6\r\n\r\n",
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nhi",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"x" * 70000,  # no line end, ever
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: upgrade\r\n\r\n",
    ],
)
async def test_garbage_is_a_protocol_error(garbage: bytes) -> None:
    async with (
        serve(raw_handler(garbage, then_close=False)) as server,
        HttpClient(server.url) as client,
    ):
        with pytest.raises(HttpProtocolError, match=r"not valid HTTP/1\.1"):
            await client.request("GET", "/")


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (b"", "closed the connection unanswered"),
        (b"HTTP/1.1 100 Continue\r\n\r\n", "closed the connection unanswered"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", "closed the connection mid-answer"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel", "mid-answer"),
        (b"HTTP/1.1 200 OK\r\nContent-Le", "closed the connection unanswered"),
    ],
)
async def test_a_server_that_closes_early_loses_the_connection(answer: bytes, message: str) -> None:
    async with serve(raw_handler(answer)) as server, HttpClient(server.url) as client:
        with pytest.raises(HttpConnectionLostError, match=message):
            await client.request("POST", "/order", content=b"{}")


async def test_nothing_listening_is_a_connect_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The port was free a moment ago and nothing listens on it now.
    async with HttpClient(f"http://127.0.0.1:{port}") as client:
        with pytest.raises(HttpConnectError, match=f"cannot connect to 127.0.0.1:{port}"):
            await client.request("GET", "/")
    assert client.connections_opened == 0


async def test_a_closed_client_refuses_requests() -> None:
    client = HttpClient("http://127.0.0.1:9")
    await client.aclose()
    with pytest.raises(HttpConnectError, match="closed"):
        await client.request("GET", "/")


async def test_unread_bytes_after_an_answer_end_reuse() -> None:
    # An answer followed by bytes no request asked for: the connection is not reused.
    extra = SIZED + b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
    async with (
        serve(raw_handler(extra, then_close=False)) as server,
        HttpClient(server.url) as client,
    ):
        for _ in range(2):
            assert (await client.request("GET", "/")).content == b"hello world"
    assert server.accepted == 2


async def test_cancelled_while_connecting() -> None:
    # A TLS origin whose server never answers the handshake: cancelling the request
    # leaves no connection behind (no unclosed-socket warning at exit).
    async def silent(stream: trio.abc.Stream) -> None:
        await trio.sleep_forever()

    async with (
        serve(silent) as server,
        HttpClient(f"https://127.0.0.1:{server.port}") as client,
    ):
        with trio.move_on_after(0.05):
            await client.request("GET", "/")
    assert client.connections_opened == 0
