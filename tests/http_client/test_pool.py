"""The connection pool: keep-alive, stale connections, cancellation, the connection bound."""

from __future__ import annotations

import os
import resource

import pytest
import trio

from agbotkit.http import HttpClient

from .servers import Answer, Received, raw_handler, serve, serve_app
from .servers import ok as ok_answer

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def _ok(_: Received) -> Answer:
    return ok_answer()


async def test_requests_reuse_one_connection() -> None:
    async with serve_app(_ok) as server, HttpClient(server.url) as client:
        for _ in range(20):
            response = await client.request("GET", "/")
            assert (response.status_code, response.content) == (200, b"ok")
    assert server.accepted == 1
    assert client.connections_opened == 1
    assert len(server.requests) == 20


async def test_a_connection_the_server_closed_is_not_reused() -> None:
    # The server answers one request per connection, without saying Connection: close:
    # the client sees the idle socket readable (end of file) and opens a new one.
    async with serve_app(_ok, per_connection=1) as server, HttpClient(server.url) as client:
        for _ in range(5):
            closed = server.closed
            response = await client.request("GET", "/")
            assert response.status_code == 200
            await closed.wait()
    assert server.accepted == 5
    assert client.connections_opened == 5


async def test_an_idle_connection_older_than_keepalive_is_replaced() -> None:
    async with serve_app(_ok) as server, HttpClient(server.url, keepalive_s=0.05) as client:
        await client.request("GET", "/")
        await client.request("GET", "/")  # at once: reused
        assert client.connections_opened == 1
        await trio.sleep(0.1)
        await client.request("GET", "/")
        assert client.connections_opened == 2
        await client.request("GET", "/")
    assert server.accepted == 2
    assert client.connections_opened == 2


async def test_connection_close_answer_is_not_reused() -> None:
    def close(_: Received) -> Answer:
        return ok_answer(headers=[("Connection", "close")])

    async with serve_app(close) as server, HttpClient(server.url) as client:
        for _ in range(3):
            assert (await client.request("GET", "/")).content == b"ok"
    assert server.accepted == client.connections_opened == 3


async def test_cancelled_request_closes_its_connection() -> None:
    # The first connection never answers; the request is cancelled, the connection
    # closed (the server reads end of file), and the next request gets a new one.
    handlers = [raw_handler(then_close=False), raw_handler(OK, then_close=False)]

    async def first_silent(stream: trio.abc.Stream) -> None:
        await handlers.pop(0)(stream)

    async with serve(first_silent) as server, HttpClient(server.url) as client:
        closed = server.closed
        with trio.move_on_after(0.05) as scope:
            await client.request("GET", "/")
        assert scope.cancelled_caught
        await closed.wait()
        assert server.open_now == 0
        assert (await client.request("GET", "/")).content == b"ok"
        assert server.accepted == client.connections_opened == 2


async def test_max_connections_bounds_connections_in_flight() -> None:
    async def slow_ok(_: Received) -> Answer:
        await trio.sleep(0.01)
        return ok_answer()

    async with (
        serve_app(slow_ok) as server,
        HttpClient(server.url, max_connections=2) as client,
        trio.open_nursery() as nursery,
    ):
        for _ in range(10):
            nursery.start_soon(client.request, "GET", "/")
    assert len(server.requests) == 10
    assert server.most_open <= 2
    assert server.accepted == client.connections_opened <= 2


async def test_a_closed_client_closes_its_idle_connections() -> None:
    async with serve_app(_ok) as server:
        client = HttpClient(server.url)
        await client.request("GET", "/")
        closed = server.closed
        await client.aclose()
        await closed.wait()
        assert server.open_now == 0


async def test_reuse_with_descriptors_above_1023() -> None:
    # select() refuses descriptors above 1023; a busy process has them, and the liveness
    # check must still see an idle connection as alive.
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1200:
        pytest.skip(f"the descriptor limit ({soft}) is too low")
    spare = [os.open(os.devnull, os.O_RDONLY) for _ in range(1030)]
    try:
        async with serve_app(_ok) as server, HttpClient(server.url) as client:
            for _ in range(3):
                assert (await client.request("GET", "/")).status_code == 200
            assert client._idle[0].stream.socket.fileno() > 1023
        assert server.accepted == 1
    finally:
        for fd in spare:
            os.close(fd)
