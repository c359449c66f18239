"""``agbotkit db status|upgrade|downgrade|metrics|orders|fills`` on every backend."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from agbotkit.db.backend import ExecutionBatch
from agbotkit.db.commands import parse_time
from agbotkit.db.migrations import Migration, upgrade
from agbotkit.db.records import FillRecord, OrderRecord, PositionRecord
from agbotkit.model.metrics import Metric

from .conftest import OpenDb

#: The ``run_cli`` fixture (tests/conftest.py): argv -> (exit code, stdout, stderr).
RunCli = Callable[..., tuple[int, str, str]]
T0 = 1_763_900_000_000
WriteYaml = Callable[..., Path]


def stack_for(url: str, write_yaml: WriteYaml, mode: str, extra: str = "") -> Path:
    return write_yaml(
        f"""
        stack:
          name: dbtest
        components:
          store:
            kind: storage
            url: "{url}"
            timescaledb: {mode}
        {extra}
        """
    )


def order(number: int, status: str, market: str = "0xm") -> OrderRecord:
    return OrderRecord(
        event_id=f"e{number}",
        id=f"c{number}",
        timestamp_ms=T0 + number,
        venue="polymarket",
        market=market,
        token_id="tok",
        side="BUY",
        price=Decimal("0.5"),
        size=Decimal(number),
        status=status,
    )


def test_status_upgrade_query_downgrade(
    run_cli: RunCli, write_yaml: WriteYaml, storage_url: str, open_db: OpenDb, timescale_mode: str
) -> None:
    stack = str(stack_for(storage_url, write_yaml, timescale_mode))
    code, out, err = run_cli("db", "status", "--stack", stack)
    assert code == 0, err
    assert "version 0 of 1" in out
    assert "pending:  0001_initial" in out

    code, out, err = run_cli("db", "upgrade", "--stack", stack)
    assert (code, out.splitlines()[0]) == (0, "applied 0001_initial"), err
    code, out, _ = run_cli("db", "status", "--stack", stack)
    assert "version 1 of 1" in out
    assert "rows:     fills          0" in out

    backend = open_db(storage_url)
    backend.write_metrics(
        [Metric.gauge("test.cli", float(i), T0 + i * 1000, {"feed": "clob"}) for i in range(10)]
        + [Metric.gauge("test.cli", 99.0, T0, {"feed": "rtds"})]
    )
    backend.write_execution(
        ExecutionBatch(
            orders=[order(1, "approved"), order(2, "denied"), order(3, "denied", "0xother")],
            fills=[
                FillRecord(
                    id="f1",
                    timestamp_ms=T0 + 5,
                    order_id="c1",
                    venue="polymarket",
                    market="0xm",
                    token_id="tok",
                    side="BUY",
                    price=Decimal("0.5"),
                    size=Decimal("1.25"),
                    fee=None,
                )
            ],
        )
    )
    window = ["--since", str(T0), "--until", str(T0 + 9000)]
    code, out, err = run_cli(
        "db", "metrics", "test.cli", "--stack", stack, *window, "--label", "feed=clob",
        "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["value"] for r in rows] == [float(i) for i in range(10)]
    assert {r["labels"] for r in rows} == {'{"feed": "clob"}'}

    code, out, _ = run_cli("db", "metrics", "test.cli", "--stack", stack, *window, "--points", "2")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["timestamp", "timestamp_ms", "metric_name", "labels", "value"]
    assert len(lines) == 1 + 2 + 1  # header, clob downsampled to 2 points, rtds's one point

    code, out, _ = run_cli(
        "db", "orders", "--stack", stack, *window, "--status", "denied", "--format", "csv"
    )
    found = list(csv.DictReader(out.splitlines()))
    assert [(r["id"], r["market"], r["size"]) for r in found] == [
        ("c2", "0xm", "2"),
        ("c3", "0xother", "3"),
    ]
    code, out, _ = run_cli("db", "fills", "--stack", stack, *window, "--market", "0xm")
    assert code == 0
    assert "f1" in out
    assert "1.25" in out
    code, out, _ = run_cli("db", "fills", "--stack", stack, *window, "--market", "nowhere")
    assert out.strip() == "(no rows)"

    backend.write_execution(
        ExecutionBatch(
            positions=[
                PositionRecord(
                    timestamp_ms=T0 + 7,
                    source="risk",
                    token_id=token,
                    market="0xm",
                    size=Decimal(size),
                    cost_basis_usd=Decimal("1.5"),
                    realised_pnl_usd=Decimal(0),
                    fees_usd=Decimal(0),
                    mark=Decimal("0.5"),
                )
                for token, size in (("tok", "3"), ("other", "4"))
            ]
        )
    )
    code, out, _ = run_cli(
        "db", "positions", "--stack", stack, *window, "--token", "tok", "--format", "json"
    )
    (position,) = [json.loads(line) for line in out.splitlines()]
    assert (position["token_id"], position["size"], position["source"]) == ("tok", "3", "risk")

    code, out, err = run_cli("db", "downgrade", "--stack", stack)
    assert (code, out.splitlines()[0]) == (0, "undone 0001_initial"), err
    assert "version 0 of 1" in run_cli("db", "status", "--stack", stack)[1]


def test_a_schema_newer_than_known_fails_with_exit_1(
    run_cli: RunCli, write_yaml: WriteYaml, storage_url: str, open_db: OpenDb, timescale_mode: str
) -> None:
    backend = open_db(storage_url)
    upgrade(backend)
    backend.apply_migration(Migration(2, "future", "SELECT 1;", "SELECT 1;"), "up")
    stack = str(stack_for(storage_url, write_yaml, timescale_mode))
    code, out, _ = run_cli("db", "status", "--stack", stack)
    assert code == 0
    assert "newer than this agbotkit knows" in out
    code, _, err = run_cli("db", "upgrade", "--stack", stack)
    assert code == 1
    assert "newer than the 1 this agbotkit knows" in err


@pytest.mark.parametrize("backend_kind", ["sqlite"])
def test_usage_and_config_errors_exit_2(
    run_cli: RunCli, write_yaml: WriteYaml, storage_url: str, tmp_path: Path
) -> None:
    no_storage = write_yaml("components:\n  beat:\n    kind: heartbeat\n", name="plain.yaml")
    code, _, err = run_cli("db", "status", "--stack", str(no_storage))
    assert code == 2
    assert "no storage component" in err

    stack = str(stack_for(storage_url, write_yaml, "off"))
    code, _, err = run_cli("db", "orders", "--stack", stack, "--since", "yesterday-ish")
    assert code == 2
    assert "expected epoch ms, an ISO 8601 time or a duration" in err

    secret = write_yaml(
        """
        components:
          store:
            kind: storage
            url: postgresql://bot@db.example:5432/agbotkit
            password_env: AGBOTKIT_TEST_UNSET_PASSWORD
        """,
        name="secret.yaml",
    )
    code, _, err = run_cli("db", "status", "--stack", str(secret))
    assert code == 2
    assert "AGBOTKIT_TEST_UNSET_PASSWORD" in err

    leaky = write_yaml(
        """
        components:
          store:
            kind: storage
            url: postgresql://bot:hunter2@db.example:5432/agbotkit
        """,
        name="leaky.yaml",
    )
    code, _, err = run_cli("check", str(leaky))
    assert code == 2
    assert "holds a password" in err
    assert "hunter2" not in err


def test_parse_time_forms() -> None:
    now = 1_000_000_000
    assert parse_time("1763900000000", now) == 1_763_900_000_000
    assert parse_time("15m", now) == now - 15 * 60_000
    assert parse_time("1.5h", now) == now - 5_400_000
    ten_utc = int(datetime(2026, 11, 23, 10, tzinfo=UTC).timestamp()) * 1000
    assert parse_time("2026-11-23T10:00", now) == ten_utc
    assert parse_time("2026-11-23T11:00+01:00", now) == ten_utc
    with pytest.raises(ValueError, match="got 'soon'"):
        parse_time("soon", now)
