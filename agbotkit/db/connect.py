"""Open the backend a database URL names."""

from __future__ import annotations

from typing import Literal

from agbotkit.db.backend import StorageBackend
from agbotkit.db.url import StorageUrl
from agbotkit.errors import StorageError

__all__ = ["POSTGRES_DRIVER_MISSING", "TimescaleMode", "open_backend"]

#: The error for a PostgreSQL URL without the optional driver installed.
POSTGRES_DRIVER_MISSING = (
    "a postgresql:// database needs the PostgreSQL driver (psycopg), which is not installed: "
    "pip install 'agbotkit[postgresql]'"
)

#: Whether PostgreSQL tables become TimescaleDB hypertables: ``auto`` when the extension
#: is available, ``on`` (required: an error without it), ``off`` (native partitioning).
TimescaleMode = Literal["auto", "on", "off"]


def open_backend(
    url: StorageUrl,
    *,
    password: str | None = None,
    timescaledb: TimescaleMode = "auto",
    connect_timeout_s: float = 5.0,
) -> StorageBackend:
    """The backend for ``url``. Connecting is lazy: the first call that needs the database
    connects, so a database that is down does not stop this from returning.

    Args:
        url: from :func:`agbotkit.db.url.parse_storage_url`.
        password: a PostgreSQL password from a secret (env or file), if any.
        timescaledb: see :data:`TimescaleMode` (PostgreSQL only).
        connect_timeout_s: bound on one connection attempt.

    Raises:
        StorageError: a PostgreSQL URL, and the ``agbotkit[postgresql]`` extra (psycopg) is
            not installed.
    """
    if url.scheme == "sqlite":
        from agbotkit.db.sqlite.backend import SqliteBackend

        return SqliteBackend(url, busy_timeout_s=connect_timeout_s)
    # psycopg is an optional dependency (agbotkit[postgresql]); import it only when used.
    try:
        from agbotkit.db.postgres.backend import PostgresBackend
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] != "psycopg":
            raise
        raise StorageError(POSTGRES_DRIVER_MISSING) from None

    return PostgresBackend(
        url, password=password, timescaledb=timescaledb, connect_timeout_s=connect_timeout_s
    )
