"""Markets: what a bot knows of one (:class:`MarketInfo`), and what happens in one.

The events (a trade, a market created, a market resolved) come from the CLOB market channel
and from RTDS, translated by :mod:`agbotkit.marketdata.clob.translate` and
:mod:`agbotkit.marketdata.rtds.translate`; :class:`MarketInfo` comes from the Gamma API. As
in :mod:`agbotkit.model.books`, every value is immutable, prices and sizes are exact
:class:`~decimal.Decimal`, timestamps integer Unix milliseconds, and every event carries
``timestamp_ms`` and ``event_type`` (RTDS events also the envelope ``topic``).
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from agbotkit.model.books import Side

__all__ = ["MarketInfo", "MarketResolved", "NewMarket", "Trade"]


@attrs.frozen(slots=True)
class Trade:
    """A trade print: CLOB ``last_trade_price`` or an RTDS ``activity`` trade.

    Attributes:
        asset_id: the token id.
        market: the condition id.
        side: the taker's side.
        price: the trade price.
        size: the traded size in shares (the taker's).
        timestamp_ms: server timestamp of the message, Unix ms (RTDS: the envelope's).
        trade_time_ms: when the trade happened, Unix ms (RTDS sends whole seconds).
        event_type: ``"last_trade_price"`` (CLOB), ``"trades"`` or ``"orders_matched"`` (RTDS;
            the same trade can arrive under both, dedupe by ``transaction_hash``).
        topic: the RTDS topic (``"activity"``), ``None`` for the CLOB.
        transaction_hash: the settlement transaction, when sent.
        fee_rate_bps: the CLOB's legacy fee field, when sent.
        outcome: the outcome name (RTDS), e.g. ``"Yes"``.
        outcome_index: the outcome's index (RTDS; a sentinel 999 has been seen).
        market_slug: the market slug (RTDS).
        event_slug: the parent event slug (RTDS).
        proxy_wallet: the trader's wallet (RTDS).
    """

    asset_id: str
    market: str
    side: Side
    price: Decimal
    size: Decimal
    timestamp_ms: int
    trade_time_ms: int
    event_type: str
    topic: str | None = None
    transaction_hash: str | None = None
    fee_rate_bps: int | None = None
    outcome: str | None = None
    outcome_index: int | None = None
    market_slug: str | None = None
    event_slug: str | None = None
    proxy_wallet: str | None = None


@attrs.frozen(slots=True)
class NewMarket:
    """A market was created (CLOB ``new_market``, custom feature; sent for all markets).

    Attributes:
        market: the condition id.
        asset_ids: the token ids, aligned with ``outcomes``.
        outcomes: the outcome names, e.g. ``("Yes", "No")``.
        timestamp_ms: server timestamp, Unix ms.
        market_id: the Gamma market id, when sent.
        question: the market question.
        slug: the market slug.
        tick_size: the minimum tick size, when sent.
        active: whether the market is active, when sent.
        tags: tag slugs.
        event_slug: the parent event's slug, when sent.
        event_type: always ``"new_market"``.
    """

    market: str
    asset_ids: tuple[str, ...]
    outcomes: tuple[str, ...]
    timestamp_ms: int
    market_id: str | None = None
    question: str = ""
    slug: str = ""
    tick_size: Decimal | None = None
    active: bool | None = None
    tags: tuple[str, ...] = ()
    event_slug: str | None = None
    event_type: str = attrs.field(default="new_market", init=False)


@attrs.frozen(slots=True)
class MarketResolved:
    """A market was resolved (CLOB ``market_resolved``, custom feature).

    Attributes:
        market: the condition id.
        asset_ids: the market's token ids.
        winning_asset_id: the token that won.
        winning_outcome: the winning outcome's name.
        timestamp_ms: server timestamp, Unix ms.
        market_id: the Gamma market id, when sent.
        tags: tag slugs.
        event_type: always ``"market_resolved"``.
    """

    market: str
    asset_ids: tuple[str, ...]
    winning_asset_id: str
    winning_outcome: str
    timestamp_ms: int
    market_id: str | None = None
    tags: tuple[str, ...] = ()
    event_type: str = attrs.field(default="market_resolved", init=False)


@attrs.frozen(slots=True)
class MarketInfo:
    """What a bot needs to know to trade a market (from the Gamma API).

    Attributes:
        condition_id: the condition id (CLOB ``market``).
        question: the market question.
        slug: the market slug.
        outcomes: the outcome names, e.g. ``("Up", "Down")``.
        token_ids: the CLOB token ids, aligned with ``outcomes``; empty for a market without
            an order book.
        tick_size: the minimum price increment, ``None`` when Gamma does not give one.
        min_order_size: the minimum order size in shares, ``None`` when not given.
        neg_risk: whether orders go to the neg-risk exchange.
        end_date_ms: the scheduled end, Unix ms, ``None`` when unknown.
        active: Gamma's ``active`` flag.
        closed: Gamma's ``closed`` flag.
        market_id: the Gamma market id, when given.
        event_id: the event the market belongs to, when known: for a neg-risk market its
            neg-risk market id (shared by every market of the event, whose outcomes
            exclude each other), else Gamma's event id.
    """

    condition_id: str
    question: str
    slug: str
    outcomes: tuple[str, ...]
    token_ids: tuple[str, ...]
    tick_size: Decimal | None
    min_order_size: Decimal | None
    neg_risk: bool
    end_date_ms: int | None
    active: bool
    closed: bool
    market_id: str | None = None
    event_id: str | None = None

    def token_id(self, outcome: str) -> str:
        """Return the token id of ``outcome`` (case-sensitive).

        Raises:
            KeyError: if the market has no such outcome or no token for it.
        """
        for name, token in zip(self.outcomes, self.token_ids, strict=False):
            if name == outcome:
                return token
        raise KeyError(outcome)
