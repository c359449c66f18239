"""Which venues of an execution component would trade real money, said in words.

``agbotkit check`` prints these lines, and the component logs them when it starts, so a
user knows before and at start whether an order can cost money. Orders reach a real
exchange only when the venue trades real money (its ``no_money_reason`` is ``None``)
**and** both live-trading switches are on: ``live_trading: true`` in the stack and
``AGBOTKIT_LIVE_TRADING=1`` in the environment. A live start also logs the risk limits in
force (what the stack's risk components retained on ``RISK_LIMITS``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import attrs

from agbotkit.exec.config import (
    LIVE_TRADING_ENV,
    ExecutionConfig,
    VenuePlan,
    live_trading_enabled,
)
from agbotkit.model.risk import RiskLimits

__all__ = ["VenueMode", "log_trading_modes", "trading_modes"]


@attrs.frozen
class VenueMode:
    """How one venue would trade.

    Attributes:
        venue: the venue's name in the stack.
        live: whether its orders would reach a real exchange with real money.
        text: the line to show: ``venue NAME: LIVE ...`` / ``DRY RUN ...`` / why no money.
    """

    venue: str
    live: bool
    text: str


def trading_modes(
    config: ExecutionConfig,
    plans: Sequence[VenuePlan],
    environ: Mapping[str, str] | None = None,
) -> list[VenueMode]:
    """The mode of every venue of ``config`` (``environ``: the process's by default)."""
    switched_on = live_trading_enabled(config, environ)
    modes = []
    for plan in plans:
        reason = plan.adapter.no_money_reason(plan.config)
        live = reason is None and switched_on
        if reason is not None:
            mode = f"no real money: {reason}"
        elif live:
            mode = f"LIVE: real orders are sent (live_trading: true and {LIVE_TRADING_ENV}=1)"
        elif config.live_trading:
            mode = f"DRY RUN: live_trading is true but {LIVE_TRADING_ENV} is not 1; nothing is sent"
        else:
            mode = (
                "DRY RUN: live_trading is off in the stack; nothing is sent (live needs "
                f"live_trading: true and {LIVE_TRADING_ENV}=1)"
            )
        modes.append(VenueMode(plan.name, live, f"venue {plan.name}: {mode}"))
    return modes


def log_trading_modes(
    modes: Sequence[VenueMode], limits: Sequence[RiskLimits], log: logging.Logger
) -> None:
    """Log each venue's mode; when one is live, every risk limit in force too (WARNING)."""
    for mode in modes:
        log.log(logging.WARNING if mode.live else logging.INFO, "%s", mode.text)
    if not any(mode.live for mode in modes):
        return
    if not limits:
        log.warning("LIVE TRADING with no risk component in this stack: no risk limits in force")
    for found in limits:
        log.warning(
            "LIVE TRADING under risk component %s (%s): %s",
            found.component,
            found.policy_file,
            "; ".join(found.policies),
        )
