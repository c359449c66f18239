"""The strategy contract: :class:`Strategy` (entry-point group ``agbotkit.strategies``) and
the :class:`StrategyContext` it acts through.

One strategy class runs unchanged in three places, each giving it its own context:

* live or on paper, in the ``strategy`` component (``kind: strategy``), which feeds it the
  bus's market data and sends its orders through risk and execution;
* in the backtester, which replays recorded L2 data through the real book, risk engine,
  order manager and the paper venue's fill logic on a simulated clock.

The hooks are **synchronous** and must not block: a backtest calls them hundreds of
thousands of times a second. A hook acts only through its context: ``submit_order`` and
``cancel_order`` queue requests that the runner sends once the hook returns (in order),
so a hook never waits on the network. Everything a hook reads (books, positions, open
orders, the clock) is the runner's current view.

Prices in :class:`BookView` are floats (probabilities in ``[0, 1]``, for fast decisions);
what a strategy submits is exact: ``submit_order`` takes a ``Decimal``, ``str`` or float
price and size, and the order carries Decimals (a float is read through ``str``, so 0.53
is ``Decimal("0.53")``).
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import attrs

from agbotkit.model.books import Side, TickSizeChanged
from agbotkit.model.execution import OrderStatusChanged
from agbotkit.model.markets import MarketResolved, Trade
from agbotkit.model.orders import Fill, Order, OrderType
from agbotkit.model.positions import Position

__all__ = [
    "BookView",
    "NoParams",
    "Number",
    "OrderRejection",
    "Strategy",
    "StrategyContext",
    "StrategyMetadata",
]

ParamsT = TypeVar("ParamsT")
#: What prices and sizes may be given as; they become exact Decimals on the order.
Number = Decimal | str | float | int


@attrs.frozen
class NoParams:
    """The parameters of a strategy that takes none."""


@attrs.frozen
class StrategyMetadata:
    """What a strategy says about itself (``agbotkit plugins``, the dashboard, reports).

    Attributes:
        name: its entry-point name, e.g. ``market_maker``.
        version: its version.
        description: one line: what it does.
        markets_per_instance: how many markets one instance trades (0: any number).
    """

    name: str
    version: str = "0"
    description: str = ""
    markets_per_instance: int = 0


@attrs.frozen(slots=True)
class OrderRejection:
    """An order of the strategy that will not trade: denied by risk, refused by the
    execution layer or by the venue.

    Attributes:
        client_order_id: the order's id (what ``submit_order`` returned).
        token_id: its token.
        side: its side.
        price: its price.
        size: its size.
        stage: who refused it: ``risk``, ``execution`` or ``venue``.
        reason: why, in words.
    """

    client_order_id: str
    token_id: str
    side: Side
    price: Decimal
    size: Decimal
    stage: str
    reason: str


class BookView(Protocol):
    """A token's order book as a strategy reads it (the runner's current book; read it in
    the hook, do not keep it: it changes as the market does).

    Prices are floats in ``[0, 1]``, sizes floats in shares.
    """

    @property
    def token_id(self) -> str:
        """The token."""

    @property
    def market_id(self) -> str:
        """Its market (condition id)."""

    @property
    def timestamp_ms(self) -> int:
        """The server time of the update that made this book, Unix ms."""

    @property
    def valid(self) -> bool:
        """False while the book waits for a snapshot: never trade on an invalid book."""

    @property
    def best_bid(self) -> float | None:
        """The best bid, ``None`` for an empty side."""

    @property
    def best_ask(self) -> float | None:
        """The best ask, ``None`` for an empty side."""

    @property
    def best_bid_size(self) -> float:
        """Shares at the best bid (0 for an empty side)."""

    @property
    def best_ask_size(self) -> float:
        """Shares at the best ask (0 for an empty side)."""

    @property
    def mid(self) -> float | None:
        """``(best_bid + best_ask) / 2`` when both sides have a level."""

    @property
    def tick_size(self) -> float:
        """The token's tick size."""

    def bids(self, depth: int = 10) -> Sequence[tuple[float, float]]:
        """Up to ``depth`` bid levels ``(price, size)``, best first."""

    def asks(self, depth: int = 10) -> Sequence[tuple[float, float]]:
        """Up to ``depth`` ask levels ``(price, size)``, best first."""


class StrategyContext(abc.ABC):
    """What a strategy can see and do; the runner (live component or backtester) gives one.

    Attributes:
        strategy_id: this instance's name (the stack entry's name), on its orders and
            metrics.
        params: the validated parameters (the strategy's ``Config``).
        markets: the markets (condition ids) it trades.
        logger: a logger named after the instance.
    """

    strategy_id: str
    params: Any
    markets: tuple[str, ...]
    logger: logging.Logger

    @abc.abstractmethod
    def now_ms(self) -> int:
        """The current time, Unix ms (simulated in a backtest)."""

    @abc.abstractmethod
    def submit_order(
        self,
        token_id: str,
        side: Side,
        price: Number,
        size: Number,
        *,
        order_type: OrderType = OrderType.GTC,
        post_only: bool = False,
        expires_at_ms: int | None = None,
        market_id: str | None = None,
    ) -> str:
        """Queue an order (it goes to risk, then execution, once the hook returns); its
        client order id. ``market_id`` defaults to the token's market."""

    @abc.abstractmethod
    def cancel_order(self, client_order_id: str) -> None:
        """Queue a cancel of one of this strategy's orders (unknown ids are ignored)."""

    @abc.abstractmethod
    def cancel_all(self, market_id: str | None = None) -> None:
        """Queue cancels of every open order of this strategy (of one market if given)."""

    @abc.abstractmethod
    def get_position(self, token_id: str) -> Decimal:
        """Shares of ``token_id`` held (signed; from this strategy's fills)."""

    @abc.abstractmethod
    def positions(self) -> Mapping[str, Position]:
        """Every position of this strategy, by token."""

    @abc.abstractmethod
    def open_orders(self, market_id: str | None = None) -> Sequence[Order]:
        """This strategy's orders that may still trade (queued, sent or resting)."""

    @abc.abstractmethod
    def book(self, token_id: str) -> BookView | None:
        """The current book of a token, ``None`` before its first snapshot."""

    @abc.abstractmethod
    def tokens(self, market_id: str) -> Sequence[str]:
        """The outcome tokens of a market (YES first), as far as known."""

    @abc.abstractmethod
    def set_timer(self, interval_s: float) -> None:
        """Call :meth:`Strategy.on_timer` every ``interval_s`` (0 stops it)."""

    @abc.abstractmethod
    def metric(self, name: str, value: float, labels: Mapping[str, str] | None = None) -> None:
        """Publish a gauge (``strategy_id`` is added to its labels)."""

    @abc.abstractmethod
    def signal(self, signal_type: str, count: int = 1) -> None:
        """Count signals generated (``strategy.signals_generated{signal_type=...}``)."""


class Strategy(abc.ABC, Generic[ParamsT]):
    """A trading strategy (entry-point group ``agbotkit.strategies``).

    Subclass it, give it a ``Config`` (an attrs class: the stack entry's ``params`` are
    structured into it, errors with file, line and field), and override the hooks it
    needs; each default does nothing. See the module docstring for the rules.

    Attributes:
        Config: the parameters class.
        config: the validated parameters.
        context: what the strategy sees and acts through.
    """

    Config: ClassVar[type[Any]] = NoParams

    def __init__(self, config: ParamsT, context: StrategyContext) -> None:
        self.config = config
        self.context = context

    @classmethod
    def metadata(cls) -> StrategyMetadata:
        """Name, version, description (default: the class's name and docstring)."""
        doc = (cls.__doc__ or "").strip().splitlines()
        return StrategyMetadata(name=cls.__name__, description=doc[0] if doc else "")

    def on_start(self) -> None:
        """Called once, before any other hook (books may be empty yet)."""

    def on_book(self, book: BookView) -> None:
        """A token's book changed (snapshot or delta)."""

    def on_trade(self, trade: Trade) -> None:
        """A trade printed on a market it trades (the public tape)."""

    def on_tick_size(self, change: TickSizeChanged) -> None:
        """A token's tick size changed; resting orders keep their old prices."""

    def on_resolution(self, resolved: MarketResolved) -> None:
        """A market resolved: its positions settle, its orders are gone."""

    def on_fill(self, fill: Fill) -> None:
        """One of its orders traded (each trade once)."""

    def on_order_update(self, change: OrderStatusChanged) -> None:
        """One of its orders changed state (accepted, resting, filled, ...)."""

    def on_cancel(self, change: OrderStatusChanged) -> None:
        """One of its orders was cancelled or expired (after :meth:`on_order_update`)."""

    def on_rejected(self, rejection: OrderRejection) -> None:
        """One of its orders was denied or refused; it never traded."""

    def on_timer(self, now_ms: int) -> None:
        """The timer set with ``context.set_timer`` fired."""

    def on_stop(self) -> None:
        """Called once at the end (the runner cancels its open orders afterwards when
        configured to)."""
