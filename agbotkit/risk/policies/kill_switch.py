"""``KillSwitch``: when triggered, every new order is denied.

The switch is triggered by hand (:meth:`agbotkit.risk.RiskEngine.trigger_kill_switch`, from
the CLI or the API), by the policy file (``enabled: true``), or by its automatic rules,
which the engine is fed with through :meth:`~agbotkit.risk.RiskEngine.record_pnl` and
:meth:`~agbotkit.risk.RiskEngine.record_order_outcome`:

* ``max_daily_loss_usd``: the day's loss reaches the limit. The day starts at
  ``day_start_utc_hour`` (UTC); its loss is counted from the PnL last recorded before it
  started (0, the session's start, on the session's first day).
* ``max_drawdown_usd``: the PnL falls that far below the session's high-water mark (the
  highest PnL recorded, starting at 0).
* ``max_consecutive_rejections``: that many orders in a row were rejected by the venue or
  failed (an accepted order resets the count; the risk engine's own denials do not count).

Limits are reached at equality: a loss of exactly ``max_daily_loss_usd`` triggers.
The first trigger's reason and time are kept until reset.
"""

from __future__ import annotations

import attrs

from agbotkit.config.checks import at_least, between, greater_than
from agbotkit.model.risk import NOT_TRIGGERED, TOLERANCE, KillState, RiskContext
from agbotkit.risk.policy import RiskPolicy, format_usd

__all__ = ["KillSwitch", "KillSwitchConfig", "KillSwitchState"]

_DAY_MS = 86_400_000
_HOUR_MS = 3_600_000


@attrs.frozen(kw_only=True)
class KillSwitchConfig:
    """Options of ``KillSwitch`` (one entry; the engine has a default one without rules).

    Attributes:
        enabled: ``true`` keeps the switch triggered for as long as the policy file says so
            (a reset does not lift it; editing the file and reloading does).
        allow_reducing: while triggered, still allow orders that only reduce a position
            (so the desk can flatten); by default every order is denied.
        max_daily_loss_usd: trigger when the day's loss reaches this many USD.
        max_drawdown_usd: trigger when the PnL falls this many USD below its high-water mark.
        max_consecutive_rejections: trigger after this many rejected or failed orders in a row.
        day_start_utc_hour: the hour (UTC) at which a trading day starts, for the daily loss.
    """

    enabled: bool = False
    allow_reducing: bool = False
    max_daily_loss_usd: float | None = attrs.field(default=None, validator=greater_than(0))
    max_drawdown_usd: float | None = attrs.field(default=None, validator=greater_than(0))
    max_consecutive_rejections: int | None = attrs.field(default=None, validator=at_least(1))
    day_start_utc_hour: int = attrs.field(default=0, validator=between(0, 23))


@attrs.define
class KillSwitchState:
    """The kill switch's mutable state, owned by one engine and kept across policy reloads.

    Attributes:
        triggered: whether new orders are denied (by hand or by a rule; ``enabled: true``
            in the file is not state, it is config).
        reason: why; empty when not triggered.
        since_ms: when it was triggered, Unix epoch milliseconds.
        last_pnl_usd: the PnL last recorded (session total).
        high_water_mark_usd: the highest PnL recorded this session (starts at 0).
        day: the index of the current trading day, ``None`` before the first record.
        day_start_pnl_usd: the PnL the current day's loss is counted from.
        consecutive_rejections: orders rejected or failed in a row.
    """

    triggered: bool = False
    reason: str = ""
    since_ms: int | None = None
    last_pnl_usd: float = 0.0
    high_water_mark_usd: float = 0.0
    day: int | None = None
    day_start_pnl_usd: float = 0.0
    consecutive_rejections: int = 0


class KillSwitch(RiskPolicy[KillSwitchConfig]):
    """Denies every order while triggered (reducing orders too, unless ``allow_reducing``).

    Attributes:
        state: the switch's state, shared with the engine that owns it.
    """

    Config = KillSwitchConfig

    def __init__(
        self,
        config: KillSwitchConfig,
        *,
        name: str | None = None,
        state: KillSwitchState | None = None,
    ) -> None:
        super().__init__(config, name=name)
        self.state = state if state is not None else KillSwitchState()

    def with_state(self, state: KillSwitchState) -> KillSwitch:
        """The same policy, bound to ``state`` (the engine's, kept across reloads)."""
        return KillSwitch(self.config, name=self.name, state=state)

    @property
    def active(self) -> bool:
        """Whether orders are being denied (triggered, or ``enabled`` in the file)."""
        return self.state.triggered or self.config.enabled

    @property
    def kill_state(self) -> KillState:
        """The triggered state to persist (``enabled`` in the file is not persisted)."""
        state = self.state
        if not state.triggered:
            return NOT_TRIGGERED
        return KillState(True, state.reason, state.since_ms)

    def check(self, context: RiskContext) -> str | None:
        state = self.state
        if not (state.triggered or self.config.enabled):
            return None
        if self.config.allow_reducing and context.reduces_position:
            return None
        reason = state.reason if state.triggered else "enabled in the policy file"
        return f"kill switch triggered: {reason}"

    def trigger(self, reason: str, now_ms: int | None) -> bool:
        """Trigger the switch; ``False`` when it already was (the first reason is kept)."""
        state = self.state
        if state.triggered:
            return False
        state.triggered = True
        state.reason = reason
        state.since_ms = now_ms
        return True

    def restore(self, kill_state: KillState) -> None:
        """Adopt a persisted state (after a restart)."""
        self.state.triggered = kill_state.triggered
        self.state.reason = kill_state.reason if kill_state.triggered else ""
        self.state.since_ms = kill_state.since_ms if kill_state.triggered else None

    def reset(self) -> bool:
        """Lift a trigger; ``False`` when it was not triggered.

        A reset is an operator's decision to resume: the consecutive-rejection count
        restarts, and the drawdown and the day's loss are counted from the PnL at the reset
        (otherwise the next PnL update would trigger the switch again at once).
        """
        state = self.state
        was = state.triggered
        state.triggered = False
        state.reason = ""
        state.since_ms = None
        state.consecutive_rejections = 0
        state.high_water_mark_usd = state.last_pnl_usd
        state.day_start_pnl_usd = state.last_pnl_usd
        return was

    def record_pnl(self, total_pnl_usd: float, now_ms: int) -> bool:
        """Feed the session's running PnL; ``True`` when this triggered the switch."""
        state = self.state
        config = self.config
        day = (now_ms - config.day_start_utc_hour * _HOUR_MS) // _DAY_MS
        if state.day is None:
            state.day = day
        elif day != state.day:
            state.day = day
            state.day_start_pnl_usd = state.last_pnl_usd
        state.last_pnl_usd = total_pnl_usd
        if total_pnl_usd > state.high_water_mark_usd:
            state.high_water_mark_usd = total_pnl_usd
        limit = config.max_daily_loss_usd
        loss = state.day_start_pnl_usd - total_pnl_usd
        if limit is not None and loss >= limit - TOLERANCE:
            return self.trigger(
                f"daily loss {format_usd(loss)} reached max_daily_loss_usd {format_usd(limit)}",
                now_ms,
            )
        limit = config.max_drawdown_usd
        drawdown = state.high_water_mark_usd - total_pnl_usd
        if limit is not None and drawdown >= limit - TOLERANCE:
            return self.trigger(
                f"drawdown {format_usd(drawdown)} from the high-water mark "
                f"{format_usd(state.high_water_mark_usd)} reached max_drawdown_usd "
                f"{format_usd(limit)}",
                now_ms,
            )
        return False

    def record_order_outcome(self, accepted: bool, now_ms: int) -> bool:
        """Feed one order's fate at the venue; ``True`` when this triggered the switch."""
        state = self.state
        if accepted:
            state.consecutive_rejections = 0
            return False
        state.consecutive_rejections += 1
        limit = self.config.max_consecutive_rejections
        if limit is not None and state.consecutive_rejections >= limit:
            return self.trigger(
                f"{state.consecutive_rejections} consecutive rejected or failed orders "
                f"reached max_consecutive_rejections {limit}",
                now_ms,
            )
        return False
