"""The kill switch's keeper: what triggers and resets it, where its state is kept and told.

The risk engine holds the kill switch; :class:`KillSwitchKeeper` feeds it and makes each
change durable and visible:

* in: ``KillSwitchCommand`` (``RISK_COMMANDS``), the venue's answers (``ORDER_OUTCOMES``,
  for the consecutive-rejections rule), the session's PnL (the loss rules), and the state
  file written by ``agbotkit risk kill|reset`` (polled);
* out: the state file, saved on every change (a failed save is retried on every
  :meth:`~KillSwitchKeeper.tick`), ``KillSwitchChanged`` retained on ``RISK_STATE``, and the
  ``polymarket.risk.kill_switch`` gauge.

Synchronous and loop-free: the component's tasks call it, and tests drive it directly.
"""

from __future__ import annotations

from collections.abc import Callable

from agbotkit.abc import ComponentContext
from agbotkit.bus.subscription import BusFullError
from agbotkit.model.metrics import MetricType
from agbotkit.model.orders import OrderAccepted, OrderOutcome
from agbotkit.model.risk import KillSwitchChanged, KillSwitchCommand
from agbotkit.risk.engine import RiskEngine
from agbotkit.risk.watch import KillStateFile
from agbotkit.topics import RISK_STATE

__all__ = ["METRIC_KILL_SWITCH", "KillSwitchKeeper"]

#: 1 while the kill switch denies orders, else 0.
METRIC_KILL_SWITCH = "polymarket.risk.kill_switch"


class KillSwitchKeeper:
    """Feeds one engine's kill switch, saves its state and publishes its changes.

    Args:
        engine: the engine whose kill switch this is.
        state_file: the kill state file (already loaded into ``engine``).
        context: the component's context: its name (commands addressed to another risk
            component are ignored), clock, logger and bus.
        pnl: the session's PnL in USD when it changed since the last call, else ``None``
            (:meth:`~agbotkit.risk.portfolio.Portfolio.take_pnl`).
        retry_interval_s: how often :meth:`tick` is called (a failed save says when it is
            tried again).
    """

    def __init__(
        self,
        engine: RiskEngine,
        state_file: KillStateFile,
        context: ComponentContext,
        *,
        pnl: Callable[[], float | None],
        retry_interval_s: float,
    ) -> None:
        self._engine = engine
        self._file = state_file
        self._context = context
        self._log = context.logger
        self._pnl = pnl
        self._retry_interval_s = retry_interval_s
        self._published: tuple[bool, str, int | None] | None = None

    # -- what comes in ------------------------------------------------------------------

    def command(self, command: KillSwitchCommand) -> None:
        """Trigger or reset on a command addressed to this component (or to every one)."""
        if command.component is not None and command.component != self._context.name:
            return
        source = command.source or "api"
        if command.action == "trigger":
            reason = f"manual ({source})" + (f": {command.reason}" if command.reason else "")
            if not self._engine.trigger_kill_switch(reason):
                self._log.info(
                    "kill switch already triggered; %s's trigger changes nothing", source
                )
        elif not self._engine.reset_kill_switch():
            self._log.info("kill switch was not triggered; %s's reset changes nothing", source)
        self.sync(source, command_id=command.command_id)

    def record_outcome(self, outcome: OrderOutcome) -> None:
        """Count the venue's answer to an order (rejections in a row may trigger)."""
        if self._engine.record_order_outcome(isinstance(outcome, OrderAccepted)):
            self.sync("auto")

    def feed_pnl(self) -> None:
        """Feed the session's PnL to the loss rules, when it changed since the last time."""
        pnl = self._pnl()
        if pnl is not None and self._engine.record_pnl(pnl):
            self.sync("auto")

    def poll_state_file(self) -> None:
        """Adopt a trigger or reset someone else wrote to the state file."""
        state = self._file.poll()
        if state is None:
            return
        if state.triggered:
            self._engine.restore_kill_state(state)
            self._log.warning("kill switch triggered from the state file: %s", state.reason)
        else:
            self._engine.reset_kill_switch()
        self.sync("state-file")

    # -- what goes out ------------------------------------------------------------------

    def sync(self, source: str, *, command_id: str | None = None) -> None:
        """After anything that may have changed the kill switch: save it, publish it.

        Args:
            source: what changed it, for :class:`~agbotkit.model.risk.KillSwitchChanged`.
            command_id: the command being answered: the state is published even when
                unchanged, so that its sender hears back.
        """
        self.persist()
        active = self._engine.kill_switch_active
        state = self._engine.kill_state
        reason = state.reason if state.triggered else "enabled in the policy file" if active else ""
        key = (active, reason, state.since_ms)
        bus = self._context.bus
        if bus.closed or (key == self._published and command_id is None):
            return
        self._published = key
        event = KillSwitchChanged(
            active,
            reason,
            state.since_ms,
            source,
            component=self._context.name,
            timestamp_ms=self._context.now_ms(),
            command_id=command_id,
        )
        try:
            bus.publish_retained(RISK_STATE, self._context.name, event)
        except BusFullError:  # retained all the same: the slow subscriber gets it late
            self._log.warning("a subscriber of %s is full", RISK_STATE.name)
        self._gauge()

    def persist(self) -> None:
        """Save the kill state when it differs from the file's (retried until it works)."""
        state = self._engine.kill_state
        if state == self._file.saved:
            return
        try:
            self._file.save(state)
        except OSError as exc:
            self._log.error(
                "cannot save the kill state to %s (%s); retrying every %g s",
                self._file.path,
                exc,
                self._retry_interval_s,
            )

    def tick(self) -> None:
        """Periodically: retry a failed save, publish the gauge."""
        self.persist()
        self._gauge()

    def _gauge(self) -> None:
        active = 1.0 if self._engine.kill_switch_active else 0.0
        self._context.metric(METRIC_KILL_SWITCH, active, MetricType.GAUGE)
