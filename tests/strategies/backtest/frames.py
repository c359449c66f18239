"""Hand-made recordings in the CLOB wire format, and strategies that script their orders."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from agbotkit.marketdata.replay.recording import RecordingWriter
from agbotkit.model.execution import OrderStatusChanged
from agbotkit.model.feeds import RawFrame
from agbotkit.model.markets import MarketInfo, MarketResolved
from agbotkit.model.orders import Fill
from agbotkit.strategies.api import BookView, OrderRejection, Strategy

MARKET = "0xmarket"
YES = "111"
NO = "222"
T0 = 1_764_000_000_000
INFO = MarketInfo(
    MARKET, "Will it?", "will-it", ("Yes", "No"), (YES, NO), Decimal("0.01"), Decimal(5),
    False, T0 + 86_400_000, True, False, "1",
)  # fmt: skip

Levels = Sequence[tuple[str, str]]


def book(ts: int, asset: str, bids: Levels, asks: Levels) -> dict[str, Any]:
    return {
        "event_type": "book",
        "asset_id": asset,
        "market": MARKET,
        "timestamp": str(ts),
        "bids": [{"price": p, "size": s} for p, s in bids],
        "asks": [{"price": p, "size": s} for p, s in asks],
        "tick_size": "0.01",
    }


def change(ts: int, asset: str, side: str, price: str, size: str) -> dict[str, Any]:
    entry = {"asset_id": asset, "price": price, "size": size, "side": side}
    return {"event_type": "price_change", "market": MARKET, "timestamp": str(ts),
            "price_changes": [entry]}  # fmt: skip


def trade(ts: int, asset: str, side: str, price: str, size: str) -> dict[str, Any]:
    return {"event_type": "last_trade_price", "asset_id": asset, "market": MARKET,
            "price": price, "side": side, "size": size, "timestamp": str(ts)}  # fmt: skip


def resolved(ts: int, winner: str) -> dict[str, Any]:
    return {"event_type": "market_resolved", "market": MARKET, "winning_asset_id": winner,
            "winning_outcome": "Yes" if winner == YES else "No", "timestamp": str(ts),
            "assets_ids": [YES, NO]}  # fmt: skip


def write(path: Path, messages: Sequence[tuple[int, dict[str, Any]]]) -> Path:
    """A recording of ``messages`` (``(received_ms, message)``), with the market's info."""
    with RecordingWriter(path, created_ms=T0) as writer:
        writer.write_market(INFO)
        writer.write_frames(
            RawFrame("clob", received, json.dumps(message)) for received, message in messages
        )
    return path


class Scripted(Strategy[Any]):
    """Calls ``script(self, book)`` on every book update; records every hook call."""

    script: Callable[[Scripted, BookView], None] = staticmethod(lambda s, b: None)

    def on_start(self) -> None:
        self.log: list[tuple[str, Any]] = []
        self.books = 0

    def on_book(self, book: BookView) -> None:
        self.books += 1
        type(self).script(self, book)

    def on_fill(self, fill: Fill) -> None:
        self.log.append(("fill", fill))

    def on_order_update(self, change: OrderStatusChanged) -> None:
        self.log.append(("update", change))

    def on_cancel(self, change: OrderStatusChanged) -> None:
        self.log.append(("cancel", change))

    def on_rejected(self, rejection: OrderRejection) -> None:
        self.log.append(("rejected", rejection))

    def on_resolution(self, resolved: MarketResolved) -> None:
        self.log.append(("resolved", resolved))

    def on_timer(self, now_ms: int) -> None:
        self.log.append(("timer", now_ms))


def scripted(script: Callable[[Scripted, BookView], None]) -> type[Scripted]:
    """A :class:`Scripted` subclass running ``script``."""
    return type("Script", (Scripted,), {"script": staticmethod(script)})
