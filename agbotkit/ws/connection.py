"""The connection of :mod:`agbotkit.ws`: one open WebSocket over a trio stream, either end.

:class:`WsConnection` reads with its :class:`~agbotkit.ws.frames.FrameReader` base, answers
pings and close frames, frames a server's text itself (a fifth of wsproto's cost) and closes
with a bounded close frame. Its errors, :class:`WsError` and :class:`WsClosed`, live here too,
with ``_read_head``, which both handshakes use to hand the connection its first bytes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable

import trio
from wsproto import WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import CloseConnection, Event, Ping, TextMessage
from wsproto.utilities import LocalProtocolError

from agbotkit.errors import WsClosed
from agbotkit.ws.frames import FrameReader, Oversize

__all__ = [
    "CLOSE_TIMEOUT_S",
    "DEFAULT_MAX_MESSAGE_BYTES",
    "MAX_HEAD_BYTES",
    "READ_SIZE",
    "WsConnection",
]

#: Bytes asked of the stream per read: one read usually holds a whole burst of messages.
READ_SIZE = 65536
#: How long :meth:`WsConnection.aclose` (and answering a close) may spend sending the close
#: frame before the stream is closed anyway.
CLOSE_TIMEOUT_S = 1.0
DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024
#: The longest HTTP head either end accepts during the handshake.
MAX_HEAD_BYTES = 65536

_SENDABLE = (ConnectionState.OPEN, ConnectionState.REMOTE_CLOSING)
_STREAM_GONE = (trio.BrokenResourceError, trio.ClosedResourceError)


class WsConnection(FrameReader):
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
        super().__init__(ws.connection, ws.client, max_message_bytes, initial)
        self._send_lock = trio.StrictFIFOLock()
        self._closed = False
        # Set once a send was interrupted mid-frame: no more frames may follow on the stream.
        self._send_broken = False
        self._error: WsClosed | None = None

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
