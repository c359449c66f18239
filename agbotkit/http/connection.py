"""One HTTP/1.1 connection: a trio stream (TCP, or TLS over TCP) and its h11 state.

h11 does the protocol (framing, chunked bodies, keep-alive rules); this module only moves
bytes between it and the stream and says whether the connection may be used again.
"""

from __future__ import annotations

import select
import time
from collections.abc import Sequence

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

    async def exchange(
        self, method: str, target: str, headers: Sequence[tuple[str, str]], body: bytes | None
    ) -> HttpResponse:
        """Send one request and read its whole answer.

        Raises:
            HttpConnectionLostError: the connection broke; the request may have been
                received (``sent`` says whether all of it left).
            HttpProtocolError: the answer was not HTTP/1.1 or too large.
        """
        self.requests += 1
        conn = self._h11
        out = conn.send(h11.Request(method=method, target=target, headers=list(headers)))
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
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                raise HttpProtocolError(f"the answer is not valid HTTP/1.1: {exc}") from None
            if event is h11.NEED_DATA:
                try:
                    data = await self.stream.receive_some(_RECEIVE_BYTES)
                except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
                    raise HttpConnectionLostError(f"the connection broke: {exc}") from None
                if not data and status == 0:
                    raise HttpConnectionLostError("the server closed the connection unanswered")
                conn.receive_data(data)
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
            # InformationalResponse (1xx): the final answer follows.

    def reusable(self) -> bool:
        """Whether the last exchange left the connection open for another request (both
        sides done, no ``Connection: close``); if so, readies it for the next one."""
        conn = self._h11
        if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
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
        if socket is None:
            return True
        try:
            readable, _, _ = select.select([socket.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable

    async def aclose(self) -> None:
        """Close at once, without a TLS goodbye that could wait."""
        await trio.aclose_forcefully(self.stream)


def _socket_of(stream: trio.abc.Stream) -> trio.socket.SocketType | None:
    while isinstance(stream, trio.SSLStream):
        stream = stream.transport_stream
    return stream.socket if isinstance(stream, trio.SocketStream) else None
