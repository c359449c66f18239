"""The market-data components: ``clob_market`` (order books) and ``rtds`` (RTDS topics)."""

from __future__ import annotations

import enum
import random
from collections.abc import Callable
from typing import Any

import attrs
import trio

from agbotkit.abc import Component, ComponentContext
from agbotkit.bus.topic import Overflow
from agbotkit.config.checks import at_least, between, greater_than, non_empty
from agbotkit.marketdata.book import OrderBooks
from agbotkit.marketdata.clob.handler import ClobMarketHandler
from agbotkit.marketdata.clob.resync import ResyncPacer
from agbotkit.marketdata.codec import compact_json
from agbotkit.marketdata.gamma.client import resolve_markets
from agbotkit.marketdata.rtds.handler import RtdsHandler
from agbotkit.marketdata.rtds.wire import RtdsSubscription
from agbotkit.marketdata.session import FeedSession, SessionSettings
from agbotkit.marketdata.stats import FeedStats
from agbotkit.model.feeds import FeedStatusChanged, SubscriptionChange
from agbotkit.toolkit.tasks import run_every
from agbotkit.topics import FEED_STATUS, MARKETS, METRICS, SUBSCRIPTIONS

__all__ = ["ClobMarket", "ClobMarketConfig", "Rtds", "RtdsConfig", "RtdsSubscriptionConfig"]

CLOB_MARKET_URL = "wss://ws-subscriptions-clob.polymarket.com/ws/market"
RTDS_URL = "wss://ws-live-data.polymarket.com"
GAMMA_URL = "https://gamma-api.polymarket.com"


@attrs.frozen
class ConnectionOptions:
    """Options every market-data component shares.

    Attributes:
        connect_timeout_s: a connect (TCP, TLS, handshake) that takes longer fails.
        silence_timeout_s: no market data for this long forces a reconnect, even while the
            server answers pings (Polymarket's sockets are known to go silent). 0 disables.
        backoff_initial_s: first reconnect delay; doubles per failure, jittered to half.
        backoff_max_s: the reconnect delay stops doubling here.
        max_frame_bytes: a larger frame is refused without being decoded (counted malformed).
        metrics_interval_s: how often the ``polymarket.<feed>.*`` metrics are published.
    """

    connect_timeout_s: float = attrs.field(default=10.0, validator=greater_than(0))
    silence_timeout_s: float = attrs.field(default=60.0, validator=at_least(0))
    backoff_initial_s: float = attrs.field(default=0.25, validator=greater_than(0))
    backoff_max_s: float = attrs.field(default=5.0, validator=greater_than(0))
    max_frame_bytes: int = attrs.field(default=4 * 1024 * 1024, validator=greater_than(0))
    metrics_interval_s: float = attrs.field(default=1.0, validator=greater_than(0))


@attrs.frozen
class ClobMarketConfig(ConnectionOptions):
    """Options of ``clob_market``.

    Attributes:
        url: the market channel's URL.
        assets: token ids to subscribe.
        markets: markets by slug or condition id (``0x…``), resolved through Gamma to
            their token ids (all outcomes) before connecting.
        gamma_url: the Gamma API.
        gamma_timeout_s: bound on each Gamma request.
        custom_feature_enabled: also receive ``best_bid_ask``, ``new_market`` and
            ``market_resolved``.
        max_assets_per_socket: more tokens than this open more sockets.
        ping_interval_s: text ``PING`` period.
        book_depth: levels per side in the published :class:`BookTop`.
        follow_markets: also subscribe the tokens of every market announced on the
            ``markets`` topic (by a replay, or another component), now and later.
        resync_backoff_initial_s: a book found inconsistent is resubscribed at once; if it
            fails again, the next resubscribe of its token waits up to this long, doubling
            (jittered to half) per further failure. The book is published as not valid
            meanwhile.
        resync_backoff_max_s: the wait between resubscribes of one token stops doubling
            here.
        resync_healthy_s: a book valid for this long starts its token's waits over.
    """

    url: str = CLOB_MARKET_URL
    assets: tuple[str, ...] = ()
    markets: tuple[str, ...] = ()
    follow_markets: bool = False
    gamma_url: str = GAMMA_URL
    gamma_timeout_s: float = attrs.field(default=10.0, validator=greater_than(0))
    custom_feature_enabled: bool = True
    max_assets_per_socket: int = attrs.field(default=200, validator=between(1, 500))
    ping_interval_s: float = attrs.field(default=10.0, validator=greater_than(0))
    book_depth: int = attrs.field(default=5, validator=between(1, 1000))
    resync_backoff_initial_s: float = attrs.field(default=1.0, validator=greater_than(0))
    resync_backoff_max_s: float = attrs.field(default=60.0, validator=greater_than(0))
    resync_healthy_s: float = attrs.field(default=60.0, validator=at_least(0))


class _Feed(enum.StrEnum):
    CLOB = "clob"
    RTDS = "rtds"


class _MarketDataComponent(Component[Any]):
    """What both market-data components share: stats, status events, metrics loop."""

    feed: _Feed

    def _settings(self, url: str, ping_interval_s: float) -> SessionSettings:
        c = self.config
        return SessionSettings(
            url,
            c.connect_timeout_s,
            ping_interval_s,
            c.silence_timeout_s,
            c.backoff_initial_s,
            c.backoff_max_s,
            c.max_frame_bytes,
        )

    def _status_callback(self) -> Callable[[int, bool, str], None]:
        def on_status(socket: int, connected: bool, reason: str) -> None:
            if self.context.bus.closed:
                return
            event = FeedStatusChanged(
                self.name, self.feed, socket, connected, self.context.now_ms(), reason
            )
            self.context.bus.publish_nowait(FEED_STATUS, event)
            self._publish_metrics()

        return on_status

    def _publish_metrics(self) -> None:
        bus = self.context.bus
        if bus.closed:
            return
        for sample in self.stats.metrics(self.context.now_ms(), {"component": self.name}):
            bus.publish_nowait(METRICS, sample)

    async def _metrics_loop(self) -> None:
        await run_every(self.config.metrics_interval_s, self._publish_metrics)

    stats: FeedStats


class ClobMarket(_MarketDataComponent):
    """Order books from the CLOB market channel, published on ``books`` and ``market_data``.

    Ready once every socket is connected and subscribed. Tokens beyond
    ``max_assets_per_socket`` go to further sockets; tokens can be added and removed while
    running through the ``subscriptions`` topic.
    """

    Config = ClobMarketConfig
    feed = _Feed.CLOB

    def __init__(self, config: ClobMarketConfig, context: ComponentContext) -> None:
        super().__init__(config, context)
        self.books = OrderBooks()
        self.stats = FeedStats("clob", 0)
        self.sessions: list[FeedSession] = []
        self._handlers: list[ClobMarketHandler] = []
        self._nursery: trio.Nursery | None = None

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        assets = list(dict.fromkeys(self.config.assets))
        if self.config.markets:
            infos = await resolve_markets(
                self.config.gamma_url, self.config.markets, timeout_s=self.config.gamma_timeout_s
            )
            for info in infos:
                self.context.bus.publish_retained(MARKETS, info.condition_id, info)
                assets.extend(t for t in info.token_ids if t not in assets)
        bus = self.context.bus
        if self.config.follow_markets:
            for info in bus.retained(MARKETS):
                assets.extend(t for t in info.token_ids if t not in assets)
        with bus.subscribe(SUBSCRIPTIONS, buffer=64, overflow=Overflow.BLOCK) as changes:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                size = self.config.max_assets_per_socket
                for start in range(0, max(len(assets), 1), size):
                    await self._open_socket(assets[start : start + size])
                if self.config.follow_markets:
                    nursery.start_soon(self._follow_markets)
                nursery.start_soon(self._metrics_loop)
                self._publish_metrics()
                task_status.started()
                async for change in changes:
                    if change.component in (None, self.name):
                        await self._apply(change)

    async def _follow_markets(self) -> None:
        with self.context.bus.subscribe(MARKETS, buffer=1000, overflow=Overflow.BLOCK) as markets:
            async for info in markets:
                await self._apply(SubscriptionChange(self.name, add=info.token_ids))

    async def _open_socket(self, assets: list[str]) -> None:
        assert self._nursery is not None
        socket = len(self.sessions)
        self.stats.set_connected(socket, False)
        handler = ClobMarketHandler(
            assets=assets,
            books=self.books,
            bus=self.context.bus,
            stats=self.stats,
            custom_feature_enabled=self.config.custom_feature_enabled,
            book_depth=self.config.book_depth,
            now_ms=self.context.now_ms,
            pacer=ResyncPacer(
                self.config.resync_backoff_initial_s,
                self.config.resync_backoff_max_s,
                self.config.resync_healthy_s,
            ),
        )
        session = FeedSession(
            self._settings(self.config.url, self.config.ping_interval_s),
            handler,
            self.stats,
            socket,
            now_ms=self.context.now_ms,
            on_status=self._status_callback(),
            rng=random.Random(),
        )
        handler.bind(session.send)
        self._handlers.append(handler)
        self.sessions.append(session)
        await self._nursery.start(session.run)

    async def _apply(self, change: SubscriptionChange) -> None:
        for handler in self._handlers:
            await handler.remove(change.remove)
        known = set().union(*(h.assets for h in self._handlers))
        new = [a for a in dict.fromkeys(change.add) if a not in known]
        room = self.config.max_assets_per_socket
        for handler in self._handlers:
            free = room - len(handler.assets)
            if new and free > 0:
                await handler.add(new[:free])
                new = new[free:]
        while new:
            await self._open_socket(new[:room])
            new = new[room:]


@attrs.frozen
class RtdsSubscriptionConfig:
    """One RTDS subscription of the stack file.

    Attributes:
        topic: e.g. ``activity``, ``crypto_prices_chainlink``, ``equity_prices``.
        type: message type, or ``*`` for all.
        symbols: one subscription entry is sent per symbol (price topics).
        event_slug: filter ``activity`` by event (Polymarket reports such filters may
            deliver nothing: prefer filtering downstream).
        market_slug: filter ``activity`` by market.
    """

    topic: str
    type: str = "*"
    symbols: tuple[str, ...] = ()
    event_slug: str | None = None
    market_slug: str | None = None

    def to_wire(self) -> list[RtdsSubscription]:
        """The entries this subscription sends (one per symbol)."""
        if self.symbols:
            return [
                RtdsSubscription(self.topic, self.type, compact_json({"symbol": s}))
                for s in self.symbols
            ]
        filters: dict[str, str] = {}
        if self.event_slug:
            filters["event_slug"] = self.event_slug
        if self.market_slug:
            filters["market_slug"] = self.market_slug
        return [RtdsSubscription(self.topic, self.type, compact_json(filters) if filters else None)]


@attrs.frozen
class RtdsConfig(ConnectionOptions):
    """Options of ``rtds``.

    Attributes:
        url: RTDS's URL.
        subscriptions: what to subscribe to (at least one).
        ping_interval_s: text ``PING`` period (RTDS wants 5 s).
    """

    subscriptions: tuple[RtdsSubscriptionConfig, ...] = attrs.field(
        validator=non_empty(), kw_only=True
    )
    url: str = RTDS_URL
    ping_interval_s: float = attrs.field(default=5.0, validator=greater_than(0))
    silence_timeout_s: float = attrs.field(default=30.0, validator=at_least(0))


class Rtds(_MarketDataComponent):
    """RTDS activity trades and reference prices, published on ``market_data``.

    A subscription the server rejects (an unknown topic voids the whole batch) is not
    retried: the component stays up but reports itself degraded (see
    :meth:`~agbotkit.abc.ComponentContext.report_degraded`) and publishes
    ``polymarket.rtds.subscription_rejected`` 1 for each topic of the batch.
    """

    Config = RtdsConfig
    feed = _Feed.RTDS

    def __init__(self, config: RtdsConfig, context: ComponentContext) -> None:
        super().__init__(config, context)
        self.stats = FeedStats("rtds", 1)
        entries = [entry for sub in config.subscriptions for entry in sub.to_wire()]
        self.handler = RtdsHandler(
            subscriptions=entries,
            bus=context.bus,
            stats=self.stats,
            on_rejected=self._on_rejected,
        )

    def _on_rejected(self, problem: str) -> None:
        # Connected, so connection_status stays 1: the health and the metric say the rest.
        self.context.report_degraded(problem)
        self._publish_metrics()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        session = FeedSession(
            self._settings(self.config.url, self.config.ping_interval_s),
            self.handler,
            self.stats,
            0,
            now_ms=self.context.now_ms,
            on_status=self._status_callback(),
            rng=random.Random(),
        )
        async with trio.open_nursery() as nursery:
            await nursery.start(session.run)
            nursery.start_soon(self._metrics_loop)
            self._publish_metrics()
            task_status.started()
