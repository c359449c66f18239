"""The risk engine: every order intent passes it before anything else sees it.

Pure and synchronous: no trio, no I/O, no clock of its own beyond an injectable ``clock``.
Policy files are read by :mod:`agbotkit.risk.loading`, which builds engines from them. A
denial is a value, :class:`~agbotkit.model.risk.RiskDecision` with ``allowed=False``, never
an exception::

    engine = RiskEngine(parse_policies_yaml(text))  # or engine_from_file(path)
    decision = engine.evaluate(RiskContext(market_id="0xabc", current_position=10,
                                           proposed_size=5, inventory_value_usd=120.0))
    if not decision.allowed:
        for violation in decision.violated_policies: ...

The engine always holds exactly one kill switch: the file's ``KillSwitch`` entry, or a
default one without automatic rules, so :meth:`RiskEngine.trigger_kill_switch` works
whatever the file says. Its state survives :meth:`RiskEngine.replace_policies`.

An engine given a :class:`~agbotkit.risk.policy.PortfolioView` binds every policy to it
(:meth:`~agbotkit.risk.policy.RiskPolicy.bind`), on construction and on every replacement,
so portfolio-wide policies (``VarLimit``, ``GreeksLimit``) see the component's books.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from agbotkit.errors import ConfigError, ConfigIssue
from agbotkit.model.risk import ALLOWED, KillState, PolicyViolation, RiskContext, RiskDecision
from agbotkit.risk.policies.kill_switch import KillSwitch, KillSwitchConfig, KillSwitchState
from agbotkit.risk.policy import PortfolioView, RiskPolicy
from agbotkit.toolkit.clock import wall_clock_ms

__all__ = ["RiskEngine", "find_duplicates"]

LOGGER = logging.getLogger(__name__)

_Key = tuple[str, str]
#: Resolved policy lists cached per (market, token); cleared past this many entries.
_CACHE_LIMIT = 100_000


def find_duplicates(
    policies: Iterable[tuple[int, RiskPolicy[Any]]],
) -> list[tuple[int, int, str]]:
    """``(index, earlier index, message)`` for every entry whose type and scope came before.

    A duplicate is two entries of the same type for the same scope: two global
    ``PositionLimit`` entries, or two for the same market. The later entry is reported.
    """
    first: dict[tuple[str, str | None, str | None], int] = {}
    found: list[tuple[int, int, str]] = []
    for index, policy in policies:
        key = (policy.name, *policy.scope)
        if key in first:
            scope = policy.scope_text
            scope = "every market (global)" if scope == "global" else scope
            found.append((index, first[key], f"duplicate {policy.name} for {scope}"))
        else:
            first[key] = index
    return found


class _Group:
    """The entries of one policy type, by scope."""

    __slots__ = ("by_market", "by_token", "everywhere")

    def __init__(self) -> None:
        self.everywhere: RiskPolicy[Any] | None = None
        self.by_market: dict[str, RiskPolicy[Any]] = {}
        self.by_token: dict[str, RiskPolicy[Any]] = {}

    def add(self, policy: RiskPolicy[Any]) -> None:
        if policy.token_id is not None:
            self.by_token[policy.token_id] = policy
        elif policy.market_id is not None:
            self.by_market[policy.market_id] = policy
        else:
            self.everywhere = policy

    def pick(self, market_id: str, token_id: str) -> RiskPolicy[Any] | None:
        """The most specific entry for the order: the token's, the market's, the global."""
        policy = self.by_token.get(token_id) if token_id else None
        if policy is None:
            policy = self.by_market.get(market_id, self.everywhere)
        return policy


class _Table:
    """An immutable set of policies plus the per-(market, token) lists resolved from it.

    The engine swaps whole tables, so an evaluation sees the old policies or the new ones,
    never a mix.
    """

    __slots__ = ("cache", "groups", "kill_switch", "policies")

    def __init__(self, policies: tuple[RiskPolicy[Any], ...], kill_switch: KillSwitch) -> None:
        self.policies = policies
        self.kill_switch = kill_switch
        groups: dict[str, _Group] = {}
        for policy in policies:
            groups.setdefault(policy.name, _Group()).add(policy)
        self.groups = tuple(groups.values())
        self.cache: dict[_Key, tuple[RiskPolicy[Any], ...]] = {}

    def resolve(self, key: _Key) -> tuple[RiskPolicy[Any], ...]:
        market_id, token_id = key
        picked = (group.pick(market_id, token_id) for group in self.groups)
        resolved = tuple(policy for policy in picked if policy is not None)
        if len(self.cache) >= _CACHE_LIMIT:
            self.cache.clear()
        self.cache[key] = resolved
        return resolved


class RiskEngine:
    """Judges order intents against a set of risk policies.

    Args:
        policies: the policies, in the order their violations are listed. At most one
            entry per type and scope; a ``KillSwitch`` is added when none is given.
        kill_state: a persisted kill-switch state to start from (after a restart).
        clock: the time for kill-switch records, Unix epoch milliseconds (tests and
            components pass their own); ``None``: the wall clock.
        view: the portfolio view policies are bound to (the risk component's); ``None``:
            policies are not bound, and those that need a view deny every order.

    Raises:
        ConfigError: two policies of one type share a scope.
    """

    def __init__(
        self,
        policies: Iterable[RiskPolicy[Any]] = (),
        *,
        kill_state: KillState | None = None,
        clock: Callable[[], int] | None = None,
        view: PortfolioView | None = None,
    ) -> None:
        self._clock = clock
        self._view = view
        self._kill_state = KillSwitchState()
        self._table = self._build(policies)
        if kill_state is not None:
            self.restore_kill_state(kill_state)

    def _build(self, policies: Iterable[RiskPolicy[Any]]) -> _Table:
        policies = tuple(policies)
        issues = [
            ConfigIssue("<policies>", None, f"policies[{i}]", f"expected a RiskPolicy, got {p!r}")
            for i, p in enumerate(policies)
            if not isinstance(p, RiskPolicy)
        ]
        if issues:
            raise ConfigError(issues)
        issues = [
            ConfigIssue(
                "<policies>",
                None,
                f"policies[{index}]",
                f"{message} (first at policies[{earlier}])",
            )
            for index, earlier, message in find_duplicates(enumerate(policies))
        ]
        if issues:
            raise ConfigError(issues)
        # The kill switch is the engine's own: bind the file's entry (or a default) to the
        # engine's state, so a trigger outlives a reload.
        bound: list[RiskPolicy[Any]] = []
        kill_switch: KillSwitch | None = None
        for policy in policies:
            if isinstance(policy, KillSwitch):
                policy = kill_switch = policy.with_state(self._kill_state)
            bound.append(policy)
        if self._view is not None:
            for policy in bound:
                policy.bind(self._view)
        if kill_switch is None:
            kill_switch = KillSwitch(KillSwitchConfig(), state=self._kill_state)
            bound.insert(0, kill_switch)
        return _Table(tuple(bound), kill_switch)

    def replace_policies(self, policies: Iterable[RiskPolicy[Any]]) -> None:
        """Put ``policies`` in force at once, keeping the kill switch's state.

        Raises:
            ConfigError: the new policies are invalid; the old ones stay in force.
        """
        self._table = self._build(policies)

    @property
    def policies(self) -> tuple[RiskPolicy[Any], ...]:
        """The policies in force (the kill switch included)."""
        return self._table.policies

    # -- evaluation ---------------------------------------------------------------------

    def evaluate(self, context: RiskContext) -> RiskDecision:
        """Judge one order: every policy that applies is checked, every denial listed.

        Never raises for a denied order. A policy whose check raises denies the order
        (the exception is the reason, and is logged): a broken policy fails closed.
        """
        table = self._table
        key = (context.market_id, context.token_id)
        policies = table.cache.get(key)
        if policies is None:
            policies = table.resolve(key)
        violations: list[PolicyViolation] | None = None
        for policy in policies:
            try:
                reason = policy.check(context)
            except Exception as exc:  # a plugin's bug must deny, not crash or allow
                LOGGER.exception("risk policy %s failed on %r", policy.name, context)
                reason = f"policy check failed: {type(exc).__name__}: {exc}"
            if reason is not None:
                if violations is None:
                    violations = []
                violations.append(PolicyViolation(policy.name, reason))
        if violations is None:
            return ALLOWED
        return RiskDecision(False, tuple(violations))

    # -- kill switch --------------------------------------------------------------------

    @property
    def kill_state(self) -> KillState:
        """The kill switch's triggered state, as persisted (``enabled: true`` in the file
        is config, not state, and is not included: see :attr:`kill_switch_active`)."""
        return self._table.kill_switch.kill_state

    @property
    def kill_switch_active(self) -> bool:
        """Whether the kill switch denies orders now (triggered, or enabled in the file)."""
        return self._table.kill_switch.active

    def trigger_kill_switch(self, reason: str, *, now_ms: int | None = None) -> bool:
        """Trigger the kill switch by hand; ``False`` when it already was triggered.

        The first trigger's reason and time are kept until :meth:`reset_kill_switch`.
        """
        triggered = self._table.kill_switch.trigger(reason, self._stamp(now_ms))
        if triggered:
            LOGGER.warning("kill switch triggered: %s", reason)
        return triggered

    def reset_kill_switch(self) -> bool:
        """Lift a trigger; ``False`` when it was not triggered.

        ``enabled: true`` in the policy file is not lifted by a reset. The automatic rules
        count again from the PnL at the reset.
        """
        was = self._table.kill_switch.reset()
        if was:
            LOGGER.warning("kill switch reset")
        return was

    def restore_kill_state(self, state: KillState) -> None:
        """Adopt a persisted kill-switch state (see :mod:`agbotkit.risk.killstate`)."""
        self._table.kill_switch.restore(state)

    def record_pnl(self, total_pnl_usd: float, *, now_ms: int | None = None) -> bool:
        """Feed the session's running PnL in USD (realised + unrealised, 0 at the start).

        Returns:
            ``True`` when this triggered the kill switch (daily loss or drawdown): the
            moment to persist :attr:`kill_state`.
        """
        triggered = self._table.kill_switch.record_pnl(total_pnl_usd, self._stamp(now_ms))
        if triggered:
            LOGGER.warning("kill switch triggered: %s", self._kill_state.reason)
        return triggered

    def record_order_outcome(self, accepted: bool, *, now_ms: int | None = None) -> bool:
        """Feed whether an order sent to the venue was accepted, or rejected / failed.

        Returns:
            ``True`` when this triggered the kill switch (consecutive rejections).
        """
        triggered = self._table.kill_switch.record_order_outcome(accepted, self._stamp(now_ms))
        if triggered:
            LOGGER.warning("kill switch triggered: %s", self._kill_state.reason)
        return triggered

    def _stamp(self, now_ms: int | None) -> int:
        """``now_ms``, else the engine's clock, else the wall clock (epoch milliseconds)."""
        if now_ms is not None:
            return now_ms
        return self._clock() if self._clock is not None else wall_clock_ms()
