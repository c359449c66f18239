"""RTDS's half of a session: subscriptions, decoding, publishing, rejection handling."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from agbotkit.bus.bus import Bus
from agbotkit.logs import WarningThrottle
from agbotkit.marketdata.codec import excerpt
from agbotkit.marketdata.frames import FrameIntake
from agbotkit.marketdata.rtds.translate import decode_rtds_frame
from agbotkit.marketdata.rtds.wire import RtdsSubscription, encode_rtds_subscribe
from agbotkit.marketdata.stats import FeedStats
from agbotkit.model.feeds import Pong, ServerError
from agbotkit.topics import MARKET_DATA
from agbotkit.ws.frames import Oversize

__all__ = ["RtdsHandler"]

LOGGER = logging.getLogger(__name__)


class RtdsHandler:
    """Handles one RTDS socket: subscribe on connect, decode and publish what arrives.

    An error frame from the server (an unknown topic, a malformed filter) means the whole
    subscribe batch gets nothing, and sending it again gets the same answer: the batch is
    marked rejected, reported once at error level and to ``on_rejected`` (the component's
    health), counted in ``polymarket.rtds.subscription_rejected`` (1 per topic and type of
    the batch), and not sent on later reconnects.
    """

    def __init__(
        self,
        *,
        subscriptions: Iterable[RtdsSubscription],
        bus: Bus,
        stats: FeedStats,
        on_rejected: Callable[[str], None] | None = None,
    ) -> None:
        self.subscriptions = list(subscriptions)
        self.rejected: str | None = None
        self._bus = bus
        self._stats = stats
        self._on_rejected = on_rejected
        for sub in self.subscriptions:
            stats.subscription_rejected[(sub.topic, sub.type)] = False
        self._intake = FrameIntake(
            "rtds", decode_rtds_frame, bus=bus, stats=stats, throttle=WarningThrottle(LOGGER)
        )

    @property
    def expects_data(self) -> bool:
        """True while some subscription is in force."""
        return bool(self.subscriptions) and self.rejected is None

    def initial_frames(self) -> list[str]:
        """The subscribe frame (none once the server rejected it)."""
        return [encode_rtds_subscribe(self.subscriptions)] if self.expects_data else []

    def on_disconnect(self) -> None:
        """RTDS state is re-seeded by the snapshots the next subscribe brings."""

    async def maintain(self) -> None:
        """Nothing runs beside the read loop of an RTDS socket."""

    async def on_frames(self, frames: Sequence[str | Oversize], received_ms: int) -> bool:
        """Decode and publish one read's frames; True when any carried data."""
        data = False
        for event in self._intake.events(frames, received_ms):
            if isinstance(event, Pong):
                continue
            if isinstance(event, ServerError):
                self._reject(event)
                continue
            self._count(event, received_ms)
            self._bus.publish_nowait(MARKET_DATA, event)
            data = True
        return data

    def _count(self, event: Any, received_ms: int) -> None:
        labels = (("message_type", event.event_type), ("topic", event.topic))
        self._stats.message(labels, received_ms - event.timestamp_ms)

    def _reject(self, error: ServerError) -> None:
        if self.rejected is None:
            topics = ", ".join(sorted({f"{s.topic}/{s.type}" for s in self.subscriptions}))
            LOGGER.error(
                "RTDS rejected the subscription (%s, status %s): %s. Not retrying "
                "it; fix the stack file.",
                topics,
                error.status,
                error.message,
            )
            for key in self._stats.subscription_rejected:
                self._stats.subscription_rejected[key] = True
            if self._on_rejected is not None:
                self._on_rejected(
                    f"RTDS rejected the subscription ({topics}; status {error.status}): "
                    f"{excerpt(error.message)}; not retried"
                )
        self.rejected = f"{error.status}: {error.message}"
