"""Loopback servers the HTTP client tests talk to: an h11 server (an independent
implementation of the protocol) for valid answers, raw byte handlers for the rest, TLS
with a throwaway trustme CA, and a ``CONNECT`` proxy."""

from __future__ import annotations

import functools
import itertools
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

import attrs
import h11
import trio
import trustme

#: The names the test certificates are for: a non-loopback one is reached through the proxy.
NAMES = ("localhost", "127.0.0.1", "clob.example")

#: A connection handler: gets the accepted stream (TLS already wrapped, if any).
Handler = Callable[[trio.abc.Stream], Awaitable[None]]


@attrs.frozen
class Received:
    """A request as the server read it.

    Attributes:
        method: e.g. ``"GET"``.
        target: the request target (path and query) as sent.
        headers: ``(name, value)`` pairs, names in lower case, in the order sent.
        body: the whole body.
    """

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> list[str]:
        """The values of every header called ``name`` (lower case)."""
        return [value for key, value in self.headers if key == name]


#: What an h11 app answers a request with: the events to send, in order.
Answer = Sequence[h11.Event]
App = Callable[[Received], Answer | Awaitable[Answer]]


@attrs.define
class Server:
    """A running loopback server and what it saw.

    Attributes:
        port: the port it listens on (127.0.0.1).
        accepted: connections accepted so far.
        open_now: connections whose handler is still running.
        most_open: the largest ``open_now`` seen.
        requests: the requests an h11 app read, in order.
        closed: set each time a handler returns (the connection is closed then).
    """

    port: int = 0
    accepted: int = 0
    open_now: int = 0
    most_open: int = 0
    requests: list[Received] = attrs.Factory(list)
    closed: trio.Event = attrs.Factory(trio.Event)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"


@asynccontextmanager
async def serve(
    handler: Handler, *, tls: trustme.CA | None = None, names: Sequence[str] = NAMES
) -> AsyncIterator[Server]:
    """Serve ``handler`` on 127.0.0.1 (a free port) until the block ends.

    Args:
        handler: runs once per accepted connection; the connection is closed when it returns.
        tls: a CA to issue the server's certificate from; ``None`` for plain TCP.
        names: the host names and addresses the certificate is for.
    """
    server = Server()
    server_context: ssl.SSLContext | None = None
    if tls is not None:
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.issue_cert(*names).configure_cert(server_context)

    async def on_connection(stream: trio.SocketStream) -> None:
        server.accepted += 1
        server.open_now += 1
        server.most_open = max(server.most_open, server.open_now)
        wrapped: trio.abc.Stream = stream
        try:
            if server_context is not None:
                wrapped = trio.SSLStream(stream, server_context, server_side=True)
                await wrapped.do_handshake()
            await handler(wrapped)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass  # the client went away (a failed handshake, a cancelled request)
        finally:
            server.open_now -= 1
            await trio.aclose_forcefully(wrapped)
            server.closed.set()
            server.closed = trio.Event()

    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(
            functools.partial(trio.serve_tcp, on_connection, 0, host="127.0.0.1")
        )
        server.port = listeners[0].socket.getsockname()[1]
        yield server
        nursery.cancel_scope.cancel()


def h11_handler(app: App, server_box: list[Server], per_connection: int | None) -> Handler:
    """A handler that reads requests with h11 and sends what ``app`` answers, keeping the
    connection alive as long as h11 allows, or for ``per_connection`` requests
    (``server_box[0]`` records the requests)."""

    async def handle(stream: trio.abc.Stream) -> None:
        conn = h11.Connection(h11.SERVER)
        for _ in itertools.count() if per_connection is None else range(per_connection):
            received = await read_request(conn, stream)
            if received is None:
                return
            server_box[0].requests.append(received)
            answer = app(received)
            if not isinstance(answer, Sequence):
                answer = await answer
            for event in answer:
                await stream.send_all(conn.send(event) or b"")
            if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                return  # Connection: close, HTTP/1.0, or an app that stopped midway
            conn.start_next_cycle()

    return handle


async def read_request(conn: h11.Connection, stream: trio.abc.Stream) -> Received | None:
    """The next whole request on ``stream``, or ``None`` once the client closed it."""
    request: h11.Request | None = None
    body = b""
    while True:
        try:
            event = conn.next_event()
        except h11.RemoteProtocolError:
            return None  # the client closed midway (a cancelled request)
        if event is h11.NEED_DATA:
            conn.receive_data(await stream.receive_some(65536))
        elif isinstance(event, h11.Request):
            request = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            assert request is not None
            return Received(
                method=request.method.decode(),
                target=request.target.decode(),
                headers=[(k.decode(), v.decode()) for k, v in request.headers],
                body=body,
            )
        else:
            assert isinstance(event, h11.ConnectionClosed), event
            return None


@asynccontextmanager
async def serve_app(
    app: App,
    *,
    tls: trustme.CA | None = None,
    names: Sequence[str] = NAMES,
    per_connection: int | None = None,
) -> AsyncIterator[Server]:
    """Serve an h11 ``app`` (see :func:`h11_handler`) until the block ends."""
    box: list[Server] = []
    async with serve(h11_handler(app, box, per_connection), tls=tls, names=names) as server:
        box.append(server)
        yield server


def ok(body: bytes = b"ok", *, headers: Sequence[tuple[str, str]] = ()) -> Answer:
    """A 200 answer with a Content-Length body."""
    all_headers = [("Content-Length", str(len(body))), *headers]
    return [
        h11.Response(status_code=200, headers=all_headers),
        h11.Data(data=body),
        h11.EndOfMessage(),
    ]


async def read_head(stream: trio.abc.Stream) -> bytes:
    """Read up to the end of a request's head (the blank line); what follows is dropped."""
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = await stream.receive_some(65536)
        if not chunk:
            break
        head += chunk
    return head


def raw_handler(*pieces: bytes, then_close: bool = True) -> Handler:
    """A handler that reads one request's head, then writes ``pieces`` one ``send_all``
    each (and closes, unless ``then_close`` is false: then it waits for the client to)."""

    async def handle(stream: trio.abc.Stream) -> None:
        await read_head(stream)
        for piece in pieces:
            await stream.send_all(piece)
            # Let the client run between pieces, so that it reads them one by one.
            await trio.lowlevel.checkpoint()
        if not then_close:
            while await stream.receive_some(65536):
                pass

    return handle


@attrs.define
class Proxy:
    """What the ``CONNECT`` proxy saw: the head of each tunnel request."""

    heads: list[bytes] = attrs.Factory(list)


def proxy_handler(proxy: Proxy, *, refuse: bytes | None = None) -> Handler:
    """A ``CONNECT`` proxy: records each request's head, then answers ``refuse`` (e.g. a
    407) or opens the tunnel to the target on 127.0.0.1 and pipes bytes both ways."""

    async def handle(stream: trio.abc.Stream) -> None:
        head = await read_head(stream)
        proxy.heads.append(head)
        if refuse is not None:
            await stream.send_all(refuse)
            return
        target = head.split(b" ")[1].decode()
        port = int(target.rsplit(":", 1)[1])
        upstream = await trio.open_tcp_stream("127.0.0.1", port)
        await stream.send_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        async with upstream, trio.open_nursery() as nursery:
            nursery.start_soon(_pipe, stream, upstream)
            nursery.start_soon(_pipe, upstream, stream)

    return handle


async def _pipe(source: trio.abc.Stream, sink: trio.abc.Stream) -> None:
    try:
        while data := await source.receive_some(65536):
            await sink.send_all(data)
    except (trio.BrokenResourceError, trio.ClosedResourceError):
        pass
    # One side is done: end both, so the other pipe stops too.
    await trio.aclose_forcefully(source)
    await trio.aclose_forcefully(sink)
