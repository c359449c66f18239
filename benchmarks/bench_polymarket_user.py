"""Benchmark of the Polymarket user channel's pure path: decode + translate.

Run ``python benchmarks/bench_polymarket_user.py``. Prints one line per number; makes no
timing assertions. Frames are the recorded user-channel samples in ``tests/data/polymarket``
(two order events, four trades, a killed FOK, an invalid-order cancellation), decoded and
translated for the samples' trader (so each trade yields its fills of ours). Printed: µs per
frame for each sample, and events/s and frames/s for the whole mix in a loop; then the same
mix as one array frame. About 5 s in all.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from pathlib import Path

from agbotkit.venues.polymarket.user_translate import UserIdentity, decode_user_frame

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "polymarket"
SAMPLES = DATA / "nautilus_clob_user_ws.jsonl"
ME = UserIdentity(
    api_keys=["3e2c94ca-8124-c4c1-c7ea-be1ea21b71fe"],
    addresses=["0xa3D82Ed56F4c68d2328Fb8c29e568Ba2cAF7d7c8"],
)
NAMES = [
    "order_placement",
    "order_cancellation",
    "trade_maker_of_6",
    "trade_taker",
    "trade_maker_by_address",
    "trade_maker_2_fills",
    "order_fok_killed",
    "order_invalid_no_event_type",
]


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


def bench_each(lines: list[bytes]) -> None:
    for name, frame in zip(NAMES, lines, strict=True):
        us = per_call_us(functools.partial(decode_user_frame, frame, ME))
        print(f"polymarket.user.decode_translate.{name}: {us:.1f} µs/frame")


def bench_mix(lines: list[bytes], seconds: float = 2.0) -> None:
    events_per_pass = sum(len(decode_user_frame(frame, ME)) for frame in lines)
    best = 0.0
    for _ in range(3):
        passes = 0
        start = time.perf_counter()
        deadline = start + seconds / 3
        while time.perf_counter() < deadline:
            for frame in lines:
                decode_user_frame(frame, ME)
            passes += 1
        best = max(best, passes / (time.perf_counter() - start))
    print(
        f"polymarket.user.mix: {best * events_per_pass:,.0f} events/s, "
        f"{best * len(lines):,.0f} frames/s ({events_per_pass} events per {len(lines)} frames: "
        "order updates and our fills)"
    )
    array = b"[" + b",".join(lines) + b"]"
    us = per_call_us(functools.partial(decode_user_frame, array, ME))
    print(
        f"polymarket.user.mix_as_one_array: {events_per_pass / us * 1e6:,.0f} events/s "
        f"({us:.1f} µs per array of {len(lines)})"
    )


def main() -> None:
    """Print every number."""
    lines = SAMPLES.read_bytes().splitlines()
    bench_each(lines)
    bench_mix(lines)


if __name__ == "__main__":
    main()
