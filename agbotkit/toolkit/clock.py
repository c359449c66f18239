"""The one wall clock: integer Unix epoch milliseconds."""

from __future__ import annotations

import time

__all__ = ["wall_clock_ms"]


def wall_clock_ms() -> int:
    """Now, as integer Unix epoch milliseconds."""
    return time.time_ns() // 1_000_000
