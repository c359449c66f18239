"""The one error hierarchy of agbotkit.

Every error agbotkit raises on purpose derives from :class:`AgbotkitError`. Subclasses
carry the data a caller needs to act on them (a config path, a plugin name), not just text.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

__all__ = [
    "AgbotkitError",
    "CancelOnlyError",
    "ComponentFailedError",
    "ComponentStartError",
    "ConfigError",
    "ConfigIssue",
    "CredentialsError",
    "FeedSilentError",
    "ForcedStopError",
    "GammaError",
    "InsufficientPositionError",
    "MalformedFrameError",
    "OrderOutcomeUnknownError",
    "OutOfOrderError",
    "PluginError",
    "RateLimitedError",
    "RecordingError",
    "RestartLimitError",
    "SchemaVersionError",
    "SettledTokenError",
    "ShutdownTimeoutError",
    "SigningError",
    "StorageError",
    "StorageUnavailableError",
    "TimeSeriesError",
    "TokenError",
    "VenueError",
    "WsClosed",
    "WsError",
    "WsHandshakeError",
]


class AgbotkitError(Exception):
    """Base class of every error agbotkit raises on purpose."""


class ConfigIssue:
    """One problem found in a config file: where it is and what was expected.

    Attributes:
        file: the file name as given by the user, or ``"<string>"``.
        line: 1-based line number, or ``None`` when the place has no line (an empty file).
        path: dotted field path, e.g. ``components.risk.max_size``; empty for the document.
        message: what was wrong, e.g. ``expected a number, got 'ten'``.
    """

    __slots__ = ("file", "line", "message", "path")

    def __init__(self, file: str, line: int | None, path: str, message: str) -> None:
        self.file = file
        self.line = line
        self.path = path
        self.message = message

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"

    def __repr__(self) -> str:
        return f"ConfigIssue({str(self)!r})"


class ConfigError(AgbotkitError, ValueError):
    """Raised when a stack file, policy file or component option is invalid.

    Every problem found is listed in :attr:`issues`, each naming file, line and field path;
    ``str(error)`` shows them one per line.
    """

    def __init__(self, issues: Sequence[ConfigIssue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))

    @property
    def path(self) -> str:
        """The field path of the first problem (the one a user fixes first)."""
        return self.issues[0].path if self.issues else ""


class PluginError(AgbotkitError):
    """Raised when a plugin cannot be used: unknown name, duplicate name, failed import.

    Attributes:
        group: the entry-point group, e.g. ``agbotkit.components``.
        name: the entry-point name.
    """

    def __init__(self, group: str, name: str, message: str) -> None:
        self.group = group
        self.name = name
        super().__init__(f"{group} {name!r}: {message}")


class ComponentStartError(AgbotkitError):
    """Raised when a component fails or times out before reporting ready."""

    def __init__(self, component: str, message: str) -> None:
        self.component = component
        super().__init__(f"component {component!r} {message}")


class ComponentFailedError(AgbotkitError):
    """Raised when a critical component fails and so stops the whole stack."""

    def __init__(self, component: str, message: str) -> None:
        self.component = component
        super().__init__(f"critical component {component!r} failed: {message}")


class RestartLimitError(AgbotkitError):
    """Raised when a component exceeded its restart budget and so stops the stack."""

    def __init__(self, component: str, restarts: int, window_s: float) -> None:
        self.component = component
        self.restarts = restarts
        self.window_s = window_s
        super().__init__(
            f"component {component!r} failed again after {restarts} restarts in {window_s:g} s"
        )


class ShutdownTimeoutError(AgbotkitError):
    """Raised when components did not stop within the stack's grace period."""

    def __init__(self, components: Sequence[str], grace_s: float) -> None:
        self.components = list(components)
        self.grace_s = grace_s
        names = ", ".join(repr(name) for name in components)
        super().__init__(f"components {names} did not stop within the {grace_s:g} s grace period")


class ForcedStopError(AgbotkitError):
    """Raised by the supervisor when a second signal stopped the stack without waiting."""


class MalformedFrameError(AgbotkitError, ValueError):
    """Raised by the sans-IO wire decoders when a frame cannot be understood.

    The connection that read the frame counts it (``<feed>.malformed``), logs a short
    excerpt at a rate-limited warning and drops it; the stream goes on.

    Attributes:
        reason: what was wrong, e.g. ``missing field 'asset_id'``.
        excerpt: the first bytes of the frame, for the log.
    """

    def __init__(self, reason: str, excerpt: str = "") -> None:
        self.reason = reason
        self.excerpt = excerpt
        super().__init__(f"{reason}: {excerpt}" if excerpt else reason)


class StorageError(AgbotkitError):
    """Raised when the database cannot be used as asked: a bad URL, a failed migration, a
    write the database refused for a reason other than being unreachable."""


class StorageUnavailableError(StorageError):
    """Raised when the database cannot be reached (down, restarting, locked, network lost).

    Writers keep what they were writing and try again later; nothing is lost.
    """


class SchemaVersionError(StorageError):
    """Raised when the database's schema is not the one this agbotkit knows.

    Attributes:
        found: the schema version in the database.
        known: the newest version this agbotkit has migrations for.
    """

    def __init__(self, message: str, *, found: int, known: int) -> None:
        self.found = found
        self.known = known
        super().__init__(message)


class TimeSeriesError(AgbotkitError, ValueError):
    """Raised when a time series or series store is given an invalid argument."""


class OutOfOrderError(TimeSeriesError):
    """Raised when an append is older than the newest point already stored.

    Attributes:
        timestamp_ms: the refused timestamp.
        newest_ms: the newest timestamp stored.
    """

    def __init__(self, timestamp_ms: int, newest_ms: int) -> None:
        self.timestamp_ms = timestamp_ms
        self.newest_ms = newest_ms
        super().__init__(
            f"timestamp_ms {timestamp_ms} is older than the newest stored point ({newest_ms}); "
            "appends must not go back in time"
        )


class RecordingError(AgbotkitError):
    """A recording cannot be read: missing, not a recording, or a newer version."""


class GammaError(AgbotkitError):
    """A market could not be resolved: unknown slug, Gamma unreachable, bad answer."""


class FeedSilentError(AgbotkitError):
    """Raised inside a market-data session (or the Polymarket user channel) when no data
    arrived for the silence timeout although the socket stayed open (it reconnects)."""


class WsError(AgbotkitError):
    """Base class of the errors of the WebSocket layer (:mod:`agbotkit.ws`)."""


class WsClosed(WsError):
    """Raised when the connection is over: the peer closed it, or it was lost.

    Attributes:
        code: the close code the peer sent (1000 normal, 1001 going away, 1013 try again
            later, ...), or ``None`` when the connection was lost without a close frame.
        reason: the peer's close reason, or what happened (``"connection lost"``).
    """

    def __init__(self, code: int | None, reason: str) -> None:
        self.code = code
        self.reason = reason
        if code is None:
            message = f"WebSocket connection lost: {reason}" if reason else "connection lost"
        else:
            message = f"WebSocket closed with code {code}" + (f": {reason}" if reason else "")
        super().__init__(message)


class WsHandshakeError(WsError):
    """Raised by :func:`ws_connect` when the server refused or botched the upgrade.

    Attributes:
        status: the HTTP status of a refusal (e.g. 503), or ``None`` when the connection
            failed or the answer was not valid HTTP.
    """

    def __init__(self, status: int | None, message: str) -> None:
        self.status = status
        super().__init__(message)


class TokenError(AgbotkitError):
    """Raised when the dashboard's access token is missing where needed, or unreadable."""


class InsufficientPositionError(AgbotkitError, ValueError):
    """Raised when a fill sells more shares of a token than are held (no shorting).

    Attributes:
        token_id: the token.
        held: the shares held.
        requested: the shares the fill sells.
    """

    def __init__(self, token_id: str, held: Decimal, requested: Decimal) -> None:
        self.token_id = token_id
        self.held = held
        self.requested = requested
        super().__init__(
            f"cannot sell {requested} shares of {token_id}: only {held} held "
            "(Polymarket has no short positions; buy the other outcome instead)"
        )


class SettledTokenError(AgbotkitError, ValueError):
    """Raised when a fill arrives for a token whose market was already settled.

    Attributes:
        token_id: the token.
    """

    def __init__(self, token_id: str) -> None:
        self.token_id = token_id
        super().__init__(f"token {token_id} is settled: it no longer trades")


class VenueError(AgbotkitError):
    """Raised by a venue adapter when a request failed and, as far as it knows, did nothing
    (the order was not placed, the cancel not made): safe to report as a rejection.

    Attributes:
        venue: the venue's name.
        reason: what went wrong, in the venue's words where it gave any.
    """

    def __init__(self, venue: str, reason: str) -> None:
        self.venue = venue
        self.reason = reason
        super().__init__(f"venue {venue}: {reason}")


class OrderOutcomeUnknownError(VenueError):
    """Raised by a venue adapter when an order may have reached the venue but its answer
    was not learned (a timeout, a connection dropped after sending).

    The order is then ``UNKNOWN``: the execution layer asks the venue about it and never
    sends it again.

    Attributes:
        venue_order_id: the venue's id of the order when the adapter knows it before the
            answer (empty otherwise).
    """

    def __init__(self, venue: str, reason: str, venue_order_id: str = "") -> None:
        self.venue_order_id = venue_order_id
        super().__init__(venue, reason)


class SigningError(VenueError):
    """Raised when a venue cannot build or sign an order or message as asked, so sent nothing:
    a wallet type without the address it needs, a price outside the venue's range, an unknown
    tick size, an amount that rounds to nothing, a malformed signature to verify. (A malformed
    private key is a :class:`CredentialsError`.)
    """


class CancelOnlyError(VenueError):
    """Raised when the venue takes no new orders for now (Polymarket's 503 "cancel-only" or
    "trading disabled"); cancels may still work. Nothing was placed: report a rejection and
    wait for the venue to open again.

    Attributes:
        mode: ``"cancel-only"`` or ``"trading disabled"``.
    """

    def __init__(self, venue: str, mode: str, reason: str) -> None:
        self.mode = mode
        super().__init__(venue, reason)


class CredentialsError(AgbotkitError, ValueError):
    """Raised when a secret (API credentials, a private key) is missing, malformed, or in a
    file that others may read. The message names the file or variable, never the secret."""


class RateLimitedError(VenueError):
    """Raised when a request would wait longer than allowed for its rate-limit budget, or
    the venue answered 429.

    Attributes:
        endpoint: the budget's name (``POST /order``).
        retry_after_s: how long before a retry may succeed.
    """

    def __init__(self, venue: str, endpoint: str, retry_after_s: float) -> None:
        self.endpoint = endpoint
        self.retry_after_s = retry_after_s
        super().__init__(venue, f"rate limited on {endpoint}: retry after {retry_after_s:.3f} s")
