"""Pure translation of Polymarket wire frames into domain events.

A connection calls :func:`decode_clob_frame` or :func:`decode_rtds_frame` on each received
text frame and publishes the returned events::

    try:
        events = decode_clob_frame(raw)
    except MalformedFrameError as exc:   # the whole frame is unusable
        count_and_log(exc)
        continue
    for exc in events.errors:            # bad elements of an array frame
        count_and_log(exc)
    publish(events)

Prices and sizes become exact :class:`~decimal.Decimal` values; timestamps integer Unix ms.
No I/O, no trio: this module is tested without an event loop.

Where things live, one module per protocol (this module re-exports all their public names,
so ``agbotkit.marketdata.translate`` stays the one import for callers):

* :mod:`agbotkit.marketdata.translate_base`: :class:`FrameEvents` and exact number parsing;
* :mod:`agbotkit.marketdata.translate_clob`: the CLOB market channel;
* :mod:`agbotkit.marketdata.translate_rtds`: RTDS reference prices, activity, error frames;
* :mod:`agbotkit.marketdata.translate_gamma`: Gamma ``GET /markets`` responses.
"""

from __future__ import annotations

from agbotkit.marketdata.translate_base import _DECIMALS as _DECIMALS
from agbotkit.marketdata.translate_base import _DECIMALS_LIMIT as _DECIMALS_LIMIT
from agbotkit.marketdata.translate_base import FrameEvents as FrameEvents
from agbotkit.marketdata.translate_base import _decimal as _decimal
from agbotkit.marketdata.translate_clob import decode_clob_frame as decode_clob_frame
from agbotkit.marketdata.translate_clob import translate_clob_message as translate_clob_message
from agbotkit.marketdata.translate_gamma import parse_gamma_markets as parse_gamma_markets
from agbotkit.marketdata.translate_rtds import decode_rtds_frame as decode_rtds_frame
from agbotkit.marketdata.translate_rtds import reference_price_scale as reference_price_scale
from agbotkit.marketdata.translate_rtds import translate_rtds_message as translate_rtds_message

# _DECIMALS, _DECIMALS_LIMIT and _decimal stay importable from here as before the split:
# tests inspect the memoised decimal parser's cache through this module.

__all__ = [
    "FrameEvents",
    "decode_clob_frame",
    "decode_rtds_frame",
    "parse_gamma_markets",
    "reference_price_scale",
    "translate_clob_message",
    "translate_rtds_message",
]
