"""Markets linked to an underlying: their tokens priced as digital options, for Greeks.

A market "Will BTC be above 100,000 USD on 31 March?" is a cash-or-nothing digital on the
RTDS reference price: its YES token pays 1 USD when the underlying ends above the strike (a
digital call), its NO token when it ends below (a digital put). The risk component's
``underlyings`` option links a market (by condition id) to its underlying::

    underlyings:
      "0xabc...":
        symbol: btc/usd          # the RTDS symbol (ReferencePrice.symbol), any case
        strike: 100000
        direction: above         # YES pays above the strike (``below``: YES is the put)
        expiry: "2026-03-31T16:00:00Z"   # default: the market's end date (MARKETS)

:class:`UnderlyingLinks` learns each linked market's tokens from ``MARKETS`` (the first token
is YES), the latest reference price of each symbol from ``MARKET_DATA``
(:class:`~agbotkit.model.prices.ReferencePrice`, the last point of a
:class:`~agbotkit.model.prices.ReferencePriceSnapshot`), and on every :meth:`refresh` sets
the per-share Greeks of each linked token on the portfolio view: the digital's Greeks at the
volatility implied by the token's mid (rate 0, T = days / 365). A token without a reference
price, a mid strictly inside (0, 1), an implied volatility, or time left has no Greeks then.

Synchronous and loop-free.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime

import attrs

from agbotkit.config.checks import FieldValueError, greater_than, non_empty, one_of
from agbotkit.model.markets import MarketInfo
from agbotkit.model.prices import ReferencePrice, ReferencePriceSnapshot
from agbotkit.risk.advanced.greeks import Greeks, digital
from agbotkit.risk.advanced.greeks_inputs import OptionType
from agbotkit.risk.advanced.implied_vol import digital_implied_volatility
from agbotkit.risk.riskview import PortfolioRisk

__all__ = ["UnderlyingLink", "UnderlyingLinks"]

LOGGER = logging.getLogger(__name__)

_YEAR_MS = 365 * 86_400_000


@attrs.frozen(kw_only=True)
class UnderlyingLink:
    """How one market's outcome depends on an underlying (see the module).

    Attributes:
        symbol: the reference price's RTDS symbol, e.g. ``btc/usd`` (matched in any case).
        strike: the level the market resolves on, in the underlying's currency.
        direction: ``above``: YES pays when the underlying ends above the strike (YES is a
            digital call, NO a digital put); ``below``: the other way round.
        expiry: when the market resolves, ISO 8601 with a time zone; default: the
            market's end date from ``MARKETS``.
    """

    symbol: str = attrs.field(validator=non_empty())
    strike: float = attrs.field(validator=greater_than(0))
    direction: str = attrs.field(default="above", validator=one_of("above", "below"))
    expiry: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.expiry is not None:
            try:
                parsed = datetime.fromisoformat(self.expiry)
            except ValueError:
                raise FieldValueError("expiry", "expected an ISO 8601 time") from None
            if parsed.tzinfo is None:
                raise FieldValueError("expiry", "expected a time zone (e.g. Z or +00:00)")

    @property
    def expiry_ms(self) -> int | None:
        """The expiry as Unix epoch milliseconds, when given."""
        if self.expiry is None:
            return None
        return round(datetime.fromisoformat(self.expiry).timestamp() * 1000)


@attrs.frozen
class _Linked:
    symbol: str
    strike: float
    option: OptionType
    expiry_ms: int | None


class UnderlyingLinks:
    """Keeps the per-share Greeks of linked tokens current on ``view`` (see the module).

    Args:
        links: the linked markets, by condition id.
        view: the portfolio view the Greeks are set on.
    """

    def __init__(self, links: Mapping[str, UnderlyingLink], view: PortfolioRisk) -> None:
        self._links = dict(links)
        self._view = view
        self._tokens: dict[str, _Linked] = {}
        self._spots: dict[str, float] = {}  # lower-case symbol -> latest reference price
        self._symbols = {link.symbol.lower() for link in links.values()}

    def learn_market(self, market: MarketInfo) -> None:
        """Link the tokens of ``market`` when the config names it."""
        link = self._links.get(market.condition_id)
        if link is None or len(market.token_ids) < 2:
            return
        expiry = link.expiry_ms if link.expiry_ms is not None else market.end_date_ms
        yes, no = market.token_ids[0], market.token_ids[1]
        above = link.direction == "above"
        symbol = link.symbol.lower()
        self._tokens[yes] = _Linked(symbol, link.strike, "call" if above else "put", expiry)
        self._tokens[no] = _Linked(symbol, link.strike, "put" if above else "call", expiry)
        self._view.link(yes)
        self._view.link(no)

    def reference(self, event: object) -> None:
        """Take the reference price of a linked symbol; ignore every other event."""
        if isinstance(event, ReferencePrice):
            symbol, price = event.symbol.lower(), event.price
        elif isinstance(event, ReferencePriceSnapshot) and event.points:
            symbol, price = event.symbol.lower(), event.points[-1].price
        else:
            return
        if symbol in self._symbols and price > 0:
            self._spots[symbol] = float(price)

    def refresh(self, mid: Callable[[str], float | None], now_ms: int) -> None:
        """Set every linked token's per-share Greeks on the view (``None`` where unknown).

        Args:
            mid: a token's mid now (``None`` while its book is invalid).
            now_ms: the time, Unix epoch milliseconds.
        """
        if self._tokens:
            self._view.set_greeks(
                {token: self._greeks(token, linked, mid(token), now_ms) for token, linked in self._tokens.items()}
            )  # fmt: skip

    def _greeks(self, token: str, linked: _Linked, mid: float | None, now_ms: int) -> Greeks | None:
        spot = self._spots.get(linked.symbol)
        if spot is None or mid is None or not 0 < mid < 1 or linked.expiry_ms is None:
            return None
        years = (linked.expiry_ms - now_ms) / _YEAR_MS
        if years <= 0:
            return None
        try:
            volatility = digital_implied_volatility(linked.option, mid, spot, linked.strike, years)
            return digital(linked.option, spot, linked.strike, years, volatility)
        except ValueError as exc:  # no volatility gives this price: no Greeks now
            LOGGER.debug("no Greeks for token %s: %s", token, exc)
            return None
