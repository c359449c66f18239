"""Polymarket's published CLOB rate limits, one budget per endpoint.

The venue throttles on sliding windows (it queues requests first, then answers 429). The
budgets below are its published numbers per 10 seconds and, for the trading endpoints, per
10 minutes; every request not listed shares the general CLOB budget. The budgets live in
the process's :class:`~agbotkit.toolkit.ratelimit.RateLimits`, so every client of one
account in a process shares them.
"""

from __future__ import annotations

from agbotkit.toolkit.ratelimit import Window

__all__ = ["BUDGETS", "GENERAL", "budget_of"]

_TEN_S = 10.0
_TEN_MIN = 600.0


def _windows(per_10s: int, per_10min: int | None = None) -> tuple[Window, ...]:
    burst = Window(per_10s, _TEN_S)
    return (burst,) if per_10min is None else (burst, Window(per_10min, _TEN_MIN))


#: The general CLOB budget, for every request without one of its own.
GENERAL = "CLOB general"

#: Budget name -> its windows.
BUDGETS: dict[str, tuple[Window, ...]] = {
    "POST /order": _windows(3_500, 36_000),
    "DELETE /order": _windows(3_000, 30_000),
    "POST /orders": _windows(1_000, 15_000),
    "DELETE /orders": _windows(1_000, 15_000),
    "DELETE /cancel-all": _windows(250, 6_000),
    "DELETE /cancel-market-orders": _windows(1_000, 1_500),
    "GET /data/orders": _windows(500),
    "GET /data/trades": _windows(500),
    # The "ledger" budget of single-order look-ups.
    "GET /data/order": _windows(900),
    "GET /balance-allowance": _windows(200),
    "GET /balance-allowance/update": _windows(50),
    "GET /tick-size": _windows(200),
    GENERAL: _windows(9_000),
}


def budget_of(method: str, path: str) -> str:
    """The budget a request counts against: ``GET /data/order/0xab…`` -> ``GET /data/order``."""
    key = f"{method} {path.split('?', 1)[0]}"
    if key in BUDGETS:
        return key
    if key.startswith("GET /data/order/"):
        return "GET /data/order"
    return GENERAL
