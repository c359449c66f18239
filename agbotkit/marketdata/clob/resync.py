"""How often a token's book may be resynced: a jittered, doubling pause per token.

Pure and synchronous: no trio, no I/O; times are whatever clock the caller passes (trio's).
A book found inconsistent is reset and its token resubscribed, which makes the server send
a fresh snapshot. Once that is right. A feed that keeps contradicting the book (a precision
quirk, a venue-side race) would otherwise make every snapshot a new resubscribe: a storm
nobody sees. So the first resync of a healthy token goes at once, and each one after it
waits a :class:`~agbotkit.toolkit.backoff.Backoff` delay that doubles up to a ceiling,
until the token's book has stayed valid for a healthy period, which starts the pauses over.
"""

from __future__ import annotations

import math
import random

import attrs

from agbotkit.toolkit.backoff import Backoff

__all__ = ["ResyncPacer"]


@attrs.define
class _Token:
    """The resync history of one token."""

    backoff: Backoff
    # The earliest time of the next resubscribe.
    next_at: float = -math.inf
    # When the latest snapshot made the book valid, None while it is not.
    valid_since: float | None = None


class ResyncPacer:
    """When each token's next resubscribe may go out (see the module docstring)."""

    def __init__(
        self,
        initial_s: float = 1.0,
        max_s: float = 60.0,
        healthy_s: float = 60.0,
        *,
        rng: random.Random | None = None,
    ) -> None:
        """Set up the pacing of one socket's tokens.

        Args:
            initial_s: the ceiling of the pause after the first resubscribe.
            max_s: the pauses stop doubling here.
            healthy_s: a book valid for this long starts its token's pauses over.
            rng: the jitter's random source (seed it in tests).
        """
        self._initial_s = initial_s
        self._max_s = max_s
        self._healthy_s = healthy_s
        self._rng = rng or random.Random()
        self._tokens: dict[str, _Token] = {}

    def due(self, asset_id: str, now: float) -> float:
        """When the resubscribe of ``asset_id``, needed at ``now``, may go out (``now`` at
        the earliest)."""
        token = self._tokens.get(asset_id)
        if token is None:
            return now
        if token.valid_since is not None and now - token.valid_since >= self._healthy_s:
            token.backoff.reset()
            token.next_at = -math.inf
        return max(now, token.next_at)

    def sent(self, asset_id: str, now: float) -> None:
        """The resubscribe of ``asset_id`` went out at ``now``: the next one waits longer."""
        token = self._tokens.get(asset_id)
        if token is None:
            backoff = Backoff(self._initial_s, self._max_s, rng=self._rng)
            token = self._tokens[asset_id] = _Token(backoff)
        token.next_at = now + token.backoff.next_delay()
        token.valid_since = None

    def valid(self, asset_id: str, now: float) -> None:
        """A snapshot made the book of ``asset_id`` valid at ``now``."""
        token = self._tokens.get(asset_id)
        if token is not None and token.valid_since is None:
            token.valid_since = now

    def failures(self, asset_id: str) -> int:
        """Resubscribes of ``asset_id`` since its pauses last started over."""
        token = self._tokens.get(asset_id)
        return 0 if token is None else token.backoff.failures

    def forget(self, asset_id: str) -> None:
        """Drop the history of a token no longer subscribed."""
        self._tokens.pop(asset_id, None)
