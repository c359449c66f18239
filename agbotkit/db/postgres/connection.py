"""One lazily opened psycopg connection, and the mapping of driver errors to ours.

The backend holds a :class:`PgConnection` and runs every call inside :meth:`PgConnection.use`:
the connection is opened on first use, and after an error that means the server is gone
(psycopg's ``OperationalError`` / ``InterfaceError``: refused, killed, shutting down, network
lost) it is closed, the call raises :class:`~agbotkit.errors.StorageUnavailableError`, and
the next call opens a new one. Any other error the server reports raises
:class:`~agbotkit.errors.StorageError`. No message carries the password.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from agbotkit.db.url import StorageUrl
from agbotkit.errors import StorageError, StorageUnavailableError

__all__ = ["PgConnection"]

LOGGER = logging.getLogger(__name__)

#: libpq's shortest connect timeout (it reads 1 as 2).
_MIN_CONNECT_TIMEOUT_S = 2


class PgConnection:
    """The connection of one backend: opened on demand, reopened after a failure.

    Args:
        url: the database URL (a password in it is used, never shown).
        password: a password from a secret, added to the connection string.
        connect_timeout_s: bound on one connection attempt (libpq rounds it up to whole
            seconds, at least 2).
        on_connect: called with each new connection (to reset caches that a new server
            may have made stale).
    """

    def __init__(
        self,
        url: StorageUrl,
        *,
        password: str | None,
        connect_timeout_s: float,
        on_connect: Callable[[psycopg.Connection[Any]], None] | None = None,
    ) -> None:
        timeout = max(_MIN_CONNECT_TIMEOUT_S, math.ceil(connect_timeout_s))
        self._conninfo = make_conninfo(
            url.with_password(password),
            connect_timeout=str(timeout),
            application_name="agbotkit",
            # A peer gone silent (network lost) fails a waiting call within ~30 s, instead
            # of the system's default of hours.
            keepalives="1",
            keepalives_idle="15",
            keepalives_interval="5",
            keepalives_count="3",
        )
        # Every password this connection may carry: the one given, the URL's (in its user
        # part or, as libpq allows, in its query string), whichever libpq will use.
        found = conninfo_to_dict(self._conninfo).get("password")
        candidates = {password, _url_password(url), None if found is None else str(found)}
        # As written in a URL too (percent-encoded); longest first, so that a secret
        # holding another is hidden whole.
        spelled = {form for s in candidates if s for form in (s, quote(s, safe=""), quote(s))}
        self._secrets = sorted(spelled, key=len, reverse=True)
        self.redacted = self._scrub(url.redacted())
        self._on_connect = on_connect
        self._conn: psycopg.Connection[Any] | None = None

    def __repr__(self) -> str:
        return f"PgConnection({self.redacted!r})"

    @property
    def conninfo(self) -> str:
        """The libpq connection string, password included: never log it."""
        return self._conninfo

    @property
    def connected(self) -> bool:
        """Whether a connection is open now."""
        return self._conn is not None and not self._conn.closed

    def close(self) -> None:
        """Close the connection (the next :meth:`use` opens a new one)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                conn.close()

    @contextlib.contextmanager
    def use(self, doing: str) -> Iterator[psycopg.Connection[Any]]:
        """The open connection, for one call; ``doing`` names the call in error messages.

        Raises:
            StorageUnavailableError: the server cannot be reached (or went away during the
                call); the connection is closed and the next call reconnects.
            StorageError: the server refused what was asked.
        """
        try:
            yield self._connection()
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            self.close()
            raise StorageUnavailableError(self._message(doing, exc)) from exc
        except psycopg.Error as exc:
            raise StorageError(self._message(doing, exc)) from exc

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is not None and not self._conn.closed:
            return self._conn
        self._conn = None
        # autocommit: reads are single statements; writes open explicit transactions.
        conn = psycopg.connect(self._conninfo, autocommit=True)
        LOGGER.debug("connected to %s", self.redacted)
        if self._on_connect is not None:
            try:
                self._on_connect(conn)
            except BaseException:
                conn.close()
                raise
        self._conn = conn
        return conn

    def _message(self, doing: str, exc: BaseException) -> str:
        text = self._scrub(str(exc).strip() or type(exc).__name__)
        return f"{self.redacted}: {doing} failed: {text}"

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def _url_password(url: StorageUrl) -> str | None:
    password = urlsplit(url.url).password
    return unquote(password) if password else None
