"""Benchmark of the order manager: updates per second with 100,000 live orders, cancel-all.

Run ``python benchmarks/bench_oms.py`` (``--repeats N`` takes the best of N runs, 3 by
default; ``--cpu`` times with the process's CPU time, which other processes of a shared
machine disturb less). It prints one line per number with the target the issue set; it
measures, it does not judge: no timing is asserted.

An "update" is one ``on_fill``, ``on_update`` or ``acknowledged`` call, on a random one of
100,000 live (accepted, resting) orders spread over 200 markets:

* ``mix``: what Polymarket's user channel sends for a trade: the trade three times
  (``MATCHED``, ``MINED``, ``CONFIRMED``: one fill counted, two duplicates) and one order
  update (``PARTIALLY_FILLED``, old news after the fill); the fills carry only the venue's
  order id, so the order manager fills in the client id, market and venue;
* ``new_fill``: every update a new fill (the costliest kind: a status change to publish and
  a fill to complete);
* ``status_change``: every update moves an order (``ACCEPTED -> PARTIALLY_FILLED``).

``cancel_all``: for N open orders of one venue, ``cancel_requested`` for each (from
``open_orders``) and then the venue's one answer cancelling them all, for N = 1,000, 10,000
and 100,000; the ms per 1,000 orders shows whether it stays linear. It is printed a second
time with Python's cyclic garbage collector paused: the order manager's own work is linear,
but the collector's full passes cost more as the heap grows (100,000 orders and the events
of their cancels), which shows at the largest size.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from collections.abc import Callable
from decimal import Decimal

from agbotkit.exec.oms import OrderManager
from agbotkit.model.execution import OrderStatus
from agbotkit.model.orders import Fill, Order, Side, TradeStatus
from agbotkit.model.venues import CancelResult, OrderAck, VenueOrderUpdate

VENUE = "paper"
LIVE = 100_000
MARKETS = 200
UPDATES = 100_000
REPEATS = 3
CANCEL_SIZES = (1_000, 10_000, 100_000)
TARGET_UPDATES = 200_000
TARGET_CANCEL_MS = 50.0


def live_oms(count: int, prefix: str = "c") -> tuple[OrderManager, list[str]]:
    """An order manager with ``count`` accepted orders; their venue ids."""
    oms = OrderManager(component="execution", now_ms=lambda: 1_767_225_600_000)
    venue_ids = []
    for n in range(count):
        client_id = f"{prefix}{n}"
        venue_id = f"0x{prefix}{n:08x}"
        market = n % MARKETS
        oms.add(
            Order(
                client_order_id=client_id,
                venue=VENUE,
                market_id=f"m{market}",
                token_id=f"t{market}",
                side=Side.BUY if n % 2 else Side.SELL,
                price=Decimal("0.42"),
                size=Decimal(1_000_000),
            )
        )
        oms.submitting(client_id)
        oms.acknowledged(OrderAck(client_order_id=client_id, venue_order_id=venue_id))
        venue_ids.append(venue_id)
    return oms, venue_ids


def fill(venue_id: str, trade: int, status: TradeStatus) -> Fill:
    return Fill(
        token_id="t",
        side=Side.BUY,
        price=Decimal("0.42"),
        size=Decimal(1),
        order_id=venue_id,
        trade_id=f"trade-{trade}",
        trade_status=status,
    )


Step = Callable[[], object]


def mix_steps(oms: OrderManager, venue_ids: list[str], rng: random.Random, base: int) -> list[Step]:
    steps: list[Step] = []
    for trade in range(base, base + UPDATES // 4):
        venue_id = rng.choice(venue_ids)
        update = VenueOrderUpdate(venue_order_id=venue_id, status=OrderStatus.PARTIALLY_FILLED)
        for status in (TradeStatus.MATCHED, TradeStatus.MINED, TradeStatus.CONFIRMED):
            steps.append(_fill_step(oms, fill(venue_id, trade, status)))
            if status is TradeStatus.MATCHED:
                steps.append(_update_step(oms, update))
    return steps


def new_fill_steps(
    oms: OrderManager, venue_ids: list[str], rng: random.Random, base: int
) -> list[Step]:
    return [
        _fill_step(oms, fill(rng.choice(venue_ids), trade, TradeStatus.MATCHED))
        for trade in range(base, base + UPDATES)
    ]


def _fill_step(oms: OrderManager, item: Fill) -> Step:
    return lambda: oms.on_fill(VENUE, item)


def _update_step(oms: OrderManager, update: VenueOrderUpdate) -> Step:
    return lambda: oms.on_update(VENUE, update)


def timed(steps: list[Step], clock: Callable[[], float]) -> float:
    gc.collect()
    start = clock()
    for step in steps:
        step()
    return clock() - start


def updates(repeats: int, clock: Callable[[], float]) -> None:
    rng = random.Random(13)
    oms, venue_ids = live_oms(LIVE)
    assert len(oms.open_orders()) == LIVE
    # Status changes first, while every order is still ACCEPTED: distinct orders per run.
    order = list(venue_ids)
    rng.shuffle(order)
    per_run = len(order) // repeats
    best = float("inf")
    for run in range(repeats):
        batch = order[run * per_run : (run + 1) * per_run]
        steps = [
            _update_step(
                oms, VenueOrderUpdate(venue_order_id=v, status=OrderStatus.PARTIALLY_FILLED)
            )
            for v in batch
        ]
        best = min(best, timed(steps, clock) / len(steps))
    print(f"oms.status_change: {1 / best:,.0f} updates/s with {LIVE:,} live orders")
    for name, make in (("new_fill", new_fill_steps), ("mix", mix_steps)):
        best = float("inf")
        for run in range(repeats):
            steps = make(oms, venue_ids, rng, (run + 1) * 10 * UPDATES)
            best = min(best, timed(steps, clock) / len(steps))
        print(
            f"oms.{name}: {1 / best:,.0f} updates/s with {LIVE:,} live orders"
            f" (target >= {TARGET_UPDATES:,})"
        )
    assert oms.counters.illegal_transitions == 0
    assert oms.counters.overfills == 0
    assert len(oms.open_orders()) == LIVE


def cancel_all_ms(size: int, repeats: int, clock: Callable[[], float], *, gc_paused: bool) -> float:
    """Best-of-``repeats`` ms of a cancel-all of ``size`` open orders."""
    best = float("inf")
    for _ in range(repeats):
        oms, venue_ids = live_oms(size)
        answer = CancelResult(canceled=tuple(venue_ids))
        gc.collect()
        if gc_paused:
            gc.disable()
        start = clock()
        for state in oms.open_orders(VENUE):
            oms.cancel_requested(state.order.client_order_id, "cancel all")
        changes = oms.cancel_result(VENUE, answer)
        best = min(best, clock() - start)
        gc.enable()
        assert len(changes) == size
        assert not oms.open_orders()
    return best * 1000


def cancel_all(repeats: int, clock: Callable[[], float]) -> None:
    for size in CANCEL_SIZES:
        ms = cancel_all_ms(size, repeats, clock, gc_paused=False)
        paused = cancel_all_ms(size, repeats, clock, gc_paused=True)
        target = f" (target <= {TARGET_CANCEL_MS:g})" if size == 10_000 else ""
        print(
            f"oms.cancel_all_{size}: {ms:.1f} ms, {ms / size * 1000:.2f} ms per 1,000 orders"
            f"{target}; with the cyclic GC paused {paused / size * 1000:.2f} ms per 1,000"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--cpu", action="store_true", help="time with the process's CPU time")
    args = parser.parse_args()
    clock = time.process_time if args.cpu else time.perf_counter
    updates(args.repeats, clock)
    cancel_all(args.repeats, clock)


if __name__ == "__main__":
    main()
