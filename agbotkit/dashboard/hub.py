"""What the dashboard's handlers share: :class:`DashboardHub`.

The hub holds the metrics store, the fan-out to browsers and the stack's state; both the web
application (:mod:`agbotkit.dashboard.app`) and its API (:mod:`agbotkit.dashboard.api`)
use it, so it lives apart from both.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any, NoReturn

import attrs
import msgspec
import trio

from agbotkit.abc import ComponentContext
from agbotkit.bus.subscription import BusFullError
from agbotkit.dashboard.broadcast import Broadcaster
from agbotkit.dashboard.execution import ExecutionView
from agbotkit.dashboard.guard import Refusal, RequestGuard
from agbotkit.db.reader import StorageReader
from agbotkit.logs import WarningThrottle
from agbotkit.metrics.protocol import decode_metrics
from agbotkit.metrics.store import MetricsStore
from agbotkit.model.components import ComponentState, ComponentStateChanged
from agbotkit.model.markets import MarketInfo
from agbotkit.model.metrics import Labels, Metric, MetricType, labels_key
from agbotkit.model.risk import KillSwitchChanged

__all__ = ["MALFORMED", "REFUSED_REQUESTS", "DashboardHub"]

LOGGER = logging.getLogger(__name__)

#: The counter of malformed metric lines received on ``WS /metrics`` (the issue's name).
MALFORMED = "agbotkit.metrics.malformed"
#: The most markets whose names the page is given (the oldest known are forgotten first).
MAX_MARKETS = 10_000
#: The counter of requests refused by the :class:`RequestGuard` (label ``reason``).
REFUSED_REQUESTS = "agbotkit.dashboard.refused_requests"

_ENCODER = msgspec.json.Encoder()


@attrs.define(eq=False)
class DashboardHub:
    """What the dashboard's handlers share: the store, the fan-out, the stack's state.

    The component feeds it from the bus (:meth:`add_local`, :meth:`component_changed`,
    :meth:`kill_switch_changed`) and runs :meth:`push_loop`; the handlers read it.

    Attributes:
        context: the dashboard component's context (bus, clock, logger).
        store: history and latest value of every series.
        broadcaster: the fan-out to browsers.
        token: the access token requests need, or ``None``.
        stack: the stack's name, for the page.
        push_interval_s: seconds between frames to browsers.
        max_frame_bytes: the largest ``WS /metrics`` message accepted.
        max_messages_per_second: messages one ``WS /metrics`` connection may send per second.
        kill_wait_s: how long the kill-switch API waits for the risk component's answer.
        components: the latest lifecycle event of each component (from the supervisor).
        kill_switches: the latest kill switch state of each risk component.
        counters: the dashboard's own counters without labels (published on the bus).
        labelled_counters: the dashboard's own counters with labels, by name and labels.
        guard: the Host, Origin and Content-Type rules every request passes first.
        closing: set when the dashboard stops; every WebSocket then closes with 1001.
        history: the storage database, for history older than the ring buffers (or None).
        markets: what the page shows of each market on ``MARKETS`` (question, outcome
            names, token ids), by condition id; at most :data:`MAX_MARKETS`.
        execution: open orders, recent fills and PnL (``ORDER_UPDATES``, ``FILLS``,
            ``POSITIONS``); what changed goes to browsers with the next frame.
    """

    context: ComponentContext
    store: MetricsStore
    broadcaster: Broadcaster
    token: str | None = None
    stack: str = ""
    push_interval_s: float = 0.2
    max_frame_bytes: int = 1 << 20
    max_messages_per_second: float = 1000.0
    kill_wait_s: float = 2.0
    components: dict[str, ComponentStateChanged] = attrs.field(factory=dict)
    kill_switches: dict[str, KillSwitchChanged] = attrs.field(factory=dict)
    counters: dict[str, float] = attrs.field(factory=dict)
    labelled_counters: dict[tuple[str, Labels], float] = attrs.field(factory=dict)
    guard: RequestGuard = attrs.field(factory=lambda: RequestGuard(loopback=False, port=0))
    closing: trio.Event = attrs.field(factory=trio.Event)
    history: StorageReader | None = None
    markets: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    execution: ExecutionView = attrs.field(factory=ExecutionView)
    _published: dict[tuple[str, Labels], float] = attrs.field(factory=dict)
    _warnings: WarningThrottle = attrs.field(
        default=attrs.Factory(
            lambda hub: WarningThrottle(hub.context.logger, 10.0, clock=trio.current_time),
            takes_self=True,
        )
    )

    # -- samples ------------------------------------------------------------------------

    def add_local(self, metric: Metric) -> None:
        """A sample of this process (from the bus): into the store and to browsers."""
        if self.store.add(metric):
            self.broadcaster.add(metric)

    def ingest_text(self, text: str, sender: str | None = None) -> int:
        """One ``WS /metrics`` message: store and broadcast its metrics, count bad lines.

        Ingested metrics are not published on this process's bus: an emitter in this
        process would send them back here, in a loop.

        Args:
            text: the message.
            sender: the connection it came on, for the store's per-sender series cap.

        Returns:
            How many metrics were stored.
        """
        metrics, errors = decode_metrics(text)
        if errors:
            self.malformed(errors)
        store_add = self.store.add
        stored = [metric for metric in metrics if store_add(metric, sender)]
        self.broadcaster.add_many(stored)
        self.count("agbotkit.dashboard.ingested", len(stored))
        return len(stored)

    def malformed(self, reasons: list[str]) -> None:
        """Count and log (at most every 10 s) malformed lines; they are dropped."""
        self.count(MALFORMED, len(reasons))
        self._warnings.warn(
            "malformed",
            "dropped %d malformed metric line(s) from WS /metrics: %s",
            len(reasons),
            "; ".join(reasons[:3]),
        )

    def count(self, name: str, amount: float = 1.0, labels: dict[str, str] | None = None) -> None:
        """Add ``amount`` to one of the dashboard's counters (``labels``: a labelled one)."""
        if labels:
            key = (name, labels_key(labels))
            self.labelled_counters[key] = self.labelled_counters.get(key, 0.0) + amount
        else:
            self.counters[name] = self.counters.get(name, 0.0) + amount

    def refused(self, refusal: Refusal, path: str) -> None:
        """Count and log (at most every 10 s per reason) a request the guard refused."""
        self.count(REFUSED_REQUESTS, labels={"reason": refusal.reason})
        self._warnings.warn(
            f"refused-{refusal.reason}",
            "refused a request to %s (403): %s",
            path[:200],
            refusal.message,
        )

    def publish_counters(self) -> None:
        """Publish the counters that changed as counter metrics on the bus."""
        store = self.store
        counters = self.counters
        counters["agbotkit.dashboard.evicted_browsers"] = float(self.broadcaster.evictions)
        # Every sample the store refused: beyond a cap (total or per sender), or out of order.
        counters["agbotkit.dashboard.refused_series"] = float(store.refused_series)
        counters["agbotkit.dashboard.rejected_points"] = float(store.rejected_points)
        for sender, refused in store.refused_by_sender.items():
            key = ("agbotkit.dashboard.sender_refused_series", labels_key({"sender": sender}))
            self.labelled_counters[key] = float(refused)
        for name, total in counters.items():
            self._publish_if_changed(name, (), total)
        for (name, labels), total in self.labelled_counters.items():
            self._publish_if_changed(name, labels, total)
        self._publish("agbotkit.dashboard.browsers", float(self.broadcaster.browsers))

    def _publish_if_changed(self, name: str, labels: Labels, total: float) -> None:
        if self._published.get((name, labels)) != total:
            self._published[name, labels] = total
            self._publish(name, total, MetricType.COUNTER, dict(labels))

    def _publish(
        self,
        name: str,
        value: float,
        kind: MetricType = MetricType.GAUGE,
        labels: dict[str, str] | None = None,
    ) -> None:
        # A `block` subscriber of METRICS that is full misses this sample (BusFullError).
        with contextlib.suppress(BusFullError):
            self.context.metric(
                name, value, kind, {**(labels or {}), "component": self.context.name}
            )

    async def push_loop(self) -> NoReturn:
        """Push a batch to browsers every ``push_interval_s`` (an empty one every 2 s)."""
        interval = self.push_interval_s
        deadline = trio.current_time()
        last_sent = last_published = deadline
        while True:
            deadline = max(deadline + interval, trio.current_time())
            await trio.sleep_until(deadline)
            force = deadline - last_sent >= 2.0  # a keep-alive carrying the server's clock
            for key, value in self.execution.take_changes().items():
                self.broadcaster.set_state(key, value)
            if self.broadcaster.push(self.context.now_ms(), force=force) is not None:
                last_sent = deadline
            if deadline - last_published >= 1.0:
                last_published = deadline
                self.publish_counters()

    # -- stack state --------------------------------------------------------------------

    def component_changed(self, event: ComponentStateChanged) -> None:
        """Record a component's lifecycle event (``/readyz``, the page's ``hello``)."""
        self.components[event.component] = event

    def market_known(self, info: MarketInfo) -> None:
        """Remember a market's question and outcome names for the page."""
        self.markets.pop(info.condition_id, None)  # re-inserted: now the newest
        self.markets[info.condition_id] = {
            "question": info.question,
            "slug": info.slug,
            "outcomes": list(info.outcomes),
            "token_ids": list(info.token_ids),
        }
        while len(self.markets) > MAX_MARKETS:
            del self.markets[next(iter(self.markets))]

    def kill_switch_changed(self, event: KillSwitchChanged) -> None:
        """Record a risk component's kill switch state and send it to browsers."""
        self.kill_switches[event.component] = event
        self.broadcaster.set_kill_switch(self.kill_switch())

    def kill_switch(self) -> dict[str, Any] | None:
        """The kill switch for the page: the active (else latest) state of every risk
        component, with each one's under ``components``; ``None`` without a risk component."""
        if not self.kill_switches:
            return None
        states = list(self.kill_switches.values())
        active = [state for state in states if state.active]
        shown = max(active or states, key=lambda state: state.timestamp_ms)
        return {
            **_kill_json(shown),
            "components": {state.component: _kill_json(state) for state in states},
        }

    def readiness(self) -> tuple[bool, dict[str, str]]:
        """Whether every known component is ready, and the state of those that are not."""
        waiting = {
            name: event.state.value
            for name, event in self.components.items()
            if event.state is not ComponentState.READY
        }
        return not waiting, waiting

    def leader_leases(self) -> dict[str, str]:
        """Each leader lease of this process (gauge ``exec.leader``): ``leader`` or
        ``standby``. A standby is ready (it is doing its job: waiting), and says so here."""
        return {
            dict(sample.labels).get("lease", ""): "leader" if sample.value else "standby"
            for sample in self.store.latest()
            if sample.name == "exec.leader"
        }

    def hello_frame(self) -> str:
        """The first frame a browser gets."""
        frame = {
            "type": "hello",
            "stack": self.stack,
            "server_ms": self.context.now_ms(),
            "components": {name: e.state.value for name, e in self.components.items()},
            "kill_switch": self.kill_switch(),
            "markets": self.markets,
            **self.execution.snapshot(),
        }
        return _ENCODER.encode(frame).decode()


def _kill_json(state: KillSwitchChanged) -> dict[str, Any]:
    return {
        "active": state.active,
        "reason": state.reason,
        "since_ms": state.since_ms,
        "source": state.source,
        "component": state.component,
        "timestamp_ms": state.timestamp_ms,
    }
