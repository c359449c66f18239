"""What both loopback servers share: connections, queues, failure modes, waiting."""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, Generic, TypeVar

import attrs
import trio

from agbotkit.errors import WsError
from agbotkit.ws.connection import DEFAULT_MAX_MESSAGE_BYTES, WsConnection
from agbotkit.ws.frames import Oversize
from agbotkit.ws.server import serve_ws

LOGGER = logging.getLogger(__name__)

#: A frame to send: raw JSON text (sent as is), or a value serialised once.
Frame = str | Mapping[str, Any] | Sequence[Any]
#: Books for the given token ids, each a ``book`` object or its JSON text.
ClobSnapshots = Callable[[Sequence[str]], Sequence[str | Mapping[str, Any]]]
#: Snapshot envelopes for a new RTDS subscription ``(topic, type, filters)``.
RtdsSnapshots = Callable[[str, str, str | None], Sequence[str | Mapping[str, Any]]]
#: One RTDS subscription as the client sent it: ``(topic, type, filters or None)``.
RtdsSubscription = tuple[str, str, str | None]

INVALID_OPERATION = "INVALID OPERATION"
NO_NEW_ASSETS = "NO NEW ASSETS"
PONG = "PONG"
#: CLOB events sent only to connections that set ``custom_feature_enabled``.
CUSTOM_EVENTS = frozenset({"best_bid_ask", "new_market", "market_resolved"})
RTDS_TOPICS = frozenset(
    {
        "activity",
        "comments",
        "rfq",
        "crypto_prices",
        "crypto_prices_chainlink",
        "crypto_prices_twap_thirty",
        "crypto_prices_twap_sixty",
        "equity_prices",
    }
)
#: Topics whose new subscriptions get a snapshot envelope first.
RTDS_PRICE_TOPICS = frozenset(
    {
        "crypto_prices",
        "crypto_prices_chainlink",
        "crypto_prices_twap_thirty",
        "crypto_prices_twap_sixty",
        "equity_prices",
    }
)
RTDS_INVALID_BODY = '{"message":"Invalid request body"}'
#: ``publish`` lets other tasks run once per this many calls (see ``_publish_point``).
PUBLISH_BATCH = 64


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


@attrs.define(eq=False)
class _Client:
    """One live connection and its send queue (a connection's task writes it out)."""

    id: int
    conn: WsConnection
    outbox: deque[str] = attrs.Factory(deque)
    wake: trio.Event = attrs.Factory(trio.Event)
    busy: bool = False
    kicked: bool = False
    scope: trio.CancelScope = attrs.Factory(trio.CancelScope)


C = TypeVar("C", bound=_Client)


class _LoopbackServer(Generic[C]):
    """What both fakes share: connections, send queues, failure modes, records."""

    #: The path a client connects to; other paths are refused with 404 (None: any path).
    path: str | None = None

    def __init__(
        self,
        *,
        send_queue_size: int = 10_000,
        slow_close_grace_s: float = 5.0,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    ) -> None:
        """Set the server up; it listens once :meth:`run` is started.

        Args:
            send_queue_size: frames a connection may have waiting; one more closes it
                with 1013 ``slow consumer``.
            slow_close_grace_s: how long a slow consumer's connection may take to take
                in what was already being written before it is cut without a close frame.
            max_message_bytes: larger client frames are answered as unparsable.
        """
        #: When true, data (publish, snapshots) is dropped; PING is still answered.
        self.silent = False
        self.connections_accepted = 0
        self.connections_rejected = 0
        #: Connections closed with 1013 because their send queue was full.
        self.slow_consumers = 0
        #: Every frame clients sent, in order, as ``(connection id, text)``.
        self.frames_received: list[tuple[int, str]] = []
        self.port: int | None = None
        self._host = "127.0.0.1"
        self._clients: dict[int, C] = {}
        self._next_id = 0
        self._rejects: deque[int] = deque()
        self._lot = trio.lowlevel.ParkingLot()
        self._queue_size = send_queue_size
        self._grace = slow_close_grace_s
        self._max_message_bytes = max_message_bytes
        self._published = 0
        self._yield_every = max(1, min(PUBLISH_BATCH, send_queue_size // 4))

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``ws://host:port`` plus :attr:`path`, once :meth:`run` has started."""
        if self.port is None:
            raise RuntimeError(f"{type(self).__name__} is not running")
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"ws://{host}:{self.port}{self.path or ''}"

    async def run(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Serve until cancelled; ``started(port)`` once listening."""
        serve = partial(
            serve_ws,
            self._serve,
            host,
            port,
            max_message_bytes=self._max_message_bytes,
            check_request=self._check_request,
        )
        try:
            async with trio.open_nursery() as nursery:
                bound: int = await nursery.start(serve)
                self._host, self.port = host, bound
                task_status.started(bound)
        finally:
            self.port = None

    @property
    def active_connections(self) -> int:
        """How many connections are open now."""
        return len(self._clients)

    def reject_next_connections(self, n: int, status: int = 503) -> None:
        """Refuse the next ``n`` WebSocket upgrades with HTTP ``status``."""
        self._rejects.extend([status] * n)

    async def disconnect_all(self, code: int | None = 1001, reason: str = "going away") -> None:
        """Close every connection: with a close frame ``code``, or abruptly when ``None``.

        Returns once those connections are gone.
        """
        clients = list(self._clients.values())
        async with trio.open_nursery() as nursery:
            for client in clients:
                if code is None:
                    nursery.start_soon(client.conn.abort)
                else:
                    nursery.start_soon(client.conn.aclose, code, reason)
        await self.wait_for(lambda: all(c.id not in self._clients for c in clients))

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        """Wait until ``predicate()`` is true; it is checked whenever the state changed.

        Changes: a connection opened, closed or was refused, a client frame arrived, a
        send queue ran empty, a slow consumer was cut. Bound it with ``trio.fail_after``.
        """
        await trio.lowlevel.checkpoint()
        while not predicate():
            await self._lot.park()

    async def flush(self) -> None:
        """Wait until every live connection's queue has been written to its socket."""
        await self.wait_for(
            lambda: all(not c.outbox and not c.busy for c in self._clients.values())
        )

    async def send_control(self, text: str) -> None:
        """Send a text frame (e.g. ``NO NEW ASSETS``) to every connection, even when silent."""
        await trio.lowlevel.checkpoint()
        for client in list(self._clients.values()):
            self._enqueue(client, text)

    # -- per connection ----------------------------------------------------------------

    def _new_client(self, client_id: int, conn: WsConnection) -> C:
        raise NotImplementedError

    def _on_open(self, client: C) -> None:
        """A connection was accepted (queue what the server says first)."""

    def _on_text(self, client: C, text: str | None) -> None:
        """Handle one client frame (``None``: one over the size limit)."""
        raise NotImplementedError

    def _poke(self) -> None:
        self._lot.unpark_all()

    async def _publish_point(self) -> None:
        """Cancellation point on every publish, schedule point on every 64th.

        Yielding on each call would wake each connection's task per frame (one write, one
        syscall each); letting a few dozen frames pile up first makes them one write. The
        interval stays under a quarter of ``send_queue_size``, so that a healthy client's
        queue never fills between two yields.
        """
        self._published += 1
        if self._published % self._yield_every:
            await trio.lowlevel.checkpoint_if_cancelled()
        else:
            await trio.lowlevel.checkpoint()

    def _check_request(self, target: str) -> int | None:
        status: int | None = None
        if self._rejects:
            status = self._rejects.popleft()
        elif self.path is not None and target.split("?", 1)[0] != self.path:
            status = 404
        if status is not None:
            self.connections_rejected += 1
            self._poke()
        return status

    async def _serve(self, conn: WsConnection) -> None:
        self._next_id += 1
        client = self._new_client(self._next_id, conn)
        self._clients[client.id] = client
        self.connections_accepted += 1
        self._poke()
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._sender, client)
                self._on_open(client)
                while True:
                    for text in await conn.receive():
                        if isinstance(text, Oversize):
                            self._on_text(client, None)
                            continue
                        self.frames_received.append((client.id, text))
                        self._on_text(client, text)
                    self._poke()
        except* WsError:
            pass  # the client went away, or was closed by this server
        finally:
            del self._clients[client.id]
            self._poke()

    async def _sender(self, client: C) -> None:
        """Write the connection's queue out in batches, one write per batch."""
        outbox = client.outbox
        with client.scope:
            while not client.kicked:
                if not outbox:
                    client.wake = trio.Event()
                    self._poke()
                    await client.wake.wait()
                    continue
                batch = list(outbox)
                outbox.clear()
                client.busy = True
                try:
                    await client.conn.send_texts(batch)
                finally:
                    client.busy = False
        if client.kicked:
            await client.conn.aclose(1013, "slow consumer: send buffer full")

    def _enqueue(self, client: C, text: str) -> bool:
        """Queue ``text`` for ``client``; False when the client is (now) a slow consumer."""
        if client.kicked:
            return False
        outbox = client.outbox
        if len(outbox) >= self._queue_size:
            self._kick(client)
            return False
        outbox.append(text)
        client.wake.set()
        return True

    def _kick(self, client: C) -> None:
        LOGGER.info("loopback connection %d is a slow consumer: closing it", client.id)
        client.kicked = True
        client.outbox.clear()
        self.slow_consumers += 1
        client.scope.deadline = trio.current_time() + self._grace
        client.wake.set()
        self._poke()


# -- CLOB market channel ------------------------------------------------------------------
