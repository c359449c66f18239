"""One market-data socket: connect, subscribe, ping, watch for silence, reconnect.

The protocol-specific part (which frames to send, what to do with what arrives) is a
:class:`FrameHandler`; the connection's life (connect, close, back off, reconnect) is a
:class:`~agbotkit.ws.session.WsSession`; what is the feeds' own (pings, the silence
watchdog, status and reconnect counts) is here. Frames are decoded inline, one batch per
socket read, so there is no task or channel hop per message.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from typing import Protocol

import attrs
import trio

from agbotkit.errors import FeedSilentError, WsError
from agbotkit.marketdata.codec import PING
from agbotkit.marketdata.stats import FeedStats
from agbotkit.toolkit.backoff import Backoff
from agbotkit.ws.connection import WsConnection
from agbotkit.ws.frames import Oversize
from agbotkit.ws.session import Outage, WsSession

__all__ = ["FeedSession", "FrameHandler", "SessionSettings"]

LOGGER = logging.getLogger(__name__)


class FrameHandler(Protocol):
    """The protocol-specific half of a session."""

    @property
    def expects_data(self) -> bool:
        """False while nothing is subscribed: silence is then no sign of trouble."""

    def initial_frames(self) -> list[str]:
        """Frames to send on every (re)connect, before anything else."""

    async def on_frames(self, frames: Sequence[str | Oversize], received_ms: int) -> bool:
        """Handle one read's frames; return True when any carried market data."""

    def on_disconnect(self) -> None:
        """The connection is gone: state built from it (books) is stale."""

    async def maintain(self) -> None:
        """Run beside the read loop while connected (the CLOB handler's paced resyncs);
        may return at once when there is nothing to do."""


@attrs.frozen
class SessionSettings:
    """Connection settings of one socket (see the components' options)."""

    url: str
    connect_timeout_s: float = 10.0
    ping_interval_s: float = 10.0
    silence_timeout_s: float = 60.0
    backoff_initial_s: float = 0.25
    backoff_max_s: float = 5.0
    max_frame_bytes: int = 4 * 1024 * 1024


class FeedSession:
    """Keeps one socket connected and subscribed until cancelled.

    Reports ready (``task_status.started()``) after the first connect and subscribe.
    After a lost connection, a failed connect or a silent feed it waits a jittered,
    doubling backoff and connects again, sending the handler's initial frames anew.
    """

    def __init__(
        self,
        settings: SessionSettings,
        handler: FrameHandler,
        stats: FeedStats,
        socket: int = 0,
        *,
        now_ms: Callable[[], int],
        on_status: Callable[[int, bool, str], None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.handler = handler
        self.socket = socket
        self._stats = stats
        self._now_ms = now_ms
        self._on_status = on_status
        self._last_data = 0.0
        # What the watchdog last saw: whether the handler expected data then.
        self._expecting = True
        self._ws = WsSession(
            settings.url,
            self._serve,
            connect_timeout_s=settings.connect_timeout_s,
            retry=Backoff(
                settings.backoff_initial_s, settings.backoff_max_s, rng=rng or random.Random()
            ),
            greet=self._subscribe,
            failures={
                FeedSilentError: f"no data for {settings.silence_timeout_s:g} s (silent feed)"
            },
            on_up=self._on_up,
            on_down=self._on_down,
            on_retry=self._on_retry,
            max_message_bytes=settings.max_frame_bytes,
        )

    @property
    def connected(self) -> bool:
        """Whether the socket is connected and subscribed now."""
        return self._ws.connection is not None

    async def send(self, text: str) -> bool:
        """Send ``text`` on the live connection; False when there is none (the next
        connect sends the handler's initial frames, which include the change)."""
        conn = self._ws.connection
        if conn is None:
            return False
        try:
            await conn.send_text(text)
        except (WsError, OSError, trio.BrokenResourceError, trio.ClosedResourceError):
            return False
        if not self._expecting:
            # The first subscription of an idle socket: silence counts from now, not from
            # the watchdog's last look at the idle socket.
            self._last_data = trio.current_time()
        return True

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Connect, serve, reconnect: forever, until cancelled."""
        await self._ws.run(task_status=task_status)

    async def _subscribe(self, conn: WsConnection) -> None:
        for frame in self.handler.initial_frames():
            await conn.send_text(frame)

    def _on_up(self, conn: WsConnection) -> None:
        self._set_status(True, "")

    def _on_down(self, reason: str, was_up: bool) -> None:
        self.handler.on_disconnect()
        if was_up:
            self._set_status(False, reason)

    def _on_retry(self, outage: Outage) -> None:
        if outage.was_up:
            self._stats.reconnects += 1
        LOGGER.warning(
            "%s socket %d: %s; reconnecting in %.2f s",
            self.settings.url,
            self.socket,
            outage.reason,
            outage.retry_in_s,
        )

    async def _serve(self, conn: WsConnection) -> None:
        self._last_data = trio.current_time()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._ping, conn)
            nursery.start_soon(self.handler.maintain)
            if self.settings.silence_timeout_s > 0:
                nursery.start_soon(self._watchdog)
            on_frames = self.handler.on_frames
            now_ms = self._now_ms
            while True:
                frames = await conn.receive()
                if await on_frames(frames, now_ms()):
                    self._last_data = trio.current_time()

    async def _ping(self, conn: WsConnection) -> None:
        while True:
            await trio.sleep(self.settings.ping_interval_s)
            await conn.send_text(PING)

    async def _watchdog(self) -> None:
        # Pongs do not count: Polymarket's sockets are known to answer pings while all
        # data has stopped. Only market data keeps the connection.
        timeout = self.settings.silence_timeout_s
        while True:
            self._expecting = self.handler.expects_data
            if not self._expecting:
                self._last_data = trio.current_time()
            deadline = self._last_data + timeout
            if trio.current_time() >= deadline:
                raise FeedSilentError()
            await trio.sleep_until(deadline)

    def _set_status(self, connected: bool, reason: str) -> None:
        self._stats.set_connected(self.socket, connected)
        if self._on_status is not None:
            self._on_status(self.socket, connected, reason)
