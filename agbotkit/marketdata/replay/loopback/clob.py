"""The loopback CLOB market-channel server (``/ws/market``)."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any

import attrs
import trio

from agbotkit.marketdata.replay.loopback.base import (
    CUSTOM_EVENTS,
    INVALID_OPERATION,
    NO_NEW_ASSETS,
    PONG,
    ClobSnapshots,
    Frame,
    _Client,
    _dumps,
    _LoopbackServer,
)
from agbotkit.ws.connection import WsConnection

__all__ = ["ClobMarketServer"]


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
        #: Set once a client has subscribed to a token (a replay may wait for it).
        self.subscribed = trio.Event()

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
                except (ValueError, RecursionError):
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
        except (ValueError, RecursionError):
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
        if assets:
            self.subscribed.set()
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
