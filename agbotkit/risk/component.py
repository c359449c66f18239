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

Portfolio risk (see :mod:`~agbotkit.risk.riskview`): the marks are sampled every
``price_sample_interval_s`` into a price history (the covariance ``VarLimit`` and the VaR
metrics use); markets named in ``underlyings`` have their tokens priced as digital options
on the RTDS reference price (``ReferencePrice`` on ``MARKET_DATA``) for ``GreeksLimit``
and the Greek metrics; every ``analytics_interval_s`` the ``risk.var_*``, ``risk.es_95``
and ``risk.portfolio_*`` gauges are published (:mod:`~agbotkit.risk.analytics`).

The policy file is reloaded on SIGHUP and, with ``reload: true``, when it changes on
disk; a file that fails validation is refused (logged at ERROR with file and line) and
the policies in force stay.

The parts, each in its own module: the books (:mod:`~agbotkit.risk.portfolio`), the kill
switch's keeper (:mod:`~agbotkit.risk.keeper`), the policy reloads
(:mod:`~agbotkit.risk.reloader`), and the judge (:mod:`~agbotkit.risk.judge`), which judges
each intent after every fill, order outcome, kill command, book and market published
before it. This module only wires them to the bus.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import attrs
import trio

from agbotkit.abc import Component, Problem
from agbotkit.bus.subscription import Subscription
from agbotkit.bus.topic import Overflow
from agbotkit.config.checks import FieldValueError, at_least, greater_than
from agbotkit.db.database import DatabaseConfig
from agbotkit.errors import ConfigError
from agbotkit.model.markets import MarketInfo
from agbotkit.model.orders import OrderIntent
from agbotkit.risk.analytics import RiskAnalytics
from agbotkit.risk.judge import METRIC_DECISION, Feed, Judge
from agbotkit.risk.keeper import METRIC_KILL_SWITCH, KillSwitchKeeper
from agbotkit.risk.limits import publish_limits
from agbotkit.risk.links import UnderlyingLink, UnderlyingLinks
from agbotkit.risk.loading import engine_from_file, load_policy_file
from agbotkit.risk.portfolio import METRIC_INVENTORY, METRIC_POSITION, Portfolio
from agbotkit.risk.pricehistory import PriceHistory
from agbotkit.risk.reloader import METRIC_POLICY_RELOADS, PolicyReloader
from agbotkit.risk.restore import load_positions
from agbotkit.risk.riskview import PortfolioRisk
from agbotkit.risk.watch import FileChanges, KillStateFile, hangup_signals
from agbotkit.toolkit.tasks import consume, run_every
from agbotkit.topics import (
    BOOKS,
    FILLS,
    MARKET_DATA,
    MARKETS,
    ORDER_INTENTS,
    ORDER_OUTCOMES,
    RISK_COMMANDS,
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
        analytics_interval_s: how often the ``risk.var_*``, ``risk.es_95`` and
            ``risk.portfolio_*`` gauges are published (and linked tokens' Greeks refreshed).
        price_sample_interval_s: how often every token's mark is sampled into the price
            history (one price change per interval per token).
        price_window: how many price changes per token the covariance is estimated on.
        min_price_observations: price changes a token needs before it enters the
            covariance (before: it is *cold*, see ``VarLimit``); at most ``price_window``.
        underlyings: markets (by condition id) whose outcome depends on an underlying's
            reference price, each with ``symbol``, ``strike``, ``direction`` and
            ``expiry`` (see :class:`~agbotkit.risk.links.UnderlyingLink`).
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
    analytics_interval_s: float = attrs.field(default=10.0, validator=greater_than(0))
    price_sample_interval_s: float = attrs.field(default=60.0, validator=greater_than(0))
    price_window: int = attrs.field(default=1440, validator=at_least(2))
    min_price_observations: int = attrs.field(default=30, validator=at_least(2))
    underlyings: dict[str, UnderlyingLink] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        if self.min_price_observations > self.price_window:
            message = f"expected a value <= price_window ({self.price_window})"
            raise FieldValueError("min_price_observations", message)

    def state_path(self, name: str, stack_dir: Path) -> Path:
        """The state file of the component called ``name`` in a stack in ``stack_dir``."""
        return self.state_file if self.state_file is not None else stack_dir / f"{name}-state.json"


class RiskComponent(Component[RiskConfig]):
    """Judges order intents, keeps positions, owns the kill switch (see the module)."""

    Config = RiskConfig

    @classmethod
    def preflight(cls, config: RiskConfig, stack_dir: Path) -> Sequence[Problem]:
        """The policy file must exist and validate, and a ``positions_from`` database be
        reachable in principle (driver, password): without them the component cannot start."""
        try:
            load_policy_file(config.policy_file)
        except ConfigError as exc:
            return [
                Problem(("policy_file",), f"policy file refused: {issue}") for issue in exc.issues
            ]
        return ()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        config, context = self.config, self.context
        kill_file = KillStateFile(config.state_path(self.name, context.stack_dir))
        kill_state = kill_file.load()
        policy_changes = FileChanges(config.policy_file)  # before loading: no edit is missed
        history = PriceHistory(
            interval_s=config.price_sample_interval_s,
            window=config.price_window,
            min_observations=config.min_price_observations,
        )
        view = PortfolioRisk(history)
        engine = engine_from_file(
            config.policy_file, kill_state=kill_state, clock=context.now_ms, view=view
        )
        portfolio = Portfolio(
            context, fee_rate=config.fee_rate, fee_exponent=config.fee_exponent, view=view
        )
        links = UnderlyingLinks(config.underlyings, view)
        analytics = RiskAnalytics(view, context, portfolio.inventory_value)

        def learn_market(market: MarketInfo) -> None:
            portfolio.learn_market(market)
            links.learn_market(market)

        def on_market_data(event: object) -> None:
            portfolio.market_data(event)
            links.reference(event)

        def publish_analytics() -> None:
            links.refresh(portfolio.mid, context.now_ms())
            analytics.publish()

        keeper = KillSwitchKeeper(
            engine,
            kill_file,
            context,
            pnl=portfolio.take_pnl,
            retry_interval_s=config.metrics_interval_s,
        )
        reloader = PolicyReloader(engine, config.policy_file, policy_changes, keeper, context)
        publish_limits(engine, config.policy_file, context)
        if config.positions_from is not None:
            for position in await load_positions(config.positions_from, context, self.name):
                portfolio.restore(position)
        context.logger.info(
            "%d policies from %s; kill switch %s (state file %s)",
            len(engine.policies),
            config.policy_file,
            f"TRIGGERED: {kill_state.reason}" if kill_state.triggered else "not triggered",
            kill_file.path,
        )
        block, drop = Overflow.BLOCK, Overflow.DROP_OLDEST
        bus = context.bus
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
            # Every input an intent's decision depends on, in the order the judge catches
            # up with them (see agbotkit.risk.judge); each also has its own task, so the
            # books stay current while no intent comes.
            feeds: tuple[Feed[Any], ...] = (
                Feed(markets, learn_market),
                Feed(books, portfolio.mark),
                Feed(fills, portfolio.apply_fill),
                Feed(market_data, on_market_data),
                Feed(outcomes, keeper.record_outcome),
                Feed(commands, keeper.command),
            )
            judge = Judge(engine, portfolio, context, feeds)
            async with trio.open_nursery() as nursery:
                done = nursery.cancel_scope
                nursery.start_soon(_judge, judge, intents, done)
                for feed in feeds:
                    nursery.start_soon(partial(consume, feed.subscription, feed.handle, done=done))
                nursery.start_soon(run_every, config.pnl_interval_s, keeper.feed_pnl)
                nursery.start_soon(run_every, config.watch_interval_s, keeper.poll_state_file)
                if config.reload:
                    nursery.start_soon(run_every, config.watch_interval_s, reloader.poll)
                nursery.start_soon(run_every, config.metrics_interval_s, keeper.tick)
                nursery.start_soon(run_every, config.metrics_interval_s, portfolio.publish_all)
                nursery.start_soon(run_every, config.price_sample_interval_s, view.sample)
                nursery.start_soon(run_every, config.analytics_interval_s, publish_analytics)
                if hangups is not None:
                    nursery.start_soon(reloader.reload_on, hangups)
                keeper.sync("restored" if kill_state.triggered else "startup")
                keeper.tick()
                portfolio.publish_all()
                task_status.started()


async def _judge(judge: Judge, intents: Subscription[OrderIntent], done: trio.CancelScope) -> None:
    await judge.run(intents)
    done.cancel()  # the bus closed: the stack is over
