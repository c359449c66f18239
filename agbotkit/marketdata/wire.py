"""Polymarket wire formats: typed msgspec structs, frame decoders and client-frame encoders.

Sans-IO and pure. Two feeds are covered (see PROTOCOL.md sections 1 and 2):

* the CLOB market channel (``/ws/market``): bare JSON objects tagged by ``event_type``, or
  JSON arrays of them, plus the text words ``PONG``, ``NO NEW ASSETS`` and
  ``INVALID OPERATION``;
* RTDS (``ws-live-data``): ``{topic, type, timestamp, payload}`` envelopes (or arrays of
  them), error frames without a topic, an empty text frame at connect, maybe ``PONG``.

The decoders here give wire structs (strings stay strings, as sent);
:mod:`agbotkit.marketdata.translate` turns them into domain events. Each ``msgspec`` decoder
is built once, at import. Unknown extra fields are ignored everywhere, so additions on the
server side do not break decoding.

Error policy, shared by both feeds: a frame that is not JSON, not a known control word, or a
single object that cannot be understood raises :class:`MalformedFrameError`. In a frame that
is a JSON array, each element stands alone: the array decoders return an error in place of
each bad element and still decode the good ones, so one odd book in the initial dump does
not cost the other books.

Where things live, one module per protocol (this module re-exports all their public names,
so ``agbotkit.marketdata.wire`` stays the one import for callers):

* :mod:`agbotkit.marketdata.wire_base`: control words, frame classification, excerpts;
* :mod:`agbotkit.marketdata.wire_clob`: the CLOB market channel's structs and decoders;
* :mod:`agbotkit.marketdata.wire_rtds`: RTDS envelopes, payloads and decoders;
* :mod:`agbotkit.marketdata.wire_gamma`: Gamma ``GET /markets`` responses.
"""

from __future__ import annotations

from agbotkit.marketdata.wire_base import ControlWord as ControlWord
from agbotkit.marketdata.wire_base import classify_frame as classify_frame
from agbotkit.marketdata.wire_base import excerpt as excerpt
from agbotkit.marketdata.wire_clob import BestBidAskMessage as BestBidAskMessage
from agbotkit.marketdata.wire_clob import BookMessage as BookMessage
from agbotkit.marketdata.wire_clob import ClobMessage as ClobMessage
from agbotkit.marketdata.wire_clob import EventMessage as EventMessage
from agbotkit.marketdata.wire_clob import LastTradePriceMessage as LastTradePriceMessage
from agbotkit.marketdata.wire_clob import LegacyLevelChange as LegacyLevelChange
from agbotkit.marketdata.wire_clob import MarketResolvedMessage as MarketResolvedMessage
from agbotkit.marketdata.wire_clob import NewMarketMessage as NewMarketMessage
from agbotkit.marketdata.wire_clob import PriceChangeEntry as PriceChangeEntry
from agbotkit.marketdata.wire_clob import PriceChangeMessage as PriceChangeMessage
from agbotkit.marketdata.wire_clob import TickSizeChangeMessage as TickSizeChangeMessage
from agbotkit.marketdata.wire_clob import WireLevel as WireLevel
from agbotkit.marketdata.wire_clob import decode_clob_array as decode_clob_array
from agbotkit.marketdata.wire_clob import decode_clob_message as decode_clob_message
from agbotkit.marketdata.wire_gamma import GammaMarket as GammaMarket
from agbotkit.marketdata.wire_gamma import decode_json_string_list as decode_json_string_list
from agbotkit.marketdata.wire_gamma import parse_gamma_response as parse_gamma_response
from agbotkit.marketdata.wire_rtds import ActivityTradePayload as ActivityTradePayload
from agbotkit.marketdata.wire_rtds import PricePointPayload as PricePointPayload
from agbotkit.marketdata.wire_rtds import PriceSnapshotPayload as PriceSnapshotPayload
from agbotkit.marketdata.wire_rtds import PriceUpdatePayload as PriceUpdatePayload
from agbotkit.marketdata.wire_rtds import RtdsEnvelope as RtdsEnvelope
from agbotkit.marketdata.wire_rtds import RtdsErrorBody as RtdsErrorBody
from agbotkit.marketdata.wire_rtds import RtdsErrorFrame as RtdsErrorFrame
from agbotkit.marketdata.wire_rtds import RtdsMessage as RtdsMessage
from agbotkit.marketdata.wire_rtds import RtdsPayload as RtdsPayload
from agbotkit.marketdata.wire_rtds import decode_rtds_array as decode_rtds_array
from agbotkit.marketdata.wire_rtds import decode_rtds_message as decode_rtds_message

__all__ = [
    "ActivityTradePayload",
    "BestBidAskMessage",
    "BookMessage",
    "ClobMessage",
    "ControlWord",
    "EventMessage",
    "GammaMarket",
    "LastTradePriceMessage",
    "LegacyLevelChange",
    "MarketResolvedMessage",
    "NewMarketMessage",
    "PriceChangeEntry",
    "PriceChangeMessage",
    "PricePointPayload",
    "PriceSnapshotPayload",
    "PriceUpdatePayload",
    "RtdsEnvelope",
    "RtdsErrorBody",
    "RtdsErrorFrame",
    "RtdsMessage",
    "RtdsPayload",
    "TickSizeChangeMessage",
    "WireLevel",
    "classify_frame",
    "decode_clob_array",
    "decode_clob_message",
    "decode_json_string_list",
    "decode_rtds_array",
    "decode_rtds_message",
    "excerpt",
    "parse_gamma_response",
]
