"""A seeded generator of synthetic market data in Polymarket's exact wire formats.

It makes the demo recording shipped with agbotkit (``agbotkit/data/demo-recording.jsonl.gz``)
so the demo runs offline. The data is SYNTHETIC: invented markets, random-walk books. The
frames follow Polymarket's wire formats field by field: CLOB ``book`` arrays on subscribe
(bids ascending, asks descending, as real captures), batched ``price_change`` with
post-change best bid/ask for both tokens of a market, ``last_trade_price``,
``best_bid_ask``; RTDS Chainlink prices (``full_accuracy_value`` in E18) and ``activity``
trades (payload timestamps in seconds). Every frame reaches the client 15-60 ms after its
server timestamp (the ``lag_ms`` a replay shows), in order per socket.

Regenerate with::

    python -m agbotkit.marketdata.replay.synthetic agbotkit/data/demo-recording.jsonl.gz --seed 7
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

from agbotkit.marketdata.replay.recording import RecordingWriter
from agbotkit.model.feeds import RawFrame
from agbotkit.model.markets import MarketInfo

__all__ = ["DEMO_MARKETS", "generate"]

TICK = Decimal("0.01")
START_MS = 1_764_000_000_000  # 2025-11-24T16:00:00Z: a fixed origin keeps the file repeatable

#: (slug, question, starting YES price, days to the end date)
DEMO_MARKETS = (
    ("btc-above-120k-on-dec-31", "Will Bitcoin close above $120k on Dec 31?", "0.42", 37.0),
    ("fed-cuts-rates-in-january", "Will the Fed cut rates in January?", "0.63", 60.0),
    ("team-a-wins-the-final", "Will Team A win the final?", "0.55", 0.04),
)


def _hex_id(seed: int, text: str, length: int) -> str:
    return hashlib.sha256(f"{seed}:{text}".encode()).hexdigest()[:length]


def _token_id(seed: int, text: str) -> str:
    return str(int(_hex_id(seed, text, 62), 16))  # ~75 decimal digits, like real ones


class _Book:
    """One token's book: price (in ticks) -> size."""

    def __init__(self, rng: random.Random, mid_ticks: int) -> None:
        self.bids: dict[int, Decimal] = {}
        self.asks: dict[int, Decimal] = {}
        for depth in range(1, 13):
            if mid_ticks - depth >= 1:
                self.bids[mid_ticks - depth] = _size(rng)
            if mid_ticks + depth <= 99:
                self.asks[mid_ticks + depth] = _size(rng)

    def best_bid(self) -> int | None:
        return max(self.bids) if self.bids else None

    def best_ask(self) -> int | None:
        return min(self.asks) if self.asks else None


def _size(rng: random.Random) -> Decimal:
    return (
        Decimal(rng.choice([5, 10, 25, 50, 100, 250, 500, 1000]))
        + Decimal(rng.randint(0, 99)) / 100
    )


def _price(ticks: int | None, empty: str) -> str:
    return empty if ticks is None else str(TICK * ticks)


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.markets: list[MarketInfo] = []
        self.books: dict[str, _Book] = {}
        self.pairs: list[tuple[MarketInfo, str, str]] = []
        for slug, question, price, days in DEMO_MARKETS:
            condition_id = "0x" + _hex_id(seed, slug, 64)
            yes, no = _token_id(seed, slug + ":yes"), _token_id(seed, slug + ":no")
            info = MarketInfo(
                condition_id,
                question,
                slug,
                ("Yes", "No"),
                (yes, no),
                TICK,
                Decimal(5),
                False,
                START_MS + int(days * 86_400_000),
                True,
                False,
                str(500_000 + len(self.markets)),
            )
            self.markets.append(info)
            mid = int(Decimal(price) / TICK)
            self.books[yes] = _Book(self.rng, mid)
            self.books[no] = _Book(self.rng, 100 - mid)
            self.pairs.append((info, yes, no))
        self.btc = 97_000.0

    def book_frame(self, info: MarketInfo, asset_id: str, ts: int) -> dict[str, Any]:
        book = self.books[asset_id]
        return {
            "market": info.condition_id,
            "asset_id": asset_id,
            "timestamp": str(ts),
            "hash": _hex_id(self.seed, f"{asset_id}:{ts}", 40),
            "bids": [
                {"price": str(TICK * p), "size": str(s)} for p, s in sorted(book.bids.items())
            ],
            "asks": [
                {"price": str(TICK * p), "size": str(s)}
                for p, s in sorted(book.asks.items(), reverse=True)
            ],
            "event_type": "book",
            "tick_size": str(TICK),
            "last_trade_price": "",
        }

    def price_change(self, ts: int) -> dict[str, Any]:
        info, yes, no = self.rng.choice(self.pairs)
        book = self.books[yes]
        bid, ask = book.best_bid(), book.best_ask()
        roll = self.rng.random()
        if roll < 0.15 and bid is not None and ask is not None and ask - bid > 1:
            # Someone improves the price: a new level inside the spread.
            side, ticks = ("BUY", bid + 1) if self.rng.random() < 0.5 else ("SELL", ask - 1)
            size = _size(self.rng)
        elif roll < 0.3:
            side = "BUY" if self.rng.random() < 0.5 else "SELL"
            levels = book.bids if side == "BUY" else book.asks
            if len(levels) > 4:
                # The top level is taken or cancelled: the price walks.
                ticks = max(levels) if side == "BUY" else min(levels)
                size = Decimal(0)
            else:
                # A thin side is refilled with a deeper level.
                edge = (min(levels) - 1 if side == "BUY" else max(levels) + 1) if levels else 50
                ticks = min(max(edge, 1), 99)
                size = _size(self.rng)
        else:
            # Size changes at an existing level near the top.
            side = "BUY" if self.rng.random() < 0.5 else "SELL"
            levels = book.bids if side == "BUY" else book.asks
            near = sorted(levels, reverse=side == "BUY")[:5]
            ticks = self.rng.choice(near) if near else (bid or 50) if side == "BUY" else (ask or 50)
            size = _size(self.rng)
        changes = [
            self._apply(info, yes, side, ticks, size, ts),
            # The NO token mirrors YES: a YES bid at p is a NO ask at 1 - p.
            self._apply(info, no, "SELL" if side == "BUY" else "BUY", 100 - ticks, size, ts),
        ]
        return {
            "market": info.condition_id,
            "price_changes": changes,
            "timestamp": str(ts),
            "event_type": "price_change",
        }

    def _apply(
        self, info: MarketInfo, asset_id: str, side: str, ticks: int, size: Decimal, ts: int
    ) -> dict[str, Any]:
        book = self.books[asset_id]
        levels = book.bids if side == "BUY" else book.asks
        if size == 0:
            levels.pop(ticks, None)
        else:
            levels[ticks] = size
        return {
            "asset_id": asset_id,
            "price": str(TICK * ticks),
            "size": str(size),
            "side": side,
            "hash": _hex_id(self.seed, f"{asset_id}:{ts}:{ticks}", 40),
            "best_bid": _price(book.best_bid(), "0"),
            "best_ask": _price(book.best_ask(), "1"),
        }

    def trade(self, ts: int) -> tuple[dict[str, Any], dict[str, Any]]:
        info, yes, no = self.rng.choice(self.pairs)
        asset_id, outcome = (yes, "Yes") if self.rng.random() < 0.6 else (no, "No")
        book = self.books[asset_id]
        side = "BUY" if self.rng.random() < 0.5 else "SELL"
        ticks = (book.best_ask() if side == "BUY" else book.best_bid()) or 50
        size = Decimal(self.rng.randint(5, 200))
        tx = "0x" + _hex_id(self.seed, f"tx:{ts}", 64)
        clob = {
            "asset_id": asset_id,
            "event_type": "last_trade_price",
            "fee_rate_bps": "0",
            "market": info.condition_id,
            "price": str(TICK * ticks),
            "side": side,
            "size": str(size),
            "timestamp": str(ts),
            "transaction_hash": tx,
        }
        wallet = "0x" + _hex_id(self.seed, f"wallet:{self.rng.randint(0, 50)}", 40)
        rtds = {
            "connection_id": _hex_id(self.seed, "conn", 16),
            "topic": "activity",
            "type": "trades",
            "timestamp": ts,
            "payload": {
                "asset": asset_id,
                "bio": "",
                "conditionId": info.condition_id,
                "eventSlug": info.slug,
                "icon": "",
                "name": "",
                "outcome": outcome,
                "outcomeIndex": 0 if outcome == "Yes" else 1,
                "price": float(TICK * ticks),
                "profileImage": "",
                "proxyWallet": wallet,
                "pseudonym": "Synthetic-Trader",
                "side": side,
                "size": float(size),
                "slug": info.slug,
                "timestamp": ts // 1000,
                "title": info.question,
                "transactionHash": tx,
            },
        }
        return clob, rtds

    def best_bid_ask(self, ts: int) -> dict[str, Any]:
        info, yes, _ = self.rng.choice(self.pairs)
        book = self.books[yes]
        bid, ask = book.best_bid(), book.best_ask()
        spread = "" if bid is None or ask is None else str(TICK * (ask - bid))
        return {
            "event_type": "best_bid_ask",
            "market": info.condition_id,
            "asset_id": yes,
            "best_bid": _price(bid, "0"),
            "best_ask": _price(ask, "1"),
            "spread": spread,
            "timestamp": str(ts),
        }

    def btc_price(self, ts: int) -> dict[str, Any]:
        self.btc *= 1 + self.rng.gauss(0, 0.0004)
        exact = Decimal(str(round(self.btc, 8)))
        return {
            "connection_id": _hex_id(self.seed, "conn", 16),
            "payload": {
                "full_accuracy_value": str(int(exact * 10**18)),
                "symbol": "btc/usd",
                "timestamp": ts - 1000,
                "value": float(exact),
            },
            "timestamp": ts,
            "topic": "crypto_prices_chainlink",
            "type": "update",
        }


def generate(
    path: str | Path, *, seed: int = 7, duration_s: float = 120.0, clob_rate_hz: float = 30.0
) -> int:
    """Write a synthetic recording; returns the number of frames."""
    gen = _Generator(seed)
    rng = gen.rng
    # (feed, server time, latency, text), in the order made; delivered in order below.
    sent: list[tuple[str, int, int, str]] = []

    def add(feed: str, ts: int, data: Any) -> None:
        """Send ``data`` on ``feed`` at server time ``ts`` (its envelope timestamp)."""
        latency = rng.randint(15, 60)  # what a live client would see as lag
        text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
        sent.append((feed, ts, latency, text))

    snapshot = [
        gen.book_frame(info, token, START_MS) for info, yes, no in gen.pairs for token in (yes, no)
    ]
    add("clob", START_MS, snapshot)
    add("rtds", START_MS, "")  # RTDS sends an empty frame on connect
    ts = START_MS + 100  # after the snapshot has arrived, whatever its latency
    next_btc = START_MS + 1000
    end = START_MS + int(duration_s * 1000)
    while ts < end:
        ts += max(1, int(rng.expovariate(clob_rate_hz) * 1000))
        while next_btc <= ts:
            add("rtds", next_btc, gen.btc_price(next_btc))
            next_btc += 1000
        roll = rng.random()
        if roll < 0.08:
            clob, rtds = gen.trade(ts)
            add("clob", ts, clob)
            # RTDS publishes the trade 200-900 ms after the CLOB does: its envelope
            # timestamp is that publish time (the trade time is the payload's, in seconds).
            published = ts + rng.randint(200, 900)
            rtds["timestamp"] = published
            add("rtds", published, rtds)
        elif roll < 0.13:
            add("clob", ts, gen.best_bid_ask(ts))
        else:
            add("clob", ts, gen.price_change(ts))
    frames = _deliver(sent)
    note = (
        "SYNTHETIC market data from agbotkit.marketdata.replay.synthetic "
        f"(seed {seed}): invented markets, not real Polymarket traffic"
    )
    with RecordingWriter(path, created_ms=START_MS, synthetic=True, note=note) as writer:
        for info in gen.markets:
            writer.write_market(info)
        writer.write_frames(frames)
    return len(frames)


def _deliver(sent: list[tuple[str, int, int, str]]) -> list[RawFrame]:
    """The frames as a client receives them: each feed's in the order the server sent them
    (by server time: a frame published later never holds up one published earlier), each
    after its latency but never before the frame sent ahead of it on the same socket (TCP
    delivers in order), all feeds merged by receive time."""
    frames: list[RawFrame] = []
    last_received: dict[str, int] = {}
    for feed, ts, latency, text in sorted(sent, key=lambda item: item[1]):
        received = max(ts + latency, last_received.get(feed, 0))
        last_received[feed] = received
        frames.append(RawFrame(feed, received, text))
    frames.sort(key=lambda frame: frame.received_ms)
    return frames


def main(argv: list[str] | None = None) -> int:
    """``python -m agbotkit.marketdata.replay.synthetic OUT [--seed N] [--duration S]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of data")
    parser.add_argument("--rate", type=float, default=30.0, help="CLOB frames per second")
    args = parser.parse_args(argv)
    count = generate(args.output, seed=args.seed, duration_s=args.duration, clob_rate_hz=args.rate)
    print(f"wrote {count} frames to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
