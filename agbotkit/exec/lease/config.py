"""The ``leader_lease`` options of the ``execution`` component, and the timeouts they imply.

``database`` names the PostgreSQL database holding the lock, as the storage component
names its own (``url`` without a password; ``password_env`` or ``password_file``; libpq's
``PGPASSWORD`` or ``~/.pgpass`` also work). ``name`` says what is guarded: use the wallet's
address, so every process that could trade that wallet contends for the same lock.
"""

from __future__ import annotations

import math
from pathlib import Path

import attrs

from agbotkit.abc import Problem
from agbotkit.config.checks import FieldValueError, greater_than
from agbotkit.db.database import DatabaseConfig

__all__ = ["LeaseConfig"]


def _non_empty(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not value.strip():
        raise FieldValueError(attribute.name, "name the lease (the wallet's address, say)")


@attrs.frozen(kw_only=True)
class LeaseConfig:
    """Options of ``leader_lease``.

    Attributes:
        database: the PostgreSQL database holding the lock (``url``, ``password_env`` or
            ``password_file``, ``connect_timeout_s``).
        name: what the lease guards, the same in every process that may trade it (the
            wallet's address). The lock's key is derived from it (:mod:`.key`).
        check_interval_s: how often the holder checks that it still holds the lock.
        lease_s: the holder stops trading when no check sent this long ago has succeeded;
            a new holder whose predecessor did not release cleanly waits this long before
            trading. At least twice ``check_interval_s``.
        acquire_interval_s: how often a standby tries to take the lock.
    """

    database: DatabaseConfig
    name: str = attrs.field(validator=_non_empty)
    check_interval_s: float = attrs.field(default=1.0, validator=greater_than(0))
    lease_s: float = attrs.field(default=5.0, validator=greater_than(0))
    acquire_interval_s: float = attrs.field(default=1.0, validator=greater_than(0))

    def __attrs_post_init__(self) -> None:
        if self.lease_s < 2 * self.check_interval_s:
            raise FieldValueError(
                "lease_s",
                f"must be at least twice check_interval_s ({2 * self.check_interval_s:g} s): "
                "one slow check must not lose the lease",
            )

    @property
    def keepalive_idle_s(self) -> int:
        """Silent seconds before the server (and the client) start keepalive probes."""
        return max(1, math.ceil(self.lease_s))

    @property
    def keepalive_interval_s(self) -> int:
        """Seconds between keepalive probes."""
        return 1

    @property
    def keepalive_count(self) -> int:
        """Unanswered probes after which the connection is dropped."""
        return max(1, math.ceil(self.lease_s))

    @property
    def server_timeout_s(self) -> int:
        """The soonest the server drops the session of a client gone silent: keepalive idle
        time plus every probe (``tcp_user_timeout`` is set to the same, for data the client
        does not acknowledge). Counted from the last packet the server got, which is no
        earlier than the sending of the holder's last good check, from which ``lease_s``
        runs; so the holder has fenced itself ``server_timeout_s - lease_s`` (at least
        ``lease_s``) before its lock can be freed this way."""
        return self.keepalive_idle_s + self.keepalive_interval_s * self.keepalive_count

    def problems(self, stack_dir: Path, field: tuple[str, ...]) -> list[Problem]:
        """What would keep the lease from working, found without connecting."""
        url = self.database.parsed_url(stack_dir)
        if url.scheme != "postgresql":
            return [
                Problem(
                    (*field, "database", "url"),
                    "the leader lease needs a postgresql:// database (advisory locks)",
                )
            ]
        return self.database.problems(stack_dir, (*field, "database"))
