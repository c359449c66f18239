"""What both socket feeds do with every frame they read, before their own dispatch.

Each read of a CLOB or RTDS socket brings a batch of frames, and each frame goes through
the same checks, here once for both feeds (:class:`FrameIntake`):

* a frame over ``max_frame_bytes`` (dropped unread by :mod:`agbotkit.ws`, which hands over
  an :class:`~agbotkit.ws.frames.Oversize` instead) is counted malformed and logged;
* any other frame is published on ``raw_frames`` when someone listens (the recorder), as
  it came, before decoding;
* a frame that cannot be decoded is counted malformed, logged and dropped; the bad elements
  of an array frame are counted and logged, and its good ones kept.

Malformed frames are logged through the feed's :class:`~agbotkit.logs.WarningThrottle`:
garbage can arrive many times a second.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar

from agbotkit.bus.bus import Bus
from agbotkit.errors import MalformedFrameError
from agbotkit.logs import WarningThrottle
from agbotkit.marketdata.codec import FrameEvents
from agbotkit.marketdata.stats import FeedStats
from agbotkit.model.feeds import RawFrame
from agbotkit.topics import RAW_FRAMES
from agbotkit.ws.frames import Oversize

__all__ = ["FrameIntake"]

E = TypeVar("E")


class FrameIntake(Generic[E]):
    """Checks, records and decodes one feed's frames; see the module docstring."""

    def __init__(
        self,
        feed: str,
        decode: Callable[[str], FrameEvents[E]],
        *,
        bus: Bus,
        stats: FeedStats,
        throttle: WarningThrottle,
    ) -> None:
        """Set up the intake of one socket.

        Args:
            feed: ``clob`` or ``rtds``: the :class:`RawFrame` feed, and (upper case) the
                name in log lines.
            decode: the feed's frame decoder (``decode_clob_frame``, ``decode_rtds_frame``).
            bus: where raw frames are published.
            stats: the feed's counters (``malformed``).
            throttle: the feed's throttled warnings (keys ``oversize`` and ``malformed``).
        """
        self._feed = feed
        self._name = feed.upper()
        self._decode = decode
        self._bus = bus
        self._stats = stats
        self._throttle = throttle

    def events(self, frames: Sequence[str | Oversize], received_ms: int) -> Iterator[E]:
        """The events of one read's frames, in order; what is malformed is left out."""
        bus = self._bus
        decode = self._decode
        record = bus.subscriber_count(RAW_FRAMES) > 0
        for raw in frames:
            if isinstance(raw, Oversize):
                self._malformed(
                    1,
                    "oversize",
                    "%s frame of %d bytes refused (over the max_frame_bytes limit)",
                    raw.size,
                )
                continue
            if record:
                bus.publish_nowait(RAW_FRAMES, RawFrame(self._feed, received_ms, raw))
            try:
                events = decode(raw)
            except MalformedFrameError as exc:
                self._malformed(1, "malformed", "malformed %s frame dropped: %s", exc)
                continue
            if events.errors:
                self._malformed(
                    len(events.errors),
                    "malformed",
                    "malformed %s array element dropped: %s",
                    events.errors[0],
                )
            yield from events

    def _malformed(self, count: int, key: str, message: str, detail: object) -> None:
        self._stats.malformed += count
        self._throttle.warn(key, message, self._name, detail)
