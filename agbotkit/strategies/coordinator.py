"""``MultiMarketCoordinator``: several strategies over many markets, from one feed.

A runner (the ``strategy`` component, the backtester) gets every market's data on one
stream and every order answer on another; the coordinator says who each message is for,
without I/O and without trio, so every runner routes the same way:

* **market data** goes to the strategies subscribed to its market (a strategy registered
  with no markets hears every market);
* **orders** a strategy submits are routed to the venue it was registered with (unless
  the order names one), and remembered, so each fill, status change or rejection goes
  back to the strategy that issued the order, and to no other;
* **inventory across an event**: the markets of one event (a neg-risk event's markets,
  whose outcomes exclude each other, share :attr:`MarketInfo.event_id`) are tracked
  together, per strategy: shares of each token, the YES-minus-NO shares of each market,
  and the complete baskets held (a YES of every market of a neg-risk event pays exactly 1
  USD whatever wins).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

import attrs

from agbotkit.model.markets import MarketInfo
from agbotkit.model.orders import Fill, OrderIntent

__all__ = ["EventInventory", "MultiMarketCoordinator", "StrategyRoute"]

_ZERO = Decimal(0)


@attrs.frozen
class StrategyRoute:
    """One strategy as the coordinator knows it.

    Attributes:
        strategy_id: its name.
        markets: the condition ids it trades; empty: every market.
        venue: the venue its orders go to (empty: the execution layer's default).
    """

    strategy_id: str
    markets: frozenset[str] = frozenset()
    venue: str = ""

    def hears(self, market_id: str) -> bool:
        """Whether market data of ``market_id`` is for it."""
        return not self.markets or market_id in self.markets


@attrs.frozen
class EventInventory:
    """What one strategy holds across the markets of one event.

    Attributes:
        event_id: the event (a market's own condition id when it has no event).
        markets: the event's markets, in the order they were learnt.
        shares: shares held per token (signed by fills: buys add, sells remove).
        net_yes: per market, YES shares minus NO shares (its first token minus its second).
        complete_baskets: YES shares held of every market of the event at once (the least
            of them; 0 when a market's YES is not held); a neg-risk event's basket pays 1.
    """

    event_id: str
    markets: tuple[str, ...]
    shares: Mapping[str, Decimal]
    net_yes: Mapping[str, Decimal]
    complete_baskets: Decimal


class MultiMarketCoordinator:
    """Routes market data and orders between strategies and tracks event inventory (see
    the module)."""

    def __init__(self) -> None:
        self._routes: dict[str, StrategyRoute] = {}
        self._tokens: dict[str, tuple[str, ...]] = {}  # market -> tokens, YES first
        self._token_market: dict[str, str] = {}
        self._event_of: dict[str, str] = {}  # market -> event
        self._event_markets: dict[str, list[str]] = {}  # event -> markets
        self._owner: dict[str, str] = {}  # client order id -> strategy id
        # strategy id -> token -> shares
        self._shares: dict[str, dict[str, Decimal]] = {}
        self._listeners: dict[str, tuple[str, ...]] = {}  # market -> strategy ids (cache)

    # -- strategies and markets ---------------------------------------------------------------

    def register(self, strategy_id: str, markets: Iterable[str] = (), venue: str = "") -> None:
        """Add a strategy (or change its markets and venue).

        Raises:
            ValueError: ``strategy_id`` is empty.
        """
        if not strategy_id:
            raise ValueError("a strategy needs a non-empty id")
        self._routes[strategy_id] = StrategyRoute(strategy_id, frozenset(markets), venue)
        self._shares.setdefault(strategy_id, {})
        self._listeners.clear()

    def unregister(self, strategy_id: str) -> None:
        """Remove a strategy; its orders' later answers go nowhere."""
        self._routes.pop(strategy_id, None)
        self._listeners.clear()

    @property
    def routes(self) -> tuple[StrategyRoute, ...]:
        """Every registered strategy, in registration order."""
        return tuple(self._routes.values())

    def learn_market(self, info: MarketInfo) -> None:
        """Take a market's tokens (YES first) and event."""
        market = info.condition_id
        self._tokens[market] = info.token_ids
        for token in info.token_ids:
            self._token_market[token] = market
        self.assign_event(market, info.event_id or market)

    def assign_event(self, market_id: str, event_id: str) -> None:
        """Put ``market_id`` in ``event_id`` (moving it out of the event it was in)."""
        old = self._event_of.get(market_id)
        if old == event_id:
            return
        if old is not None:
            self._event_markets[old].remove(market_id)
        self._event_of[market_id] = event_id
        self._event_markets.setdefault(event_id, []).append(market_id)

    def tokens(self, market_id: str) -> tuple[str, ...]:
        """A market's tokens, YES first (empty when not learnt)."""
        return self._tokens.get(market_id, ())

    def market_of(self, token_id: str) -> str | None:
        """The market of a token, when learnt."""
        return self._token_market.get(token_id)

    def event_of(self, market_id: str) -> str:
        """The event of a market (the market itself when it has none)."""
        return self._event_of.get(market_id, market_id)

    def event_markets(self, event_id: str) -> tuple[str, ...]:
        """The markets of an event, in the order they were learnt."""
        return tuple(self._event_markets.get(event_id, ()))

    # -- routing ----------------------------------------------------------------------------

    def listeners(self, market_id: str) -> tuple[str, ...]:
        """The strategies market data of ``market_id`` goes to, in registration order."""
        found = self._listeners.get(market_id)
        if found is None:
            found = tuple(r.strategy_id for r in self._routes.values() if r.hears(market_id))
            self._listeners[market_id] = found
        return found

    def route_order(self, strategy_id: str, intent: OrderIntent) -> OrderIntent:
        """The intent as it is sent: on the strategy's venue unless it names one, marked
        with the strategy; remembered, so its answers come back to the strategy.

        Raises:
            KeyError: the strategy is not registered.
            ValueError: the intent has no client order id (its answers could not be
                routed back).
        """
        route = self._routes[strategy_id]
        if not intent.client_order_id:
            raise ValueError("a routed order needs a client order id")
        self._owner[intent.client_order_id] = strategy_id
        venue = intent.venue or route.venue
        if venue == intent.venue and intent.strategy == strategy_id:
            return intent
        return attrs.evolve(intent, venue=venue, strategy=strategy_id)

    def owner(self, client_order_id: str) -> str | None:
        """The strategy that issued an order (``None``: none of them)."""
        return self._owner.get(client_order_id)

    def apply_fill(self, fill: Fill) -> str | None:
        """Count a fill in its strategy's inventory; the strategy it is for (``None``: an
        order no strategy here issued, counted nowhere)."""
        strategy_id = self._owner.get(fill.client_order_id)
        if strategy_id is None:
            return None
        shares = self._shares.setdefault(strategy_id, {})
        shares[fill.token_id] = shares.get(fill.token_id, _ZERO) + fill.signed_size
        if fill.market_id and fill.token_id not in self._token_market:
            self._token_market[fill.token_id] = fill.market_id
        return strategy_id

    # -- inventory ---------------------------------------------------------------------------

    def position(self, strategy_id: str, token_id: str) -> Decimal:
        """Shares of a token a strategy holds (from the fills routed to it)."""
        return self._shares.get(strategy_id, {}).get(token_id, _ZERO)

    def event_inventory(self, strategy_id: str, event_id: str) -> EventInventory:
        """What a strategy holds across the markets of an event."""
        markets = self.event_markets(event_id)
        held = self._shares.get(strategy_id, {})
        shares: dict[str, Decimal] = {}
        net_yes: dict[str, Decimal] = {}
        yes_held: list[Decimal] = []
        for market in markets:
            tokens = self._tokens.get(market, ())
            for token in tokens:
                shares[token] = held.get(token, _ZERO)
            yes = shares[tokens[0]] if tokens else _ZERO
            no = shares[tokens[1]] if len(tokens) > 1 else _ZERO
            net_yes[market] = yes - no
            yes_held.append(yes)
        baskets = max(min(yes_held), _ZERO) if yes_held else _ZERO
        return EventInventory(event_id, markets, shares, net_yes, baskets)
