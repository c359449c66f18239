"""A lean WebSocket client and server on trio streams, built on wsproto (sans-IO).

Why not trio-websocket: it costs about 45 µs per received message (a task and a channel hop per
message), which caps a feed near 20k msgs/s per core. Here one ``receive_some`` of up to 64 KiB
is cut into frames and *every* complete message in it is handed back at once, so the caller
decodes a whole batch inline (see ``STACK-NOTES.md``).

wsproto does the handshakes, the close and ping logic, fragments, masking and all validation.
The one frame market data is made of (a server's unmasked, unfragmented text frame) is decoded
by the reader itself, because wsproto's general parser costs 12-20 µs per frame, more than
everything else on the path together; the writer of a server frames text itself for the same
reason. ``benchmarks/bench_ws.py`` measures both.

Semantics shared by both ends:

* :meth:`WsConnection.receive` returns a batch of text messages; binary messages are decoded
  as UTF-8 (bad bytes replaced); a message over ``max_message_bytes`` is dropped without being
  joined and reported as :class:`Oversize`; protocol pings are answered automatically.
* A close frame from the peer is answered and surfaces as :class:`WsClosed` with its code;
  a lost connection (EOF, reset) as :class:`WsClosed` with ``code=None``.
* :meth:`WsConnection.aclose` sends a close frame (bounded by :data:`CLOSE_TIMEOUT_S`) and
  closes the stream without waiting for the peer's answer.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
from collections.abc import Awaitable, Callable, Iterable, Sequence
from functools import partial
from typing import cast
from urllib.parse import urlsplit

import attrs
import trio
from wsproto import ConnectionType, WSConnection
from wsproto.connection import Connection, ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Event,
    Ping,
    RejectConnection,
    Request,
    TextMessage,
)
from wsproto.utilities import LocalProtocolError, RemoteProtocolError

from agbotkit.errors import AgbotkitError

__all__ = [
    "CLOSE_TIMEOUT_S",
    "HANDSHAKE_TIMEOUT_S",
    "Oversize",
    "WsClosed",
    "WsConnection",
    "WsError",
    "WsHandshakeError",
    "serve_ws",
    "ws_connect",
]

LOGGER = logging.getLogger(__name__)

#: Bytes asked of the stream per read: one read usually holds a whole burst of messages.
READ_SIZE = 65536
#: How long :meth:`WsConnection.aclose` (and answering a close) may spend sending the close
#: frame before the stream is closed anyway.
CLOSE_TIMEOUT_S = 1.0
#: How long the server waits for a client's HTTP upgrade request.
HANDSHAKE_TIMEOUT_S = 10.0
DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024
#: The longest HTTP head either end accepts during the handshake.
MAX_HEAD_BYTES = 65536

_SENDABLE = (ConnectionState.OPEN, ConnectionState.REMOTE_CLOSING)
_STREAM_GONE = (trio.BrokenResourceError, trio.ClosedResourceError)


class WsError(AgbotkitError):
    """Base class of the errors of :mod:`agbotkit.ws`."""


class WsClosed(WsError):
    """Raised when the connection is over: the peer closed it, or it was lost.

    Attributes:
        code: the close code the peer sent (1000 normal, 1001 going away, 1013 try again
            later, ...), or ``None`` when the connection was lost without a close frame.
        reason: the peer's close reason, or what happened (``"connection lost"``).
    """

    def __init__(self, code: int | None, reason: str) -> None:
        self.code = code
        self.reason = reason
        if code is None:
            message = f"WebSocket connection lost: {reason}" if reason else "connection lost"
        else:
            message = f"WebSocket closed with code {code}" + (f": {reason}" if reason else "")
        super().__init__(message)


class WsHandshakeError(WsError):
    """Raised by :func:`ws_connect` when the server refused or botched the upgrade.

    Attributes:
        status: the HTTP status of a refusal (e.g. 503), or ``None`` when the connection
            failed or the answer was not valid HTTP.
    """

    def __init__(self, status: int | None, message: str) -> None:
        self.status = status
        super().__init__(message)


@attrs.frozen
class Oversize:
    """Stands for a message larger than ``max_message_bytes``, dropped unread.

    Attributes:
        size: the message's length (characters of a text message, bytes of a binary one).
    """

    size: int


class WsConnection:
    """One open WebSocket connection over a trio stream, either end.

    Only one task may call :meth:`receive` at a time; any number of tasks may send.

    Attributes:
        path: the request target: what the client asked for (``"/ws/market"``), on both ends.
    """

    def __init__(
        self,
        stream: trio.abc.Stream,
        ws: WSConnection,
        path: str,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        *,
        initial: bytes | bytearray = b"",
    ) -> None:
        """Wrap ``stream`` whose handshake ``ws`` has completed.

        Args:
            stream: the transport.
            ws: the wsproto connection, past its handshake.
            path: the request target.
            max_message_bytes: larger messages are reported as :class:`Oversize`.
            initial: bytes read after the handshake's HTTP head, not yet given to wsproto.
        """
        if ws.connection is None:
            raise ValueError("the wsproto connection has not completed its handshake")
        self.path = path
        self._stream = stream
        self._proto: Connection = ws.connection
        self._client = ws.client
        self._limit = max_message_bytes
        self._send_lock = trio.StrictFIFOLock()
        self._closed = False
        # Set once a send was interrupted mid-frame: no more frames may follow on the stream.
        self._send_broken = False
        self._error: WsClosed | None = None
        # Received bytes not parsed yet; always starts at a frame boundary.
        self._buf = bytearray(initial)
        # Bytes of a frame too large to buffer that wsproto is still owed.
        self._owed = 0
        # Whether a fragmented data message is in progress (frames go to wsproto meanwhile).
        self._fragmented = False
        # A message being joined by wsproto: its parts, size so far, and whether binary.
        self._parts: list[str | bytes] | None = None
        self._size = 0
        self._binary = False

    @property
    def closed(self) -> bool:
        """True once the connection was closed, by either end, or lost."""
        return self._closed

    async def __aenter__(self) -> WsConnection:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def receive(self) -> list[str | Oversize]:
        """Wait for at least one complete message; return all complete messages read.

        Returns:
            the messages, in order, as one batch; never empty.

        Raises:
            WsClosed: the peer closed the connection (after any messages it sent before the
                close were returned), or the connection was lost or closed locally.
        """
        if self._error is not None:
            raise WsClosed(self._error.code, self._error.reason)
        if self._closed:
            raise WsClosed(None, "closed locally")
        out: list[str | Oversize] = []
        while True:
            if self._buf:
                for event in self._split(out):
                    await self._on_control(event)
                    if self._error is not None:
                        if out:
                            return out
                        raise WsClosed(self._error.code, self._error.reason)
                if out:
                    return out
            try:
                chunk = await self._stream.receive_some(READ_SIZE)
            except _STREAM_GONE as exc:
                reason = "closed locally" if self._closed else "connection lost"
                await self._lose(reason)
                raise WsClosed(None, reason) from exc
            if not chunk:
                await self._lose("connection lost")
                raise WsClosed(None, "connection lost")
            self._buf += chunk

    def _split(self, out: list[str | Oversize]) -> list[Event]:
        """Cut the buffered bytes into frames; append the messages they complete to ``out``.

        The frame that market data is made of (a server's unmasked, unfragmented text frame,
        whole in the buffer) is decoded right here: wsproto's general parser costs about
        15 µs per frame, this about 1 µs. Every other frame (control frames, fragments,
        binary, anything invalid) is given to wsproto whole, one frame at a time, so
        wsproto's parser always sits on a frame boundary and keeps all of its checks; a
        frame too large to buffer is streamed to it instead.

        Returns:
            the control events (ping, pong, close) met, in order; nothing is parsed after
            a close.
        """
        buf = self._buf
        size = len(buf)
        limit = self._limit
        fast = self._client
        controls: list[Event] = []
        pos = 0
        while pos < size:
            if self._owed:
                take = min(self._owed, size - pos)
                self._owed -= take
                pos += take
                if self._feed(buf[pos - take : pos], out, controls):
                    pos = size  # nothing after a close (or a protocol error) counts
                continue
            if size - pos < 2:
                break
            b0 = buf[pos]
            b1 = buf[pos + 1]
            length = b1 & 0x7F
            head = 2
            if length == 126:
                if size - pos < 4:
                    break
                length = (buf[pos + 2] << 8) | buf[pos + 3]
                head = 4
            elif length == 127:
                if size - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                head = 10
            if b1 & 0x80:
                head += 4
            end = pos + head + length
            # 0x81: FIN, no extension bits, text; b1 < 0x80: not masked.
            if b0 == 0x81 and b1 < 0x80 and fast and not self._fragmented and end <= size:
                if length > limit:
                    out.append(Oversize(length))
                    pos = end
                    continue
                try:
                    out.append(buf[pos + head : end].decode("utf-8"))
                except UnicodeDecodeError:
                    pass  # wsproto turns it into a close with code 1007
                else:
                    pos = end
                    continue
            if b0 & 0x0F < 8:  # a data or continuation frame: track fragmentation
                self._fragmented = not b0 & 0x80
            if end > size:
                if end - pos <= limit + 14:
                    break  # wait for the rest of the frame
                self._owed = end - pos
                continue
            pos = size if self._feed(buf[pos:end], out, controls) else end
        del buf[:pos]
        return controls

    def _feed(self, data: bytearray, out: list[str | Oversize], controls: list[Event]) -> bool:
        """Give wsproto a whole frame (or the next part of a large one) and take its events.

        Returns:
            True when the connection is closing (a close frame, or one wsproto refused).
        """
        proto = self._proto
        proto.receive_data(bytes(data))
        for event in proto.events():
            if isinstance(event, (TextMessage, BytesMessage)):
                self._join(event.data, event.message_finished, out)
            else:
                controls.append(event)
                if isinstance(event, CloseConnection):
                    return True
        return False

    def _join(
        self, data: str | bytes | bytearray, finished: bool, out: list[str | Oversize]
    ) -> None:
        """Add one fragment (or a whole binary message) to the message being joined."""
        if self._parts is None:
            self._parts = []
            self._size = 0
            self._binary = not isinstance(data, str)
        self._size += len(data)
        if self._size <= self._limit:
            self._parts.append(data if isinstance(data, str) else bytes(data))
        elif self._parts:
            self._parts = []  # over the limit: stop holding on to what was joined so far
        if not finished:
            return
        parts, self._parts = self._parts, None
        if self._size > self._limit:
            out.append(Oversize(self._size))
        elif self._binary:
            out.append(b"".join(cast("list[bytes]", parts)).decode("utf-8", errors="replace"))
        else:
            out.append("".join(cast("list[str]", parts)))

    async def _on_control(self, event: Event) -> None:
        """Answer a ping; on a close frame (or a protocol error), answer and close."""
        if isinstance(event, Ping):
            # A failed pong is not reported here: the next read reports the lost connection.
            with contextlib.suppress(WsClosed):
                await self._send_bytes(lambda: self._proto.send(event.response()))
        elif isinstance(event, CloseConnection):
            reason = event.reason or ""
            if self._proto.state is ConnectionState.OPEN:
                # wsproto reports a frame it cannot parse as a close event of its own.
                reply = CloseConnection(code=event.code, reason=reason)
                reason = f"protocol error: {reason}"
            else:
                reply = event.response()
            self._error = WsClosed(event.code, reason)
            await self._finish(reply)

    async def send_text(self, text: str) -> None:
        """Send one text message.

        Raises:
            WsClosed: the connection is closed or was lost.
        """
        await self._send_bytes(lambda: self._encode((text,)))

    async def send_texts(self, texts: Iterable[str]) -> None:
        """Send several text messages with one write (what a busy server wants).

        Raises:
            WsClosed: the connection is closed or was lost.
        """
        await self._send_bytes(lambda: self._encode(texts))

    def _encode(self, texts: Iterable[str]) -> bytes:
        """Frame ``texts`` (called under the send lock, after the state was checked)."""
        if self._client or self._proto.state is not ConnectionState.OPEN:
            # A client masks every frame; wsproto does that (and refuses a closing state).
            send = self._proto.send
            return b"".join([send(TextMessage(data=text)) for text in texts])
        # A server's text frame is a bare header and the UTF-8 payload: framing it here
        # costs a fifth of wsproto's general serializer (no fragments are ever sent).
        parts: list[bytes] = []
        append = parts.append
        for text in texts:
            payload = text.encode("utf-8")
            size = len(payload)
            if size < 126:
                append(bytes((0x81, size)))
            elif size < 65536:
                append(b"\x81\x7e" + size.to_bytes(2, "big"))
            else:
                append(b"\x81\x7f" + size.to_bytes(8, "big"))
            append(payload)
        return b"".join(parts)

    async def _send_bytes(self, frame: Callable[[], bytes]) -> None:
        async with self._send_lock:
            if self._closed or self._send_broken or self._error is not None:
                raise WsClosed(None, "connection already closed")
            try:
                data = frame()
            except LocalProtocolError as exc:
                raise WsClosed(None, "connection closing") from exc
            await self._write(data)

    async def _write(self, data: bytes) -> None:
        """Write under the send lock; a failed or cancelled write breaks the stream for good."""
        done = False
        try:
            await self._stream.send_all(data)
            done = True
        except _STREAM_GONE as exc:
            raise WsClosed(None, "connection lost") from exc
        finally:
            if not done:
                self._send_broken = True

    async def aclose(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection: send a close frame if possible, then close the stream.

        Idempotent, and quiet on a connection that is already broken. When cancelled, the
        stream is still closed before ``Cancelled`` propagates.
        """
        if self._closed:
            return
        await self._finish(CloseConnection(code=code, reason=reason or None))

    async def abort(self) -> None:
        """Close the stream at once, without a close frame (an abrupt disconnect)."""
        if self._closed:
            return
        self._closed = True
        await trio.aclose_forcefully(self._stream)

    async def _finish(self, close: CloseConnection) -> None:
        """Send ``close`` (best effort, bounded), then close the stream."""
        self._closed = True
        try:
            with trio.move_on_after(CLOSE_TIMEOUT_S):
                async with self._send_lock:
                    if not self._send_broken and self._proto.state in _SENDABLE:
                        await self._write(self._proto.send(close))
        except (WsClosed, LocalProtocolError, *_STREAM_GONE):
            pass  # already broken: closing the stream is all there is left to do
        finally:
            await trio.aclose_forcefully(self._stream)

    async def _lose(self, reason: str) -> None:
        self._error = WsClosed(None, reason)
        if not self._closed:
            self._closed = True
            await trio.aclose_forcefully(self._stream)


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


async def _read_head(stream: trio.abc.Stream) -> tuple[bytes, bytearray] | None:
    """Read an HTTP head: ``(head, bytes after it)``; ``None`` on EOF or an endless head.

    Only the head goes to wsproto; what follows it is the connection's first frames, which
    :class:`WsConnection` parses itself.
    """
    buf = bytearray()
    while True:
        data = await stream.receive_some(READ_SIZE)
        if not data:
            return None
        buf += data
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            return bytes(buf[: end + 4]), buf[end + 4 :]
        if len(buf) > MAX_HEAD_BYTES:
            return None


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
