"""Pure translation of Gamma ``GET /markets`` responses into market metadata.

No I/O, no trio: tested without an event loop. :func:`parse_gamma_markets` turns a response
body (decoded by :mod:`agbotkit.marketdata.gamma.wire`) into
:class:`~agbotkit.model.markets.MarketInfo` values, checking that outcomes and token ids
line up. A REST body, not a socket frame, so it lives apart from the two feeds.
"""

from __future__ import annotations

import datetime as dt

from agbotkit.errors import MalformedFrameError
from agbotkit.marketdata.codec import _finite, excerpt
from agbotkit.marketdata.gamma.wire import (
    GammaMarket,
    decode_json_string_list,
    parse_gamma_response,
)
from agbotkit.model.markets import MarketInfo

__all__ = [
    "parse_gamma_markets",
]


def _iso_to_ms(text: str | None, what: str) -> int | None:
    """An ISO-8601 date or date-time as Unix ms; naive values are taken as UTC."""
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise MalformedFrameError(f"{what}: invalid ISO-8601 date {text!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return int(when.timestamp() * 1000)


def _market_info(market: GammaMarket) -> MarketInfo:
    where = f"market {market.condition_id}"
    outcomes = decode_json_string_list(market.outcomes, f"{where}: outcomes")
    tokens_text = market.clob_token_ids
    if tokens_text is None:
        # Polymarket announced that markets of its protocol V2 (``"version": "v2"``) carry
        # the token ids as positionIds instead.
        tokens_text = market.position_ids
    token_ids = decode_json_string_list(tokens_text, f"{where}: clobTokenIds")
    if token_ids and len(token_ids) != len(outcomes):
        raise MalformedFrameError(
            f"{where}: {len(outcomes)} outcomes but {len(token_ids)} token ids"
        )
    return MarketInfo(
        condition_id=market.condition_id,
        question=market.question or "",
        slug=market.slug or "",
        outcomes=outcomes,
        token_ids=token_ids,
        tick_size=_finite(market.order_price_min_tick_size, f"{where}: orderPriceMinTickSize"),
        min_order_size=_finite(market.order_min_size, f"{where}: orderMinSize"),
        neg_risk=bool(market.neg_risk),
        end_date_ms=_iso_to_ms(market.end_date, f"{where}: endDate"),
        active=bool(market.active),
        closed=bool(market.closed),
        market_id=None if market.id is None else str(market.id),
        event_id=_event_id(market),
    )


def _event_id(market: GammaMarket) -> str | None:
    """The neg-risk market id (what a neg-risk event's markets share), else the event's."""
    if market.neg_risk_market_id:
        return market.neg_risk_market_id
    for event in market.events or ():
        if event.id is not None:
            return str(event.id)
    return None


def parse_gamma_markets(raw: bytes | str) -> list[MarketInfo]:
    """Parse a Gamma ``GET /markets`` response body into :class:`MarketInfo` values.

    Accepts a JSON array of markets, ``{"data": [...]}``, or a single market object
    (``GET /markets/{id}``). Numbers (tick size, minimum size) are read exactly from the JSON
    text, never through a float.

    Raises:
        MalformedFrameError: the body is not JSON, a market lacks ``conditionId``, has a
            wrongly typed field, outcome/token lists that are not JSON string arrays or do not
            align, or an invalid ``endDate``.
    """
    markets = parse_gamma_response(raw)
    try:
        return [_market_info(market) for market in markets]
    except MalformedFrameError as exc:
        raise MalformedFrameError(exc.reason, excerpt(raw)) from None
