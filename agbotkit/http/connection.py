"""One HTTP/1.1 connection: a trio stream (TCP, or TLS over TCP) and its h11 state.

h11 does the protocol (framing, chunked bodies, keep-alive rules); this module only moves
bytes between it and the stream and says whether the connection may be used again.
"""

from __future__ import annotations

import select
import time

import attrs
import h11
import trio

from agbotkit.http.errors import HttpConnectionLostError, HttpProtocolError

__all__ = ["Connection", "HttpResponse"]

_RECEIVE_BYTES = 65536


@attrs.frozen
class HttpResponse:
    """An answer: its status, its headers (names in lower case) and its whole body.

    Attributes:
        status_code: the HTTP status.
        headers: header name (lower case) -> value; repeated headers joined with ``", "``.
        content: the body, decoded from its transfer encoding (chunked or not).
    """

    status_code: int
    headers: dict[str, str]
    content: bytes


class Connection:
    """A connection to one origin, used by one request at a time.

    Args:
        stream: the connected stream (a :class:`trio.SocketStream` or a
            :class:`trio.SSLStream` over one).
        max_response_bytes: the largest body accepted; a larger one ends the connection.
    """

    def __init__(self, stream: trio.abc.Stream, *, max_response_bytes: int) -> None:
        self.stream = stream
        self._h11 = h11.Connection(h11.CLIENT)
        self._max_response_bytes = max_response_bytes
        self.idle_since = time.monotonic()
        self.requests = 0

    async def exchange(self, request: h11.Request, body: bytes | None) -> HttpResponse:
        """Send one request (already checked by h11) and read its whole answer.

        Raises:
            HttpConnectionLostError: the connection broke; the request may have been
                received.
            HttpProtocolError: the answer was not HTTP/1.1 or too large.
        """
        self.requests += 1
        conn = self._h11
        out = conn.send(request)
        if body:
            out += conn.send(h11.Data(data=body))
        out += conn.send(h11.EndOfMessage())
        try:
            await self.stream.send_all(out)
        except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
            raise HttpConnectionLostError(f"the connection broke while sending: {exc}") from None
        return await self._read_response()

    async def _read_response(self) -> HttpResponse:
        conn = self._h11
        status = 0
        headers: dict[str, str] = {}
        chunks: list[bytes] = []
        size = 0
        eof = False
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                if eof and status:
                    # h11 calls an end of file inside a body a protocol error; for the
                    # caller it is a connection lost mid-answer.
                    raise HttpConnectionLostError(
                        f"the server closed the connection mid-answer: {exc}"
                    ) from None
                raise HttpProtocolError(f"the answer is not valid HTTP/1.1: {exc}") from None
            if event is h11.NEED_DATA:
                try:
                    data = await self.stream.receive_some(_RECEIVE_BYTES)
                except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
                    raise HttpConnectionLostError(f"the connection broke: {exc}") from None
                if not data and status == 0:
                    raise HttpConnectionLostError("the server closed the connection unanswered")
                eof = not data
                # A Stream may give a bytearray (h11 takes bytes; bytes are not copied).
                conn.receive_data(bytes(data))
            elif isinstance(event, h11.Response):
                status = event.status_code
                for name, value in event.headers:
                    key = name.decode("latin-1")  # h11 gives names in lower case
                    text = value.decode("latin-1")
                    headers[key] = f"{headers[key]}, {text}" if key in headers else text
            elif isinstance(event, h11.Data):
                size += len(event.data)
                if size > self._max_response_bytes:
                    raise HttpProtocolError(
                        f"the answer is larger than {self._max_response_bytes} bytes"
                    )
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                return HttpResponse(status, headers, b"".join(chunks))
            elif isinstance(event, h11.ConnectionClosed):
                raise HttpConnectionLostError("the server closed the connection mid-answer")
            elif event is h11.PAUSED:
                # The server switched protocols (a 101, or a 2xx to CONNECT): h11 will
                # parse nothing more, and asking again would loop for ever.
                raise HttpProtocolError(f"the server switched protocols (status {status})")
            # InformationalResponse (1xx): the final answer follows.

    def reusable(self) -> bool:
        """Whether the last exchange left the connection open for another request (both
        sides done, no ``Connection: close``, nothing more received); if so, readies it
        for the next one."""
        conn = self._h11
        if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
            if conn.trailing_data[0]:
                # Bytes after the answer that no request asked for: reusing the connection
                # would hand them to the next request as its answer.
                return False
            conn.start_next_cycle()
            self.idle_since = time.monotonic()
            return True
        return False

    def looks_alive(self, keepalive_s: float) -> bool:
        """Whether an idle connection may carry a request: idle for less than
        ``keepalive_s`` and with nothing to read (a readable idle socket means the server
        closed it, or sent what no request asked for)."""
        if time.monotonic() - self.idle_since > keepalive_s:
            return False
        socket = _socket_of(self.stream)
        return socket is None or not _readable(socket.fileno())

    async def aclose(self) -> None:
        """Close at once, without a TLS goodbye that could wait."""
        await trio.aclose_forcefully(self.stream)


def _readable(fd: int) -> bool:
    """Whether ``fd`` has something to read (or its end of file) right now."""
    try:
        if hasattr(select, "poll"):
            # poll, not select: select refuses descriptors above 1023, common in a busy
            # process, and every check would then say "not alive".
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            return bool(poller.poll(0))
        readable, _, _ = select.select([fd], [], [], 0)  # Windows has no poll
    except (OSError, ValueError):
        return True  # closed under us: as good as readable, never reuse it
    return bool(readable)


def _socket_of(stream: trio.abc.Stream) -> trio.socket.SocketType | None:
    while isinstance(stream, trio.SSLStream):
        stream = stream.transport_stream
    return stream.socket if isinstance(stream, trio.SocketStream) else None
