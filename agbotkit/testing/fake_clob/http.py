"""A small HTTP/1.1 server on a trio listener, for the fake CLOB's REST side.

Keep-alive connections, bodies by ``Content-Length`` (what httpx sends), one request at a
time per connection. The handler receives a :class:`HttpRequest` with the body's exact
bytes (the L2 HMAC signs them) and returns an :class:`HttpResponse`; a handler that never
returns leaves the client waiting, which is how the fake "loses" an answer.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs
import trio

__all__ = ["HttpRequest", "HttpResponse", "json_response", "serve_http"]

LOGGER = logging.getLogger(__name__)

_MAX_HEAD = 64 * 1024
_MAX_BODY = 4 * 1024 * 1024
_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden"}
_REASONS |= {404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error"}
_REASONS |= {503: "Service Unavailable"}


@attrs.frozen
class HttpRequest:
    """One request as received.

    Attributes:
        method: ``GET``, ``POST``, ``DELETE``.
        path: the path without its query string.
        query: the query string's parameters (the first value of each).
        headers: header names in lower case.
        body: the exact bytes received.
        at: trio time of arrival.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        """The body decoded (``ValueError`` when it is not JSON)."""
        return json.loads(self.body)


@attrs.frozen
class HttpResponse:
    """An answer: status, body bytes, extra headers."""

    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = attrs.Factory(dict)
    content_type: str = "application/json"


def json_response(value: Any, status: int = 200, **headers: str) -> HttpResponse:
    """A compact JSON answer."""
    body = json.dumps(value, separators=(",", ":")).encode()
    return HttpResponse(status, body, dict(headers))


Handler = Callable[[HttpRequest], Awaitable[HttpResponse]]


async def serve_http(
    handler: Handler,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve HTTP/1.1 on ``host:port`` until cancelled; ``started(bound port)``."""
    listeners = await trio.open_tcp_listeners(port, host=host)
    bound: int = listeners[0].socket.getsockname()[1]
    async with trio.open_nursery() as nursery:
        await nursery.start(trio.serve_listeners, partial(_connection, handler), listeners)
        task_status.started(bound)


async def _read_request(stream: trio.SocketStream, buffer: bytearray) -> HttpRequest | None:
    while b"\r\n\r\n" not in buffer:
        if len(buffer) > _MAX_HEAD:
            return None
        chunk = await stream.receive_some(65536)
        if not chunk:
            return None
        buffer += chunk
    end = buffer.index(b"\r\n\r\n")
    lines = bytes(buffer[:end]).decode("latin-1").split("\r\n")
    del buffer[: end + 4]
    method, target, _version = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    if not 0 <= length <= _MAX_BODY:
        return None
    while len(buffer) < length:
        chunk = await stream.receive_some(65536)
        if not chunk:
            return None
        buffer += chunk
    body = bytes(buffer[:length])
    del buffer[:length]
    url = urlsplit(target)
    query = {key: values[0] for key, values in parse_qs(url.query).items()}
    return HttpRequest(method, url.path, query, headers, body, trio.current_time())


async def _connection(handler: Handler, stream: trio.SocketStream) -> None:
    buffer = bytearray()
    try:
        async with stream:
            while True:
                try:
                    request = await _read_request(stream, buffer)
                except ValueError:
                    request = None  # a request line or length that is not HTTP
                if request is None:
                    return
                try:
                    response = await handler(request)
                except Exception:
                    # A fault of the fake itself: answer like a broken server, keep serving.
                    LOGGER.exception("fake CLOB: %s %s failed", request.method, request.path)
                    response = HttpResponse(500, b'{"error":"Internal server error"}')
                head = (
                    f"HTTP/1.1 {response.status} {_REASONS.get(response.status, 'X')}\r\n"
                    f"Content-Type: {response.content_type}\r\n"
                    f"Content-Length: {len(response.body)}\r\n"
                    + "".join(f"{k}: {v}\r\n" for k, v in response.headers.items())
                    + "\r\n"
                )
                await stream.send_all(head.encode("latin-1") + response.body)
    except (trio.BrokenResourceError, trio.ClosedResourceError):
        LOGGER.debug("an HTTP client went away")
