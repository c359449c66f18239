"""Benchmark of Polymarket V2 order signing: µs to build and sign one order, and per order in a
batch of 15 (``POST /orders``' limit).

Run ``python benchmarks/bench_polymarket_sign.py`` (``--repeats N`` takes the best of N runs,
5 by default; ``--cpu`` times with the process's CPU time instead of the wall clock, which
other processes of a shared machine disturb less; ``--profile`` adds a cProfile of the
single-order case). One order is the whole
path from a price and a size to the bytes that are sent: amounts (Decimal rounding), the
unsigned struct, its EIP-712 digest (the order id), the secp256k1 signature, and the
``POST /order`` JSON body. A batch builds 15 such orders and encodes one ``POST /orders``
body. It prints the numbers with the issue's target; it asserts no timing.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from collections.abc import Callable
from decimal import Decimal

from agbotkit.model.books import Side
from agbotkit.model.orders import OrderType
from agbotkit.venues.polymarket.amounts import limit_order_amounts
from agbotkit.venues.polymarket.body import encode_body, order_body
from agbotkit.venues.polymarket.keys import SigningKey
from agbotkit.venues.polymarket.signer import OrderSigner

# Hardhat's well-known account #0: a public test key, never a real wallet.
KEY = SigningKey("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
TOKEN = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
OWNER = "00000000-0000-0000-0000-000000000000"
TICK = Decimal("0.01")
ORDERS = 3_000
BATCH = 15
TARGET_US = 60.0

PRICES = [Decimal(cents) / 100 for cents in range(1, 100)]
SIZES = [Decimal(5) + Decimal(i) / 7 for i in range(37)]


def _one(signer: OrderSigner, i: int) -> dict[str, object]:
    side = Side.BUY if i % 2 == 0 else Side.SELL
    amounts = limit_order_amounts(side, PRICES[i % 99], SIZES[i % 37], TICK)
    order = signer.build(
        token_id=TOKEN,
        side=side,
        maker_amount=amounts.maker_amount,
        taker_amount=amounts.taker_amount,
        timestamp_ms=1_713_398_400_000 + i,
    )
    signed = signer.sign(order, neg_risk=i % 3 == 0)
    return order_body(signed, owner=OWNER, order_type=OrderType.GTC)


Clock = Callable[[], float]


def single(signer: OrderSigner, clock: Clock = time.perf_counter) -> float:
    """µs per order, each built, signed and encoded on its own."""
    start = clock()
    for i in range(ORDERS):
        encode_body(_one(signer, i))
    return (clock() - start) / ORDERS * 1e6


def batch(signer: OrderSigner, clock: Clock) -> float:
    """µs per order, in batches of 15 encoded as one body."""
    batches = ORDERS // BATCH
    start = clock()
    for b in range(batches):
        encode_body([_one(signer, b * BATCH + j) for j in range(BATCH)])
    return (clock() - start) / (batches * BATCH) * 1e6


def signature_only(clock: Clock) -> float:
    """µs of the secp256k1 signature alone: the floor under everything else."""
    digest = bytes(range(32))
    start = clock()
    for _ in range(ORDERS):
        KEY.sign_digest(digest)
    return (clock() - start) / ORDERS * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cpu", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    clock = time.process_time if args.cpu else time.perf_counter
    signer = OrderSigner(KEY)
    one = min(single(signer, clock) for _ in range(args.repeats))
    many = min(batch(signer, clock) for _ in range(args.repeats))
    floor = min(signature_only(clock) for _ in range(args.repeats))
    print(
        f"polymarket V2 order build + sign + JSON, one order: {one:.1f} µs (target <= {TARGET_US:g})"
    )
    print(
        f"polymarket V2 order build + sign + JSON, batch of {BATCH}: {many:.1f} µs per order, "
        f"{many * BATCH:.0f} µs per batch (target <= {TARGET_US:g} per order)"
    )
    print(f"  of which the secp256k1 signature alone: {floor:.1f} µs")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(single, signer)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
