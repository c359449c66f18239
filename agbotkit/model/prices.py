"""Reference prices: RTDS crypto and equity price ticks, and the histories replayed after a
subscribe.

Translated by :mod:`agbotkit.marketdata.rtds.translate`. Prices are exact
:class:`~decimal.Decimal` values, timestamps integer Unix milliseconds; every event carries
the envelope's ``topic``, ``timestamp_ms`` and ``event_type``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

import attrs

__all__ = ["PricePoint", "ReferencePrice", "ReferencePriceSnapshot"]


class PricePoint(NamedTuple):
    """One point of a reference-price history.

    Attributes:
        timestamp_ms: when the price was observed, Unix ms.
        price: the exact price.
    """

    timestamp_ms: int
    price: Decimal


@attrs.frozen(slots=True)
class ReferencePrice:
    """One reference price tick (RTDS ``crypto_prices*`` / ``equity_prices`` ``update``).

    Attributes:
        topic: the RTDS topic, e.g. ``crypto_prices_chainlink``.
        symbol: the symbol as sent, e.g. ``btc/usd``, ``btcusdt``, ``aapl``.
        price: the exact price: ``full_accuracy_value`` at the topic's scale when sent
            (E18 fixed point on the Chainlink and TWAP topics), else the JSON ``value`` text.
        price_time_ms: when the price was observed, Unix ms.
        timestamp_ms: the envelope's server timestamp, Unix ms.
        event_type: the envelope type, ``"update"``.
        window_s: the TWAP window in seconds, on TWAP topics.
        received_at_ms: when the source received the price (equities), when sent.
        is_carried_forward: whether the price is a carried-forward value (equities), when sent.
    """

    topic: str
    symbol: str
    price: Decimal
    price_time_ms: int
    timestamp_ms: int
    event_type: str = "update"
    window_s: int | None = None
    received_at_ms: int | None = None
    is_carried_forward: bool | None = None


@attrs.frozen(slots=True)
class ReferencePriceSnapshot:
    """The price history RTDS replays after each subscribe (envelope type ``subscribe``).

    Attributes:
        topic: the RTDS topic. A Chainlink-spot snapshot arrives labelled ``crypto_prices``;
            it is reported here as ``crypto_prices_chainlink`` (a ``/`` in the symbol tells).
        symbol: the symbol as sent.
        points: the history in wire order (oldest first as observed); it may overlap live
            ticks, so dedupe by timestamp.
        timestamp_ms: the envelope's server timestamp, Unix ms.
        event_type: the envelope type, ``"subscribe"``.
        window_s: the TWAP window in seconds, on TWAP topics.
    """

    topic: str
    symbol: str
    points: tuple[PricePoint, ...]
    timestamp_ms: int
    event_type: str = "subscribe"
    window_s: int | None = None
