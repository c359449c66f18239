"""Taking, keeping and releasing a leader lease, from trio.

The database calls block, so each runs in a worker thread (``trio.to_thread``), one at a
time per lease (a capacity limiter of one), as the storage backends do. A call that
outlives its deadline is abandoned, not waited for: trio goes on (the holder fences itself)
while the thread finishes by itself, which the connection's timeouts bound; the next call
waits for it and then closes that connection, so a session whose state is in doubt never
stays open (its lock would otherwise keep every standby out).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import trio

from agbotkit.config.secrets import read_secret
from agbotkit.db.postgres.connection import PgConnection
from agbotkit.errors import StorageError
from agbotkit.exec.lease.config import LeaseConfig
from agbotkit.exec.lease.key import lease_key
from agbotkit.exec.lease.session import Taken, configure_session, holds, let_go, try_take

__all__ = ["LeaderLease"]

LOGGER = logging.getLogger(__name__)

T = TypeVar("T")


class LeaderLease:
    """One lease: wait for it (:meth:`acquire`), keep it (:meth:`keep`), let go (:meth:`release`).

    Args:
        config: the ``leader_lease`` options.
        stack_dir: the stack file's folder (a relative ``password_file``).
        field_path: where the options are in the stack file, for errors.
        holder: who this is, as the lease's row and other processes' logs show it
            (default ``host:pid``).

    Raises:
        ConfigError: the password variable is unset or its file unreadable.
    """

    def __init__(
        self, config: LeaseConfig, stack_dir: Path, field_path: str, holder: str = ""
    ) -> None:
        database = config.database
        password = read_secret(
            env_var=database.password_env,
            file=database.password_file,
            field_path=f"{field_path}.database",
            env_field="password_env",
            file_field="password_file",
        )
        self.config = config
        self.name = config.name
        self.key = lease_key(config.name)
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}"
        self.pg = PgConnection(
            database.parsed_url(stack_dir),
            password=password,
            connect_timeout_s=database.connect_timeout_s,
            on_connect=configure_session(config),
        )
        self.term = 0
        self._limiter = trio.CapacityLimiter(1)
        self._in_doubt = False

    async def _call(self, function: Callable[[], T], deadline: float) -> T | None:
        """``function()`` in a worker thread; ``None`` when it did not finish by ``deadline``
        (the connection is then closed by the next call)."""

        def run() -> T:
            if self._in_doubt:
                self._in_doubt = False
                self.pg.close()
            return function()

        with trio.move_on_at(deadline):
            return await trio.to_thread.run_sync(run, limiter=self._limiter, abandon_on_cancel=True)
        self._in_doubt = True
        return None

    async def acquire(self) -> tuple[Taken, float]:
        """Wait until the lock is ours: the take, and when its query was sent (trio clock).

        Tries every ``acquire_interval_s``; a database that cannot be reached is logged and
        tried again."""
        config = self.config
        failing = ""
        while True:
            sent = trio.current_time()
            try:
                taken = await self._call(
                    lambda: try_take(self.pg, self.key, self.name, self.holder),
                    sent + config.lease_s,
                )
            except StorageError as exc:
                if str(exc) != failing:
                    LOGGER.warning("leader lease %s: cannot try the lock: %s", self.name, exc)
                failing = str(exc)
            else:
                failing = ""
                if taken is not None:
                    self.term = taken.term
                    return taken, sent
            await trio.sleep_until(sent + config.acquire_interval_s)

    async def keep(self, since: float, renewed: Callable[[float], None]) -> str:
        """Check the lock every ``check_interval_s`` until it is lost; why it was lost.

        ``since``: when the last query that proved the lock ours was sent. Returns as soon
        as a check fails, says the lock is gone, or none succeeded by ``lease_s`` after
        the last good one was sent. After each good check, ``renewed(sent)`` is called
        with the time that check was sent (the lease holds until ``sent + lease_s``)."""
        config = self.config
        last_good = since
        while True:
            await trio.sleep_until(last_good + config.check_interval_s)
            sent = trio.current_time()
            try:
                held = await self._call(
                    lambda: holds(self.pg, self.key), last_good + config.lease_s
                )
            except StorageError as exc:
                return f"the lock's session failed: {exc}"
            if held is None:
                return f"no check of the lock succeeded within lease_s ({config.lease_s:g} s)"
            if not held:
                self._in_doubt = True  # the session lives without the lock: start anew
                return "the lock's session no longer holds it"
            last_good = sent
            renewed(sent)

    async def release(self, timeout_s: float) -> bool:
        """Record a clean release and unlock, within ``timeout_s``; whether it was done."""
        term = self.term
        try:
            done = await self._call(
                lambda: let_go(self.pg, self.key, self.name, term),
                trio.current_time() + timeout_s,
            )
        except StorageError as exc:
            LOGGER.error(
                "leader lease %s: release failed (%s); it ends with the session", self.name, exc
            )
            return False
        return bool(done)

    async def drop(self) -> None:
        """Close the connection without a clean release (the lease was lost): once the call
        in flight, if any, has finished."""
        self._in_doubt = True
        with trio.move_on_after(self.config.lease_s):
            await self._call(lambda: True, trio.current_time() + self.config.lease_s)
