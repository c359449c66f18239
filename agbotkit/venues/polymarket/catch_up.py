"""What the user channel missed while it was down, read back through REST.

After every reconnect of the user channel the venue lists its open orders (each becomes a
``VenueOrderUpdate`` with the status the CLOB gives it) and the account's trades since a
little before the newest one it had seen (each becomes our fills, as the user channel would
have reported them). Reporting something twice is harmless: the order manager counts a
fill once per trade and order, and a status it already has changes nothing.
"""

from __future__ import annotations

import logging

import msgspec

from agbotkit.errors import MalformedFrameError
from agbotkit.model.orders import Fill
from agbotkit.model.venues import VenueEvent, VenueOrderUpdate
from agbotkit.venues.polymarket.answers import venue_order
from agbotkit.venues.polymarket.responses import OpenOrder, Trade
from agbotkit.venues.polymarket.user_translate import UserIdentity, decode_user_frame

__all__ = ["OVERLAP_S", "order_events", "trade_fills"]

LOGGER = logging.getLogger(__name__)

#: Trades are read back from this long before the newest one seen (clocks and the
#: venue's own ordering are not exact).
OVERLAP_S = 60


def order_events(listed: list[OpenOrder], now_ms: int) -> list[VenueEvent]:
    """The open orders as status updates."""
    events: list[VenueEvent] = []
    for found in listed:
        order = venue_order(found)
        if order is None:
            continue
        events.append(
            VenueOrderUpdate(
                venue_order_id=order.venue_order_id,
                status=order.status,
                filled_size=order.filled_size,
                reason="read back after the user channel reconnected",
                timestamp_ms=now_ms,
            )
        )
    return events


def trade_fills(trades: list[Trade], me: UserIdentity, order_ids: set[str]) -> list[Fill]:
    """Our fills in the trades the REST API lists (the same shape as the user channel's
    trade events, which decide whose fills they are)."""
    fills: list[Fill] = []
    for trade in trades:
        event = msgspec.to_builtins(trade)
        event["event_type"] = "trade"
        try:
            decoded = decode_user_frame(msgspec.json.encode(event), me, order_ids=order_ids)
        except MalformedFrameError as exc:
            LOGGER.warning("trade %s read back is malformed: %s", trade.id, exc)
            continue
        fills.extend(item for item in decoded if isinstance(item, Fill))
    return fills
