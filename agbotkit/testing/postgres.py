"""A throwaway PostgreSQL server for tests and benchmarks: ``initdb`` + ``pg_ctl`` on a free port.

Example (in a pytest fixture)::

    with ThrowawayPostgres(require_postgres(find_postgres_binaries())) as pg:
        url = pg.create_database("test_1")

The cluster lives in a temporary folder, listens on 127.0.0.1 only (no Unix socket), trusts
local connections and is deleted on exit. When the server's installation has the
TimescaleDB library, the cluster preloads it (``shared_preload_libraries``), as TimescaleDB
requires: the same server then runs the TimescaleDB tests and the plain PostgreSQL ones. PostgreSQL refuses to run as root, so under root
the server runs as the ``postgres`` user when it exists (Debian's package creates it), else
``nobody``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import attrs

__all__ = [
    "POSTGRES_MISSING",
    "PostgresBinaries",
    "ThrowawayPostgres",
    "find_postgres_binaries",
    "in_ci",
    "require_postgres",
    "timescaledb_library",
]

#: The reason given when the server binaries are not on the machine.
POSTGRES_MISSING = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in "
    "/usr/lib/postgresql/*/bin: install Debian's postgresql package (nox -s tests does)"
)


def in_ci(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this is a CI run (``CI`` set, and not to false or 0)."""
    value = (os.environ if environ is None else environ).get("CI", "")
    return value.strip().lower() not in ("", "0", "false", "no")


def require_postgres(
    binaries: PostgresBinaries | None, environ: Mapping[str, str] | None = None
) -> PostgresBinaries:
    """``binaries``, or skip the pytest test saying why; in CI a missing PostgreSQL fails it
    instead (a CI that skips the PostgreSQL tests would stay green without running them)."""
    if binaries is not None:
        return binaries
    import pytest  # only tests call this; agbotkit itself does not depend on pytest

    if in_ci(environ):
        raise pytest.fail.Exception(f"{POSTGRES_MISSING} (CI is set: PostgreSQL is required there)")
    raise pytest.skip.Exception(POSTGRES_MISSING)


#: Settings for a server whose data may be lost if the machine crashes (tests): no fsync,
#: small footprint. ``synchronous_commit`` stays on, so a commit survives the server being
#: killed (``stop(immediate=True)``), which the outage tests rely on. TimescaleDB's
#: background jobs (retention, compression) stay off when the extension is there: they
#: would delete test data dated in the past while a test runs.
FAST_SETTINGS = {
    "fsync": "off",
    "full_page_writes": "off",
    "timescaledb.max_background_workers": "0",
    "max_connections": "50",
    "shared_buffers": "64MB",
}


@attrs.frozen
class PostgresBinaries:
    """Where ``initdb`` and ``pg_ctl`` are."""

    initdb: Path
    pg_ctl: Path


def find_postgres_binaries() -> PostgresBinaries | None:
    """The server binaries on ``PATH`` or in Debian's versioned folders, newest first.

    Symlinks are resolved (Debian links ``/usr/bin/pg_ctl`` and such to its versioned
    folders): the real folder is where the installation's libraries are found.
    """
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return PostgresBinaries(Path(initdb).resolve(), Path(pg_ctl).resolve())
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        candidate = PostgresBinaries(Path(folder, "initdb"), Path(folder, "pg_ctl"))
        if candidate.initdb.exists() and candidate.pg_ctl.exists():
            return candidate
    return None


def timescaledb_library(binaries: PostgresBinaries) -> Path | None:
    """The TimescaleDB library of the installation ``binaries`` belong to, if it has one.

    Looked for in ``pg_config --pkglibdir`` when ``pg_config`` sits beside ``initdb``, else
    in ``../lib`` of the (symlink-resolved) binaries folder, Debian's layout.
    """
    folder = binaries.initdb.resolve().parent
    libdirs = [folder.parent / "lib"]
    pg_config = folder / "pg_config"
    if pg_config.exists():
        done = subprocess.run(
            [str(pg_config), "--pkglibdir"], capture_output=True, text=True, check=False
        )
        if done.returncode == 0 and done.stdout.strip():
            libdirs.insert(0, Path(done.stdout.strip()))
    for libdir in libdirs:
        library = libdir / "timescaledb.so"
        if library.exists():
            return library
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _server_user() -> str | None:
    """Who runs the server: ``None`` (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise RuntimeError("running as root and neither 'postgres' nor 'nobody' exists")


class ThrowawayPostgres:
    """A PostgreSQL cluster of its own, started by :meth:`start` and deleted by :meth:`close`.

    Args:
        binaries: from :func:`find_postgres_binaries`.
        settings: server settings (``-c name=value``); by default :data:`FAST_SETTINGS`,
            and the TimescaleDB preload when the installation has the library.
        superuser: the cluster's superuser, trusted without a password.
    """

    def __init__(
        self,
        binaries: PostgresBinaries,
        settings: dict[str, str] | None = None,
        superuser: str = "agbotkit",
    ) -> None:
        self.binaries = binaries
        if settings is None:
            settings = dict(FAST_SETTINGS)
            if timescaledb_library(binaries) is not None:
                settings["shared_preload_libraries"] = "timescaledb"
        self.settings = dict(settings)
        self.superuser = superuser
        self.port = free_port()
        self._user = _server_user()
        self._root = Path(tempfile.mkdtemp(prefix="agbotkit-pg-"))
        self.data_dir = self._root / "data"
        self.log_file = self._root / "server.log"
        self._initialised = False
        self.running = False

    def __enter__(self) -> ThrowawayPostgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def url(self, database: str = "postgres") -> str:
        """A ``postgresql://`` URL for ``database`` on this server."""
        return f"postgresql://{self.superuser}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        """Create the cluster on the first call, then start the server and wait for it."""
        if not self._initialised:
            self._initdb()
        options = " ".join(
            [
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                "-c unix_socket_directories=''",
                *(f"-c {name}={value}" for name, value in self.settings.items()),
            ]
        )
        self._pg_ctl("start", "-w", "-t", "60", "-l", str(self.log_file), "-o", options)
        self.running = True

    def stop(self, *, immediate: bool = False) -> None:
        """Stop the server; ``immediate`` kills it without a checkpoint, like a crash."""
        if self.running:
            self._pg_ctl("stop", "-w", "-t", "60", "-m", "immediate" if immediate else "fast")
            self.running = False

    def create_database(self, name: str) -> str:
        """Create ``name`` (a plain identifier) and return its URL."""
        if not name.replace("_", "").isalnum():
            raise ValueError(f"a database name must be a plain identifier, got {name!r}")
        import psycopg  # the storage extra; only needed once a server runs

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def close(self) -> None:
        """Stop the server (if it runs) and delete the cluster."""
        try:
            self.stop(immediate=True)
        finally:
            shutil.rmtree(self._root, ignore_errors=True)

    def server_log(self) -> str:
        """What the server logged so far (for failure messages)."""
        try:
            return self.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def _initdb(self) -> None:
        if self._user is not None:
            shutil.chown(self._root, user=self._user)
        self._run(
            str(self.binaries.initdb),
            "-D",
            str(self.data_dir),
            "-U",
            self.superuser,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        self._initialised = True

    def _pg_ctl(self, *args: str) -> None:
        self._run(str(self.binaries.pg_ctl), "-D", str(self.data_dir), *args)

    def _run(self, *command: str) -> None:
        done = subprocess.run(
            command,
            user=self._user,
            cwd=self._root,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{Path(command[0]).name} {command[1:]} failed ({done.returncode}):\n"
                f"{done.stdout}{done.stderr}\n{self.server_log()}"
            )
