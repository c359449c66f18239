"""Benchmark of infra/ops/backup-restore.sh: how long a backup and a restore take, and the
dump's size, on a throwaway PostgreSQL holding agbotkit's schema and rows.

Run ``python benchmarks/bench_backup_restore.py`` (``--metrics N``: metric rows, 1,000,000 by
default; ``--orders N``: order rows, 50,000, and half as many fills). The rows are written
through the storage backend (``open_backend`` + ``migrations.check_schema``), as the storage
component writes them, spread over 7 days (so over 7 daily partitions). It prints the
seconds of ``backup`` (pg_dump -Fc plus its checksum and a readability check), of
``restore`` into a new database (checksum, pg_restore in one transaction, ANALYZE), and
the dump's size. It measures, it does not judge. Skipped, with the reason, without the
PostgreSQL server binaries or its client tools.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from agbotkit.db.backend import ExecutionBatch
from agbotkit.db.connect import open_backend
from agbotkit.db.migrations import check_schema
from agbotkit.db.records import FillRecord, OrderRecord, OrderStatus
from agbotkit.db.url import parse_storage_url
from agbotkit.model.metrics import Metric, MetricType
from agbotkit.testing.postgres import POSTGRES_MISSING, ThrowawayPostgres, find_postgres_binaries

SCRIPT = Path(__file__).resolve().parents[1] / "infra" / "ops" / "backup-restore.sh"
T0 = 1_750_000_000_000
SPAN_MS = 7 * 86_400_000


def fill(url: str, metrics: int, orders: int) -> None:
    db = open_backend(parse_storage_url(url), timescaledb="off")
    try:
        check_schema(db, auto_upgrade=True)
        step = SPAN_MS // max(metrics, 1)
        labels = (("component", "clob"), ("feed", "clob"))
        for start in range(0, metrics, 10_000):
            db.write_metrics([
                Metric(T0 + i * step, MetricType.GAUGE, f"polymarket.clob.m{i % 50}", float(i), labels)
                for i in range(start, min(start + 10_000, metrics))
            ])  # fmt: skip
        step = SPAN_MS // max(orders, 1)
        for start in range(0, orders, 5_000):
            rows = range(start, min(start + 5_000, orders))
            db.write_execution(ExecutionBatch(
                orders=[OrderRecord(
                    event_id=f"e{i}", id=f"c{i}", timestamp_ms=T0 + i * step, venue="polymarket",
                    market="m1", token_id="t1", side="BUY", price=Decimal("0.51"),
                    size=Decimal("5"), status=OrderStatus.ACCEPTED, source="exec",
                ) for i in rows],
                fills=[FillRecord(
                    id=f"f{i}", timestamp_ms=T0 + i * step, order_id=f"c{i}", venue="polymarket",
                    market="m1", token_id="t1", side="BUY", price=Decimal("0.51"),
                    size=Decimal("5"), fee=Decimal("0.01"),
                ) for i in rows if i % 2 == 0],
            ))  # fmt: skip
    finally:
        db.close()


def timed(*args: str, url: str, cwd: Path) -> tuple[float, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["AGBOTKIT_DATABASE_URL"] = url
    started = time.perf_counter()
    result = subprocess.run(
        ["bash", str(SCRIPT), *args], env=env, cwd=cwd, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"backup-restore.sh {args[0]} failed:\n{result.stderr}")
    return elapsed, result.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--metrics", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=50_000)
    args = parser.parse_args()
    binaries = find_postgres_binaries()
    missing = [tool for tool in ("pg_dump", "pg_restore", "psql") if shutil.which(tool) is None]
    if binaries is None or missing:
        print(f"skipped: {POSTGRES_MISSING if binaries is None else f'missing {missing}'}")
        return
    with ThrowawayPostgres(binaries, settings={}) as server, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = server.create_database("bench_source")
        started = time.perf_counter()
        fill(source, args.metrics, args.orders)
        print(
            f"filled: {args.metrics:,} metric rows, {args.orders:,} orders, "
            f"{args.orders // 2:,} fills in {time.perf_counter() - started:.1f} s"
        )
        seconds, dump = timed("backup", "-o", str(folder), url=source, cwd=folder)
        size = Path(dump).stat().st_size
        print(f"backup: {seconds:.2f} s, dump {size / 1e6:.1f} MB (pg_dump -Fc, level 6)")
        target = server.create_database("bench_target")
        seconds, _ = timed("restore", dump, url=target, cwd=folder)
        print(f"restore into a new database: {seconds:.2f} s")


if __name__ == "__main__":
    main()
