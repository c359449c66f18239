"""``metrics_emitter``: sends this process's metrics to a remote monitor over a WebSocket.

The bot must keep running while the monitor is down, so the emitter is ready as soon as it
has subscribed to the bus, and what it cannot send waits in a bounded buffer:

* Samples go out in frames of up to ``batch_size`` metrics (newline-delimited, see
  :mod:`agbotkit.metrics.protocol`), a frame as soon as a batch is full, and what is pending
  at least every ``flush_interval_s``.
* While the monitor is down, up to ``buffer_size`` samples wait; when full the oldest gives
  way, counted in ``agbotkit.metrics.emitter.dropped`` and logged at a throttled warning.
  While connected, a burst the socket cannot take at once waits in the bus subscription
  (``bus_buffer``, drop-oldest, also counted as dropped) rather than in the buffer.
* After a failed connect or a lost connection it tries again every ``reconnect_interval_s``
  and, once connected, sends what waited first, oldest first, then newer samples.
* A batch whose send failed goes back to the front of the buffer: a frame cut short never
  reaches the monitor, so resending it does not duplicate anything.
* On stop, what is buffered is flushed within ``drain_timeout_s`` (over the open
  connection, or one new connect attempt), best effort.

Own metrics (label ``component``), published every ``metrics_interval_s`` and on connection
changes: ``agbotkit.metrics.emitter.sent`` / ``.dropped`` / ``.nonfinite`` (counters; NaN and
infinite values cannot travel as JSON and are skipped), ``.buffered`` and ``.connected``
(gauges).
"""

from __future__ import annotations

import collections
import math
from pathlib import Path
from urllib.parse import urlsplit

import attrs
import trio

from agbotkit.abc import Component, ComponentContext
from agbotkit.bus.subscription import Subscription
from agbotkit.bus.topic import Overflow
from agbotkit.config.checks import FieldValueError, greater_than
from agbotkit.config.secrets import read_secret
from agbotkit.errors import WsError
from agbotkit.logs import WarningThrottle
from agbotkit.metrics.protocol import encode_metrics
from agbotkit.model.metrics import Metric, MetricType
from agbotkit.toolkit.tasks import run_every, take_waiting
from agbotkit.topics import METRICS
from agbotkit.ws.connection import WsConnection
from agbotkit.ws.session import Outage, WsSession

__all__ = ["MetricsEmitter", "MetricsEmitterConfig"]

OWN_PREFIX = "agbotkit.metrics.emitter."
#: Seconds between two "dropping metrics" / "monitor unreachable" warnings.
WARN_INTERVAL_S = 30.0
_STREAM_ERRORS = (WsError, OSError, trio.BrokenResourceError, trio.TooSlowError)


def _ws_url(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    try:
        parts = urlsplit(value)
        ok = parts.scheme in ("ws", "wss") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        ok = False
    if not ok:
        raise FieldValueError(attribute.name, f"expected a ws:// or wss:// URL, got {value!r}")


@attrs.frozen
class MetricsEmitterConfig:
    """Options of ``metrics_emitter``.

    Attributes:
        url: the monitor's metrics socket, e.g. ``ws://monitor:8080/metrics``.
        token_env: name of an environment variable holding the access token, sent as
            ``Authorization: Bearer <token>`` (the token itself never goes in the YAML).
        token_file: a file holding the access token (relative to the stack file).
        buffer_size: samples kept while the monitor is unreachable; the oldest go first.
        batch_size: the most metrics per frame.
        flush_interval_s: the longest a sample waits for its frame to fill.
        reconnect_interval_s: pause after a failed connect or a lost connection.
        connect_timeout_s: bound on one connect (TCP and WebSocket handshake).
        send_timeout_s: bound on sending one frame; a monitor that stops reading is
            treated as down.
        drain_timeout_s: how long the stop may spend flushing the buffer.
        bus_buffer: samples the bus subscription holds while a send is in flight.
        prefixes: only send metrics whose name starts with one of these (all when empty).
        include_own_metrics: also send the emitter's own ``agbotkit.metrics.emitter.*``.
        metrics_interval_s: how often the own metrics are published.
    """

    url: str = attrs.field(validator=_ws_url)
    token_env: str | None = None
    token_file: Path | None = None
    buffer_size: int = attrs.field(default=1000, validator=greater_than(0))
    batch_size: int = attrs.field(default=500, validator=greater_than(0))
    flush_interval_s: float = attrs.field(default=0.1, validator=greater_than(0))
    reconnect_interval_s: float = attrs.field(default=1.0, validator=greater_than(0))
    connect_timeout_s: float = attrs.field(default=5.0, validator=greater_than(0))
    send_timeout_s: float = attrs.field(default=10.0, validator=greater_than(0))
    drain_timeout_s: float = attrs.field(default=2.0, validator=greater_than(0))
    bus_buffer: int = attrs.field(default=100_000, validator=greater_than(0))
    prefixes: tuple[str, ...] = ()
    include_own_metrics: bool = True
    metrics_interval_s: float = attrs.field(default=1.0, validator=greater_than(0))

    def __attrs_post_init__(self) -> None:
        if self.token_env is not None and self.token_file is not None:
            raise FieldValueError("token_file", "give token_env or token_file, not both")


class MetricsEmitter(Component[MetricsEmitterConfig]):
    """Forwards the bus's metrics to a remote monitor; see the module docstring."""

    Config = MetricsEmitterConfig

    def __init__(self, config: MetricsEmitterConfig, context: ComponentContext) -> None:
        super().__init__(config, context)
        self._pending: collections.deque[Metric] = collections.deque()
        self._conn: WsConnection | None = None
        self._wake = trio.Event()  # the pump: a batch is full, or the buffer became non-empty
        self._room = trio.Event()  # the collector: the pump made room
        self._subscription: Subscription[Metric] | None = None
        self.sent = 0
        self.nonfinite = 0
        self._overflowed = 0
        self._drop_warnings = self._throttle()
        self._connect_warnings = self._throttle()

    @property
    def dropped(self) -> int:
        """Samples lost: pushed out of the full buffer, or of the bus subscription."""
        bus_drops = self._subscription.dropped if self._subscription is not None else 0
        return self._overflowed + bus_drops

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        config = self.config
        link = WsSession(
            config.url,
            self._serve,
            connect_timeout_s=config.connect_timeout_s,
            retry=config.reconnect_interval_s,
            failures={trio.TooSlowError: f"a send took longer than {config.send_timeout_s:g} s"},
            on_up=self._on_up,
            on_down=lambda reason, was_up: self._set_connection(None),
            on_retry=self._on_retry,
            headers=self._headers(),
            keep_open_on_stop=True,  # the stop flushes over it
        )
        with self.context.bus.subscribe(
            METRICS, buffer=config.bus_buffer, overflow=Overflow.DROP_OLDEST
        ) as samples:
            self._subscription = samples
            task_status.started()
            try:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(link.run)
                    nursery.start_soon(self._publish_own_metrics)
                    await self._collect(samples)  # returns when the bus closes
                    nursery.cancel_scope.cancel()
            finally:
                with self.context.draining(config.drain_timeout_s):
                    await self._final_flush(samples, link)

    def _throttle(self) -> WarningThrottle:
        return WarningThrottle(self.context.logger, WARN_INTERVAL_S, clock=trio.current_time)

    def _headers(self) -> list[tuple[str, str]]:
        """The handshake's headers: the bearer token, read from the environment or a file."""
        token = read_secret(
            env_var=self.config.token_env,
            file=self.config.token_file,
            field_path=f"components.{self.name}",
        )
        return [] if token is None else [("Authorization", f"Bearer {token}")]

    # -- collecting: bus -> buffer ------------------------------------------------------

    async def _collect(self, samples: Subscription[Metric]) -> None:
        """Move samples from the bus into the buffer until the bus closes."""
        while True:
            while self._conn is not None and len(self._pending) >= self.config.buffer_size:
                # Connected but the socket is behind: let the burst wait in the subscription.
                self._room = trio.Event()
                await self._room.wait()
            try:
                self._offer(await samples.receive())
                # Take what else is already there without a checkpoint per sample.
                while self._conn is None or len(self._pending) < self.config.buffer_size:
                    self._offer(samples.receive_nowait())
            except trio.WouldBlock:
                pass
            except (trio.EndOfChannel, trio.ClosedResourceError):
                return

    def _offer(self, sample: Metric) -> None:
        config = self.config
        name = sample.name
        if config.prefixes and not name.startswith(config.prefixes):
            return
        if not config.include_own_metrics and name.startswith(OWN_PREFIX):
            return
        value = sample.value
        if value - value != 0.0:  # NaN or infinite: JSON cannot carry it
            self.nonfinite += 1
            return
        pending = self._pending
        pending.append(sample)
        if len(pending) > config.buffer_size:
            pending.popleft()
            self._count_drops(1)
        if len(pending) == 1 or len(pending) >= config.batch_size:
            self._wake.set()

    def _count_drops(self, count: int) -> None:
        self._overflowed += count
        self._drop_warnings.warn(
            "drops",
            "monitor %s unreachable or slow and the buffer of %d metrics is full: "
            "dropping the oldest (%d in all)",
            self.config.url,
            self.config.buffer_size,
            self.dropped,
        )

    # -- sending: buffer -> monitor -----------------------------------------------------

    def _on_up(self, conn: WsConnection) -> None:
        self._set_connection(conn)
        self._connect_warnings = self._throttle()  # the next outage warns at once
        self.context.logger.info(
            "connected to monitor %s; sending %d buffered metrics first",
            self.config.url,
            len(self._pending),
        )

    def _on_retry(self, outage: Outage) -> None:
        if not outage.was_up:
            self._warn_unreachable(outage.reason)
            return
        self.context.logger.warning(
            "monitor %s: %s; %d metrics buffered, reconnecting in %g s",
            self.config.url,
            outage.reason,
            len(self._pending),
            outage.retry_in_s,
        )

    def _warn_unreachable(self, reason: str) -> None:
        self._connect_warnings.warn(
            "connect", "monitor %s: %s; buffering metrics", self.config.url, reason
        )

    async def _serve(self, conn: WsConnection) -> None:
        """Send over ``conn`` until it fails (the session closes it, or a stop keeps it for
        the last flush)."""
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._read, conn)
            await self._pump(conn)

    def _set_connection(self, conn: WsConnection | None) -> None:
        self._conn = conn
        self._room.set()  # the collector's rule depends on whether we are connected
        self._publish_connected()

    async def _read(self, conn: WsConnection) -> None:
        """Read what the monitor says (answers its pings, notices its close)."""
        while True:
            for message in await conn.receive():
                self.context.logger.debug("monitor %s says: %.200r", self.config.url, message)

    async def _pump(self, conn: WsConnection) -> None:
        pending = self._pending
        batch_size = self.config.batch_size
        flush_interval = self.config.flush_interval_s
        # What waited while the monitor was down goes first, at once.
        flush_at: float | None = trio.current_time() if pending else None
        while True:
            while len(pending) >= batch_size:
                await self._send_batch(conn, batch_size)
            if not pending:
                flush_at = None
            else:
                now = trio.current_time()
                if flush_at is None:
                    flush_at = now + flush_interval
                if now >= flush_at:
                    await self._send_batch(conn, len(pending))
                    flush_at = None
                    continue
            self._wake = trio.Event()
            with trio.move_on_at(math.inf if flush_at is None else flush_at):
                await self._wake.wait()

    async def _send_batch(self, conn: WsConnection, size: int) -> None:
        pending = self._pending
        batch = [pending.popleft() for _ in range(min(size, len(pending)))]
        try:
            with trio.fail_after(self.config.send_timeout_s):
                await conn.send_text(encode_metrics(batch))
        except BaseException:
            self._requeue(batch)
            raise
        self.sent += len(batch)
        self._room.set()

    def _requeue(self, batch: list[Metric]) -> None:
        """Put an unsent batch back at the front, dropping its oldest if there is no room."""
        room = max(self.config.buffer_size - len(self._pending), 0)
        if len(batch) > room:
            self._count_drops(len(batch) - room)
            batch = batch[len(batch) - room :]
        self._pending.extendleft(reversed(batch))

    async def _final_flush(self, samples: Subscription[Metric], link: WsSession) -> None:
        """At stop (shielded, bounded): send what is buffered, best effort."""
        for sample in take_waiting(samples):
            self._offer(sample)
        conn = link.detach()
        self._conn = None
        try:
            # The open connection first (its last send may have been cut short by the
            # stop: then it refuses more), then one new connection.
            for _ in range(2):
                if not self._pending:
                    break
                if conn is None or conn.closed:
                    connected = await link.connect()
                    if isinstance(connected, str):
                        self._warn_unreachable(connected)
                        break
                    conn = connected
                try:
                    while self._pending:
                        await self._send_batch(conn, self.config.batch_size)
                except _STREAM_ERRORS as exc:
                    self.context.logger.debug("flush to %s failed: %s", self.config.url, exc)
                    await conn.aclose()
                    conn = None
        finally:
            if self._pending:
                self.context.logger.warning(
                    "stopping with %d metrics not sent to monitor %s",
                    len(self._pending),
                    self.config.url,
                )
            if conn is not None:
                await conn.aclose()

    # -- own metrics -------------------------------------------------------------------

    async def _publish_own_metrics(self) -> None:
        self._publish_counts()
        await run_every(self.config.metrics_interval_s, self._publish_counts)

    def _publish_counts(self) -> None:
        metric, labels = self.context.metric, {"component": self.name}
        metric(OWN_PREFIX + "sent", float(self.sent), MetricType.COUNTER, labels)
        metric(OWN_PREFIX + "dropped", float(self.dropped), MetricType.COUNTER, labels)
        metric(OWN_PREFIX + "nonfinite", float(self.nonfinite), MetricType.COUNTER, labels)
        metric(OWN_PREFIX + "buffered", float(len(self._pending)), MetricType.GAUGE, labels)
        self._publish_connected()

    def _publish_connected(self) -> None:
        labels = {"component": self.name}
        self.context.metric(OWN_PREFIX + "connected", float(self._conn is not None), labels=labels)
