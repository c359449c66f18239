"""Parent orders sliced into child orders on a timer: the engine ``twap`` and ``vwap``
share.

A parent (token, side, total size, limit price, start, duration) is cut into ``slices``
child orders, one at each slice's time; child ``k`` brings what is done up to the
schedule's cumulative target after slice ``k`` (``total * cumulative_weight[k]``), so a
slice that filled short is caught up by the next. Children are FAK orders at the limit
price (they take what the book offers at or better than the limit, the rest is
cancelled), at least ``min_size`` shares (a smaller remainder waits for the next slice,
except at the last). The filled size plus what is in flight never exceeds the total.
When the total is filled, or the last slice's child has ended, the parent is complete:
``completed`` is set, the timer stops, the metric ``execution.progress`` reads the filled
fraction and the log says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import attrs

from agbotkit.config.checks import at_least, between, greater_than, non_empty, one_of
from agbotkit.model.books import Side
from agbotkit.model.execution import OrderStatusChanged
from agbotkit.model.orders import Fill, OrderType
from agbotkit.strategies.api import OrderRejection, Strategy

__all__ = ["SlicedExecution", "SlicingConfig"]


@attrs.frozen(kw_only=True)
class SlicingConfig:
    """The parent order of ``twap`` and ``vwap`` (docs/strategies/twap.md).

    Attributes:
        token_id: the token to trade.
        side: ``BUY`` or ``SELL``.
        total_size: the parent's size, in shares.
        limit_price: the worst price a child may trade at.
        duration_s: from start to the last slice, in seconds.
        slices: how many child orders.
        start_ms: when to start, Unix ms (0: when the strategy starts).
        min_size: the fewest shares a child order carries (the venue's minimum).
    """

    token_id: str = attrs.field(validator=non_empty())
    side: str = attrs.field(validator=one_of("BUY", "SELL"))
    total_size: float = attrs.field(validator=greater_than(0))
    limit_price: float = attrs.field(validator=between(0, 1))
    duration_s: float = attrs.field(default=600.0, validator=greater_than(0))
    slices: int = attrs.field(default=10, validator=at_least(1))
    start_ms: int = attrs.field(default=0, validator=at_least(0))
    min_size: float = attrs.field(default=0.0, validator=at_least(0))


class SlicedExecution(Strategy[Any]):
    """Executes one parent order in slices on the timer (subclasses give the weights)."""

    def __init__(self, config: Any, context: Any) -> None:
        super().__init__(config, context)
        self.total = Decimal(str(config.total_size))
        self.filled = Decimal(0)
        self.completed = False
        self.slice_index = 0
        self._side = Side(config.side)
        self._limit = Decimal(str(config.limit_price))
        self._min = Decimal(str(config.min_size))
        self._children: dict[str, Decimal] = {}  # in flight: id -> unfilled size
        self._start_ms = 0
        self._interval_ms = 0.0

    # -- what subclasses give ------------------------------------------------------------

    def weights(self) -> Sequence[float]:
        """Each slice's share of the total (normalised here); uniform by default."""
        return [1.0] * self.config.slices

    # -- the schedule ----------------------------------------------------------------------

    def on_start(self) -> None:
        """Schedule the slices: the first at the start, then every ``duration / slices``."""
        config = self.config
        now = self.context.now_ms()
        self._start_ms = config.start_ms or now
        self._interval_ms = config.duration_s * 1000 / config.slices
        # The timer ticks at a tenth of a slice (at most 1 s) so slices start on time.
        self.context.set_timer(min(self._interval_ms / 10_000, 1.0))
        self.on_timer(now)

    def slice_due_ms(self, index: int) -> int:
        """When slice ``index`` (from 0) is due."""
        return self._start_ms + round(index * self._interval_ms)

    def cumulative_target(self, index: int) -> Decimal:
        """Shares done once slice ``index`` is through (the last: the total)."""
        weights = list(self.weights())
        if index >= len(weights) - 1:
            return self.total
        share = sum(weights[: index + 1]) / sum(weights)
        return (self.total * Decimal(str(share))).quantize(Decimal("0.000001"))

    def on_timer(self, now_ms: int) -> None:
        """Send each slice as it falls due."""
        if self.completed:
            return
        while self.slice_index < self.config.slices and now_ms >= self.slice_due_ms(
            self.slice_index
        ):
            self._send_slice(self.slice_index)
            self.slice_index += 1
        self._check_done()

    def _send_slice(self, index: int) -> None:
        in_flight = sum(self._children.values(), Decimal(0))
        last = index == self.config.slices - 1
        size = min(self.cumulative_target(index), self.total) - self.filled - in_flight
        if size <= 0 or (size < self._min and not last):
            return
        context = self.context
        book = context.book(self.config.token_id)
        if book is not None:
            touch = book.best_ask if self._side is Side.BUY else book.best_bid
            beyond = touch is None or (
                Decimal(str(touch)) > self._limit
                if self._side is Side.BUY
                else Decimal(str(touch)) < self._limit
            )
            if beyond:  # nothing at or better than the limit: the next slice catches up
                context.signal("slice_skipped")
                return
        cid = context.submit_order(
            self.config.token_id, self._side, self._limit, size, order_type=OrderType.FAK
        )
        self._children[cid] = size
        context.signal("slice")

    # -- children's fate -------------------------------------------------------------------

    def on_fill(self, fill: Fill) -> None:
        """A child traded."""
        if fill.client_order_id in self._children:
            self.filled += fill.size
            self._children[fill.client_order_id] -= fill.size

    def on_order_update(self, change: OrderStatusChanged) -> None:
        """A child ended (filled, or its rest cancelled)."""
        if change.status.terminal and self._children.pop(change.client_order_id, None) is not None:
            self._check_done()

    def on_rejected(self, rejection: OrderRejection) -> None:
        """A refused child: the next slice catches up."""
        if self._children.pop(rejection.client_order_id, None) is not None:
            self._check_done()

    def _check_done(self) -> None:
        if self.completed:
            return
        done = self.filled >= self.total
        over = self.slice_index >= self.config.slices and not self._children
        if not (done or over):
            return
        self.completed = True
        context = self.context
        context.set_timer(0)
        progress = float(self.filled / self.total)
        context.metric("execution.progress", progress, {"token_id": self.config.token_id})
        context.signal("parent_completed")
        context.logger.info(
            "parent order complete: %s of %s shares of %s filled",
            self.filled,
            self.total,
            self.config.token_id,
        )
