"""The loopback RTDS server."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs

from agbotkit.marketdata.replay.loopback.base import (
    PONG,
    RTDS_INVALID_BODY,
    RTDS_PRICE_TOPICS,
    RTDS_TOPICS,
    Frame,
    RtdsSnapshots,
    RtdsSubscription,
    _Client,
    _dumps,
    _LoopbackServer,
)
from agbotkit.ws.connection import WsConnection

__all__ = ["RtdsServer"]


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
        except (ValueError, RecursionError):
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
            except (ValueError, RecursionError):
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
        except (ValueError, RecursionError):
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
