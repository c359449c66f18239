"""The risk component's books: positions from fills, marked at book mids, settled by resolutions.

A :class:`Portfolio` wraps a :class:`~agbotkit.risk.simulator.PolymarketSimulator` with what
the component learns from the bus: the mid of every token's latest valid book, each market's
tokens, outcome names and end date, and which tokens it traded. It builds the
:class:`~agbotkit.model.risk.RiskContext` an intent is judged against, and publishes what it
holds: position snapshots on ``POSITIONS`` and the position and inventory gauges. Given a
:class:`~agbotkit.risk.riskview.PortfolioRisk`, it keeps that view's positions and marks
current too (what ``VarLimit`` and ``GreeksLimit`` judge against).

Synchronous and loop-free: the component's tasks call it, and tests drive it directly.
"""

from __future__ import annotations

import contextlib
from decimal import Decimal

import attrs

from agbotkit.abc import ComponentContext
from agbotkit.bus.subscription import BusFullError
from agbotkit.errors import InsufficientPositionError, SettledTokenError
from agbotkit.model.feeds import BookTop
from agbotkit.model.markets import MarketInfo, MarketResolved
from agbotkit.model.metrics import MetricType
from agbotkit.model.orders import Fill, OrderIntent, Side, TradeStatus
from agbotkit.model.positions import Position, PositionSnapshot
from agbotkit.model.risk import RiskContext
from agbotkit.risk.riskview import PortfolioRisk
from agbotkit.risk.simulator import PolymarketSimulator
from agbotkit.topics import POSITIONS

__all__ = ["METRIC_INVENTORY", "METRIC_POSITION", "Portfolio"]

#: Shares held; labels ``market_id``, ``side`` (the token's outcome, else its id).
METRIC_POSITION = "polymarket.position.size"
#: What everything held is worth at the marks, USD.
METRIC_INVENTORY = "polymarket.inventory.value_usd"


class Portfolio:
    """The positions a risk component judges orders against.

    Args:
        context: the component's context: its name, clock and logger, and the bus that
            position snapshots and gauges go to.
        fee_rate: the taker fee rate for fills that carry no fee (see the simulator).
        fee_exponent: the exponent of the fee curve.
        view: the portfolio-risk view to keep current (positions and marks); optional.

    Attributes:
        simulator: the books: positions, average costs, PnL.
        view: the portfolio-risk view, when given.
    """

    def __init__(
        self,
        context: ComponentContext,
        *,
        fee_rate: Decimal = Decimal(0),
        fee_exponent: int = 1,
        view: PortfolioRisk | None = None,
    ) -> None:
        self._context = context
        self.view = view
        self._log = context.logger
        self.simulator = PolymarketSimulator(fee_rate=fee_rate, fee_exponent=fee_exponent)
        self._mids: dict[str, Decimal] = {}  # token -> mid of its latest valid book
        self._end_ms: dict[str, int] = {}  # market -> end date
        self._token_market: dict[str, str] = {}  # token -> market, from MARKETS
        self._outcomes: dict[str, str] = {}  # token -> outcome name, from MARKETS
        self._traded: set[str] = set()  # tokens with fills (or restored) this session
        self._inventory: float | None = None  # cached: summing every book per order is slow
        self._pnl_changed = False

    # -- what orders are judged against -------------------------------------------------

    def risk_context(self, intent: OrderIntent, now_ms: int) -> RiskContext:
        """The context ``intent`` is judged in: the token's position, the inventory's
        value, the token's mid (none while its book is invalid) and the market's end date."""
        mid = self._mids.get(intent.token_id)
        return RiskContext.from_intent(
            intent,
            current_position=float(self.simulator.position(intent.token_id).size),
            inventory_value_usd=self.inventory_value(),
            mid=None if mid is None else float(mid),
            now_ms=now_ms,
            market_end_ms=self._end_ms.get(intent.market_id),
        )

    def mid(self, token: str) -> float | None:
        """The mid of the token's latest valid book, ``None`` without one."""
        mid = self._mids.get(token)
        return None if mid is None else float(mid)

    def inventory_value(self) -> float:
        """What everything held is worth at the marks, USD."""
        if self._inventory is None:
            self._inventory = float(self.simulator.inventory_value_usd)
        return self._inventory

    def take_pnl(self) -> float | None:
        """The session's PnL in USD when the books changed since the last call, else ``None``
        (what the kill switch's loss rules are fed)."""
        if not self._pnl_changed:
            return None
        self._pnl_changed = False
        return float(self.simulator.total_pnl_usd)

    # -- what comes in ------------------------------------------------------------------

    def restore(self, position: Position) -> None:
        """Take a stored snapshot as the token's books (at start, before any fill)."""
        self.simulator.restore(position)
        if position.market_id:
            self._token_market.setdefault(position.token_id, position.market_id)
        self._traded.add(position.token_id)
        self._changed()
        self._hold(position.token_id)

    def apply_fill(self, fill: Fill) -> None:
        """Book ``fill``; a fill the books cannot take is logged at ERROR and skipped.

        A fill whose trade ``FAILED`` to settle (the execution component publishes one only
        for a trade it counted) is undone: booked as the opposite trade at the same price,
        without a fee. A position built at several prices keeps a small realised PnL from
        that, the price of not knowing which shares the failed trade brought."""
        token = fill.token_id
        if not fill.market_id and token in self._token_market:
            fill = attrs.evolve(fill, market_id=self._token_market[token])
        if fill.trade_status is TradeStatus.FAILED:
            self._log.error("trade %s failed to settle: undoing its fill %r", fill.trade_id, fill)
            undo = Side.SELL if fill.side is Side.BUY else Side.BUY
            fill = attrs.evolve(fill, side=undo, fee_usd=Decimal(0))
        try:
            self.simulator.apply_fill(fill)
        except (InsufficientPositionError, SettledTokenError) as exc:
            # Fills are facts: one the books cannot take means they are wrong. Say so
            # loudly, but keep judging orders on the books as they are.
            self._log.error("fill not booked, the positions may be wrong: %s (%r)", exc, fill)
            return
        if token not in self._traded:
            self._traded.add(token)
            mid = self._mids.get(token)
            if mid is not None:
                self.simulator.update_mid(token, mid)
        self._changed()
        self._hold(token)
        self.publish_position(token)
        self._gauge(METRIC_INVENTORY, self.inventory_value())

    def mark(self, top: BookTop) -> None:
        """Take the mid of a token's latest book (an invalid or one-sided book has none)."""
        mid = top.mid if top.valid else None
        if mid is None:  # no trading on an invalid or one-sided book: no mid for policies
            self._mids.pop(top.asset_id, None)
            return
        self._mids[top.asset_id] = mid
        if self.view is not None:
            self.view.mark(top.asset_id, float(mid))
        if top.asset_id in self._traded:  # only held tokens are marked: fewer books to sum
            self.simulator.update_mid(top.asset_id, mid)
            self._changed()

    def market_data(self, event: object) -> None:
        """Settle on a :class:`~agbotkit.model.markets.MarketResolved`; ignore the rest."""
        if isinstance(event, MarketResolved):
            self.settle(event)

    def settle(self, event: MarketResolved) -> None:
        """Settle the market's tokens at their payouts, when any of them was traded."""
        if not any(token in self._traded for token in event.asset_ids):
            return
        positions = self.simulator.resolve(event.market, event.winning_asset_id)
        self._log.info("market %s resolved: %s won", event.market, event.winning_outcome)
        self._changed()
        for position in positions:
            self._hold(position.token_id)
            if position.token_id in self._traded:
                self.publish_position(position.token_id)
        self._gauge(METRIC_INVENTORY, self.inventory_value())

    def learn_market(self, market: MarketInfo) -> None:
        """Remember the market's end date and its tokens' market and outcome names."""
        if market.end_date_ms is not None:
            self._end_ms[market.condition_id] = market.end_date_ms
        for outcome, token in zip(market.outcomes, market.token_ids, strict=False):
            self._outcomes[token] = outcome
            self._token_market[token] = market.condition_id

    # -- what goes out ------------------------------------------------------------------

    def publish_position(self, token: str) -> None:
        """The token's position gauge, and its snapshot on ``POSITIONS`` when anyone listens."""
        position = self.simulator.position(token)
        labels = {
            "market_id": position.market_id or self._token_market.get(token, ""),
            "side": self._outcomes.get(token, token),
        }
        self._gauge(METRIC_POSITION, float(position.size), labels)
        bus = self._context.bus
        if not bus.closed and bus.subscriber_count(POSITIONS):
            if not position.market_id and labels["market_id"]:
                position = attrs.evolve(position, market_id=labels["market_id"])
            snapshot = PositionSnapshot(
                position=position, timestamp_ms=self._context.now_ms(), component=self._context.name
            )
            with contextlib.suppress(BusFullError):  # a snapshot is state, the next one follows
                bus.publish_nowait(POSITIONS, snapshot)

    def publish_all(self) -> None:
        """The periodic samples: every position traded, then the inventory."""
        for token in self._traded:
            self.publish_position(token)
        self._gauge(METRIC_INVENTORY, self.inventory_value())

    def _hold(self, token: str) -> None:
        """Tell the view the shares now held in ``token``."""
        if self.view is not None:
            self.view.set_position(token, float(self.simulator.position(token).size))

    def _changed(self) -> None:
        self._inventory = None
        self._pnl_changed = True

    def _gauge(self, name: str, value: float, labels: dict[str, str] | None = None) -> None:
        self._context.metric(name, value, MetricType.GAUGE, labels)
