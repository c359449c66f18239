"""The user-channel connection: our order updates and fills, as they happen.

:class:`UserChannel` keeps one socket to the CLOB's user channel open until cancelled. Its
life is a :class:`~agbotkit.ws.session.WsSession`, as the market-data feeds' is:

* on every connect it sends the subscribe frame with our API credentials and markets
  (:class:`~agbotkit.venues.polymarket.user_wire.UserSubscribe`); the frame carries the
  secret and the passphrase, so it is sent and never logged, and nothing here shows them;
* it sends a text ``PING`` every ``ping_interval_s``; the ``PONG`` answers are not data;
* a silence watchdog reconnects when no data came for ``silence_timeout_s``. The channel
  is quiet while we do not trade, so the default is long (300 s): a quiet account
  reconnects, and reconciles, every five minutes. That is the point: the venue has been
  seen answering pings while sending nothing else, and a fill missed that way is found
  within the timeout;
* any loss (closed, broken, silent, a failed connect) is followed by a jittered, doubling
  pause (``backoff_initial_s`` up to ``backoff_max_s``) and a new connect;
* after every reconnect (not the first connect) it awaits ``on_reconnect()`` before
  delivering anything the new connection brought: the owner reconciles open orders and
  trades through REST there, so nothing that happened in the gap is missed. The
  subscription is sent first, so what happens during the reconciliation arrives
  afterwards (possibly twice: the order manager counts a fill once per trade and order);
* each frame is checked and decoded by a :class:`~agbotkit.venues.polymarket.user_intake.
  UserIntake`; each order update and fill is handed to ``await on_event(event)``, in order.
  Waiting there is the back-pressure: the socket is not read meanwhile.

Metrics, through ``metric`` (a :meth:`~agbotkit.abc.ComponentContext.metric`):
``polymarket.user.connection_status`` (gauge, 1 while subscribed), ``polymarket.user.
reconnects`` and ``polymarket.user.malformed`` (counters), each sent when it changes.

Exceptions of ``on_event`` and ``on_reconnect`` propagate (the channel stops): they handle
their own failures, and bound their own waits (the silence watchdog runs during
``on_reconnect`` and reconnects when it takes longer than the silence timeout).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Container, Iterable, Mapping
from typing import Protocol

import trio

from agbotkit.errors import FeedSilentError
from agbotkit.logs import WarningThrottle
from agbotkit.marketdata.codec import PING
from agbotkit.model.metrics import MetricType
from agbotkit.model.venues import VenueEvent
from agbotkit.toolkit.backoff import Backoff
from agbotkit.venues.polymarket.credentials import ApiCredentials
from agbotkit.venues.polymarket.user_intake import UserIntake
from agbotkit.venues.polymarket.user_translate import UserIdentity
from agbotkit.venues.polymarket.user_wire import UserSubscribe
from agbotkit.ws.connection import WsConnection
from agbotkit.ws.frames import Oversize
from agbotkit.ws.session import Outage, WsSession

__all__ = ["USER_CHANNEL_URL", "MetricSink", "UserChannel"]

LOGGER = logging.getLogger(__name__)

#: Polymarket's user channel.
USER_CHANNEL_URL = "wss://ws-subscriptions-clob.polymarket.com/ws/user"


class MetricSink(Protocol):
    """Where the channel's metrics go: :meth:`agbotkit.abc.ComponentContext.metric`."""

    def __call__(
        self,
        name: str,
        value: float,
        metric_type: MetricType = ...,
        labels: Mapping[str, str] | None = ...,
    ) -> None:
        """Publish one sample."""


class UserChannel:
    """One account's user-channel connection; see the module docstring.

    Reports ready (``task_status.started()``) once the first subscribe frame was sent: the
    venue does not acknowledge it.

    Attributes:
        url: the user channel's URL.
        connected: whether a subscribed connection is up now.
        reconnects: connections that were up and were lost.
        malformed: frames (and array elements) dropped as malformed.
    """

    def __init__(
        self,
        url: str,
        credentials: ApiCredentials,
        markets: Iterable[str],
        me: UserIdentity,
        *,
        on_event: Callable[[VenueEvent], Awaitable[object]],
        on_reconnect: Callable[[], Awaitable[object]],
        order_ids: Container[str] = frozenset(),
        metric: MetricSink | None = None,
        labels: Mapping[str, str] | None = None,
        ping_interval_s: float = 10.0,
        silence_timeout_s: float = 300.0,
        connect_timeout_s: float = 10.0,
        backoff_initial_s: float = 0.25,
        backoff_max_s: float = 5.0,
        max_frame_bytes: int = 1024 * 1024,
        rng: random.Random | None = None,
    ) -> None:
        """Set the channel up; it connects once :meth:`run` is started.

        Args:
            url: the ``wss://`` URL (:data:`USER_CHANNEL_URL`).
            credentials: the account's API credentials.
            markets: condition ids to follow; none: every market of the account.
            me: who we are (our API keys and wallet addresses).
            on_event: receives each order update and fill, in order.
            on_reconnect: awaited after every reconnect, before the new connection's events.
            order_ids: venue ids of orders known to be ours (read at every frame).
            metric: where metrics go; ``None``: nowhere.
            labels: labels of every metric (the venue's name).
            ping_interval_s: pause between text ``PING`` frames.
            silence_timeout_s: reconnect when no data came for this long; 0: never.
            connect_timeout_s: bound on one connect (TCP, TLS, WebSocket handshake).
            backoff_initial_s: the first pause after a loss (jittered, then doubling).
            backoff_max_s: the longest pause.
            max_frame_bytes: larger frames are dropped unread and counted malformed.
            rng: the backoff's jitter source (seed it in tests).

        Raises:
            TypeError: ``markets`` is one string or holds something else than strings.
        """
        self.url = url
        # Built (and checked) once; its repr hides the secret, its text is sent only.
        self._subscribe = UserSubscribe(
            credentials.api_key,
            credentials.secret.reveal(),
            credentials.passphrase.reveal(),
            markets,
        )
        self._on_event = on_event
        self._on_reconnect = on_reconnect
        self._metric = metric
        self._labels = dict(labels or {})
        self._ping_interval_s = ping_interval_s
        self._silence_timeout_s = silence_timeout_s
        self._intake = UserIntake(
            me,
            throttle=WarningThrottle(LOGGER, clock=trio.current_time),
            order_ids=order_ids,
            on_malformed=self._malformed,
        )
        self.reconnects = 0
        self._ups = 0
        self._last_data = 0.0
        self._ws = WsSession(
            url,
            self._serve,
            connect_timeout_s=connect_timeout_s,
            retry=Backoff(backoff_initial_s, backoff_max_s, rng=rng or random.Random()),
            greet=self._greet,
            failures={FeedSilentError: f"no data for {silence_timeout_s:g} s (silent channel)"},
            on_up=self._up,
            on_down=self._down,
            on_retry=self._retry,
            max_message_bytes=max_frame_bytes,
        )

    def __repr__(self) -> str:
        return f"UserChannel({self.url!r}, {self._subscribe!r})"

    @property
    def connected(self) -> bool:
        """Whether a subscribed connection is up now."""
        return self._ws.connection is not None

    @property
    def malformed(self) -> int:
        """Frames (and array elements) dropped as malformed so far."""
        return self._intake.malformed

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Connect, subscribe, deliver, reconnect: forever, until cancelled."""
        self._gauge_status(False)
        await self._ws.run(task_status=task_status)

    # -- one connection ---------------------------------------------------------------------

    async def _greet(self, conn: WsConnection) -> None:
        await conn.send_text(self._subscribe.encode())

    async def _serve(self, conn: WsConnection) -> None:
        self._last_data = trio.current_time()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._ping, conn)
            if self._silence_timeout_s > 0:
                nursery.start_soon(self._watchdog)
            if self._ups > 1:
                await self._on_reconnect()
                self._last_data = trio.current_time()
            intake = self._intake
            on_event = self._on_event
            while True:
                for raw in await conn.receive():
                    if isinstance(raw, Oversize):
                        intake.oversize(raw.size)
                        continue
                    events, is_data = intake.decode(raw)
                    if is_data:
                        self._last_data = trio.current_time()
                    for event in events:
                        await on_event(event)

    async def _ping(self, conn: WsConnection) -> None:
        while True:
            await trio.sleep(self._ping_interval_s)
            await conn.send_text(PING)

    async def _watchdog(self) -> None:
        # Pongs do not count (see the module docstring): only data keeps the connection.
        while True:
            deadline = self._last_data + self._silence_timeout_s
            if trio.current_time() >= deadline:
                raise FeedSilentError()
            await trio.sleep_until(deadline)

    # -- status and metrics -----------------------------------------------------------------

    def _up(self, conn: WsConnection) -> None:
        self._ups += 1
        self._gauge_status(True)
        LOGGER.info(
            "Polymarket user channel subscribed (%s)",
            f"{len(self._subscribe.markets)} markets"
            if self._subscribe.markets
            else "all markets of the account",
        )

    def _down(self, reason: str, was_up: bool) -> None:
        if was_up:
            self._gauge_status(False)

    def _retry(self, outage: Outage) -> None:
        if outage.was_up:
            self.reconnects += 1
            self._send_metric("reconnects", self.reconnects, MetricType.COUNTER)
        LOGGER.warning(
            "Polymarket user channel: %s; reconnecting in %.2f s",
            outage.reason,
            outage.retry_in_s,
        )

    def _malformed(self, total: int) -> None:
        self._send_metric("malformed", total, MetricType.COUNTER)

    def _gauge_status(self, connected: bool) -> None:
        self._send_metric("connection_status", 1.0 if connected else 0.0, MetricType.GAUGE)

    def _send_metric(self, name: str, value: float, metric_type: MetricType) -> None:
        if self._metric is not None:
            self._metric(f"polymarket.user.{name}", float(value), metric_type, self._labels)
