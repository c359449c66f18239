"""The one error hierarchy of agbotkit.

Every error agbotkit raises on purpose derives from :class:`AgbotkitError`. Subclasses
carry the data a caller needs to act on them (a config path, a plugin name), not just text.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AgbotkitError",
    "ComponentFailedError",
    "ComponentStartError",
    "ConfigError",
    "ConfigIssue",
    "ForcedStopError",
    "MalformedFrameError",
    "PluginError",
    "RestartLimitError",
    "SchemaVersionError",
    "ShutdownTimeoutError",
    "StorageError",
    "StorageUnavailableError",
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
