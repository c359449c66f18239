"""Frames a client sends: subscribe and unsubscribe, and the keep-alive ``PING``.

The counterpart of :mod:`agbotkit.marketdata.wire`, which decodes what servers send. Every
encoder returns the exact text PROTOCOL.md documents (sections 1.1, 1.2 and 2.1).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import msgspec

__all__ = [
    "PING",
    "RtdsSubscription",
    "compact_json",
    "encode_clob_initial_subscribe",
    "encode_clob_subscribe",
    "encode_clob_unsubscribe",
    "encode_rtds_subscribe",
    "encode_rtds_unsubscribe",
    "rtds_symbol_subscriptions",
]

#: The keep-alive text both feeds expect (CLOB every 10 s, RTDS every 5 s).
PING = "PING"

_JSON = msgspec.json.Encoder()
# Parses a filter given as JSON text, to re-encode it compactly.
_ANY = msgspec.json.Decoder()


def compact_json(value: Mapping[str, Any]) -> str:
    """Encode ``value`` as compact JSON (no spaces), keys in the given order."""
    return _JSON.encode(value).decode()


def _compact_filters(filters: str | Mapping[str, Any] | None) -> str | None:
    """Normalise RTDS filters to the compact JSON string the server insists on.

    A mapping is encoded; a string that is JSON is re-encoded compactly (``{"symbol": "x"}``
    with a space silently stops the stream after the snapshot); any other string (such as
    the comma form ``"btcusdt,ethusdt"``) is kept as given.
    """
    if filters is None or isinstance(filters, Mapping):
        return None if filters is None else compact_json(filters)
    try:
        value = _ANY.decode(filters)
    except msgspec.DecodeError:
        return filters
    return _JSON.encode(value).decode()


@attrs.frozen(slots=True)
class RtdsSubscription:
    """One entry of an RTDS ``subscriptions`` array.

    Attributes:
        topic: the topic, e.g. ``crypto_prices_chainlink``, ``activity``.
        type: the message type, or ``"*"`` for all of the topic's types.
        filters: a compact JSON string such as ``{"symbol":"btc/usd"}``, or ``None``; a
            mapping or a spaced JSON string is normalised to compact JSON. One symbol per
            entry: a list of symbols inside one filter returns nothing.
    """

    topic: str
    type: str = "*"
    filters: str | None = attrs.field(default=None, converter=_compact_filters)

    def to_wire(self) -> dict[str, str]:
        """The entry as the JSON object the server expects (``filters`` omitted when None)."""
        entry = {"topic": self.topic, "type": self.type}
        if self.filters is not None:
            entry["filters"] = self.filters
        return entry


def rtds_symbol_subscriptions(
    topic: str, symbols: Iterable[str], type: str = "*"
) -> list[RtdsSubscription]:
    """One subscription per symbol, each filtered with ``{"symbol":"<symbol>"}``."""
    return [RtdsSubscription(topic, type, compact_json({"symbol": s})) for s in symbols]


def _rtds_frame(action: str, subscriptions: Iterable[RtdsSubscription]) -> str:
    return compact_json(
        {"action": action, "subscriptions": [sub.to_wire() for sub in subscriptions]}
    )


def encode_rtds_subscribe(subscriptions: Iterable[RtdsSubscription]) -> str:
    """The RTDS subscribe frame, e.g.
    ``{"action":"subscribe","subscriptions":[{"topic":"activity","type":"trades"}]}``.

    Every topic must be known: one unknown topic makes the server reject the whole batch.
    """
    return _rtds_frame("subscribe", subscriptions)


def encode_rtds_unsubscribe(subscriptions: Iterable[RtdsSubscription]) -> str:
    """The RTDS unsubscribe frame: the subscribe frame's shape with ``"action":"unsubscribe"``."""
    return _rtds_frame("unsubscribe", subscriptions)


def encode_clob_initial_subscribe(
    asset_ids: Iterable[str],
    *,
    custom_feature_enabled: bool = True,
    initial_dump: bool | None = None,
) -> str:
    """The first frame on a fresh market-channel socket.

    ``{"assets_ids":[…],"type":"market","custom_feature_enabled":true}``; send it once per
    connection (a second one gets ``INVALID OPERATION``), then use
    :func:`encode_clob_subscribe` / :func:`encode_clob_unsubscribe`.

    Args:
        asset_ids: token ids (not condition ids).
        custom_feature_enabled: also receive ``best_bid_ask``, ``new_market`` and
            ``market_resolved``; omitted from the frame when false.
        initial_dump: when given, sent as ``initial_dump`` (the Rust SDK sends ``true``).
    """
    frame: dict[str, Any] = {"assets_ids": list(asset_ids), "type": "market"}
    if custom_feature_enabled:
        frame["custom_feature_enabled"] = True
    if initial_dump is not None:
        frame["initial_dump"] = initial_dump
    return compact_json(frame)


def encode_clob_subscribe(asset_ids: Iterable[str], *, custom_feature_enabled: bool = True) -> str:
    """Add tokens on an initialised market socket.

    ``{"assets_ids":[…],"operation":"subscribe","custom_feature_enabled":true}``.
    """
    frame: dict[str, Any] = {"assets_ids": list(asset_ids), "operation": "subscribe"}
    if custom_feature_enabled:
        frame["custom_feature_enabled"] = True
    return compact_json(frame)


def encode_clob_unsubscribe(asset_ids: Iterable[str]) -> str:
    """Remove tokens: ``{"assets_ids":[…],"operation":"unsubscribe"}``."""
    return compact_json({"assets_ids": list(asset_ids), "operation": "unsubscribe"})
