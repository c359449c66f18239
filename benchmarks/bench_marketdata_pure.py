"""Benchmark the pure market-data path: wire decode + translate, and the order book.

Run: ``python benchmarks/bench_marketdata_pure.py``. Prints one line per number; makes no
timing assertions. Frames are the recorded samples in ``tests/data/polymarket`` plus
generated ``price_change`` traffic; about 10 s in all.
"""

from __future__ import annotations

import functools
import json
import random
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from agbotkit.marketdata.book import ApplyResult, OrderBooks
from agbotkit.marketdata.clob.translate import decode_clob_frame
from agbotkit.model.books import BookDelta, BookSnapshot, LevelChange, PriceLevel, Side

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "polymarket"
MARKET_SAMPLES = DATA / "nautilus_clob_market_ws.jsonl"

# Sample line (0-based) of each CLOB event kind in the market sample file.
KINDS = {
    "book": 0,
    "price_change_3": 2,
    "price_change_legacy": 1,
    "last_trade_price": 3,
    "tick_size_change": 4,
    "best_bid_ask": 5,
    "new_market": 6,
    "market_resolved": 7,
}

BOOKS = 20
LEVELS_PER_SIDE = 50
TICK = Decimal("0.001")


def per_call_us(func: Callable[[], object], seconds: float = 0.4) -> float:
    """Best-of-5 mean time of ``func`` in µs, each round about ``seconds / 5`` long."""
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            func()
        elapsed = time.perf_counter() - start
        if elapsed > seconds / 25:
            break
        calls *= 2
    rounds = max(1, int(calls * (seconds / 5) / elapsed))
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(rounds):
            func()
        best = min(best, (time.perf_counter() - start) / rounds)
    return best * 1e6


def bench_decode() -> None:
    lines = MARKET_SAMPLES.read_bytes().splitlines()
    for kind, index in KINDS.items():
        frame = lines[index]
        us = per_call_us(functools.partial(decode_clob_frame, frame))
        target = " (target <= 10)" if kind == "price_change_3" else ""
        print(f"marketdata.decode_translate.{kind}: {us:.1f} µs/frame{target}")


def _price(ticks: int) -> Decimal:
    return Decimal(ticks) * TICK


def _generate(rng: random.Random, count: int) -> tuple[list[BookSnapshot], list[BookDelta]]:
    """100-level books and deltas of 1-5 changes that keep them uncrossed.

    Bids live on ticks 350-449 and asks on 451-550 (0.001 tick), so changes add, replace
    and remove levels (a fifth of them are removals) but never cross. Each delta carries
    the best bid/ask a reference model computes, as the real feed does, so the book's
    consistency check runs too.
    """
    prices = {t: _price(t) for t in range(300, 600)}
    sizes = [Decimal(rng.randint(1, 50_000)) / 100 for _ in range(500)]
    snapshots = []
    models: list[tuple[dict[int, Decimal], dict[int, Decimal]]] = []
    for n in range(BOOKS):
        bids = {t: rng.choice(sizes) for t in range(400, 400 + LEVELS_PER_SIDE)}
        asks = {t: rng.choice(sizes) for t in range(451, 451 + LEVELS_PER_SIDE)}
        models.append((bids, asks))
        snapshots.append(
            BookSnapshot(
                f"token-{n}",
                "0xmarket",
                tuple(PriceLevel(prices[t], s) for t, s in sorted(bids.items(), reverse=True)),
                tuple(PriceLevel(prices[t], s) for t, s in sorted(asks.items())),
                1_700_000_000_000,
            )
        )
    deltas = []
    for i in range(count):
        n = rng.randrange(BOOKS)
        bids, asks = models[n]
        changes = []
        for _ in range(rng.randint(1, 5)):
            buy = rng.random() < 0.5
            tick = rng.randint(350, 449) if buy else rng.randint(451, 550)
            size = Decimal(0) if rng.random() < 0.2 else rng.choice(sizes)
            side_levels = bids if buy else asks
            if size:
                side_levels[tick] = size
            else:
                side_levels.pop(tick, None)
            changes.append(LevelChange(Side.BUY if buy else Side.SELL, prices[tick], size))
        best_bid = prices[max(bids)] if bids else Decimal(0)
        best_ask = prices[min(asks)] if asks else Decimal(1)
        deltas.append(
            BookDelta(
                f"token-{n}", "0xmarket", tuple(changes), 1_700_000_000_001 + i, best_bid, best_ask
            )
        )
    return snapshots, deltas


def bench_book() -> None:
    rng = random.Random(42)
    snapshots, deltas = _generate(rng, 100_000)
    updates = sum(len(delta.changes) for delta in deltas)
    best = 0.0
    for _ in range(3):
        books = OrderBooks()
        for snapshot in snapshots:
            books.apply(snapshot)
        apply = books.apply
        start = time.perf_counter()
        for delta in deltas:
            apply(delta)
        elapsed = time.perf_counter() - start
        best = max(best, updates / elapsed)
        bad = books.needing_resync()
        if bad:  # pragma: no cover - a bug in the book or in the generator
            raise RuntimeError(f"books flagged inconsistent: {bad}")
    print(
        f"marketdata.book.level_updates: {best:,.0f} updates/s "
        f"({len(deltas):,} deltas of 1-5 changes on {BOOKS} 100-level books) (target >= 300,000)"
    )

    # The same traffic end to end: JSON frame -> decode + translate -> book.
    frames = [
        json.dumps(
            {
                "market": delta.market,
                "price_changes": [
                    {
                        "asset_id": delta.asset_id,
                        "price": str(change.price),
                        "side": change.side.value,
                        "size": str(change.size),
                        "hash": "0" * 40,
                        "best_bid": str(delta.best_bid),
                        "best_ask": str(delta.best_ask),
                    }
                    for change in delta.changes
                ],
                "event_type": "price_change",
                "timestamp": str(delta.timestamp_ms),
            },
            separators=(",", ":"),
        ).encode()
        for delta in deltas[:30_000]
    ]
    frame_updates = sum(len(delta.changes) for delta in deltas[:30_000])
    books = OrderBooks()
    for snapshot in snapshots:
        books.apply(snapshot)
    start = time.perf_counter()
    for frame in frames:
        for event in decode_clob_frame(frame):
            if books.apply(event) is ApplyResult.RESYNC:  # pragma: no cover - a bug
                raise RuntimeError(f"resync: {event}")
    elapsed = time.perf_counter() - start
    print(
        f"marketdata.pipeline.price_change: {len(frames) / elapsed:,.0f} frames/s, "
        f"{frame_updates / elapsed:,.0f} level updates/s (decode + translate + book)"
    )


def main() -> None:
    """Print every number."""
    bench_decode()
    bench_book()


if __name__ == "__main__":
    main()
