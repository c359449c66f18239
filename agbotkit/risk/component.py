"""``risk``: every order intent passes the risk engine here before anything else sees it.

The component takes :class:`~agbotkit.model.orders.OrderIntent` from ``ORDER_INTENTS``
(a ``block`` subscription: never dropped) and answers each, in order, on
``ORDER_DECISIONS`` with :class:`~agbotkit.model.risk.OrderApproved` or
:class:`~agbotkit.model.risk.OrderDenied` (published with ``await``: lossless). It judges
against its own books:

* positions from ``FILLS`` (a :class:`~agbotkit.risk.PolymarketSimulator` it owns),
  marked at the mids of ``BOOKS`` and settled by ``MarketResolved`` on ``MARKET_DATA``;
* markets' end dates and outcome names from ``MARKETS``;
* the kill switch, fed the session's PnL (every ``pnl_interval_s`` at most) and the
  venue's answers from ``ORDER_OUTCOMES``, triggered and reset by ``RISK_COMMANDS`` or
  by ``agbotkit risk kill|reset`` (through the state file, polled every
  ``watch_interval_s``). Its state is saved to the state file on every change, loaded at
  start, and published retained on ``RISK_STATE``.

The policy file is reloaded on SIGHUP and, with ``reload: true``, when it changes on
disk; a file that fails validation is refused (logged at ERROR with file and line) and
the policies in force stay.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import attrs
import trio

from agbotkit.abc import Component
from agbotkit.bus import BusFullError, Overflow, Subscription
from agbotkit.config.checks import at_least, greater_than
from agbotkit.errors import ConfigError
from agbotkit.model.feeds import BookTop
from agbotkit.model.marketdata import MarketInfo, MarketResolved
from agbotkit.model.metrics import MetricType
from agbotkit.model.orders import (
    Fill,
    OrderAccepted,
    OrderIntent,
    OrderOutcome,
    Position,
    PositionSnapshot,
)
from agbotkit.model.risk import (
    KillSwitchChanged,
    KillSwitchCommand,
    OrderApproved,
    OrderDecision,
    OrderDenied,
    RiskContext,
)
from agbotkit.risk.engine import RiskEngine
from agbotkit.risk.loading import engine_from_file, reload_policy_file
from agbotkit.risk.restore import load_positions
from agbotkit.risk.simulator import (
    InsufficientPositionError,
    PolymarketSimulator,
    SettledTokenError,
)
from agbotkit.risk.watch import FileChanges, KillStateFile, hangup_signals
from agbotkit.storage.database import DatabaseConfig
from agbotkit.topics import (
    BOOKS,
    FILLS,
    MARKET_DATA,
    MARKETS,
    ORDER_DECISIONS,
    ORDER_INTENTS,
    ORDER_OUTCOMES,
    POSITIONS,
    RISK_COMMANDS,
    RISK_STATE,
)

__all__ = [
    "METRIC_DECISION",
    "METRIC_INVENTORY",
    "METRIC_KILL_SWITCH",
    "METRIC_POLICY_RELOADS",
    "METRIC_POSITION",
    "RiskComponent",
    "RiskConfig",
]

T = TypeVar("T")

#: 1 allowed, 0 denied; labels ``policy`` (the denying one, ``all`` when allowed), ``market_id``.
METRIC_DECISION = "polymarket.risk.decision"
#: 1 while the kill switch denies orders, else 0.
METRIC_KILL_SWITCH = "polymarket.risk.kill_switch"
#: Shares held; labels ``market_id``, ``side`` (the token's outcome, else its id).
METRIC_POSITION = "polymarket.position.size"
#: What everything held is worth at the marks, USD.
METRIC_INVENTORY = "polymarket.inventory.value_usd"
#: Policy reloads (counter); label ``outcome``: ``ok`` or ``refused``.
METRIC_POLICY_RELOADS = "polymarket.risk.policy_reloads"


@attrs.frozen(kw_only=True)
class RiskConfig:
    """Options of ``risk``.

    Attributes:
        policy_file: the policy file (YAML or JSON; relative to the stack file).
        state_file: the kill switch's state file; default ``<name>-state.json`` next to
            the stack file (``agbotkit risk kill|reset`` writes the same file).
        reload: reload the policy file when it changes on disk.
        reload_on_sighup: reload the policy file on SIGHUP (main thread, POSIX only).
        watch_interval_s: how often the policy and state files are looked at.
        pnl_interval_s: the kill switch's loss rules get the PnL at most this often.
        metrics_interval_s: how often positions, inventory and the kill switch are
            published even when unchanged.
        fee_rate: the taker fee rate for fills that carry no fee (0.02 is 2 %).
        fee_exponent: the exponent of Polymarket's fee curve.
        intent_buffer: order intents that may wait before publishers block.
        book_buffer: book and market-data updates that may wait before the oldest are
            dropped (only the latest book of a token matters).
        positions_from: the database a ``storage`` component writes (its options: ``url``,
            ``password_env``...): at start, the newest position snapshot of each token this
            component held is read back from it, so a restart does not start flat. A
            database without a schema yet has nothing to restore; one that cannot be read
            fails the start. None: start flat.
    """

    policy_file: Path
    state_file: Path | None = None
    reload: bool = True
    reload_on_sighup: bool = True
    watch_interval_s: float = attrs.field(default=1.0, validator=greater_than(0))
    pnl_interval_s: float = attrs.field(default=0.25, validator=greater_than(0))
    metrics_interval_s: float = attrs.field(default=1.0, validator=greater_than(0))
    fee_rate: Decimal = attrs.field(default=Decimal(0), validator=at_least(0))
    fee_exponent: int = attrs.field(default=1, validator=at_least(1))
    intent_buffer: int = attrs.field(default=1024, validator=at_least(1))
    book_buffer: int = attrs.field(default=10_000, validator=at_least(1))
    positions_from: DatabaseConfig | None = None

    def state_path(self, name: str, stack_dir: Path) -> Path:
        """The state file of the component called ``name`` in a stack in ``stack_dir``."""
        return self.state_file if self.state_file is not None else stack_dir / f"{name}-state.json"


class _Desk:
    """The risk component's books and decisions: synchronous, driven by the bus loops."""

    def __init__(
        self,
        component: RiskComponent,
        engine: RiskEngine,
        kill_file: KillStateFile,
        policy_changes: FileChanges,
    ) -> None:
        config = component.config
        self.config = config
        self.name = component.name
        self.context = component.context
        self.log = component.context.logger
        self.engine = engine
        self.kill_file = kill_file
        self.policy_changes = policy_changes
        self.simulator = PolymarketSimulator(
            fee_rate=config.fee_rate, fee_exponent=config.fee_exponent
        )
        self.mids: dict[str, Decimal] = {}  # token -> mid of its latest valid book
        self.end_ms: dict[str, int] = {}  # market -> end date
        self.token_market: dict[str, str] = {}  # token -> market, from MARKETS
        self.outcomes: dict[str, str] = {}  # token -> outcome name, from MARKETS
        self.traded: set[str] = set()  # tokens with fills this session
        self.pnl_dirty = False
        self.reloads = {"ok": 0, "refused": 0}
        self._inventory: float | None = None
        self._published: tuple[bool, str, int | None] | None = None

    def metric(
        self,
        name: str,
        value: float,
        labels: dict[str, str] | None = None,
        *,
        counter: bool = False,
    ) -> None:
        kind = MetricType.COUNTER if counter else MetricType.GAUGE
        self.context.metric(name, value, kind, labels)

    # -- orders ---------------------------------------------------------------------------

    def judge(self, intent: OrderIntent) -> OrderDecision:
        """The decision event for ``intent`` (and its metric samples)."""
        now = self.context.now_ms()
        mid = self.mids.get(intent.token_id)
        context = RiskContext.from_intent(
            intent,
            current_position=float(self.simulator.position(intent.token_id).size),
            inventory_value_usd=self.inventory_value(),
            mid=None if mid is None else float(mid),
            now_ms=now,
            market_end_ms=self.end_ms.get(intent.market_id),
        )
        decision = self.engine.evaluate(context)
        market = intent.market_id
        if decision.allowed:
            self.metric(METRIC_DECISION, 1.0, {"policy": "all", "market_id": market})
            return OrderApproved(intent, timestamp_ms=now, component=self.name)
        for violation in decision.violated_policies:
            self.metric(METRIC_DECISION, 0.0, {"policy": violation.policy, "market_id": market})
        self.log.info(
            "denied %s %s %s %s @ %s: %s",
            intent.client_order_id or "order",
            intent.side,
            intent.size,
            intent.token_id[:10],
            intent.price,
            "; ".join(decision.reasons),
        )
        return OrderDenied.from_decision(intent, decision, timestamp_ms=now, component=self.name)

    def record_outcome(self, outcome: OrderOutcome) -> None:
        if self.engine.record_order_outcome(isinstance(outcome, OrderAccepted)):
            self.sync("auto")

    # -- positions ------------------------------------------------------------------------

    def restore(self, position: Position) -> None:
        """Books from a stored snapshot (at start, before any fill)."""
        self.simulator.restore(position)
        if position.market_id:
            self.token_market.setdefault(position.token_id, position.market_id)
        self.traded.add(position.token_id)
        self._changed()

    def inventory_value(self) -> float:
        if self._inventory is None:
            self._inventory = float(self.simulator.inventory_value_usd)
        return self._inventory

    def _changed(self) -> None:
        self._inventory = None
        self.pnl_dirty = True

    def apply_fill(self, fill: Fill) -> None:
        token = fill.token_id
        if not fill.market_id and token in self.token_market:
            fill = attrs.evolve(fill, market_id=self.token_market[token])
        try:
            self.simulator.apply_fill(fill)
        except (InsufficientPositionError, SettledTokenError) as exc:
            # Fills are facts: one the books cannot take means they are wrong. Say so
            # loudly, but keep judging orders on the books as they are.
            self.log.error("fill not booked, the positions may be wrong: %s (%r)", exc, fill)
            return
        if token not in self.traded:
            self.traded.add(token)
            mid = self.mids.get(token)
            if mid is not None:
                self.simulator.update_mid(token, mid)
        self._changed()
        self.publish_position(token)
        self.metric(METRIC_INVENTORY, self.inventory_value())

    def mark(self, top: BookTop) -> None:
        mid = top.mid if top.valid else None
        if mid is None:  # no trading on an invalid or one-sided book: no mid for policies
            self.mids.pop(top.asset_id, None)
            return
        self.mids[top.asset_id] = mid
        if top.asset_id in self.traded:  # only held tokens are marked: fewer books to sum
            self.simulator.update_mid(top.asset_id, mid)
            self._changed()

    def settle(self, event: MarketResolved) -> None:
        if not any(token in self.traded for token in event.asset_ids):
            return
        positions = self.simulator.resolve(event.market, event.winning_asset_id)
        self.log.info("market %s resolved: %s won", event.market, event.winning_outcome)
        self._changed()
        for position in positions:
            if position.token_id in self.traded:
                self.publish_position(position.token_id)
        self.metric(METRIC_INVENTORY, self.inventory_value())

    def market_data(self, event: object) -> None:
        if isinstance(event, MarketResolved):
            self.settle(event)

    def learn_market(self, market: MarketInfo) -> None:
        if market.end_date_ms is not None:
            self.end_ms[market.condition_id] = market.end_date_ms
        for outcome, token in zip(market.outcomes, market.token_ids, strict=False):
            self.outcomes[token] = outcome
            self.token_market[token] = market.condition_id

    def publish_position(self, token: str) -> None:
        position = self.simulator.position(token)
        labels = {
            "market_id": position.market_id or self.token_market.get(token, ""),
            "side": self.outcomes.get(token, token),
        }
        self.metric(METRIC_POSITION, float(position.size), labels)
        bus = self.context.bus
        if not bus.closed and bus.subscriber_count(POSITIONS):
            if not position.market_id and labels["market_id"]:
                position = attrs.evolve(position, market_id=labels["market_id"])
            snapshot = PositionSnapshot(
                position=position, timestamp_ms=self.context.now_ms(), component=self.name
            )
            with contextlib.suppress(BusFullError):  # a snapshot is state, the next one follows
                bus.publish_nowait(POSITIONS, snapshot)

    def tick(self) -> None:
        """Every ``metrics_interval_s``: retry a failed save, publish the gauges."""
        self.persist()
        self.publish_all()

    def publish_all(self) -> None:
        """The periodic samples: kill switch, every position traded, inventory."""
        self.metric(METRIC_KILL_SWITCH, 1.0 if self.engine.kill_switch_active else 0.0)
        for token in self.traded:
            self.publish_position(token)
        self.metric(METRIC_INVENTORY, self.inventory_value())

    def record_pnl(self) -> None:
        if self.pnl_dirty:
            self.pnl_dirty = False
            if self.engine.record_pnl(float(self.simulator.total_pnl_usd)):
                self.sync("auto")

    # -- kill switch ----------------------------------------------------------------------

    def command(self, command: KillSwitchCommand) -> None:
        if command.component is not None and command.component != self.name:
            return
        source = command.source or "api"
        if command.action == "trigger":
            reason = f"manual ({source})" + (f": {command.reason}" if command.reason else "")
            if not self.engine.trigger_kill_switch(reason):
                self.log.info("kill switch already triggered; %s's trigger changes nothing", source)
        elif not self.engine.reset_kill_switch():
            self.log.info("kill switch was not triggered; %s's reset changes nothing", source)
        self.sync(source)

    def persist(self) -> None:
        """Save the kill state when it differs from the file's (retried until it works)."""
        state = self.engine.kill_state
        if state == self.kill_file.saved:
            return
        try:
            self.kill_file.save(state)
        except OSError as exc:
            self.log.error(
                "cannot save the kill state to %s (%s); retrying every %g s",
                self.kill_file.path,
                exc,
                self.config.metrics_interval_s,
            )

    def sync(self, source: str) -> None:
        """After anything that may have changed the kill switch: save it, publish it."""
        self.persist()
        active = self.engine.kill_switch_active
        state = self.engine.kill_state
        reason = state.reason if state.triggered else "enabled in the policy file" if active else ""
        key = (active, reason, state.since_ms)
        if key == self._published or self.context.bus.closed:
            return
        self._published = key
        event = KillSwitchChanged(
            active,
            reason,
            state.since_ms,
            source,
            component=self.name,
            timestamp_ms=self.context.now_ms(),
        )
        try:
            self.context.bus.publish_retained(RISK_STATE, self.name, event)
        except BusFullError:  # retained all the same: the slow subscriber gets it late
            self.log.warning("a subscriber of %s is full", RISK_STATE.name)
        self.metric(METRIC_KILL_SWITCH, 1.0 if active else 0.0)

    def poll_files(self) -> None:
        state = self.kill_file.poll()
        if state is not None:
            if state.triggered:
                self.engine.restore_kill_state(state)
                self.log.warning("kill switch triggered from the state file: %s", state.reason)
            else:
                self.engine.reset_kill_switch()
            self.sync("state-file")
        if self.config.reload and self.policy_changes.changed():
            self.reload("the file changed")

    def reload(self, why: str) -> bool:
        """Put the policy file's policies in force; keep the old ones if it is invalid."""
        path = self.config.policy_file
        try:
            reload_policy_file(self.engine, path)
        except ConfigError as exc:
            outcome, ok = "refused", False
            self.log.error(
                "policy file %s refused (%s); the policies in force stay:\n%s", path, why, exc
            )
        else:
            outcome, ok = "ok", True
            self.log.info("policy file %s reloaded (%s)", path, why)
        self.reloads[outcome] += 1
        self.metric(
            METRIC_POLICY_RELOADS, self.reloads[outcome], {"outcome": outcome}, counter=True
        )
        if ok:
            self.sync("policy-file")  # `enabled:` of the KillSwitch entry may have changed
        return ok


class RiskComponent(Component[RiskConfig]):
    """Judges order intents, keeps positions, owns the kill switch (see the module)."""

    Config = RiskConfig

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        config = self.config
        bus = self.context.bus
        kill_file = KillStateFile(config.state_path(self.name, self.context.stack_dir))
        kill_state = kill_file.load()
        policy_changes = FileChanges(config.policy_file)  # before loading: no edit is missed
        engine = engine_from_file(
            config.policy_file, kill_state=kill_state, clock=self.context.now_ms
        )
        desk = _Desk(self, engine, kill_file, policy_changes)
        if config.positions_from is not None:
            for position in await load_positions(config.positions_from, self.context, self.name):
                desk.restore(position)
        self.context.logger.info(
            "%d policies from %s; kill switch %s (state file %s)",
            len(engine.policies),
            config.policy_file,
            f"TRIGGERED: {kill_state.reason}" if kill_state.triggered else "not triggered",
            kill_file.path,
        )
        block, drop = Overflow.BLOCK, Overflow.DROP_OLDEST
        with (
            bus.subscribe(ORDER_INTENTS, buffer=config.intent_buffer, overflow=block) as intents,
            bus.subscribe(FILLS, buffer=config.intent_buffer, overflow=block) as fills,
            bus.subscribe(ORDER_OUTCOMES, buffer=config.intent_buffer, overflow=block) as outcomes,
            bus.subscribe(RISK_COMMANDS, buffer=64, overflow=block) as commands,
            bus.subscribe(BOOKS, buffer=config.book_buffer, overflow=drop) as books,
            bus.subscribe(MARKET_DATA, buffer=config.book_buffer, overflow=drop) as market_data,
            # Retained market metadata is replayed at once: room for every market.
            bus.subscribe(MARKETS, buffer=1_000_000, overflow=drop) as markets,
            hangup_signals(config.reload_on_sighup) as hangups,
        ):
            async with trio.open_nursery() as nursery:
                done = nursery.cancel_scope
                nursery.start_soon(self._judge, desk, intents, done)
                nursery.start_soon(_consume, fills, desk.apply_fill, done)
                nursery.start_soon(_consume, outcomes, desk.record_outcome, done)
                nursery.start_soon(_consume, commands, desk.command, done)
                nursery.start_soon(_consume, books, desk.mark, done)
                nursery.start_soon(_consume, markets, desk.learn_market, done)
                nursery.start_soon(_consume, market_data, desk.market_data, done)
                nursery.start_soon(_every, config.pnl_interval_s, desk.record_pnl)
                nursery.start_soon(_every, config.watch_interval_s, desk.poll_files)
                nursery.start_soon(_every, config.metrics_interval_s, desk.tick)
                if hangups is not None:
                    nursery.start_soon(self._reload_on_hangup, desk, hangups)
                desk.sync("restored" if kill_state.triggered else "startup")
                desk.publish_all()
                task_status.started()

    async def _judge(
        self, desk: _Desk, intents: Subscription[OrderIntent], done: trio.CancelScope
    ) -> None:
        bus = self.context.bus
        async for intent in intents:
            await bus.publish(ORDER_DECISIONS, desk.judge(intent))
        done.cancel()  # the bus closed: the stack is over

    async def _reload_on_hangup(self, desk: _Desk, hangups: AsyncIterator[int]) -> None:
        async for _ in hangups:
            desk.policy_changes.changed()  # this reload covers the file watch's next look
            desk.reload("SIGHUP")


async def _consume(
    subscription: Subscription[T], handle: Callable[[T], None], done: trio.CancelScope
) -> None:
    async for message in subscription:
        handle(message)
    done.cancel()  # the bus closed: the stack is over


async def _every(interval_s: float, action: Callable[[], None]) -> None:
    while True:
        await trio.sleep(interval_s)
        action()
