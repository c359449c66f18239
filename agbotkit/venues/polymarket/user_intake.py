"""What the user-channel connection does with each frame it reads: check, decode, count.

Pure: no trio, no I/O. :class:`UserIntake` is the half of
:class:`~agbotkit.venues.polymarket.user_channel.UserChannel` that needs no event loop:

* a frame refused for its size (the WebSocket layer drops it unread and reports its size)
  is counted malformed and logged;
* any other frame goes through
  :func:`~agbotkit.venues.polymarket.user_translate.decode_user_frame`; a frame that cannot
  be understood (not JSON, wrong types, nested too deeply, a fill of ours with a bad
  number) is counted malformed, logged and dropped, and so is each bad element of an
  array frame (its good elements are kept);
* control words are not events: ``PONG`` answers our ``PING``, ``NO NEW ASSETS`` says
  nothing, and ``INVALID OPERATION`` (the venue refused something we sent) is logged.

Warnings go through a :class:`~agbotkit.logs.WarningThrottle`: garbage can arrive many
times a second. Log lines quote at most a short excerpt of a bad frame; the frames we
receive never carry our credentials.
"""

from __future__ import annotations

from collections.abc import Callable, Container

from agbotkit.errors import MalformedFrameError
from agbotkit.logs import WarningThrottle
from agbotkit.model.feeds import InvalidOperation, NoNewAssets, Pong
from agbotkit.model.venues import VenueEvent
from agbotkit.venues.polymarket.user_translate import UserIdentity, decode_user_frame

__all__ = ["UserIntake"]

_CONTROL = (Pong, NoNewAssets, InvalidOperation)


class UserIntake:
    """Decodes one account's user-channel frames and counts the bad ones.

    Attributes:
        malformed: frames (and bad elements of array frames) dropped so far, oversized
            ones included.
    """

    def __init__(
        self,
        me: UserIdentity,
        *,
        throttle: WarningThrottle,
        order_ids: Container[str] = frozenset(),
        on_malformed: Callable[[int], object] | None = None,
    ) -> None:
        """Set up the intake.

        Args:
            me: who we are (tells our fills from others' in a trade event).
            throttle: the channel's throttled warnings (keys ``oversize``, ``malformed``,
                ``invalid_operation``).
            order_ids: venue ids of orders known to be ours; read at every frame, so a
                live set the owner keeps up to date works.
            on_malformed: called with the new total each time :attr:`malformed` grows.
        """
        self._me = me
        self._throttle = throttle
        self._order_ids = order_ids
        self._on_malformed = on_malformed
        self.malformed = 0

    def oversize(self, size: int) -> None:
        """Count and log a frame of ``size`` bytes that was refused unread."""
        self._count(1)
        self._throttle.warn(
            "oversize",
            "Polymarket user channel: frame of %d bytes refused (over max_frame_bytes)",
            size,
        )

    def decode(self, raw: str) -> tuple[list[VenueEvent], bool]:
        """The order updates and fills of one text frame, in order.

        Returns:
            The events (empty for a control word, a trade without a fill of ours, or a
            malformed frame), and whether the frame was data: anything but a control
            word, a blank frame or a malformed frame. Only data shows the stream is alive
            (the venue has been seen answering pings while sending nothing else).
        """
        try:
            decoded = decode_user_frame(raw, self._me, order_ids=self._order_ids)
        except MalformedFrameError as exc:
            self._count(1)
            self._throttle.warn(
                "malformed", "Polymarket user channel: malformed frame dropped: %s", exc
            )
            return [], False
        if decoded.errors:
            self._count(len(decoded.errors))
            self._throttle.warn(
                "malformed",
                "Polymarket user channel: malformed array element dropped: %s",
                decoded.errors[0],
            )
        events: list[VenueEvent] = []
        control = False
        for event in decoded:
            if isinstance(event, _CONTROL):
                control = True
                if isinstance(event, InvalidOperation):
                    self._throttle.warn(
                        "invalid_operation",
                        "Polymarket user channel: the venue answered INVALID OPERATION "
                        "(it refused a frame we sent)",
                    )
            else:
                events.append(event)
        # A frame whose every element was bad tells nothing either.
        is_data = not control and bool(events or not decoded.errors) and bool(raw.strip())
        return events, is_data

    def _count(self, count: int) -> None:
        self.malformed += count
        if self._on_malformed is not None:
            self._on_malformed(self.malformed)
