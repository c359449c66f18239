"""Database URLs: ``sqlite:///path.db`` or ``postgresql://user@host:port/dbname``.

A relative SQLite path resolves against the stack file's folder, like every other path in
a stack. A password never goes in the URL of a stack file: it comes from the environment
(``password_env``, or libpq's own ``PGPASSWORD`` / ``~/.pgpass``) or a file, and
:meth:`StorageUrl.redacted` is what logs and messages show.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit, urlunsplit

import attrs

from agbotkit.errors import StorageError

__all__ = ["DEFAULT_URL", "StorageUrl", "parse_storage_url"]

#: The default database: a file beside the stack file, nothing to install.
DEFAULT_URL = "sqlite:///agbotkit.db"

Scheme = Literal["sqlite", "postgresql"]


@attrs.frozen
class StorageUrl:
    """A parsed database URL.

    Attributes:
        scheme: ``sqlite`` or ``postgresql``.
        url: the URL as given (``postgres://`` spelled ``postgresql://``), password included
            when there is one: never log it, log :meth:`redacted`.
        path: the SQLite file, absolute (``None`` for PostgreSQL; ``:memory:`` stays as is).
    """

    scheme: Scheme
    url: str = attrs.field(repr=False)
    path: Path | None = None

    def redacted(self) -> str:
        """The URL with any password (in the user part or the query) replaced by ``***``."""
        if self.scheme == "sqlite":
            return f"sqlite:///{self.path}"
        parts = urlsplit(self.url)
        netloc = parts.netloc
        if parts.password is not None:
            user = parts.username or ""
            host = parts.hostname or ""
            host = f"[{host}]" if ":" in host else host
            port = f":{parts.port}" if parts.port else ""
            netloc = f"{user}:***@{host}{port}"
        query = "&".join(
            f"{key}=***" if key.lower() == "password" else f"{key}{sep}{value}"
            for key, sep, value in (item.partition("=") for item in parts.query.split("&") if item)
        )
        return urlunsplit(parts._replace(netloc=netloc, query=query))

    def with_password(self, password: str | None) -> str:
        """The PostgreSQL connection string with ``password`` (from a secret) added."""
        if password is None or self.scheme != "postgresql":
            return self.url
        from psycopg.conninfo import make_conninfo  # optional dependency: postgresql only

        return make_conninfo(self.url, password=password)


def parse_storage_url(url: str, base_dir: Path | None = None) -> StorageUrl:
    """Parse ``url``; a relative SQLite path resolves against ``base_dir`` (default: cwd).

    Raises:
        StorageError: the scheme is neither ``sqlite`` nor ``postgresql``, or the URL has no
            path / database.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise StorageError(f"expected sqlite:///path.db or postgresql://..., got {url!r}")
    scheme = scheme.lower()
    if scheme == "sqlite":
        if not rest.startswith("/") or rest == "/":
            raise StorageError(
                f"a SQLite URL is sqlite:///relative/path.db or sqlite:////absolute/path.db, "
                f"got {url!r}"
            )
        raw = unquote(rest[1:].split("?", 1)[0])
        if raw == ":memory:":
            return StorageUrl("sqlite", url, Path(raw))
        path = Path(raw).expanduser()
        if not path.is_absolute():
            path = (base_dir or Path.cwd()) / path
        return StorageUrl("sqlite", url, path.resolve())
    if scheme in ("postgresql", "postgres"):
        normalised = "postgresql://" + rest
        try:
            parts = urlsplit(normalised)
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError as exc:
            raise StorageError(f"bad PostgreSQL URL: {exc}") from None
        if not parts.path.strip("/"):
            raise StorageError(
                "a PostgreSQL URL names its database: postgresql://user@host:5432/dbname"
            )
        return StorageUrl("postgresql", normalised)
    raise StorageError(
        f"unknown database scheme {scheme!r}: expected sqlite:///path.db or postgresql://..."
    )
