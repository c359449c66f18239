"""The ``execution`` component's options, and the venues they declare.

Each entry of ``venues`` names a venue adapter plugin (``kind``, entry-point group
``agbotkit.venues``) and its options; the adapter's own ``Config`` validates them, and a
problem is reported at its path (``venues.paper.submit_latency_ms``) by ``agbotkit check``.

Trading real money takes two switches: ``live_trading: true`` in these options **and**
``AGBOTKIT_LIVE_TRADING=1`` in the environment. Without both, every order for a venue
whose capabilities say ``real_money`` is refused ("dry run") and nothing is sent to it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from agbotkit.abc import Problem, VenueAdapter
from agbotkit.config.checks import at_least, greater_than, one_of
from agbotkit.config.converter import structure_options
from agbotkit.errors import ConfigError, ConfigIssue, PluginError
from agbotkit.exec.lease.config import LeaseConfig
from agbotkit.plugins import PluginRegistry
from agbotkit.toolkit.ratelimit import Window

__all__ = [
    "LIVE_TRADING_ENV",
    "VENUE_GROUP",
    "ExecutionConfig",
    "VenuePlan",
    "live_trading_enabled",
    "plan_venues",
]

VENUE_GROUP = "agbotkit.venues"
#: The environment variable that, with ``live_trading: true``, lets real orders out.
LIVE_TRADING_ENV = "AGBOTKIT_LIVE_TRADING"


def _windows(pairs: Sequence[tuple[int, float]]) -> tuple[Window, ...]:
    return tuple(Window(calls, period) for calls, period in pairs)


@attrs.frozen(kw_only=True)
class ExecutionConfig:
    """Options of ``execution``.

    Attributes:
        venues: venue name -> ``{kind: <venue plugin>, ...its options}``.
        default_venue: where an intent that names no venue goes; empty: the only venue.
        live_trading: the first of the two switches for real money (see the module).
        cancel_on_stop: cancel every open order on every venue when the stack stops.
        unknown_open_orders: at start, orders open on a venue that this component does
            not know are ``adopt``-ed (tracked like its own) or ``cancel``-led.
        submit_timeout_s: the longest a submit may take before its outcome is UNKNOWN.
        cancel_timeout_s: the longest a cancel (or a lookup) may take.
        reconcile_timeout_s: the longest the start-up listing of open orders may take.
        resolve_interval_s: how often UNKNOWN orders and stale cancels are looked up.
        unknown_grace_s: an UNKNOWN order the venue does not know is only declared
            never-sent after this long (a slow request may still arrive).
        submit_workers: submits in flight per venue at once (each up to the venue's
            batch size).
        submit_rate: the process-wide order budget per venue, as (orders, seconds) windows
            (default: Polymarket's 3,500 per 10 s and 36,000 per 10 min).
        cancel_rate: the cancel budget per venue, as (cancels, seconds) windows.
        rate_max_wait_s: the longest an order waits for its budget before it is refused.
        metrics_interval_s: how often the execution gauges are published.
        forget_after_s: finished orders are kept in memory this long (for lookups).
        decision_buffer: approved orders that may wait before the risk component waits.
        leader_lease: trade only while holding this lease (a PostgreSQL advisory lock;
            see :mod:`agbotkit.exec.lease`); absent: always trade.
    """

    venues: dict[str, dict[str, Any]]
    default_venue: str = ""
    live_trading: bool = False
    cancel_on_stop: bool = True
    unknown_open_orders: str = attrs.field(default="adopt", validator=one_of("adopt", "cancel"))
    submit_timeout_s: float = attrs.field(default=10.0, validator=greater_than(0))
    cancel_timeout_s: float = attrs.field(default=10.0, validator=greater_than(0))
    reconcile_timeout_s: float = attrs.field(default=30.0, validator=greater_than(0))
    resolve_interval_s: float = attrs.field(default=1.0, validator=greater_than(0))
    unknown_grace_s: float = attrs.field(default=30.0, validator=at_least(0))
    submit_workers: int = attrs.field(default=4, validator=at_least(1))
    submit_rate: tuple[tuple[int, float], ...] = ((3_500, 10.0), (36_000, 600.0))
    cancel_rate: tuple[tuple[int, float], ...] = ((3_000, 10.0), (30_000, 600.0))
    rate_max_wait_s: float = attrs.field(default=5.0, validator=at_least(0))
    metrics_interval_s: float = attrs.field(default=1.0, validator=greater_than(0))
    forget_after_s: float = attrs.field(default=3600.0, validator=greater_than(0))
    decision_buffer: int = attrs.field(default=10_000, validator=at_least(1))
    leader_lease: LeaseConfig | None = None

    @property
    def submit_windows(self) -> tuple[Window, ...]:
        """``submit_rate`` as rate-limit windows."""
        return _windows(self.submit_rate)

    @property
    def cancel_windows(self) -> tuple[Window, ...]:
        """``cancel_rate`` as rate-limit windows."""
        return _windows(self.cancel_rate)


@attrs.frozen
class VenuePlan:
    """One venue to run: its name, adapter class and validated options."""

    name: str
    adapter: type[VenueAdapter[Any]]
    config: Any


def live_trading_enabled(config: ExecutionConfig, environ: Mapping[str, str] | None = None) -> bool:
    """Whether both switches are on: ``live_trading: true`` and ``AGBOTKIT_LIVE_TRADING=1``."""
    env = os.environ if environ is None else environ
    return config.live_trading and env.get(LIVE_TRADING_ENV, "") == "1"


def plan_venues(
    config: ExecutionConfig, stack_dir: Path, registry: PluginRegistry | None = None
) -> tuple[list[VenuePlan], list[Problem]]:
    """Load each venue's adapter and validate its options; every problem, with its path."""
    registry = registry if registry is not None else PluginRegistry()
    plans: list[VenuePlan] = []
    problems: list[Problem] = []
    if not config.venues:
        problems.append(Problem(("venues",), "name at least one venue"))
    installed = ", ".join(registry.names(VENUE_GROUP)) or "none"
    for name, entry in config.venues.items():
        path: tuple[str | int, ...] = ("venues", name)
        kind = entry.get("kind")
        if not isinstance(kind, str):
            problems.append(
                Problem((*path, "kind"), f"name the venue's kind (installed venues: {installed})")
            )
            continue
        try:
            adapter = registry.load(VENUE_GROUP, kind)
        except PluginError as exc:
            message = (
                str(exc)
                if kind in registry.names(VENUE_GROUP)
                else (f"unknown venue kind {kind!r} (installed venues: {installed})")
            )
            problems.append(Problem((*path, "kind"), message))
            continue
        if not (isinstance(adapter, type) and issubclass(adapter, VenueAdapter)):
            problems.append(Problem((*path, "kind"), f"{kind!r} is not a VenueAdapter subclass"))
            continue
        options = {key: value for key, value in entry.items() if key != "kind"}
        venue_config, found = structure_options(adapter.Config, options, base_dir=stack_dir)
        problems.extend(Problem((*path, *where), message) for where, message in found)
        if venue_config is None:
            continue
        problems.extend(
            Problem((*path, *p.field), p.message)
            for p in adapter.preflight(venue_config, stack_dir)
        )
        plans.append(VenuePlan(name, adapter, venue_config))
    if config.default_venue and config.default_venue not in config.venues:
        known = ", ".join(config.venues) or "none"
        problems.append(
            Problem(
                ("default_venue",), f"no venue named {config.default_venue!r} (venues: {known})"
            )
        )
    elif not config.default_venue and len(config.venues) > 1:
        problems.append(
            Problem(("default_venue",), "several venues: say which one takes orders naming none")
        )
    if config.leader_lease is not None:
        problems.extend(config.leader_lease.problems(stack_dir, ("leader_lease",)))
    return plans, problems


def venues_or_raise(config: ExecutionConfig, stack_dir: Path, component: str) -> list[VenuePlan]:
    """:func:`plan_venues`, raising a :class:`ConfigError` listing every problem."""
    plans, problems = plan_venues(config, stack_dir)
    if problems:
        raise ConfigError(
            [
                ConfigIssue(
                    "<stack>",
                    None,
                    ".".join(map(str, ("components", component, *p.field))),
                    p.message,
                )
                for p in problems
            ]
        )
    return plans
