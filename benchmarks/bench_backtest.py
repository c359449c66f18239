"""Benchmark of the backtester: book events per second on a 1,000,000-event recording.

Run ``python benchmarks/bench_backtest.py`` (``--events N`` for another size, ``--repeats N``
for the best of N runs, ``--profile`` for a cProfile of each case). It prints one line per
number with the target the issue set; it measures, it does not judge.

The recording is synthetic (``agbotkit.marketdata.replay.synthetic``), made once and cached
in the temp dir. It is loaded and decoded once (the load time is printed apart); each case
then replays every event through the engine (books, risk, order manager, fill simulator,
positions) and the throughput is book events (per-token snapshots and deltas) over the
replay's wall time, trades and the rest of the loop included. Cases:

* ``no-op``: a strategy whose hooks do nothing (still called for every book event);
* ``quoter``: the plain quoter other engines are compared on: every 10 book events it
  cancels its two orders and places a new bid and ask (on Polymarket an ask without
  inventory is a bid on the other outcome: it bids YES at the best bid and NO at one minus
  the best YES ask), through the whole order path;
* ``market_maker``: the reference market maker with its defaults, when it is installed.

Cost linear in orders: the quoter runs on the first quarter of the data and on all of it;
its cost per event, and per order, should be the same on both.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from pathlib import Path
from typing import Any

from agbotkit.marketdata.replay.synthetic import generate
from agbotkit.model.books import Side
from agbotkit.strategies.api import BookView, Strategy
from agbotkit.strategies.backtest.config import BacktestConfig
from agbotkit.strategies.backtest.data import MarketData, load_data
from agbotkit.strategies.backtest.engine import Backtest, load_strategy, structure_params

# Frames per second of the synthetic feed, and book events per second of data it makes.
_RATE_HZ = 30.0
_EVENTS_PER_S = 54.3


class NoOp(Strategy[Any]):
    """Does nothing."""


class Quoter(Strategy[Any]):
    """Every 10 book events: cancel both orders, bid YES at the best bid, bid NO at one minus
    the best YES ask (the ask, expressed on the other outcome)."""

    def on_start(self) -> None:
        self.count = 0
        self.orders: tuple[str, ...] = ()
        market = self.context.markets[0]
        self.yes, self.no = self.context.tokens(market)[:2]

    def on_book(self, book: BookView) -> None:
        self.count += 1
        if self.count % 10:
            return
        context = self.context
        for order in self.orders:
            context.cancel_order(order)
        yes = context.book(self.yes)
        bid = None if yes is None else yes.best_bid
        ask = None if yes is None else yes.best_ask
        if bid is None or ask is None:
            self.orders = ()
            return
        self.orders = (
            context.submit_order(self.yes, Side.BUY, round(bid, 2), 10),
            context.submit_order(self.no, Side.BUY, round(1 - ask, 2), 10),
        )


def machine_reference() -> float:
    """Millions of simple Python operations per second (calls, attribute and dict reads,
    float arithmetic): the figures above scale with it, so it tells a slow moment of a
    shared machine from a slower engine. Best of 5 short runs."""

    class Point:
        __slots__ = ("x",)

        def __init__(self, x: float) -> None:
            self.x = x

    def step(point: Point, table: dict[int, float], i: int) -> float:
        return point.x * 1.000001 + table.get(i & 255, 0.0)

    table = {i: float(i) for i in range(256)}
    rounds = 200_000
    best = float("inf")
    for _ in range(5):
        point = Point(1.0)
        started = time.perf_counter()
        for i in range(rounds):
            point.x = step(point, table, i)
        best = min(best, time.perf_counter() - started)
    return rounds * 4 / best / 1e6


def recording(events: int) -> Path:
    """A cached synthetic recording of about ``events`` book events."""
    path = Path(tempfile.gettempdir()) / f"agbotkit-bench-backtest-{events}.jsonl.gz"
    if not path.exists():
        started = time.perf_counter()
        partial = path.with_suffix(".partial")
        generate(partial, seed=11, duration_s=events / _EVENTS_PER_S, clob_rate_hz=_RATE_HZ)
        partial.rename(path)
        print(f"made {path} in {time.perf_counter() - started:.0f} s")
    return path


def run_case(
    data: MarketData, strategy: Any, params: dict[str, Any], profile: bool, market: str
) -> tuple[float, Any]:
    cls = load_strategy(strategy)
    config = BacktestConfig(strategy=cls, params=params, markets=(market,) if market else ())
    engine = Backtest(config, data, cls, structure_params(cls, params))
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    result = engine.run()
    elapsed = time.perf_counter() - started
    if profiler is not None:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    return elapsed, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    path = recording(args.events)
    started = time.perf_counter()
    data = load_data([str(path)])
    print(
        f"loaded {data.book_events:,} book events ({len(data.events):,} events, "
        f"{data.frames:,} frames) in {time.perf_counter() - started:.1f} s (decoded once)"
    )
    print(
        f"machine reference: {machine_reference():.1f} M simple Python operations/s "
        "(this shared machine varies by 2-3x over a day; the figures below scale with it)"
    )
    market = next(iter(sorted(data.markets)))
    cases: list[tuple[str, Any, int]] = [("no-op", NoOp, 400_000), ("quoter", Quoter, 100_000)]
    try:
        load_strategy("market_maker")
        cases.append(("market_maker", "market_maker", 100_000))
    except Exception as exc:
        print(f"market_maker: not available ({exc})")
    for name, strategy, target in cases:
        best = min(
            (run_case(data, strategy, {}, args.profile, market) for _ in range(args.repeats)),
            key=lambda pair: pair[0],
        )
        elapsed, result = best
        rate = result.book_events / elapsed
        print(
            f"{name:>12}: {rate:>10,.0f} book events/s (target >= {target:,}); "
            f"{result.orders_submitted:,} orders, {len(result.fills):,} fills, "
            f"{elapsed:.2f} s"
        )
    # Linear in orders: the quoter on a quarter of the data and on all of it.
    quarter = MarketData(
        data.markets, data.books, data.events[: len(data.events) // 4], 0, data.frames // 4
    )
    for label, subset in (("1/4 of the data", quarter), ("all of the data", data)):
        elapsed, result = min(
            (run_case(subset, Quoter, {}, False, market) for _ in range(args.repeats)),
            key=lambda pair: pair[0],
        )
        events = len(subset.events)
        print(
            f"quoter on {label}: {events:,} events, {result.orders_submitted:,} orders: "
            f"{elapsed / events * 1e6:.2f} µs/event, "
            f"{elapsed / max(result.orders_submitted, 1) * 1e6:.1f} µs/order"
        )


if __name__ == "__main__":
    main()
