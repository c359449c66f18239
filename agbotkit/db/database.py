"""Which database to use, as a stack file says it: URL, password source, TimescaleDB mode.

The storage component, the dashboard's history and ``agbotkit db`` all open databases from
a :class:`DatabaseConfig`, so a password is read the same way everywhere: from the
environment variable ``password_env`` or the file ``password_file`` (or by libpq itself
from ``PGPASSWORD`` / ``~/.pgpass``), never from the stack file.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import cast

import attrs

from agbotkit.abc import Problem
from agbotkit.config.checks import FieldValueError, greater_than, one_of
from agbotkit.config.secrets import read_secret
from agbotkit.db.backend import StorageBackend
from agbotkit.db.connect import POSTGRES_DRIVER_MISSING, TimescaleMode, open_backend
from agbotkit.db.url import DEFAULT_URL, StorageUrl, parse_storage_url
from agbotkit.errors import ConfigError, StorageError

__all__ = ["DatabaseConfig", "check_url"]


def check_url(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    """Validator: a URL :func:`parse_storage_url` takes, with no password in it."""
    try:
        parsed = parse_storage_url(value)
    except StorageError as exc:
        raise FieldValueError(attribute.name, str(exc)) from None
    if parsed.scheme == "postgresql" and "***" in parsed.redacted():
        raise FieldValueError(
            attribute.name,
            "the URL holds a password: put it in an environment variable (password_env) "
            "or a file (password_file), never in the stack file",
        )


@attrs.frozen
class DatabaseConfig:
    """Options naming a database.

    Attributes:
        url: ``sqlite:///path.db`` (relative to the stack file) or
            ``postgresql://user@host:5432/dbname``.
        password_env: environment variable holding the PostgreSQL password.
        password_file: file holding the PostgreSQL password (relative to the stack file).
        timescaledb: ``auto`` (hypertables when the extension is available), ``on``
            (required), ``off`` (native partitioning). Decided when the schema is created.
        connect_timeout_s: bound on one connection attempt.
    """

    url: str = attrs.field(default=DEFAULT_URL, validator=check_url)
    password_env: str | None = None
    password_file: Path | None = None
    timescaledb: str = attrs.field(default="auto", validator=one_of("auto", "on", "off"))
    connect_timeout_s: float = attrs.field(default=5.0, validator=greater_than(0))

    def __attrs_post_init__(self) -> None:
        if self.password_env is not None and self.password_file is not None:
            raise FieldValueError("password_file", "give password_env or password_file, not both")

    def problems(self, stack_dir: Path, field: tuple[str, ...] = ()) -> list[Problem]:
        """What would make opening this database fail, found without connecting: the
        PostgreSQL driver not installed, a password variable unset or file unreadable.

        Args:
            stack_dir: the stack file's folder.
            field: where these options are within the component's options.
        """
        found: list[Problem] = []
        url = self.parsed_url(stack_dir)
        if url.scheme != "sqlite" and importlib.util.find_spec("psycopg") is None:
            found.append(Problem((*field, "url"), POSTGRES_DRIVER_MISSING))
        try:
            read_secret(
                env_var=self.password_env,
                file=self.password_file,
                field_path=".".join(field),
                env_field="password_env",
                file_field="password_file",
            )
        except ConfigError as exc:
            source = "password_env" if self.password_env is not None else "password_file"
            found.extend(Problem((*field, source), issue.message) for issue in exc.issues)
        return found

    def parsed_url(self, stack_dir: Path) -> StorageUrl:
        """The URL, a relative SQLite path resolved against ``stack_dir``."""
        return parse_storage_url(self.url, stack_dir)

    def open(self, stack_dir: Path, field_path: str) -> StorageBackend:
        """A backend on this database (it connects on first use).

        Args:
            stack_dir: the stack file's folder.
            field_path: where these options are in the stack file, for errors.

        Raises:
            ConfigError: the password variable is unset or the file unreadable.
        """
        password = read_secret(
            env_var=self.password_env,
            file=self.password_file,
            field_path=field_path,
            env_field="password_env",
            file_field="password_file",
        )
        return open_backend(
            self.parsed_url(stack_dir),
            password=password,
            timescaledb=cast(TimescaleMode, self.timescaledb),  # one_of() checked it
            connect_timeout_s=self.connect_timeout_s,
        )
