"""What the fake CLOB can be told to do wrong, and its rate limits (pure).

Set fields of :attr:`FakeClob.faults` between requests; each counted fault applies to that
many coming requests and then wears off. Rate limits are enforced like the venue's: every
request counts against its endpoint's budget (:func:`~agbotkit.venues.polymarket.limits.
budget_of`) over a sliding window, and one over budget is answered 429 with
``Retry-After``.
"""

from __future__ import annotations

import collections

import attrs

__all__ = ["CANCEL_ONLY", "CLOUDFLARE_PAGE", "INTERNAL_ERROR", "Faults", "RateLimit"]

INTERNAL_ERROR = b'{"error":"Internal server error"}'
CANCEL_ONLY = (
    b'{"error":"Trading is currently cancel-only. New orders are not accepted, but cancels are."}'
)
TOO_MANY = b'{"error":"Too Many Requests"}'
CLOUDFLARE_PAGE = (
    b"<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head>"
    b"<body><h1>Sorry, you have been blocked</h1><p>Cloudflare Ray ID: 0000000000000000</p>"
    b"</body></html>"
)


@attrs.define
class RateLimit:
    """A sliding-window budget of one endpoint.

    Attributes:
        limit: requests allowed per window.
        window_s: the window's length.
    """

    limit: int
    window_s: float = 10.0
    _times: collections.deque[float] = attrs.Factory(collections.deque)

    def admit(self, now: float) -> float | None:
        """Count a request at ``now``; ``None`` if within budget, else seconds to wait."""
        while self._times and self._times[0] <= now - self.window_s:
            self._times.popleft()
        if len(self._times) >= self.limit:
            return self._times[0] + self.window_s - now
        self._times.append(now)
        return None


@attrs.define
class Faults:
    """Faults a test turns on (all off by default).

    Attributes:
        hang_orders: the next this many ``POST /order(s)`` are placed but never answered
            (the client times out: the order IS on the book).
        server_errors: the next this many requests get 500 ``Internal server error``
            (nothing is done).
        cancel_only: new orders get 503 ``Trading is currently cancel-only``; cancels work.
        too_many_requests: the next this many requests get 429 with ``Retry-After``.
        retry_after_s: the ``Retry-After`` of those 429s.
        cloudflare: the next this many requests get an HTML 403 page from "Cloudflare".
        fail_trades: trades made from now on go ``RETRYING`` then ``FAILED``.
        rate_limits: per budget name (``"POST /order"``), a budget enforced with 429s.
    """

    hang_orders: int = 0
    server_errors: int = 0
    cancel_only: bool = False
    too_many_requests: int = 0
    retry_after_s: float = 1.0
    cloudflare: int = 0
    fail_trades: bool = False
    rate_limits: dict[str, RateLimit] = attrs.Factory(dict)

    def limit(self, budget: str, per_window: int, window_s: float = 10.0) -> None:
        """Enforce ``per_window`` requests per ``window_s`` on ``budget``."""
        self.rate_limits[budget] = RateLimit(per_window, window_s)
