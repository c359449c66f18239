"""The execution layer's metrics: counted as things happen, published every interval.

Names (labels in brackets):

* ``exec.latency_ms`` gauge [venue, market]: submit to the venue's acknowledgement, per
  order (published with each acknowledgement).
* ``exec.orders_placed`` counter [venue, side]: orders the venue accepted.
* ``exec.rejections`` counter [venue, reason]: orders refused, by who refused and why
  (``venue``, ``kill_switch``, ``dry_run``, ``unsupported``, ``rate_limited``,
  ``never_sent``, ``stopping``, ``standby``).
* ``exec.fills`` counter [venue, side], ``exec.fill_volume_usd`` counter [venue],
  ``exec.fees_usd`` counter [venue]: distinct fills, their notional and fees.
* ``exec.cancels`` counter [venue]: orders the venue confirmed cancelled.
* ``exec.open_orders`` gauge [venue], ``exec.unknown_orders`` gauge [venue].
* ``exec.rate_limit_waits`` counter [venue, endpoint], ``exec.rate_limit_wait_ms`` counter
  [venue, endpoint]: calls that queued for their budget, and for how long in total.
* ``exec.illegal_transitions``, ``exec.duplicate_fills``, ``exec.overfills``,
  ``exec.unknown_order_fills``, ``exec.failed_trades`` counters: what the order manager
  refused, reported, or took back (a trade whose settlement failed).
"""

from __future__ import annotations

import collections
from collections.abc import Iterable

from agbotkit.abc import ComponentContext
from agbotkit.exec.oms import OrderManager
from agbotkit.model.metrics import MetricType
from agbotkit.model.orders import Fill, Order
from agbotkit.toolkit.ratelimit import RateLimits

__all__ = ["METRIC_LATENCY", "METRIC_ORDERS_PLACED", "ExecMetrics"]

METRIC_LATENCY = "exec.latency_ms"
METRIC_ORDERS_PLACED = "exec.orders_placed"

_Key = tuple[str, ...]


class ExecMetrics:
    """Running totals of one execution component, published by :meth:`publish`."""

    def __init__(self, context: ComponentContext, oms: OrderManager) -> None:
        self._context = context
        self._oms = oms
        self.placed: collections.Counter[_Key] = collections.Counter()
        self.rejections: collections.Counter[_Key] = collections.Counter()
        self.fills: collections.Counter[_Key] = collections.Counter()
        self.fill_volume: collections.defaultdict[str, float] = collections.defaultdict(float)
        self.fees: collections.defaultdict[str, float] = collections.defaultdict(float)
        self.cancels: collections.Counter[str] = collections.Counter()

    def acknowledged(self, order: Order, latency_ms: float, accepted: bool) -> None:
        """An acknowledgement came ``latency_ms`` after the submit began."""
        self._context.metric(
            METRIC_LATENCY, latency_ms, labels={"venue": order.venue, "market": order.market_id}
        )
        if accepted:
            self.placed[(order.venue, order.side.value)] += 1

    def rejected(self, venue: str, reason: str) -> None:
        """An order was refused; ``reason`` is who refused (see the module)."""
        self.rejections[(venue, reason)] += 1

    def filled(self, venue: str, fill: Fill) -> None:
        """A distinct fill was published."""
        self.fills[(venue, fill.side.value)] += 1
        self.fill_volume[venue] += float(fill.notional_usd)
        self.fees[venue] += float(fill.fee_usd or 0)

    def canceled(self, venue: str, count: int) -> None:
        """The venue confirmed ``count`` cancels."""
        self.cancels[venue] += count

    def publish(self, venues: Iterable[str], limits: RateLimits) -> None:
        """Every total and gauge, now (the budgets of ``limits`` as they are now: a venue
        adapter makes some of its own while running)."""
        metric = self._context.metric
        counter = MetricType.COUNTER
        for (venue, side), n in self.placed.items():
            metric(METRIC_ORDERS_PLACED, n, counter, {"venue": venue, "side": side})
        for (venue, reason), n in self.rejections.items():
            metric("exec.rejections", n, counter, {"venue": venue, "reason": reason})
        for (venue, side), n in self.fills.items():
            metric("exec.fills", n, counter, {"venue": venue, "side": side})
        for venue, usd in self.fill_volume.items():
            metric("exec.fill_volume_usd", usd, counter, {"venue": venue})
        for venue, usd in self.fees.items():
            metric("exec.fees_usd", usd, counter, {"venue": venue})
        for venue, n in self.cancels.items():
            metric("exec.cancels", n, counter, {"venue": venue})
        unknown = collections.Counter(state.order.venue for state in self._oms.unknown_orders())
        for venue in venues:
            metric("exec.open_orders", len(self._oms.open_orders(venue)), labels={"venue": venue})
            metric("exec.unknown_orders", unknown[venue], labels={"venue": venue})
        for limiter in limits.all():
            labels = {"venue": limiter.venue, "endpoint": limiter.endpoint}
            metric("exec.rate_limit_waits", limiter.waits, counter, labels)
            metric("exec.rate_limit_wait_ms", limiter.waited_s * 1000, counter, labels)
        counts = self._oms.counters
        metric("exec.illegal_transitions", counts.illegal_transitions, counter)
        metric("exec.duplicate_fills", counts.duplicate_fills, counter)
        metric("exec.overfills", counts.overfills, counter)
        metric("exec.unknown_order_fills", counts.unknown_order_fills, counter)
        metric("exec.failed_trades", counts.failed_trades, counter)
