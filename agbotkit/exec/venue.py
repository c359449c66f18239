"""One venue as the execution component runs it: the adapter, its queue and its budgets."""

from __future__ import annotations

from typing import Any

import attrs
import trio

from agbotkit.abc import VenueAdapter
from agbotkit.model.orders import Order
from agbotkit.model.venues import VenueCapabilities
from agbotkit.toolkit.ratelimit import RateLimiter

__all__ = ["Pending", "RunningVenue"]


@attrs.frozen(slots=True)
class Pending:
    """An order waiting for a submit worker.

    Attributes:
        order: the order.
        since: when its approval arrived (trio clock, seconds), for the latency.
    """

    order: Order
    since: float


@attrs.define(eq=False)
class RunningVenue:
    """A started venue adapter with what the execution component keeps beside it.

    Attributes:
        name: the venue's name in the stack.
        adapter: the adapter.
        dry_run: real money with live trading off: nothing is ever sent to it.
        submits: orders waiting for a submit worker.
        waiting: the receiving end of ``submits``.
        submit_limiter: the process's order budget at this venue.
        cancel_limiter: the process's cancel budget at this venue.
    """

    name: str
    adapter: VenueAdapter[Any]
    dry_run: bool
    submits: trio.MemorySendChannel[Pending]
    waiting: trio.MemoryReceiveChannel[Pending]
    submit_limiter: RateLimiter
    cancel_limiter: RateLimiter

    @property
    def capabilities(self) -> VenueCapabilities:
        """What the adapter supports."""
        return self.adapter.capabilities

    def unsupported(self, order: Order) -> str:
        """Why this venue cannot take ``order`` ("" when it can)."""
        caps = self.capabilities
        if order.order_type not in caps.order_types:
            supported = ", ".join(sorted(caps.order_types))
            return f"venue {self.name} takes no {order.order_type} orders (it takes {supported})"
        if order.post_only and not caps.post_only:
            return f"venue {self.name} takes no post-only orders"
        if order.order_type.rests and order.size < caps.min_size:
            return (
                f"size {order.size} is below venue {self.name}'s minimum of {caps.min_size} shares"
            )
        if not order.order_type.rests and order.notional_usd < caps.min_notional_usd:
            return (
                f"notional {order.notional_usd} USD is below venue {self.name}'s minimum of "
                f"{caps.min_notional_usd} USD for an immediate order"
            )
        return ""
