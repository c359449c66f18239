"""Loopback servers that behave like Polymarket's CLOB market socket and RTDS.

They stand in for Polymarket in tests, in replays and in the offline demo, and follow
``PROTOCOL.md`` (sections 1 and 2) down to the quirks a client must survive: the CLOB
initial book dump as one JSON array, ``INVALID OPERATION`` for a second initial frame, the
RTDS empty frame at connect, its error frames for a bad filter or an unknown topic (which
void the whole batch), filters with whitespace that go silent, and the "silent freeze".

They read client frames with the stdlib ``json``: they are tooling, not the hot path. Data
goes out through one bounded queue per connection, written in batches by that connection's
own task, so :meth:`publish` never waits on a socket; a client whose queue fills is closed
with code 1013 ``slow consumer``, as Polymarket does.

Failure modes for tests: :attr:`silent`, :meth:`disconnect_all`,
:meth:`reject_next_connections`; what happened: :attr:`connections_accepted`,
:attr:`frames_received`, :meth:`current_subscriptions`, :attr:`active_connections`; and
:meth:`wait_for` to wait for any of it without sleeping.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Callable, Collection, Mapping, Sequence
from functools import partial
from typing import Any, Generic, TypeVar

import attrs
import trio

from agbotkit.ws import (
    DEFAULT_MAX_MESSAGE_BYTES,
    Oversize,
    WsConnection,
    WsError,
    serve_ws,
)

__all__ = [
    "ClobMarketServer",
    "ClobSnapshots",
    "RtdsServer",
    "RtdsSnapshots",
    "RtdsSubscription",
]

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


@attrs.define(eq=False)
class _ClobClient(_Client):
    initialized: bool = False
    custom: bool = False
    assets: set[str] = attrs.Factory(set)


def _str_list(value: object) -> list[str] | None:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None


def _clob_routing(value: object) -> tuple[set[str] | None, bool]:
    """``(token ids, custom feature only)`` of a CLOB frame; ids ``None`` means everyone."""
    if isinstance(value, list):
        ids: set[str] | None = set()
        custom = False
        for item in value:
            item_ids, item_custom = _clob_routing(item)
            custom = custom or item_custom
            ids = None if ids is None or item_ids is None else ids | item_ids
        return ids, custom
    if not isinstance(value, dict):
        return None, True
    event_type = value.get("event_type")
    if event_type == "new_market":
        return None, True  # new_market goes to every custom-feature connection
    found: set[str] = set()
    asset_id = value.get("asset_id")
    if isinstance(asset_id, str):
        found.add(asset_id)
    for change in value.get("price_changes") or ():
        if isinstance(change, dict) and isinstance(change.get("asset_id"), str):
            found.add(change["asset_id"])
    found.update(_str_list(value.get("assets_ids")) or ())
    if not found:
        return None, True
    return found, event_type in CUSTOM_EVENTS


class ClobMarketServer(_LoopbackServer[_ClobClient]):
    """A fake of ``wss://ws-subscriptions-clob.polymarket.com/ws/market``.

    A connection's first frame must be ``{"assets_ids":[...],"type":"market"
    [,"custom_feature_enabled":true][,"initial_dump":false]}``; it is answered with the books
    of those tokens as ONE JSON array of ``book`` objects, taken from :attr:`snapshots`.
    Then ``{"assets_ids":[...],"operation":"subscribe"|"unsubscribe"}`` frames change the
    set (new tokens get their books). Text ``PING`` gets ``PONG``; a second initial frame,
    an operation before the initial frame, or anything unparsable gets
    ``INVALID OPERATION``. Unknown tokens are accepted (subscribed, no book).

    Attributes:
        snapshots: books for a list of token ids (``book`` objects or their JSON text; a
            JSON array text is spliced in); ``None`` sends no books.
    """

    path = "/ws/market"

    def __init__(self, snapshots: ClobSnapshots | None = None, **options: Any) -> None:
        """Set the server up; it listens once :meth:`run` is started.

        Args:
            snapshots: see :attr:`snapshots`.
            **options: ``send_queue_size``, ``slow_close_grace_s``, ``max_message_bytes``.
        """
        super().__init__(**options)
        self.snapshots = snapshots

    def current_subscriptions(self) -> dict[int, frozenset[str]]:
        """The token ids of each live connection, by connection id."""
        return {cid: frozenset(c.assets) for cid, c in self._clients.items()}

    async def publish(
        self,
        frame: Frame,
        asset_ids: Collection[str] | None = None,
        *,
        all_clients: bool = False,
        custom_only: bool = False,
    ) -> int:
        """Send a data frame to the connections subscribed to any of its tokens.

        Args:
            frame: JSON text (sent as is) or an object / array (serialised once).
            asset_ids: the frame's tokens; ``None`` reads them from the frame: its
                ``asset_id``, each ``price_changes[].asset_id``, ``assets_ids``, those of
                an array's elements. A frame with none (``new_market``) goes to every
                connection with ``custom_feature_enabled``, as do custom-feature events.
            all_clients: send to every connection, subscribed or not.
            custom_only: with ``asset_ids``, only to custom-feature connections.

        It never waits on a socket: frames are queued; it is a cancellation point on each
        call and lets other tasks run every few dozen calls, so queues go out in batches.

        Returns:
            how many connections the frame was queued for (0 while :attr:`silent`).

        Text that is not JSON is not data: it is dropped (a recording's ``PONG`` and
        ``INVALID OPERATION`` answered its recorder), except ``NO NEW ASSETS``, which goes
        to every custom-feature connection. :meth:`send_control` sends any word to all.
        """
        await self._publish_point()
        if self.silent:
            return 0
        if isinstance(frame, str):
            text, value = frame, None
        else:
            text, value = _dumps(frame), frame
        ids: Collection[str] | None = asset_ids
        custom = custom_only
        if not all_clients and asset_ids is None:
            if value is None:
                try:
                    value = json.loads(text)
                except ValueError:
                    # A bare word: only the periodic one is the server's to send to all.
                    if text != NO_NEW_ASSETS:
                        return 0
            ids, custom = _clob_routing(value)
        sent = 0
        for client in list(self._clients.values()):
            if not all_clients:
                if not client.initialized or (custom and not client.custom):
                    continue
                if ids is not None and client.assets.isdisjoint(ids):
                    continue
            sent += self._enqueue(client, text)
        return sent

    def _new_client(self, client_id: int, conn: WsConnection) -> _ClobClient:
        return _ClobClient(client_id, conn)

    def _on_text(self, client: _ClobClient, text: str | None) -> None:
        if text == "PING":
            self._enqueue(client, PONG)
            return
        try:
            message = json.loads(text) if text is not None else None
        except ValueError:
            message = None
        assets = _str_list(message.get("assets_ids")) if isinstance(message, dict) else None
        if message is None or assets is None:
            self._enqueue(client, INVALID_OPERATION)
            return
        if "type" in message:
            kind = message["type"]
            if client.initialized or not isinstance(kind, str) or kind.lower() != "market":
                self._enqueue(client, INVALID_OPERATION)
                return
            client.initialized = True
            client.custom = message.get("custom_feature_enabled") is True
            new = [a for a in dict.fromkeys(assets) if a not in client.assets]
            client.assets.update(new)
            if message.get("initial_dump", True) is not False:
                self._send_books(client, new)
        elif message.get("operation") == "subscribe" and client.initialized:
            if message.get("custom_feature_enabled") is True:
                client.custom = True
            new = [a for a in dict.fromkeys(assets) if a not in client.assets]
            client.assets.update(new)
            self._send_books(client, new)
        elif message.get("operation") == "unsubscribe" and client.initialized:
            client.assets.difference_update(assets)
        else:
            self._enqueue(client, INVALID_OPERATION)

    def _send_books(self, client: _ClobClient, assets: Sequence[str]) -> None:
        if not assets or self.snapshots is None or self.silent:
            return
        parts: list[str] = []
        for book in self.snapshots(assets):
            if not isinstance(book, str):
                parts.append(_dumps(book))
                continue
            book = book.strip()
            if book.startswith("["):
                book = book[1:-1].strip()  # an array frame's books join this array
            if book:
                parts.append(book)
        if parts:
            self._enqueue(client, "[" + ",".join(parts) + "]")


# -- RTDS ---------------------------------------------------------------------------------


@attrs.frozen
class _RtdsMatch:
    """A subscription ready for matching envelopes.

    Attributes:
        topic: the topic.
        type: the message type, or ``"*"``.
        where: the filter's fields, or ``None`` when unfiltered.
        never: the filter is one the real server accepts but then delivers nothing for
            (whitespace in its JSON, not JSON, a list of symbols).
    """

    topic: str
    type: str
    where: dict[str, Any] | None
    never: bool

    @classmethod
    def compile(cls, topic: str, type_: str, filters: str | None) -> _RtdsMatch:
        if not filters:
            return cls(topic, type_, None, False)
        try:
            where = json.loads(filters)
        except ValueError:
            return cls(topic, type_, None, True)
        compact = filters in (
            _dumps(where),
            json.dumps(where, separators=(",", ":"), ensure_ascii=False),
        )
        if not isinstance(where, dict) or not compact:
            return cls(topic, type_, None, True)
        return cls(topic, type_, where, False)

    def matches(self, topic: object, type_: object, payload: Mapping[str, Any]) -> bool:
        if topic != self.topic or (self.type != "*" and type_ != self.type) or self.never:
            return False
        if self.where is None:
            return True
        for key, want in self.where.items():
            if key == "symbol":
                got = payload.get("symbol")
                if not (isinstance(got, str) and isinstance(want, str)):
                    return False
                if got.lower() != want.lower():
                    return False
            elif key == "event_slug":
                if payload.get("eventSlug") != want:
                    return False
            elif key == "market_slug":
                if payload.get("slug") != want:
                    return False
            elif payload.get(key) != want:
                return False
        return True


@attrs.define(eq=False)
class _RtdsClient(_Client):
    subs: dict[RtdsSubscription, _RtdsMatch] = attrs.Factory(dict)


def _rtds_subscriptions(value: object) -> list[RtdsSubscription] | None:
    """The ``(topic, type, filters)`` of a well-formed subscriptions array, else ``None``."""
    if not isinstance(value, list):
        return None
    found: list[RtdsSubscription] = []
    for sub in value:
        if not isinstance(sub, dict):
            return None
        topic, kind, filters = sub.get("topic"), sub.get("type"), sub.get("filters")
        if not isinstance(topic, str) or not isinstance(kind, str):
            return None
        if filters is not None and not isinstance(filters, str):
            return None
        found.append((topic, kind, filters or None))
    return found


class RtdsServer(_LoopbackServer[_RtdsClient]):
    """A fake of ``wss://ws-live-data.polymarket.com`` (any path).

    On connect it sends an empty text frame. ``{"action":"subscribe"|"unsubscribe",
    "subscriptions":[{"topic","type","filters"?}]}`` changes a connection's set: a
    ``filters`` that is not a string gets ``{"message":"Invalid request body"}``; an unknown
    topic anywhere gets one ``statusCode: 401`` error frame; either way nothing in that
    frame is applied. Each new price-topic subscription first gets the envelopes of
    :attr:`snapshots`. A filter with whitespace (or not JSON, or a list of symbols) is
    accepted but then matches nothing, as on the real server.

    Attributes:
        snapshots: snapshot envelopes for ``(topic, type, filters)``; ``None`` sends none.
        pong_reply: the answer to text ``PING``: ``"PONG"``, ``""`` or ``None`` (no answer),
            the three behaviours reported of the real server.
    """

    path = None

    def __init__(
        self,
        snapshots: RtdsSnapshots | None = None,
        *,
        pong_reply: str | None = PONG,
        **options: Any,
    ) -> None:
        """Set the server up; it listens once :meth:`run` is started.

        Args:
            snapshots: see :attr:`snapshots`.
            pong_reply: see :attr:`pong_reply`.
            **options: ``send_queue_size``, ``slow_close_grace_s``, ``max_message_bytes``.
        """
        super().__init__(**options)
        self.snapshots = snapshots
        self.pong_reply = pong_reply

    def current_subscriptions(self) -> dict[int, frozenset[RtdsSubscription]]:
        """The ``(topic, type, filters)`` subscriptions of each live connection."""
        return {cid: frozenset(c.subs) for cid, c in self._clients.items()}

    async def publish(self, envelope: Frame) -> int:
        """Send an envelope (or a JSON array of them) to the connections it matches.

        A subscription matches when the topic is equal, the type equal or ``"*"``, and its
        filter (if any) agrees with the payload: ``symbol`` (any case) with
        ``payload.symbol``, ``event_slug`` with ``payload.eventSlug``, ``market_slug`` with
        ``payload.slug``, any other key with the payload field of that name. Like
        :meth:`ClobMarketServer.publish`, it queues and never waits on a socket.

        Returns:
            how many connections it was queued for (0 while :attr:`silent`).

        Frames without a topic (``""``, ``PONG``, error frames: a recording's answers to
        its recorder) match nobody and are dropped.
        """
        await self._publish_point()
        if self.silent:
            return 0
        if isinstance(envelope, str):
            text = envelope
            try:
                value = json.loads(envelope)
            except ValueError:
                return 0
        else:
            text, value = _dumps(envelope), envelope
        keys: list[tuple[object, object, Mapping[str, Any]]] = []
        for item in value if isinstance(value, list) else (value,):
            if isinstance(item, Mapping):
                payload = item.get("payload")
                keys.append(
                    (
                        item.get("topic"),
                        item.get("type"),
                        payload if isinstance(payload, Mapping) else {},
                    )
                )
        sent = 0
        for client in list(self._clients.values()):
            if any(m.matches(*key) for m in client.subs.values() for key in keys):
                sent += self._enqueue(client, text)
        return sent

    def _new_client(self, client_id: int, conn: WsConnection) -> _RtdsClient:
        return _RtdsClient(client_id, conn)

    def _on_open(self, client: _RtdsClient) -> None:
        self._enqueue(client, "")

    def _on_text(self, client: _RtdsClient, text: str | None) -> None:
        if text in ("PING", "ping"):
            if self.pong_reply is not None:
                self._enqueue(client, self.pong_reply)
            return
        try:
            message = json.loads(text) if text is not None else None
        except ValueError:
            message = None
        subs = (
            _rtds_subscriptions(message.get("subscriptions")) if isinstance(message, dict) else None
        )
        action = message.get("action") if isinstance(message, dict) else None
        if subs is None or action not in ("subscribe", "unsubscribe"):
            self._enqueue(client, RTDS_INVALID_BODY)
            return
        for topic, _, _ in subs:
            if topic not in RTDS_TOPICS:
                error = {
                    "body": {"message": f"leger GetTopics error: topic {topic} not found"},
                    "statusCode": 401,
                }
                self._enqueue(client, _dumps(error))
                return
        for sub in subs:
            if action == "unsubscribe":
                client.subs.pop(sub, None)
                continue
            client.subs[sub] = _RtdsMatch.compile(*sub)
            if sub[0] in RTDS_PRICE_TOPICS and self.snapshots is not None and not self.silent:
                for envelope in self.snapshots(*sub):
                    self._enqueue(
                        client, envelope if isinstance(envelope, str) else _dumps(envelope)
                    )
