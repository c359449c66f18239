"""The lock's own database session: blocking psycopg calls, run in worker threads.

Every function here takes the :class:`~agbotkit.db.postgres.connection.PgConnection` of
one lease and runs one short exchange on it; :mod:`.lease` calls them one at a time. Errors
come out as :class:`~agbotkit.errors.StorageUnavailableError` (the session is gone: the
connection is closed, and with it the lock) or :class:`~agbotkit.errors.StorageError`.

Besides the lock, a row of the table ``agbotkit_leader_leases`` (made on first use, by a
holder only) says whether the lease's last holder let go cleanly: ``held`` while a holder
trades, ``released`` once it stopped and unlocked. Only the lock's holder writes it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import attrs
import psycopg

from agbotkit.db.postgres.connection import PgConnection
from agbotkit.exec.lease.config import LeaseConfig
from agbotkit.exec.lease.key import lock_ids

__all__ = ["TABLE", "Taken", "configure_session", "holds", "let_go", "try_take"]

LOGGER = logging.getLogger(__name__)

#: The table of leases' last states.
TABLE = "agbotkit_leader_leases"

_CREATE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    name text PRIMARY KEY,
    lock_key bigint NOT NULL,
    state text NOT NULL,
    holder text NOT NULL,
    term bigint NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now()
)
"""


@attrs.frozen
class Taken:
    """The lock was taken.

    Attributes:
        clean: the previous holder released the lease (or there was none): trade at once.
        term: how many times the lease has been taken, this time included.
        previous: who held it before (``host:pid``), "" for nobody.
    """

    clean: bool
    term: int
    previous: str


def configure_session(config: LeaseConfig) -> Callable[[psycopg.Connection[Any]], None]:
    """The ``on_connect`` of the lease's connection: the server's timeouts for this session
    (see :attr:`LeaseConfig.server_timeout_s`) and a bound on every statement."""

    def configure(conn: psycopg.Connection[Any]) -> None:
        settings = {
            "tcp_keepalives_idle": config.keepalive_idle_s,
            "tcp_keepalives_interval": config.keepalive_interval_s,
            "tcp_keepalives_count": config.keepalive_count,
            "tcp_user_timeout": config.server_timeout_s * 1000,
            "statement_timeout": round(config.lease_s * 1000),
            # Autocommit, never idle in a transaction; the idle session must not be ended.
            "idle_session_timeout": 0,
            "application_name": f"agbotkit lease {config.name}"[:63],
        }
        for name, value in settings.items():
            conn.execute("SELECT set_config(%s, %s, false)", (name, str(value)))

    return configure


def try_take(pg: PgConnection, key: int, name: str, holder: str) -> Taken | None:
    """Take the lock if it is free, and record this holder; ``None`` when another holds it.

    A failure after the lock was taken closes the connection, which lets go of it."""
    with pg.use("taking the leader lease") as conn:
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
        if row is None or not row[0]:
            return None
        try:
            return _record(conn, key, name, holder)
        except BaseException:
            pg.close()
            raise


def _record(conn: psycopg.Connection[Any], key: int, name: str, holder: str) -> Taken:
    conn.execute(_CREATE)
    last = conn.execute(
        f"SELECT state, holder, term FROM {TABLE} WHERE name = %s", (name,)
    ).fetchone()
    term = 1 if last is None else int(last[2]) + 1
    conn.execute(
        f"""INSERT INTO {TABLE} (name, lock_key, state, holder, term, changed_at)
            VALUES (%s, %s, 'held', %s, %s, now())
            ON CONFLICT (name) DO UPDATE SET lock_key = EXCLUDED.lock_key, state = 'held',
                holder = EXCLUDED.holder, term = EXCLUDED.term, changed_at = now()""",
        (name, key, holder, term),
    )
    if last is None:
        return Taken(clean=True, term=term, previous="")
    return Taken(clean=last[0] == "released", term=term, previous=str(last[1]))


def holds(pg: PgConnection, key: int) -> bool:
    """Whether this session still holds the lock (it is gone with its session)."""
    classid, objid = lock_ids(key)
    with pg.use("checking the leader lease") as conn:
        row = conn.execute(
            """SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
                 AND pid = pg_backend_pid() AND classid = %s AND objid = %s AND objsubid = 1""",
            (classid, objid),
        ).fetchone()
    return bool(row and row[0])


def let_go(pg: PgConnection, key: int, name: str, term: int) -> bool:
    """Record a clean release, unlock, and close the connection; whether the lock was
    still held (else there was nothing to let go of)."""
    try:
        with pg.use("releasing the leader lease") as conn:
            conn.execute(
                f"UPDATE {TABLE} SET state = 'released', changed_at = now() "
                "WHERE name = %s AND term = %s",
                (name, term),
            )
            row = conn.execute("SELECT pg_advisory_unlock(%s)", (key,)).fetchone()
        return bool(row and row[0])
    finally:
        pg.close()
