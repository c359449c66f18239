"""``dashboard``: watch the bot in a browser; also the monitor other processes send metrics to.

It serves the page, its live stream, history, health and Prometheus endpoints, and accepts
metrics on ``WS /metrics`` (see :mod:`agbotkit.dashboard.app`), with quart-trio on hypercorn
inside the stack's own Trio program. It keeps every series of this process's bus
(``METRICS``, a ``drop-oldest`` subscription) and of the metrics it receives in bounded ring
buffers, and follows ``COMPONENT_STATES``, ``RISK_STATE`` and ``MARKETS`` (all retained:
the page names markets by their question and outcomes). Its execution panels follow
``ORDER_UPDATES`` (open orders), ``FILLS`` (the newest ``recent_fills``) and ``POSITIONS``
(PnL per market), each a ``drop-oldest`` subscription so that a slow dashboard never holds
up the execution component (:mod:`agbotkit.dashboard.execution`); the cancel buttons and
``agbotkit orders`` publish on ``CANCEL_REQUESTS`` (:mod:`agbotkit.dashboard.orders_api`).

Off loopback it needs an access token (see :mod:`agbotkit.dashboard.auth`). Every request
passes the Host, Origin and Content-Type rules of :mod:`agbotkit.dashboard.guard` first.

Stopping: every WebSocket is closed with 1001 at once, then hypercorn stops (within
``shutdown_timeout_s``).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import attrs
import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio.run import worker_serve
from hypercorn.utils import wrap_app

from agbotkit.abc import Component, ComponentContext, Problem
from agbotkit.bus.topic import Overflow
from agbotkit.config.checks import (
    FieldValueError,
    at_least,
    between,
    greater_than,
    non_empty,
    report,
)
from agbotkit.dashboard.app import create_app
from agbotkit.dashboard.auth import is_loopback, load_token
from agbotkit.dashboard.broadcast import Broadcaster
from agbotkit.dashboard.execution import ExecutionView
from agbotkit.dashboard.guard import RequestGuard, origin_key
from agbotkit.dashboard.hub import DashboardHub
from agbotkit.db.database import DatabaseConfig
from agbotkit.db.reader import StorageReader
from agbotkit.errors import ComponentStartError, TokenError
from agbotkit.metrics.store import MetricsStore
from agbotkit.toolkit.tasks import aclose_within, consume
from agbotkit.topics import (
    COMPONENT_STATES,
    FILLS,
    MARKETS,
    METRICS,
    ORDER_UPDATES,
    POSITIONS,
    RISK_STATE,
)

__all__ = ["HISTORY_CLOSE_TIMEOUT_S", "Dashboard", "DashboardConfig"]

#: The longest the stop waits for the history database to close.
HISTORY_CLOSE_TIMEOUT_S = 5.0


def _origins(instance: Any, attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
    for origin in value:
        if origin_key(origin) is None:
            message = f"expected origins like https://dash.example.com, got {origin!r}"
            report(instance, FieldValueError(attribute.name, message))


@attrs.frozen(kw_only=True)
class DashboardConfig:
    """Options of ``dashboard``.

    Attributes:
        host: the address to listen on; anything but loopback needs a token.
        port: the TCP port (0: any free port, for tests).
        token_env: the name of the environment variable holding the access token.
        token_file: a file holding the access token (relative to the stack file).
        insecure: allow listening off loopback without a token.
        title: the name shown on the page (default ``agbotkit``).
        push_interval_s: seconds between frames to browsers.
        capacity_per_series: points kept per series (the newest); an hour of a series
            sampled every second by default. Memory is allocated per series up front:
            ``max_series * capacity_per_series * 16`` bytes at most (115 MB by default).
        max_series: the most series kept; samples of further series are dropped, counted.
        max_series_per_sender: the most series one ``WS /metrics`` connection may create,
            so that one sender exploding its labels cannot take every series from the
            others; further samples are dropped and counted per sender.
        metrics_buffer: samples of this process that may wait before the oldest are dropped.
        max_frame_bytes: the largest message accepted on ``WS /metrics`` (larger: 1009).
        max_messages_per_second: messages one ``WS /metrics`` connection may send per
            second (more: closed with 1008).
        max_points_per_frame: the most points of one series in one frame to a browser.
        browser_queue_frames: frames a browser may have waiting before they are coalesced.
        slow_client_timeout_s: a browser that takes no frame for this long while frames
            wait is disconnected; also the kernel's limit on unacknowledged data
            (TCP_USER_TIMEOUT), so a peer that stopped reading cannot hold a connection.
        kill_wait_s: how long the kill-switch API waits for the risk component's answer;
            also how long the cancel API waits for the execution component to take a request.
        recent_fills: how many of the newest fills the page and ``GET /api/fills`` show.
        execution_buffer: order updates, fills and position snapshots that may wait before
            the oldest are dropped.
        shutdown_timeout_s: the most a stop may take to close connections.
        history: the database the ``storage`` component writes (same options: ``url``,
            ``password_env``...): ``/api/series`` reads what is older than the ring buffers
            from it. None: ring buffers only.
        allowed_hosts: ``Host`` header values accepted besides ``localhost`` and loopback
            addresses with the dashboard's port, as ``name`` (any port) or ``name:port``:
            the names a reverse proxy or a browser uses to reach it. On a loopback address
            any other ``Host`` is refused (DNS rebinding); elsewhere ``Host`` is checked
            only when this is set.
        allowed_origins: origins (``https://dash.example.com``) browsers may send
            state-changing requests and WebSockets from, besides the dashboard's own (the
            one its ``Host`` names); needed behind a proxy that rewrites ``Host``.
    """

    host: str = attrs.field(default="127.0.0.1", validator=non_empty())
    port: int = attrs.field(default=8080, validator=between(0, 65535))
    token_env: str | None = None
    token_file: Path | None = None
    insecure: bool = False
    title: str = ""
    push_interval_s: float = attrs.field(default=0.2, validator=between(0.01, 60))
    capacity_per_series: int = attrs.field(default=3600, validator=at_least(1))
    max_series: int = attrs.field(default=2000, validator=at_least(1))
    max_series_per_sender: int = attrs.field(default=1000, validator=at_least(1))
    metrics_buffer: int = attrs.field(default=100_000, validator=at_least(1))
    max_frame_bytes: int = attrs.field(default=1 << 20, validator=at_least(1024))
    max_messages_per_second: float = attrs.field(default=1000.0, validator=greater_than(0))
    max_points_per_frame: int = attrs.field(default=1000, validator=at_least(1))
    browser_queue_frames: int = attrs.field(default=8, validator=at_least(1))
    slow_client_timeout_s: float = attrs.field(default=10.0, validator=greater_than(0))
    kill_wait_s: float = attrs.field(default=2.0, validator=greater_than(0))
    recent_fills: int = attrs.field(default=100, validator=between(1, 10_000))
    execution_buffer: int = attrs.field(default=10_000, validator=at_least(1))
    shutdown_timeout_s: float = attrs.field(default=3.0, validator=greater_than(0))
    history: DatabaseConfig | None = None
    allowed_hosts: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = attrs.field(default=(), validator=_origins)


class Dashboard(Component[DashboardConfig]):
    """Serves the dashboard (see the module).

    Attributes:
        urls: the addresses it listens on (``http://127.0.0.1:8080``) once started.
        hub: the state its handlers share, once started.
    """

    Config = DashboardConfig

    @classmethod
    def preflight(cls, config: DashboardConfig, stack_dir: Path) -> Sequence[Problem]:
        """The access token must be readable, and a dashboard off loopback must have one
        (or say ``insecure: true``); a ``history`` database must be openable in principle."""
        found: list[Problem] = []
        try:
            load_token(
                host=config.host,
                token_env=config.token_env,
                token_file=config.token_file,
                insecure=config.insecure,
            )
        except TokenError as exc:
            field = "token_env" if config.token_env is not None else "token_file"
            no_token = config.token_env is None and config.token_file is None
            found.append(Problem(("host",) if no_token else (field,), str(exc)))
        if config.history is not None:
            found += config.history.problems(stack_dir, ("history",))
        return found

    def __init__(self, config: DashboardConfig, context: ComponentContext) -> None:
        super().__init__(config, context)
        self.urls: list[str] = []
        self.hub: DashboardHub | None = None

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        config = self.config
        token = load_token(
            host=config.host,
            token_env=config.token_env,
            token_file=config.token_file,
            insecure=config.insecure,
        )
        if token is None and not is_loopback(config.host):
            self.context.logger.warning(
                "serving on %s WITHOUT an access token (insecure: true)", config.host
            )
        hub = self.hub = DashboardHub(
            self.context,
            MetricsStore(
                config.capacity_per_series, config.max_series, config.max_series_per_sender
            ),
            Broadcaster(
                max_points_per_series=config.max_points_per_frame,
                queue_frames=config.browser_queue_frames,
                slow_client_timeout_s=config.slow_client_timeout_s,
            ),
            token=token,
            stack=config.title or self.context.stack_name,
            push_interval_s=config.push_interval_s,
            max_frame_bytes=config.max_frame_bytes,
            max_messages_per_second=config.max_messages_per_second,
            kill_wait_s=config.kill_wait_s,
            execution=ExecutionView(recent_fills=config.recent_fills),
        )
        if config.history is not None:
            backend = config.history.open(self.context.stack_dir, f"components.{self.name}.history")
            hub.history = StorageReader(backend)
        try:
            await self._run_hub(hub, token, task_status)
        finally:
            if hub.history is not None:
                # Bounded: a database that hangs must not hold the stop.
                await aclose_within(hub.history, HISTORY_CLOSE_TIMEOUT_S)

    async def _run_hub(
        self, hub: DashboardHub, token: str | None, task_status: trio.TaskStatus[None]
    ) -> None:
        config = self.config
        bus = self.context.bus
        drop = Overflow.DROP_OLDEST
        with (
            bus.subscribe(METRICS, buffer=config.metrics_buffer, overflow=drop) as metrics,
            # Retained: every component's and risk component's latest state comes first.
            bus.subscribe(COMPONENT_STATES, buffer=10_000, overflow=drop) as states,
            bus.subscribe(RISK_STATE, buffer=1_000, overflow=drop) as kill_states,
            bus.subscribe(MARKETS, buffer=10_000, overflow=drop) as markets,
            bus.subscribe(ORDER_UPDATES, buffer=config.execution_buffer, overflow=drop) as orders,
            bus.subscribe(FILLS, buffer=config.execution_buffer, overflow=drop) as fills,
            bus.subscribe(POSITIONS, buffer=config.execution_buffer, overflow=drop) as positions,
        ):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(consume, metrics, hub.add_local)
                nursery.start_soon(consume, states, hub.component_changed)
                nursery.start_soon(consume, kill_states, hub.kill_switch_changed)
                nursery.start_soon(consume, markets, hub.market_known)
                nursery.start_soon(consume, orders, hub.execution.order_changed)
                nursery.start_soon(consume, fills, hub.execution.filled)
                nursery.start_soon(consume, positions, hub.execution.position_changed)
                nursery.start_soon(hub.push_loop)
                shutdown = trio.Event()
                self.urls = await nursery.start(self._serve, hub, shutdown)
                for url in self.urls:
                    self.context.logger.info(
                        "dashboard on %s/%s", url, "?token=<token>" if token else ""
                    )
                task_status.started()
                try:
                    await trio.sleep_forever()
                finally:
                    hub.closing.set()  # every WebSocket handler closes with 1001 now
                    shutdown.set()
                    nursery.cancel_scope.cancel()

    async def _serve(
        self, hub: DashboardHub, shutdown: trio.Event, *, task_status: trio.TaskStatus[list[str]]
    ) -> None:
        config = self.config
        hyper = _CountingConfig()
        host = f"[{config.host}]" if ":" in config.host else config.host
        hyper.bind = [f"{host}:{config.port}"]
        hyper.graceful_timeout = config.shutdown_timeout_s
        # The app checks max_frame_bytes itself (to count and say why); hypercorn's limit
        # is the memory backstop for a message larger still, counted too.
        hyper.oversize = partial(hub.count, "agbotkit.dashboard.oversize_frames")
        hyper.max_message_bytes = 2 * config.max_frame_bytes + 65_536
        hyper.accesslog = None
        hyper.errorlog = self.context.logger
        try:
            sockets = hyper.create_sockets()
        except OSError as exc:
            # OSError names no address ("[Errno 98] Address already in use"): say which.
            reason = exc.strerror or str(exc)
            raise ComponentStartError(
                self.name, f"cannot listen on {host}:{config.port}: {reason}"
            ) from None
        port = sockets.insecure_sockets[0].getsockname()[1]
        hub.guard = RequestGuard.build(
            config.host, port, config.allowed_hosts, config.allowed_origins
        )
        user_timeout_ms = int(config.slow_client_timeout_s * 1000)
        for sock in sockets.insecure_sockets:
            if hasattr(socket, "TCP_USER_TIMEOUT"):  # Linux: accepted sockets inherit it
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, user_timeout_ms)
            sock.listen(hyper.backlog)
        app = wrap_app(create_app(hub), hyper.wsgi_max_body_size, None)
        # Shielded: a stop must not cut the server off mid-way; `shutdown` ends it
        # gracefully (its WebSockets close at once on hub.closing) and the deadline
        # set below bounds it.
        with trio.CancelScope(shield=True) as scope:
            serve: Callable[..., Any] = partial(
                worker_serve, app, hyper, sockets=sockets, shutdown_trigger=shutdown.wait
            )
            async with trio.open_nursery() as nursery:
                task_status.started(await nursery.start(serve))
                await shutdown.wait()
                scope.deadline = trio.current_time() + config.shutdown_timeout_s + 1.0


class _FrameLimit(int):
    """Hypercorn's WebSocket message limit that counts the message it refuses.

    Hypercorn refuses a message larger than ``websocket_max_message_size`` while it arrives
    (``buffered_length > limit``; the limit is read once per connection) and closes with
    1009 before the application sees it. Python asks a subclass's reflected comparison
    first, so ``length > limit`` calls :meth:`__lt__` here: the first refusal on each
    connection is counted. ``tests/dashboard/test_limits.py`` pins this on a real server.
    """

    on_refused: Callable[[], object]
    counted: bool

    def __new__(cls, value: int, on_refused: Callable[[], object]) -> _FrameLimit:
        limit = super().__new__(cls, value)
        limit.on_refused = on_refused
        limit.counted = False
        return limit

    def __lt__(self, other: object) -> bool:
        exceeded = int(self) < other  # type: ignore[operator]  # other: hypercorn's int
        if exceeded and not self.counted:
            self.counted = True
            self.on_refused()
        return exceeded


class _CountingConfig(HypercornConfig):
    """Hypercorn's config giving each WebSocket its own counting :class:`_FrameLimit`."""

    max_message_bytes = 16 * 1024 * 1024
    oversize: Callable[[], object] = staticmethod(lambda: None)

    # Hypercorn declares a plain (writable) int; a property gives each connection its own.
    @property
    def websocket_max_message_size(self) -> int:  # type: ignore[override]
        return _FrameLimit(self.max_message_bytes, self.oversize)
