"""Benchmark of the fill simulator (agbotkit.exec.fillsim), the paper venue's engine.

Run ``python benchmarks/bench_fillsim.py`` (``--repeats N``: best of N runs, 3 by default).
It prints, with 1,000 of the account's orders resting on the token:

* marketable fills per second: FAK buys of 10 shares that each take one or two ask levels
  of a 100-level book (the submit, the walk, the fills and the taken-liquidity records);
* book updates per second: one-level deltas applied to the book and handed to the
  simulator, half of them at prices where our orders rest (queue checks), none crossing;
* trades per second: 10-share trades at the price of our highest buys (about 33 of our
  orders there, each trade walks their queue; they are far back, so none fills).

Pure Python, no event loop: it measures, it does not judge (no timing is asserted).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from decimal import Decimal

from agbotkit.exec.fillsim import FillSimulator
from agbotkit.marketdata.book import OrderBook
from agbotkit.model.books import BookDelta, BookSnapshot, LevelChange, PriceLevel
from agbotkit.model.markets import Trade
from agbotkit.model.orders import Order, OrderType, Side

TOKEN, MARKET = "tok", "mkt"
RESTING = 1_000
CASES = 20_000
CENT = Decimal("0.01")


def _price(cents: int) -> Decimal:
    return cents * CENT


def _setup() -> tuple[OrderBook, FillSimulator]:
    """A book of bids 0.01-0.45 and asks 0.55-0.99, big levels, and 1,000 resting orders."""
    book = OrderBook(TOKEN)
    bids = tuple(PriceLevel(_price(c), Decimal(1_000_000)) for c in range(1, 46))
    asks = tuple(PriceLevel(_price(c), Decimal(1_000_000)) for c in range(55, 100))
    book.apply_snapshot(BookSnapshot(TOKEN, MARKET, bids, asks, 0))
    sim = FillSimulator()
    for i in range(RESTING):
        buy = i % 2 == 0
        cents = 10 + i % 30 if buy else 60 + i % 30
        order = Order(
            client_order_id=f"r{i}",
            venue="paper",
            market_id=MARKET,
            token_id=TOKEN,
            side=Side.BUY if buy else Side.SELL,
            price=_price(cents),
            size=Decimal(10),
        )
        sim.submit(order, book, 0)
    assert sim.resting_count == RESTING
    return book, sim


def marketable() -> float:
    book, sim = _setup()
    orders = [
        Order(
            client_order_id=f"m{i}",
            venue="paper",
            market_id=MARKET,
            token_id=TOKEN,
            side=Side.BUY,
            price=Decimal("0.99"),
            size=Decimal(10),
            order_type=OrderType.FAK,
        )
        for i in range(CASES)
    ]
    start = time.perf_counter()
    for order in orders:
        sim.submit(order, book, 1)
    return CASES / (time.perf_counter() - start)


def book_updates() -> float:
    book, sim = _setup()
    deltas = []
    for i in range(CASES):
        cents = 10 + i % 30 if i % 2 == 0 else 40 + i % 5  # even: where our buys rest
        size = Decimal(500_000 + i)
        change = LevelChange(Side.BUY, _price(cents), size)
        deltas.append(BookDelta(TOKEN, MARKET, (change,), i))
    start = time.perf_counter()
    for delta in deltas:
        book.apply_delta(delta)
        sim.on_book(TOKEN, book, delta.changes, 1)
    return CASES / (time.perf_counter() - start)


def trades() -> float:
    _, sim = _setup()
    top = _price(38)  # the highest price our buys rest at
    prints = [
        Trade(TOKEN, MARKET, Side.SELL, top, Decimal(10), i, i, "last_trade_price")
        for i in range(CASES)
    ]
    start = time.perf_counter()
    for trade in prints:
        sim.on_trade(trade, 1)
    return CASES / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    cases: list[tuple[str, Callable[[], float]]] = [
        ("marketable fills", marketable),
        ("book updates", book_updates),
        ("trades", trades),
    ]
    for name, case in cases:
        best = max(case() for _ in range(args.repeats))
        print(f"fillsim {name} with {RESTING:,} resting orders: {best:,.0f}/s")


if __name__ == "__main__":
    main()
