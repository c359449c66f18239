"""The CLOB market channel's half of a session: subscriptions, decoding, books, publishing."""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import trio

from agbotkit.bus.bus import Bus
from agbotkit.logs import WarningThrottle
from agbotkit.marketdata.book import ApplyResult, OrderBooks
from agbotkit.marketdata.clob.resync import ResyncPacer
from agbotkit.marketdata.clob.translate import decode_clob_frame
from agbotkit.marketdata.clob.wire import (
    encode_clob_initial_subscribe,
    encode_clob_subscribe,
    encode_clob_unsubscribe,
)
from agbotkit.marketdata.frames import FrameIntake
from agbotkit.marketdata.stats import FeedStats
from agbotkit.model.books import (
    BestBidAsk,
    BookDelta,
    BookSnapshot,
    ResyncCause,
    TickSizeChanged,
)
from agbotkit.model.feeds import BookTop, InvalidOperation, NoNewAssets, Pong
from agbotkit.model.markets import MarketResolved, NewMarket, Trade
from agbotkit.toolkit.clock import wall_clock_ms
from agbotkit.topics import BOOKS, MARKET_DATA
from agbotkit.ws.frames import Oversize

__all__ = ["ClobMarketHandler"]

LOGGER = logging.getLogger(__name__)

Sender = Callable[[str], Awaitable[bool]]


class ClobMarketHandler:
    """Handles one CLOB market socket's frames for the tokens in :attr:`assets`.

    Books are shared by all sockets of a component; each token lives on one socket.
    A book found crossed or contradicted by the feed is reset and its token resubscribed
    (unsubscribe, subscribe), which makes the server send a fresh snapshot; so does a
    tick-size change, whose old levels may be off the new grid. Each resync is counted
    (``polymarket.clob.book_resyncs`` by token and reason) and paced per token by a
    :class:`ResyncPacer`: a token whose book keeps failing is resubscribed less and less
    often, its book published as not valid meanwhile; :meth:`maintain` sends the
    resubscribes that had to wait.
    """

    def __init__(
        self,
        *,
        assets: Iterable[str],
        books: OrderBooks,
        bus: Bus,
        stats: FeedStats,
        custom_feature_enabled: bool = True,
        book_depth: int = 5,
        now_ms: Callable[[], int] = wall_clock_ms,
        pacer: ResyncPacer | None = None,
    ) -> None:
        self.assets: set[str] = set(assets)
        self.books = books
        self.resyncs = 0
        self._bus = bus
        self._stats = stats
        self._custom = custom_feature_enabled
        self._depth = book_depth
        self._now_ms = now_ms
        self._throttle = WarningThrottle(LOGGER)
        self._intake = FrameIntake(
            "clob", decode_clob_frame, bus=bus, stats=stats, throttle=self._throttle
        )
        self._initialized = False  # the initial `type: market` frame went out on this socket
        # Tokens to resubscribe now, and those waiting for their pacing (token -> when).
        self._resync: set[str] = set()
        self._deferred: dict[str, float] = {}
        self._pacer = pacer or ResyncPacer()
        self._wake = trio.Event()
        # Tokens subscribed (or resubscribed) whose snapshot has not come yet: their deltas
        # cannot apply, and that is expected, not a reason to resubscribe again.
        self._awaiting: set[str] = set()
        self._send: Sender | None = None
        self._dispatch: dict[type[Any], Callable[[Any, int], bool]] = {
            BookDelta: self._on_delta,
            BookSnapshot: self._on_snapshot,
            Trade: self._on_passthrough,
            BestBidAsk: self._on_passthrough,
            TickSizeChanged: self._on_tick_size,
            NewMarket: self._on_passthrough,
            MarketResolved: self._on_passthrough,
            Pong: _ignore,
            NoNewAssets: _ignore,
            InvalidOperation: self._on_invalid_operation,
        }

    def bind(self, send: Sender) -> None:
        """Give the handler its session's ``send`` (for subscription changes)."""
        self._send = send

    @property
    def expects_data(self) -> bool:
        """True when subscribed to at least one token (else silence is normal)."""
        return bool(self.assets)

    def initial_frames(self) -> list[str]:
        """The ``type: market`` frame for every token of this socket (none when empty)."""
        self._initialized = bool(self.assets)
        self._awaiting = set(self.assets)
        if not self.assets:
            return []
        return [
            encode_clob_initial_subscribe(sorted(self.assets), custom_feature_enabled=self._custom)
        ]

    def on_disconnect(self) -> None:
        """Books of this socket's tokens are stale until the reconnect's snapshots: they are
        reset and published as not valid (consumers keep the latest view of each book)."""
        self._initialized = False
        self._resync.clear()
        self._deferred.clear()  # the reconnect's initial frame brings fresh snapshots
        for asset_id in self.assets:
            book = self.books.get(asset_id)
            if book is not None:
                book.reset()
                if book.market is not None and not self._bus.closed:
                    self._publish_top(asset_id, book.market, book.timestamp_ms or 0, self._now_ms())

    async def add(self, asset_ids: Iterable[str]) -> None:
        """Subscribe more tokens on this socket."""
        new = sorted(set(asset_ids) - self.assets)
        if not new:
            return
        self.assets.update(new)
        self._awaiting.update(new)
        if self._send is None:
            return
        if self._initialized:
            await self._send(encode_clob_subscribe(new, custom_feature_enabled=self._custom))
        else:
            self._initialized = await self._send(
                encode_clob_initial_subscribe(new, custom_feature_enabled=self._custom)
            )

    async def remove(self, asset_ids: Iterable[str]) -> None:
        """Unsubscribe tokens of this socket and forget their books."""
        gone = sorted(self.assets.intersection(asset_ids))
        if not gone:
            return
        self.assets.difference_update(gone)
        for asset_id in gone:
            self.books.remove(asset_id)
            self._deferred.pop(asset_id, None)
            self._pacer.forget(asset_id)
        if self._send is not None and self._initialized:
            await self._send(encode_clob_unsubscribe(gone))

    async def on_frames(self, frames: Sequence[str | Oversize], received_ms: int) -> bool:
        """Decode, apply and publish one read's frames; True when any carried data."""
        data = False
        dispatch = self._dispatch
        for event in self._intake.events(frames, received_ms):
            if dispatch[type(event)](event, received_ms):
                data = True
        if self._resync:
            await self._resubscribe()
        return data

    def _count(self, event: Any, received_ms: int) -> None:
        self._stats.message((("event_type", event.event_type),), received_ms - event.timestamp_ms)

    def _on_snapshot(self, event: BookSnapshot, received_ms: int) -> bool:
        result = self.books.book(event.asset_id).apply_snapshot(event)
        self._awaiting.discard(event.asset_id)
        if result is ApplyResult.APPLIED:
            # A snapshot the server sent by itself makes a waiting resubscribe needless.
            self._deferred.pop(event.asset_id, None)
            self._resync.discard(event.asset_id)
            self._pacer.valid(event.asset_id, trio.current_time())
        return self._on_book_change(event, received_ms, result)

    def _on_delta(self, event: BookDelta, received_ms: int) -> bool:
        result = self.books.book(event.asset_id).apply_delta(event)
        return self._on_book_change(event, received_ms, result)

    def _on_book_change(
        self, event: BookSnapshot | BookDelta, received_ms: int, result: ApplyResult
    ) -> bool:
        self._count(event, received_ms)
        self._bus.publish_nowait(MARKET_DATA, event)
        asset_id = event.asset_id
        if result is ApplyResult.APPLIED:
            self._publish_top(asset_id, event.market, event.timestamp_ms, received_ms)
        elif result is ApplyResult.RESYNC and self._request_resync(asset_id, None):
            # Consumers must not trade on the book until the fresh snapshot is in.
            self._publish_top(asset_id, event.market, event.timestamp_ms, received_ms)
        return True

    def _request_resync(self, asset_id: str, cause: ResyncCause | None) -> bool:
        """Count, log and schedule the resubscribe of ``asset_id`` (``cause`` None: the
        book's own). False when one is already on its way (then nothing is done)."""
        if (
            asset_id in self._resync
            or asset_id in self._deferred
            or asset_id not in self.assets
            # A fresh snapshot is on its way; after a tick-size change it may be an old one.
            or (asset_id in self._awaiting and cause is not ResyncCause.TICK_SIZE)
        ):
            return False
        book = self.books.book(asset_id)
        cause = cause or book.resync_cause or ResyncCause.NO_SNAPSHOT
        self._stats.book_resync(asset_id, cause.value)
        now = trio.current_time()
        due = self._pacer.due(asset_id, now)
        if due <= now:
            self._resync.add(asset_id)
        else:
            self._deferred[asset_id] = due
            self._wake.set()
        if cause is not ResyncCause.TICK_SIZE:
            self._throttle.warn(
                f"resync:{asset_id}",
                "book of %s…%s inconsistent (%s); resubscribing for a fresh snapshot in %.1f s "
                "(resync %d in a row)",
                asset_id[:6],
                asset_id[-4:],
                book.resync_reason,
                due - now,
                self._pacer.failures(asset_id) + 1,
            )
        return True

    def _on_tick_size(self, event: TickSizeChanged, received_ms: int) -> bool:
        self._count(event, received_ms)
        self.books.book(event.asset_id).apply_tick_size_change(event)
        self._bus.publish_nowait(MARKET_DATA, event)
        self._publish_top(event.asset_id, event.market, event.timestamp_ms, received_ms)
        # The old levels may be off the new grid: ask for a snapshot instead of waiting.
        self._request_resync(event.asset_id, ResyncCause.TICK_SIZE)
        return True

    def _on_passthrough(self, event: Any, received_ms: int) -> bool:
        self._count(event, received_ms)
        self._bus.publish_nowait(MARKET_DATA, event)
        return True

    def _on_invalid_operation(self, event: InvalidOperation, received_ms: int) -> bool:
        LOGGER.error(
            "the CLOB market socket refused a subscription frame (INVALID OPERATION); "
            "tokens of this socket: %d",
            len(self.assets),
        )
        return False

    def _publish_top(self, asset_id: str, market: str, timestamp_ms: int, received_ms: int) -> None:
        if not self._bus.subscriber_count(BOOKS):
            return  # nobody watches books: skip building the view (most of a delta's cost)
        book = self.books.book(asset_id)
        # A book that is not valid shows no levels: a crossed one's would mislead.
        bids, asks = book.depth(self._depth) if book.valid else ((), ())
        top = BookTop(
            asset_id, market, timestamp_ms, received_ms, tuple(bids), tuple(asks), book.valid
        )
        self._bus.publish_nowait(BOOKS, top)

    async def maintain(self) -> None:
        """Send the resubscribes that waited for their pacing, each when it is due; runs
        beside the read loop while connected."""
        while True:
            with trio.move_on_at(min(self._deferred.values(), default=math.inf)):
                await self._wake.wait()
            self._wake = trio.Event()
            now = trio.current_time()
            due = [asset_id for asset_id, at in self._deferred.items() if at <= now]
            if due:
                for asset_id in due:
                    del self._deferred[asset_id]
                self._resync.update(due)
                await self._resubscribe()

    async def _resubscribe(self) -> None:
        assets = sorted(self._resync & self.assets)
        self._resync.clear()
        if not assets or self._send is None or not self._initialized:
            return
        self.resyncs += len(assets)
        self._awaiting.update(assets)
        now = trio.current_time()
        for asset_id in assets:
            self.books.book(asset_id).reset()
            self._pacer.sent(asset_id, now)
        await self._send(encode_clob_unsubscribe(assets))
        await self._send(encode_clob_subscribe(assets, custom_feature_enabled=self._custom))


def _ignore(event: object, received_ms: int) -> bool:
    return False
