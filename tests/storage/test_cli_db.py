"""``agbotkit db status|upgrade|downgrade|metrics|orders|fills`` on every backend."""

from __future__ import annotations

import csv
import json
import os
import pty
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from agbotkit.db.backend import ExecutionBatch
from agbotkit.db.commands import parse_time
from agbotkit.db.connect import POSTGRES_DRIVER_MISSING
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
    assert "version 0 of 2" in out
    assert "pending:  0001_initial\npending:  0002_execution_details" in out

    code, out, err = run_cli("db", "upgrade", "--stack", stack)
    assert (code, out.splitlines()[:2]) == (
        0,
        ["applied 0001_initial", "applied 0002_execution_details"],
    ), err
    code, out, _ = run_cli("db", "status", "--stack", stack)
    assert "version 2 of 2" in out
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

    code, out, err = run_cli("db", "downgrade", "--to", "0", "--yes", "--force", "--stack", stack)
    assert (code, out.splitlines()[:2]) == (
        0,
        ["undone 0002_execution_details", "undone 0001_initial"],
    ), err
    assert "version 0 of 2" in run_cli("db", "status", "--stack", stack)[1]


def test_a_schema_newer_than_known_fails_with_exit_1(
    run_cli: RunCli, write_yaml: WriteYaml, storage_url: str, open_db: OpenDb, timescale_mode: str
) -> None:
    backend = open_db(storage_url)
    upgrade(backend)
    backend.apply_migration(Migration(3, "future", "SELECT 1;", "SELECT 1;"), "up")
    stack = str(stack_for(storage_url, write_yaml, timescale_mode))
    code, out, _ = run_cli("db", "status", "--stack", stack)
    assert code == 0
    assert "newer than this agbotkit knows" in out
    code, _, err = run_cli("db", "upgrade", "--stack", stack)
    assert code == 1
    assert "newer than the 2 this agbotkit knows" in err


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


# -- downgrade safety --------------------------------------------------------------------------


def fill_record(number: int) -> FillRecord:
    return FillRecord(
        id=f"f{number}",
        timestamp_ms=T0 + number,
        order_id=f"c{number}",
        venue="polymarket",
        market="0xm",
        token_id="tok",
        side="BUY",
        price=Decimal("0.5"),
        size=Decimal(1),
        fee=None,
    )


def test_downgrade_needs_a_target_a_confirmation_and_force_for_orders_and_fills(
    run_cli: RunCli,
    write_yaml: WriteYaml,
    storage_url: str,
    open_db: OpenDb,
    timescale_mode: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    backend = open_db(storage_url)
    upgrade(backend)
    backend.write_metrics([Metric.gauge("m", 1.0, T0)])
    backend.write_execution(
        ExecutionBatch(orders=[order(n, "approved") for n in (1, 2, 3)], fills=[fill_record(1)])
    )
    stack = str(stack_for(storage_url, write_yaml, timescale_mode))

    with pytest.raises(SystemExit) as usage:
        run_cli("db", "downgrade", "--stack", stack)  # no --to: never "one step" silently
    assert usage.value.code == 2
    assert "--to" in capsys.readouterr().err

    code, _, err = run_cli("db", "downgrade", "--to", "0", "--yes", "--stack", stack)
    assert code == 2
    assert "drops orders (3 rows), fills (1 rows)" in err
    assert "--force" in err

    # stdin is not a terminal here: no one to ask, so no --yes means no.
    code, _, err = run_cli("db", "downgrade", "--to", "0", "--force", "--stack", stack)
    assert code == 2
    assert "stdin is not a terminal" in err
    assert "--yes" in err
    assert backend.count_rows("orders") == 3  # nothing was changed
    assert backend.count_rows("metrics") == 1

    code, out, err = run_cli("db", "downgrade", "--to", "0", "--yes", "--force", "--stack", stack)
    assert (code, out.splitlines()[1]) == (0, "undone 0001_initial"), err
    code, out, err = run_cli("db", "downgrade", "--to", "0", "--yes", "--stack", stack)
    assert (code, out.splitlines()) == (0, ["schema at version 0 of 2 (" + backend.dialect + ")"])


@pytest.mark.parametrize("backend_kind", ["sqlite"])
def test_without_orders_or_fills_a_confirmed_downgrade_needs_no_force(
    run_cli: RunCli, write_yaml: WriteYaml, storage_url: str, open_db: OpenDb
) -> None:
    backend = open_db(storage_url)
    upgrade(backend)
    backend.write_metrics([Metric.gauge("m", 1.0, T0)])
    stack = str(stack_for(storage_url, write_yaml, "off"))
    code, out, err = run_cli("db", "downgrade", "--to", "0", "--yes", "--stack", stack)
    assert (code, out.splitlines()[1]) == (0, "undone 0001_initial"), err


def run_on_a_terminal(args: list[str], answer: str) -> tuple[int, str]:
    """``agbotkit ARGS`` in a child process whose stdin is a terminal, answering ``answer``."""
    main, terminal = pty.openpty()
    try:
        os.write(main, answer.encode() + b"\n")
        done = subprocess.run(
            [sys.executable, "-c", AGBOTKIT, *args],
            stdin=terminal,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(main)
        os.close(terminal)
    return done.returncode, done.stdout + done.stderr


AGBOTKIT = "import sys; from agbotkit.cli import main; sys.exit(main(sys.argv[1:]))"


@pytest.mark.parametrize("backend_kind", ["sqlite"])
def test_on_a_terminal_the_downgrade_asks_first(
    write_yaml: WriteYaml, storage_url: str, open_db: OpenDb
) -> None:
    backend = open_db(storage_url)
    upgrade(backend)
    stack = str(stack_for(storage_url, write_yaml, "off"))
    args = ["db", "downgrade", "--to", "0", "--stack", stack]
    code, out = run_on_a_terminal(args, "n")
    assert "undo 0002_execution_details, 0001_initial on" in out
    assert "dropping fills, market_frames, metric_series, metrics, orders, positions? [y/N]" in out
    assert code == 2
    assert "not confirmed: nothing was changed" in out
    assert backend.applied_versions() == [1, 2]
    code, out = run_on_a_terminal(args, "yes")
    assert code == 0, out
    assert "undone 0001_initial" in out
    assert backend.applied_versions() == []


# -- output ------------------------------------------------------------------------------------

LONG_ID = "0x" + "ab" * 32  # a condition id: 66 characters


@pytest.mark.parametrize("backend_kind", ["sqlite"])
def test_tables_shorten_ids_and_csv_and_json_keep_them_whole(
    run_cli: RunCli, write_yaml: WriteYaml, storage_url: str, open_db: OpenDb
) -> None:
    backend = open_db(storage_url)
    upgrade(backend)
    long_order = attrs.evolve(
        order(1, "accepted", market=LONG_ID),
        event_id="e" * 36,
        id="c" * 40,
        token_id="7" * 77,
        venue_order_id=LONG_ID,
    )
    backend.write_execution(ExecutionBatch(orders=[long_order]))
    stack = str(stack_for(storage_url, write_yaml, "off"))
    window = ["--since", str(T0), "--until", str(T0 + 10)]
    code, out, err = run_cli("db", "orders", "--stack", stack, *window)
    assert code == 0, err
    header, row = out.splitlines()
    assert max(len(header), len(row)) < 200
    assert "0xabababab…" in row
    assert "7777777777…" in row
    assert LONG_ID not in row
    code, out, _ = run_cli("db", "orders", "--stack", stack, *window, "--format", "csv")
    (found,) = csv.DictReader(out.splitlines())
    assert (found["market"], found["token_id"]) == (LONG_ID, "7" * 77)
    code, out, _ = run_cli("db", "orders", "--stack", stack, *window, "--format", "json")
    assert json.loads(out)["venue_order_id"] == LONG_ID


@pytest.mark.parametrize("backend_kind", ["sqlite"])
def test_execution_columns_in_tables_and_a_downgrade_names_the_columns_it_drops(
    run_cli: RunCli, write_yaml: WriteYaml, storage_url: str, open_db: OpenDb
) -> None:
    backend = open_db(storage_url)
    upgrade(backend)
    gtd = attrs.evolve(
        order(1, "partially_filled"), order_type="GTD", filled_size=Decimal("0.5"),
        average_price=Decimal("0.41"), expires_at_ms=T0 + 60_000, previous_status="accepted",
    )  # fmt: skip
    denied = attrs.evolve(order(2, "denied"), reason="NoTradeBeforeResolution: " + "x" * 200)
    backend.write_execution(ExecutionBatch(orders=[order(0, "approved"), gtd, denied]))
    stack = str(stack_for(storage_url, write_yaml, "off"))
    window = ["--since", str(T0), "--until", str(T0 + 10)]
    code, out, err = run_cli("db", "orders", "--stack", stack, *window)
    assert code == 0, err
    header, approved, partial, denied_row = out.splitlines()
    assert "NoTradeBeforeResolution: xxxxxxxxxxxxxxxxxxxxxx…" in denied_row  # 47 and …
    assert header.split() == [
        "timestamp", "id", "venue", "market", "token_id", "side", "price", "size", "status",
        "reason",
        "order_type", "filled_size", "average_price", "post_only", "previous_status",
        "expires_at",
    ]  # fmt: skip
    assert "2025-11-23T12:14:20.000+00:00" in partial  # expires_at, as a time
    assert approved.split()[-2:] == ["approved", "False"]  # blank cells, then post_only
    assert "partially_filled" in partial
    # Only the risk component's rows: an order's lifetime columns would all be empty.
    code, out, _ = run_cli("db", "orders", "--stack", stack, *window, "--status", "approved")
    assert "filled_size" not in out.splitlines()[0]
    code, out, _ = run_cli("db", "orders", "--stack", stack, *window, "--format", "csv")
    rows = list(csv.DictReader(out.splitlines()))
    assert (rows[0]["event_id"], len(rows[2]["reason"])) == ("e0", 225)

    code, _, err = run_cli("db", "downgrade", "--to", "1", "--stack", stack)
    assert code == 2
    assert "not a terminal" in err
    assert "and the columns fills.client_order_id" in err
    assert "orders.previous_status, orders.post_only" in err
    assert "fills.trade_id" in err


@pytest.mark.parametrize("backend_kind", ["sqlite"])
def test_a_reader_that_stops_early_ends_the_command_quietly(
    write_yaml: WriteYaml, storage_url: str, open_db: OpenDb
) -> None:
    backend = open_db(storage_url)
    upgrade(backend)
    # Far more than a pipe buffer (64 KiB): the writes after `head` left must fail.
    backend.write_execution(ExecutionBatch(orders=[order(n, "approved") for n in range(5000)]))
    stack = str(stack_for(storage_url, write_yaml, "off"))
    args = ["db", "orders", "--stack", stack, "--since", str(T0), "--until", str(T0 + 10_000)]
    with subprocess.Popen(
        [sys.executable, "-c", AGBOTKIT, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdout is not None
        assert child.stderr is not None
        assert child.stdout.readline().startswith("timestamp")
        child.stdout.close()  # as `| head -1` does
        err = child.stderr.read()
        code = child.wait(timeout=120)
    assert (code, err) == (0, "")


# -- the optional PostgreSQL driver ------------------------------------------------------------

WITHOUT_PSYCOPG = (
    "import sys; sys.modules['psycopg'] = None; "  # as if agbotkit[postgresql] were not installed
    "from agbotkit.cli import main; sys.exit(main(sys.argv[1:]))"
)
INSTALL = "pip install 'agbotkit[postgresql]'"


def run_without_driver(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_PSYCOPG, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_without_the_driver_a_postgresql_url_says_what_to_install(write_yaml: WriteYaml) -> None:
    stack = str(stack_for("postgresql://bot@127.0.0.1:1/agbotkit", write_yaml, "off"))
    # `db` skips the components' preflight (it must work without a venue's credentials):
    # the driver is found missing when the database is opened, exit 1, saying what to do.
    status = run_without_driver("db", "status", "--stack", stack)
    assert status.returncode == 1
    assert POSTGRES_DRIVER_MISSING in status.stderr
    assert INSTALL in POSTGRES_DRIVER_MISSING
    run = run_without_driver("run", stack)
    assert run.returncode == 2
    assert INSTALL in run.stderr
    assert "Traceback" not in run.stderr
