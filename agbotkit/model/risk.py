"""Risk values: what the risk engine is asked about and what it answers.

Money type: the risk engine compares floats. Its checks are analytics-grade comparisons of
positions, prices and USD values against limits, done on every order, where a float is
exact enough and ten times cheaper than a Decimal. Every comparison against a limit allows
:data:`TOLERANCE` so that a value exactly at a limit (``0.1 + 0.2`` shares against a limit
of ``0.3``) is not denied by binary rounding. The exact Decimal amounts stay in the
:class:`~agbotkit.model.orders.OrderIntent` that is signed and sent.

Prices are probabilities in ``[0, 1]``; sizes and positions are shares, signed: ``+`` long,
``-`` short (a sell of a token held long has a negative ``proposed_size``).
"""

from __future__ import annotations

from typing import Literal, TypeAlias

import attrs

from agbotkit.model.orders import OrderIntent

__all__ = [
    "ALLOWED",
    "NOT_TRIGGERED",
    "TOLERANCE",
    "KillState",
    "KillSwitchAction",
    "KillSwitchChanged",
    "KillSwitchCommand",
    "OrderApproved",
    "OrderDecision",
    "OrderDenied",
    "PolicyViolation",
    "RiskContext",
    "RiskDecision",
    "RiskLimits",
]

#: Slack granted to every limit comparison (shares, prices, USD), against float rounding.
TOLERANCE = 1e-9


@attrs.frozen(slots=True, kw_only=True)
class RiskContext:
    """One order as the risk engine sees it, with the state it is judged against.

    Only the first four fields are needed by the seed policies (PositionLimit,
    InventoryLimit, KillSwitch). A policy that needs a field left ``None`` denies the order
    (fail closed), saying which field was missing.

    Attributes:
        market_id: the market (condition id) of the order.
        current_position: shares held now in the instrument the order trades (the token
            when ``token_id`` is given), signed.
        proposed_size: the order's shares, signed: ``+`` buys, ``-`` sells.
        inventory_value_usd: value of everything held now, in USD, before this order
            (InventoryLimit adds the order's own value at ``price``, else ``mid``).
        token_id: the outcome token of the order; empty when the caller tracks markets only.
        price: the order's limit price in ``[0, 1]``.
        mid: the current mid price of the token in ``[0, 1]``.
        now_ms: the time of the decision, Unix epoch milliseconds.
        market_end_ms: the market's end date (when it stops trading and resolves), Unix
            epoch milliseconds.
    """

    market_id: str
    current_position: float
    proposed_size: float
    inventory_value_usd: float = 0.0
    token_id: str = ""
    price: float | None = None
    mid: float | None = None
    now_ms: int | None = None
    market_end_ms: int | None = None

    @classmethod
    def from_intent(
        cls,
        intent: OrderIntent,
        *,
        current_position: float,
        inventory_value_usd: float,
        mid: float | None = None,
        now_ms: int | None = None,
        market_end_ms: int | None = None,
    ) -> RiskContext:
        """The context of ``intent`` (its exact Decimals become floats here, once)."""
        return cls(
            market_id=intent.market_id,
            current_position=current_position,
            proposed_size=float(intent.signed_size),
            inventory_value_usd=inventory_value_usd,
            token_id=intent.token_id,
            price=float(intent.price),
            mid=mid,
            now_ms=now_ms,
            market_end_ms=market_end_ms,
        )

    @property
    def new_position(self) -> float:
        """The position if the order filled completely."""
        return self.current_position + self.proposed_size

    @property
    def reduces_position(self) -> bool:
        """Whether the order only moves the position toward zero, without crossing it.

        Selling 30 of a long 100 reduces; selling 150 of a long 100 does not (it opens a
        short of 50); a zero-size order reduces nothing.
        """
        current, size = self.current_position, self.proposed_size
        if current > 0:
            return -current - TOLERANCE <= size < 0
        if current < 0:
            return 0 < size <= -current + TOLERANCE
        return False


@attrs.frozen(slots=True)
class PolicyViolation:
    """One policy's reason to deny an order.

    Attributes:
        policy: the policy's type name (its entry-point name), e.g. ``PositionLimit``.
        reason: what was wrong, with the numbers, e.g. ``position 150 would exceed
            max_size 100 (market 0xabc)``.
    """

    policy: str
    reason: str

    def __str__(self) -> str:
        return f"{self.policy}: {self.reason}"


@attrs.frozen(slots=True)
class RiskDecision:
    """The risk engine's answer for one order: a value, never an exception.

    Attributes:
        allowed: whether the order may go on.
        violated_policies: every policy that denied the order and why, in policy-file
            order (not only the first); empty when allowed.
    """

    allowed: bool
    violated_policies: tuple[PolicyViolation, ...] = ()

    @property
    def denied(self) -> bool:
        """``not allowed``."""
        return not self.allowed

    @property
    def reasons(self) -> tuple[str, ...]:
        """``"Policy: reason"`` for every violation (for logs and order-denied events)."""
        return tuple(str(violation) for violation in self.violated_policies)

    @classmethod
    def deny(cls, *violations: PolicyViolation) -> RiskDecision:
        """A denial listing ``violations`` (at least one)."""
        if not violations:
            raise ValueError("a denial needs at least one violation")
        return cls(False, violations)


#: The one decision that allows an order: shared, so the allow path allocates nothing.
ALLOWED = RiskDecision(True, ())


@attrs.frozen(slots=True)
class KillState:
    """Whether the kill switch is triggered, why and since when (what a restart restores).

    Attributes:
        triggered: whether new orders are denied.
        reason: why it was triggered (``manual: ...``, ``daily loss ...``); empty when not.
        since_ms: when it was triggered, Unix epoch milliseconds; ``None`` when not, or
            when unknown.
    """

    triggered: bool = False
    reason: str = ""
    since_ms: int | None = None


#: The kill switch at rest.
NOT_TRIGGERED = KillState()


# -- what the risk component publishes and obeys -------------------------------------------


@attrs.frozen(slots=True)
class OrderApproved:
    """The risk component let an order intent through: it may go to the venue.

    Attributes:
        intent: the intent, unchanged.
        timestamp_ms: when it was judged, Unix epoch milliseconds.
        component: the name of the risk component that judged it.
    """

    intent: OrderIntent
    timestamp_ms: int = attrs.field(default=0, kw_only=True)
    component: str = attrs.field(default="", kw_only=True)


@attrs.frozen(slots=True)
class OrderDenied:
    """The risk component refused an order intent: it must not be sent.

    Attributes:
        intent: the intent, unchanged.
        policies: the type name of every policy that denied it, in policy-file order.
        reasons: why, one per entry of ``policies`` (same order), with the numbers.
        timestamp_ms: when it was judged, Unix epoch milliseconds.
        component: the name of the risk component that judged it.
    """

    intent: OrderIntent
    policies: tuple[str, ...]
    reasons: tuple[str, ...]
    timestamp_ms: int = attrs.field(default=0, kw_only=True)
    component: str = attrs.field(default="", kw_only=True)

    @classmethod
    def from_decision(
        cls,
        intent: OrderIntent,
        decision: RiskDecision,
        *,
        timestamp_ms: int = 0,
        component: str = "",
    ) -> OrderDenied:
        """The event for a denying ``decision`` of the risk engine."""
        violations = decision.violated_policies
        return cls(
            intent,
            tuple(v.policy for v in violations),
            tuple(v.reason for v in violations),
            timestamp_ms=timestamp_ms,
            component=component,
        )

    @property
    def violations(self) -> tuple[PolicyViolation, ...]:
        """``policies`` and ``reasons`` paired up."""
        return tuple(
            PolicyViolation(policy, reason)
            for policy, reason in zip(self.policies, self.reasons, strict=True)
        )


#: What the risk component publishes for each order intent.
OrderDecision: TypeAlias = OrderApproved | OrderDenied

#: What a :class:`KillSwitchCommand` asks for.
KillSwitchAction: TypeAlias = Literal["trigger", "reset"]


def _action(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in ("trigger", "reset"):
        raise ValueError(f"{attribute.name} must be 'trigger' or 'reset', got {value!r}")


@attrs.frozen(slots=True)
class KillSwitchCommand:
    """A request to trigger or reset the kill switch (from a dashboard button, a script).

    Attributes:
        action: ``"trigger"`` denies every new order from now on; ``"reset"`` lifts a
            trigger (``enabled: true`` in the policy file is not lifted by a reset).
        reason: why, for the state file, logs and the dashboard.
        source: who asks (``dashboard``, a user name); shown in the reason and events.
        component: the risk component addressed; ``None`` for every one.
        command_id: chosen by the sender (any unique text); each risk component that takes
            the command answers with a :class:`KillSwitchChanged` carrying it, even when
            nothing changed, so the sender knows its command was handled.
    """

    action: KillSwitchAction = attrs.field(validator=_action)
    reason: str = ""
    source: str = "api"
    component: str | None = None
    command_id: str | None = attrs.field(default=None, kw_only=True)


@attrs.frozen(slots=True)
class KillSwitchChanged:
    """The kill switch of a risk component changed (or its state at start, retained).

    Attributes:
        active: whether new orders are denied (triggered, or ``enabled`` in the policy
            file).
        reason: why it is active; empty when not.
        since_ms: when it was triggered, Unix epoch milliseconds; ``None`` when not
            triggered, when unknown, or when only the policy file enables it.
        source: what changed it: ``startup``, ``restored`` (from the state file at
            start), ``state-file`` (written by ``agbotkit risk``), ``auto`` (a loss or
            rejection rule), ``policy-file`` (a reload), or a command's ``source``.
        component: the risk component's name.
        timestamp_ms: when the change was seen, Unix epoch milliseconds.
        command_id: the :attr:`KillSwitchCommand.command_id` this answers; ``None`` when no
            command caused it.
    """

    active: bool
    reason: str
    since_ms: int | None
    source: str
    component: str = attrs.field(default="", kw_only=True)
    timestamp_ms: int = attrs.field(default=0, kw_only=True)
    command_id: str | None = attrs.field(default=None, kw_only=True)


@attrs.frozen(slots=True)
class RiskLimits:
    """The policies a risk component enforces (retained on ``RISK_LIMITS``, republished
    after every reload), so that what trades can say which limits are in force.

    Attributes:
        component: the risk component's name.
        policy_file: the file they come from.
        policies: one line per policy: its type, scope and options, e.g.
            ``PositionLimit (global): max_size=100``.
    """

    component: str
    policy_file: str
    policies: tuple[str, ...]
