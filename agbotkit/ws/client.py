"""The client end of :mod:`agbotkit.ws`: :func:`ws_connect` and its HTTP upgrade handshake.

Plain ``ws://`` or TLS ``wss://`` (one default TLS context per process); a refused or botched
upgrade is a :class:`WsHandshakeError`, defined here because only the client raises it.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from urllib.parse import urlsplit

import trio
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, RejectConnection, Request
from wsproto.utilities import RemoteProtocolError

from agbotkit.errors import WsHandshakeError
from agbotkit.ws.connection import _STREAM_GONE, DEFAULT_MAX_MESSAGE_BYTES, WsConnection, _read_head

__all__ = ["ws_connect"]


_ssl_context: ssl.SSLContext | None = None


def _default_ssl_context() -> ssl.SSLContext:
    # Loading the CA store takes milliseconds: do it once per process.
    global _ssl_context
    if _ssl_context is None:
        _ssl_context = ssl.create_default_context()
    return _ssl_context


def _split_url(url: str) -> tuple[bool, str, int, str, str]:
    """``(secure, host, port, host_header, target)`` of a ``ws://`` or ``wss://`` URL."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("ws", "wss") or not parts.hostname:
        raise ValueError(f"not a ws:// or wss:// URL: {url!r}")
    secure = scheme == "wss"
    default_port = 443 if secure else 80
    port = parts.port or default_port
    host = parts.hostname
    shown = f"[{host}]" if ":" in host else host
    host_header = shown if port == default_port else f"{shown}:{port}"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return secure, host, port, host_header, target


async def ws_connect(
    url: str,
    *,
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    headers: Sequence[tuple[str, str]] = (),
    ssl_context: ssl.SSLContext | None = None,
) -> WsConnection:
    """Open a WebSocket connection to ``url`` (``ws://`` or ``wss://``).

    The caller bounds the wait (``trio.fail_after``).

    Args:
        url: where to connect; its path and query become the request target.
        max_message_bytes: larger messages are dropped and reported as :class:`Oversize`.
        headers: extra HTTP headers for the upgrade request.
        ssl_context: TLS settings for ``wss://``; by default ``ssl.create_default_context()``.

    Raises:
        ValueError: ``url`` is not a WebSocket URL.
        OSError: the TCP connection failed (refused, unreachable, unknown host).
        WsHandshakeError: the server refused the upgrade (``status`` says how), or the
            connection broke during the TLS or HTTP handshake.
    """
    secure, host, port, host_header, target = _split_url(url)
    stream: trio.abc.Stream
    if secure:
        context = ssl_context or _default_ssl_context()
        stream = await trio.open_ssl_over_tcp_stream(host, port, ssl_context=context)
    else:
        stream = await trio.open_tcp_stream(host, port)
    try:
        return await _client_handshake(stream, host_header, target, headers, max_message_bytes)
    except BaseException:
        await trio.aclose_forcefully(stream)
        raise


async def _client_handshake(
    stream: trio.abc.Stream,
    host_header: str,
    target: str,
    headers: Sequence[tuple[str, str]],
    max_message_bytes: int,
) -> WsConnection:
    ws = WSConnection(ConnectionType.CLIENT)
    extra = [(name.encode("ascii"), value.encode("utf-8")) for name, value in headers]
    request = Request(host=host_header, target=target, extra_headers=extra)
    try:
        await stream.send_all(ws.send(request))
        got = await _read_head(stream)
        if got is None:
            raise WsHandshakeError(None, "connection closed during the WebSocket handshake")
        head, rest = got
        ws.receive_data(head)
        for event in ws.events():
            if isinstance(event, AcceptConnection):
                return WsConnection(stream, ws, target, max_message_bytes, initial=rest)
            if isinstance(event, RejectConnection):
                raise WsHandshakeError(
                    event.status_code, f"WebSocket upgrade refused: HTTP {event.status_code}"
                )
        raise WsHandshakeError(None, "no answer to the WebSocket upgrade")
    except RemoteProtocolError as exc:
        raise WsHandshakeError(None, f"bad WebSocket handshake answer: {exc}") from exc
    except _STREAM_GONE as exc:
        raise WsHandshakeError(None, f"connection lost during the handshake: {exc}") from exc
