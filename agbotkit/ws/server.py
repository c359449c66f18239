"""The server end of :mod:`agbotkit.ws`: :func:`serve_ws`, one task per connection.

Each connection is upgraded (or refused, by ``check_request``), handed to the handler, and
closed cleanly afterwards; a failed handshake or handler is logged, never propagated.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Awaitable, Callable
from functools import partial

import trio
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, RejectConnection, Request
from wsproto.utilities import RemoteProtocolError

from agbotkit.errors import WsError
from agbotkit.ws.connection import _STREAM_GONE, DEFAULT_MAX_MESSAGE_BYTES, WsConnection, _read_head

__all__ = ["HANDSHAKE_TIMEOUT_S", "Handler", "RequestCheck", "serve_ws"]

# Named after the public module, as before the split, so logging configuration still applies.
LOGGER = logging.getLogger("agbotkit.ws")

#: How long the server waits for a client's HTTP upgrade request.
HANDSHAKE_TIMEOUT_S = 10.0

Handler = Callable[[WsConnection], Awaitable[None]]
#: Called with the request target before accepting; a returned HTTP status refuses the upgrade.
RequestCheck = Callable[[str], int | None]


async def serve_ws(
    handler: Handler,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    check_request: RequestCheck | None = None,
    ssl_context: ssl.SSLContext | None = None,
    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve WebSocket connections on ``host:port`` until cancelled.

    Each connection gets its own task: the handshake (any path is accepted unless
    ``check_request`` refuses it; the path is :attr:`WsConnection.path`), then
    ``await handler(conn)``, then a clean close. A handler's error is logged and ends only
    its own connection.

    Args:
        handler: serves one connection.
        host: the address to bind.
        port: the port to bind; 0 picks a free one.
        max_message_bytes: larger client messages are reported as :class:`Oversize`.
        check_request: called with each request target; an HTTP status it returns (e.g. 503)
            refuses that upgrade.
        ssl_context: serve ``wss://`` with this server-side TLS context.
        task_status: ``started(port)`` with the bound port, once listening.
    """
    listeners = await trio.open_tcp_listeners(port, host=host)
    bound_port: int = listeners[0].socket.getsockname()[1]
    serve_one = partial(_serve_connection, handler, max_message_bytes, check_request, ssl_context)
    async with trio.open_nursery() as nursery:
        await nursery.start(trio.serve_listeners, serve_one, listeners)
        LOGGER.debug("serving WebSocket on %s:%d", host, bound_port)
        task_status.started(bound_port)


async def _serve_connection(
    handler: Handler,
    max_message_bytes: int,
    check_request: RequestCheck | None,
    ssl_context: ssl.SSLContext | None,
    socket_stream: trio.SocketStream,
) -> None:
    stream: trio.abc.Stream = socket_stream
    if ssl_context is not None:
        stream = trio.SSLStream(socket_stream, ssl_context, server_side=True)
    conn: WsConnection | None = None
    try:
        conn = await _server_handshake(stream, max_message_bytes, check_request)
    except Exception:
        LOGGER.warning("WebSocket handshake failed", exc_info=True)
    finally:
        if conn is None:
            await trio.aclose_forcefully(stream)
    if conn is None:
        return
    try:
        await handler(conn)
    except WsError as exc:
        LOGGER.debug("WebSocket %s ended: %s", conn.path, exc)
    except Exception:
        LOGGER.exception("WebSocket handler for %s failed", conn.path)
    finally:
        await conn.aclose()


async def _server_handshake(
    stream: trio.abc.Stream, max_message_bytes: int, check_request: RequestCheck | None
) -> WsConnection | None:
    """Read the upgrade request and accept or refuse it; ``None`` when refused or failed."""
    ws = WSConnection(ConnectionType.SERVER)
    request: Request | None = None
    try:
        with trio.move_on_after(HANDSHAKE_TIMEOUT_S):
            got = await _read_head(stream)
        if got is None:
            return None
        head, rest = got
        try:
            ws.receive_data(head)
        except RemoteProtocolError as exc:
            if isinstance(exc.event_hint, RejectConnection):
                await stream.send_all(ws.send(exc.event_hint))
            return None
        for event in ws.events():
            if isinstance(event, Request):
                request = event
        if request is None:
            return None
        status = check_request(request.target) if check_request is not None else None
        if status is not None:
            await stream.send_all(ws.send(RejectConnection(status_code=status)))
            return None
        await stream.send_all(ws.send(AcceptConnection()))
    except _STREAM_GONE:
        return None
    return WsConnection(stream, ws, request.target, max_message_bytes, initial=rest)
