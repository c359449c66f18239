"""The risk-policy plugin contract (entry-point group ``agbotkit.risk_policies``).

A policy is a class registered under ``agbotkit.risk_policies``; a policy file's ``type:``
names it by its entry-point name, and the entry's other keys are structured into its
``Config`` (an attrs class; unknown keys refused, errors with file, line and field). The
built-in policies are registered and loaded exactly the same way.

A third-party policy, in full::

    @attrs.frozen(kw_only=True)
    class MaxSpreadConfig:
        max_spread: float = attrs.field(validator=between(0, 1))
        market_id: str | None = None  # optional: makes the policy scopable per market

    class MaxSpread(RiskPolicy[MaxSpreadConfig]):
        Config = MaxSpreadConfig

        def check(self, context: RiskContext) -> str | None:
            ...  # None allows; a string denies, and says why

and in its ``pyproject.toml``::

    [project.entry-points."agbotkit.risk_policies"]
    MaxSpread = "my_package.policies:MaxSpread"

Scope: when a policy's ``Config`` has a ``market_id`` or ``token_id`` field, an entry that
sets it applies to that market or token only. For each policy type the engine applies the
most specific entry that matches the order: the token's, else the market's, else the
global one (the entry that names neither), so a per-market limit overrides the global
limit, up or down. Two entries of one type with the same scope are a duplicate.

Portfolio-wide state: :class:`~agbotkit.model.risk.RiskContext` carries one order and its
token's position. A policy that needs the whole portfolio (``VarLimit``, ``GreeksLimit``)
overrides :meth:`RiskPolicy.bind`: the engine calls it with a read-only
:class:`PortfolioView` that the risk component keeps current from fills, marks and its
price samples, before the policy judges any order (and again after a reload). The check
stays synchronous and reads only cached numbers.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import attrs

from agbotkit.config.checks import FieldValueError, non_empty
from agbotkit.model.risk import RiskContext
from agbotkit.risk.advanced.greeks import Greeks

__all__ = [
    "ConfigT",
    "PortfolioView",
    "RiskPolicy",
    "ScopedConfig",
    "format_number",
    "format_usd",
]

ConfigT = TypeVar("ConfigT")


def format_number(value: float) -> str:
    """Shares or prices for a denial reason: ``100``, ``0.55``, ``12.5``."""
    return f"{value:.10g}"


def format_usd(value: float) -> str:
    """USD for a denial reason: ``$5,120.00``, ``-$12.30``."""
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"


@attrs.frozen(kw_only=True)
class ScopedConfig:
    """Base of a policy ``Config`` that may apply to one market or one token.

    Attributes:
        market_id: the market (condition id) the entry applies to; omit for every market.
        token_id: the outcome token the entry applies to; omit for every token. Give
            ``market_id`` or ``token_id``, not both.
    """

    market_id: str | None = attrs.field(default=None, validator=non_empty())
    token_id: str | None = attrs.field(default=None, validator=non_empty())

    def __attrs_post_init__(self) -> None:
        if self.market_id is not None and self.token_id is not None:
            raise FieldValueError("token_id", "give market_id or token_id, not both")


class PortfolioView(Protocol):
    """What a policy may read of the risk component's portfolio (read-only, cached).

    Variances are of the daily P&L in USD², from the covariance ``S`` of per-share daily
    price changes of the *warm* tokens (enough price history); see
    :class:`agbotkit.risk.riskview.PortfolioRisk`, the implementation.
    """

    @property
    def variance(self) -> float:
        """``w' S w`` over the warm tokens held (``w``: shares)."""

    @property
    def cold_square(self) -> float:
        """The sum of squared shares held in cold tokens (not in ``S``)."""

    @property
    def cold_tokens(self) -> tuple[str, ...]:
        """The cold tokens held."""

    def variance_terms(self, token: str) -> tuple[float, float] | None:
        """``((S w)_i, S_ii)`` of a warm token; ``None`` when ``token`` is cold."""

    def greeks(self, token: str) -> Greeks | None:
        """Per-share Greeks of ``token``; ``None`` when they are not known now."""

    @property
    def portfolio_greeks(self) -> Greeks:
        """The Greeks of everything held whose Greeks are known."""

    @property
    def unknown_greeks(self) -> tuple[str, ...]:
        """Tokens held whose Greeks are not known now."""


class RiskPolicy(abc.ABC, Generic[ConfigT]):
    """A rule every order intent must pass (entry-point group ``agbotkit.risk_policies``).

    :meth:`check` runs for every order, synchronously, in the risk engine's hot path: it
    must not block, do I/O or allocate on the allow path. Precompute in ``__init__``.
    A check that needs a context field that is ``None`` (no price, no time) denies the
    order and names the field: policies fail closed. A check that raises denies the order
    too (the engine reports the exception as the reason), so a broken plugin never lets
    orders through.

    Attributes:
        Config: the options class (attrs), structured from the policy-file entry.
        aliases: other names a policy file may use for a ``Config`` field (alias -> field),
            e.g. names an option had before it was renamed. An entry that gives a field
            under both names is refused.
        config: the validated options.
        name: the policy's type name: its entry-point name, or the class name when the
            policy was built in code.
        market_id: the market the entry applies to, ``None`` for every market.
        token_id: the token the entry applies to, ``None`` for every token.
    """

    Config: ClassVar[type[Any]]
    aliases: ClassVar[Mapping[str, str]] = {}

    def __init__(self, config: ConfigT, *, name: str | None = None) -> None:
        self.config = config
        self.name = name if name is not None else type(self).__name__
        self.market_id: str | None = getattr(config, "market_id", None)
        self.token_id: str | None = getattr(config, "token_id", None)

    @abc.abstractmethod
    def check(self, context: RiskContext) -> str | None:
        """Judge one order: ``None`` allows it; a string denies it and says why.

        The reason should carry the numbers a trader needs, e.g. ``position 150 would
        exceed max_size 100 (market 0xabc)``.
        """

    def bind(self, view: PortfolioView) -> None:
        """Receive the risk component's portfolio view (default: ignore it).

        Called by the engine for every policy it is given, before any check. Keep the view
        and read it in :meth:`check`; never modify it. A policy that needs the view must
        fail closed (deny, saying so) while it has none, e.g. in an engine built without one.
        """

    @property
    def scope(self) -> tuple[str | None, str | None]:
        """``(market_id, token_id)``: the duplicate key of the entry, with its type name."""
        return (self.market_id, self.token_id)

    @property
    def scope_text(self) -> str:
        """``token X``, ``market Y`` or ``global``, for messages."""
        if self.token_id is not None:
            return f"token {self.token_id}"
        if self.market_id is not None:
            return f"market {self.market_id}"
        return "global"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config!r})"
