"""What only the PostgreSQL backend does: daily partitions, dialects, losing the server,
passwords. The behaviour every backend shares is in test_backend_contract.py."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import psycopg
import pytest

from agbotkit.db.backend import ExecutionBatch
from agbotkit.db.connect import TimescaleMode
from agbotkit.db.migrations import upgrade
from agbotkit.db.postgres.backend import PostgresBackend
from agbotkit.db.postgres.partitions import DAY_MS
from agbotkit.db.records import (
    TABLES,
    ExecutionQuery,
    FillRecord,
    MetricsQuery,
    OrderRecord,
    PositionRecord,
)
from agbotkit.db.url import parse_storage_url
from agbotkit.errors import StorageError, StorageUnavailableError
from agbotkit.model.feeds import RawFrame
from agbotkit.model.metrics import Metric
from agbotkit.testing.postgres import FAST_SETTINGS, ThrowawayPostgres, find_postgres_binaries

from .conftest import TIMESCALE_MISSING

_NUMBERS = itertools.count(1)
#: 2026-09-22T00:00:00Z, a UTC midnight.
DAY0 = 1_790_035_200_000
ALL = ExecutionQuery(start_ms=0, end_ms=2**62)


def _new_database(server: ThrowawayPostgres) -> str:
    return server.create_database(f"pg_backend_{next(_NUMBERS)}")


@pytest.fixture
def url(postgres_server: ThrowawayPostgres) -> str:
    """A new, empty database on the session's server."""
    return _new_database(postgres_server)


@pytest.fixture
def backend(url: str) -> Iterator[PostgresBackend]:
    """A native-partitioning backend on a new database, schema applied."""
    db = PostgresBackend(parse_storage_url(url), timescaledb="off")
    upgrade(db)
    yield db
    db.close()


def _partitions(url: str, table: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass ORDER BY 1",
            (table,),
        ).fetchall()
    return [name for (name,) in rows]


def _order(event_id: str, timestamp_ms: int) -> OrderRecord:
    return OrderRecord(
        event_id=event_id,
        id=f"order-{event_id}",
        timestamp_ms=timestamp_ms,
        venue="polymarket",
        market="m1",
        token_id="t1",
        side="BUY",
        price=Decimal("0.51"),
        size=Decimal("10"),
        status="approved",
    )


def _batch(timestamp_ms: int) -> ExecutionBatch:
    fill = FillRecord(
        id="fill-1",
        timestamp_ms=timestamp_ms + 1,
        order_id="order-e1",
        venue="polymarket",
        market="m1",
        token_id="t1",
        side="BUY",
        price=Decimal("0.51"),
        size=Decimal("10"),
        fee=Decimal("0.01"),
    )
    position = PositionRecord(
        timestamp_ms=timestamp_ms + 2,
        source="risk",
        token_id="t1",
        market="m1",
        size=Decimal("10"),
        cost_basis_usd=Decimal("5.1"),
        realised_pnl_usd=Decimal("0"),
        fees_usd=Decimal("0.01"),
        mark=Decimal("0.52"),
    )
    return ExecutionBatch(
        [_order("e1", timestamp_ms), _order("e2", timestamp_ms)], [fill], [position]
    )


# -- partitions --------------------------------------------------------------------------------


def test_a_write_creates_the_partition_of_every_day_it_touches(
    backend: PostgresBackend, url: str
) -> None:
    assert _partitions(url, "metrics") == []
    metrics = [
        Metric.gauge("m", 1.0, DAY0 - 1),  # 2026-09-21T23:59:59.999Z
        Metric.gauge("m", 2.0, DAY0 + DAY_MS // 2),
        Metric.gauge("m", 3.0, DAY0 + 2 * DAY_MS),  # 2026-09-24T00:00:00.000Z
    ]
    assert backend.write_metrics(metrics) == 3
    assert _partitions(url, "metrics") == [
        "metrics_p20260921",
        "metrics_p20260922",
        "metrics_p20260923",
        "metrics_p20260924",
    ]
    with psycopg.connect(url) as conn:
        homes = conn.execute(
            "SELECT tableoid::regclass::text, value FROM metrics ORDER BY timestamp"
        ).fetchall()
    assert homes == [
        ("metrics_p20260921", 1.0),
        ("metrics_p20260922", 2.0),
        ("metrics_p20260924", 3.0),
    ]


def test_a_batch_spread_over_weeks_gets_only_the_days_it_holds(
    backend: PostgresBackend, url: str
) -> None:
    backend.write_metrics(
        [Metric.gauge("m", 1.0, DAY0), Metric.gauge("m", 1.0, DAY0 + 30 * DAY_MS)]
    )
    assert _partitions(url, "metrics") == ["metrics_p20260922", "metrics_p20261022"]


def test_execution_rows_and_frames_get_partitions_of_their_own_tables(
    backend: PostgresBackend, url: str
) -> None:
    assert backend.write_execution(_batch(DAY0 + 5)) == 4
    backend.write_frames([RawFrame("clob", DAY0 + DAY_MS, "{}")])
    assert _partitions(url, "orders") == ["orders_p20260922"]
    assert _partitions(url, "fills") == ["fills_p20260922"]
    assert _partitions(url, "positions") == ["positions_p20260922"]
    assert _partitions(url, "market_frames") == ["market_frames_p20260923"]
    assert _partitions(url, "metrics") == []


def test_maintain_creates_today_and_the_next_three_days_of_every_table(
    backend: PostgresBackend, url: str
) -> None:
    backend.maintain(DAY0 + 13 * 3_600_000)  # 13:00 UTC
    for table in TABLES:
        assert _partitions(url, table) == [
            f"{table}_p20260922",
            f"{table}_p20260923",
            f"{table}_p20260924",
            f"{table}_p20260925",
        ]
    backend.maintain(DAY0 + DAY_MS)  # the next day: one more each, no error for the rest
    assert _partitions(url, "metrics")[-1] == "metrics_p20260926"
    assert len(_partitions(url, "orders")) == 5


def test_partitions_made_by_another_process_are_found_not_recreated(url: str) -> None:
    first = PostgresBackend(parse_storage_url(url), timescaledb="off")
    upgrade(first)
    second = PostgresBackend(parse_storage_url(url), timescaledb="off")
    try:
        first.write_metrics([Metric.gauge("m", 1.0, DAY0)])
        second.maintain(DAY0)
        assert second.write_metrics([Metric.gauge("m", 2.0, DAY0 + 1)]) == 1
        assert len(_partitions(url, "metrics")) == 4
    finally:
        first.close()
        second.close()


# -- retention ---------------------------------------------------------------------------------


def test_retention_drops_whole_partitions_then_deletes_exactly_the_rows_below_the_cutoff(
    backend: PostgresBackend, url: str
) -> None:
    cutoff = DAY0 + 2 * DAY_MS + 12 * 3_600_000  # day 2, noon
    stamps = [DAY0, DAY0 + 1000, DAY0 + DAY_MS + 5, cutoff - 1, cutoff, cutoff + 1]
    backend.write_metrics([Metric.gauge("m", float(i), t) for i, t in enumerate(stamps)])
    backend.write_execution(ExecutionBatch([_order("old", DAY0), _order("new", cutoff)]))

    report = backend.apply_retention({"metrics": cutoff, "orders": cutoff})

    assert report.rows_deleted == {"metrics": 4, "orders": 1}
    # metrics and orders, days 0 and 1 each (the orders batch spanned days 0-2: all made)
    assert report.partitions_dropped == 4
    assert _partitions(url, "metrics") == ["metrics_p20260924"]
    series = backend.query_metrics(MetricsQuery("m", 0, 2**62))
    assert series[0].timestamps == [cutoff, cutoff + 1]
    assert [o.event_id for o in backend.query_orders(ALL)] == ["new"]


def test_retention_at_a_midnight_drops_the_days_before_and_keeps_the_row_at_the_cutoff(
    backend: PostgresBackend, url: str
) -> None:
    cutoff = DAY0 + DAY_MS
    backend.write_metrics([Metric.gauge("m", 1.0, cutoff - 1), Metric.gauge("m", 2.0, cutoff)])
    report = backend.apply_retention({"metrics": cutoff})
    assert (report.rows_deleted, report.partitions_dropped) == ({"metrics": 1}, 1)
    assert _partitions(url, "metrics") == ["metrics_p20260923"]
    assert backend.count_rows("metrics") == 1


def test_a_write_into_a_partition_another_process_dropped_recreates_it(url: str) -> None:
    writer = PostgresBackend(parse_storage_url(url), timescaledb="off")
    upgrade(writer)
    janitor = PostgresBackend(parse_storage_url(url), timescaledb="off")
    try:
        writer.write_metrics([Metric.gauge("m", 1.0, DAY0)])
        writer.write_execution(ExecutionBatch([_order("e0", DAY0)]))
        janitor.apply_retention({"metrics": DAY0 + DAY_MS, "orders": DAY0 + DAY_MS})
        assert _partitions(url, "metrics") == _partitions(url, "orders") == []
        # The writer still believes the partitions exist. Orders go through the parent (no
        # partition for the row), metrics to the partition itself (it is missing): both
        # refusals are retried once the writer has looked again.
        assert writer.write_execution(ExecutionBatch([_order("e1", DAY0 + 1)])) == 1
        assert writer.write_metrics([Metric.gauge("m", 2.0, DAY0 + 1)]) == 1
        assert writer.count_rows("metrics") == writer.count_rows("orders") == 1
        assert _partitions(url, "orders") == ["orders_p20260922"]
    finally:
        writer.close()
        janitor.close()


# -- dialect -----------------------------------------------------------------------------------


def test_auto_and_off_choose_native_partitioning_without_the_extension(
    url: str, timescale_available: bool
) -> None:
    if timescale_available:
        pytest.skip("the server has TimescaleDB: auto would choose it")
    modes: tuple[TimescaleMode, ...] = ("auto", "off")
    for mode in modes:
        db = PostgresBackend(parse_storage_url(url), timescaledb=mode)
        try:
            assert db.dialect == "postgresql"
        finally:
            db.close()


def test_on_without_the_extension_is_an_error_naming_it(
    url: str, timescale_available: bool
) -> None:
    if timescale_available:
        pytest.skip("the server has TimescaleDB")
    db = PostgresBackend(parse_storage_url(url), timescaledb="on")
    try:
        with pytest.raises(StorageError, match="TimescaleDB extension") as caught:
            upgrade(db)
        assert not isinstance(caught.value, StorageUnavailableError)
        assert "timescaledb" in str(caught.value)
        assert db.applied_versions() == []
    finally:
        db.close()


def test_an_existing_schema_keeps_its_dialect_whatever_the_option(
    backend: PostgresBackend, url: str
) -> None:
    modes: tuple[TimescaleMode, ...] = ("auto", "on")
    for mode in modes:
        db = PostgresBackend(parse_storage_url(url), timescaledb=mode)
        try:
            assert db.dialect == "postgresql"
            assert db.write_metrics([Metric.gauge("m", 1.0, DAY0)]) == 1
        finally:
            db.close()
    assert "(postgresql)" in backend.description


# -- errors ------------------------------------------------------------------------------------


def test_a_refused_write_is_a_storage_error_and_the_connection_stays_usable(
    backend: PostgresBackend,
) -> None:
    with pytest.raises(StorageError, match="write frames") as caught:
        backend.write_frames([RawFrame("clob", DAY0, "nul \x00 byte")])
    assert not isinstance(caught.value, StorageUnavailableError)
    assert isinstance(caught.value.__cause__, psycopg.Error)
    assert backend.write_frames([RawFrame("clob", DAY0, "fine")]) == 1
    assert backend.count_rows("market_frames") == 1


def test_a_timestamp_out_of_range_is_a_storage_error(backend: PostgresBackend) -> None:
    with pytest.raises(StorageError, match="out of range"):
        backend.write_metrics([Metric.gauge("m", 1.0, 2**62)])
    with pytest.raises(StorageError, match="out of range"):
        backend.write_frames([RawFrame("clob", 2**50, "x")])


def test_the_connection_is_lazy_and_names_the_application(url: str) -> None:
    def ours() -> list[tuple[Any, ...]]:
        with psycopg.connect(url) as conn:
            return conn.execute(
                "SELECT application_name FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchall()

    db = PostgresBackend(parse_storage_url(url), timescaledb="off")
    try:
        assert ours() == []
        db.ping()
        assert ours() == [("agbotkit",)]
    finally:
        db.close()


def test_queries_before_the_schema_exists_are_storage_errors(url: str) -> None:
    db = PostgresBackend(parse_storage_url(url), timescaledb="off")
    try:
        assert db.applied_versions() == []
        with pytest.raises(StorageError, match="does not exist"):
            db.query_orders(ALL)
        db.ping()
    finally:
        db.close()


def test_times_round_trip_to_the_millisecond_from_year_1_to_9999(
    backend: PostgresBackend, url: str
) -> None:
    stamps = [-62_135_596_800_000, -1, 0, 1, DAY0 + 123, 253_402_300_799_999]
    backend.write_metrics([Metric.gauge("m", float(i), t) for i, t in enumerate(stamps)])
    backend.write_frames([RawFrame("clob", t, str(i)) for i, t in enumerate(stamps)])
    (series,) = backend.query_metrics(MetricsQuery("m", -(2**62), 2**62))
    assert series.timestamps == stamps
    frames = backend.query_frames(-(2**62), 2**62)
    assert [f.received_ms for f in frames] == stamps
    assert "metrics_p00010101" in _partitions(url, "metrics")
    assert "market_frames_p99991231" in _partitions(url, "market_frames")


def test_downsampling_over_a_range_beyond_64_bits_follows_the_integer_rule(
    backend: PostgresBackend,
) -> None:
    stamps = [-(2**40), -5, 0, DAY0, DAY0 + 1, 2**45]
    backend.write_metrics([Metric.gauge("m", float(i), t) for i, t in enumerate(stamps)])
    start, end, points = -(2**62), 2**62, 7
    (series,) = backend.query_metrics(MetricsQuery("m", start, end, max_points=points))
    newest: dict[int, int] = {}
    for t in stamps:
        newest[(t - start) * points // (end - start + 1)] = t
    assert series.timestamps == sorted(newest.values())


# -- losing the server -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def own_server() -> Iterator[ThrowawayPostgres]:
    """A cluster of this module's own, to stop and start and to change pg_hba.conf on."""
    binaries = find_postgres_binaries()
    if binaries is None:
        pytest.skip("no PostgreSQL server binaries")
    # FAST_SETTINGS turn synchronous_commit off, which may lose commits in a crash: on here,
    # so what was committed before the server is killed must still be there after.
    settings = {**FAST_SETTINGS, "synchronous_commit": "on"}
    with ThrowawayPostgres(binaries, settings=settings) as server:
        yield server


def test_a_killed_server_is_unavailable_and_the_retried_write_stores_each_row_once(
    own_server: ThrowawayPostgres,
) -> None:
    url = _new_database(own_server)
    db = PostgresBackend(parse_storage_url(url), timescaledb="off", connect_timeout_s=2)
    try:
        upgrade(db)
        db.write_metrics([Metric.gauge("m", 1.0, DAY0)])  # the connection is open and used
        batch = _batch(DAY0 + 10)

        own_server.stop(immediate=True)
        try:
            with pytest.raises(StorageUnavailableError) as caught:
                db.write_execution(batch)
            assert isinstance(caught.value.__cause__, psycopg.OperationalError)
            with pytest.raises(StorageUnavailableError):  # a fresh connection is refused too
                db.ping()
        finally:
            own_server.start()

        assert db.write_execution(batch) == len(batch)
        assert db.write_execution(batch) == 0
        assert [o.event_id for o in db.query_orders(ALL)] == ["e1", "e2"]
        assert len(db.query_fills(ALL)) == 1
        assert len(db.query_positions(ALL)) == 1
        assert db.count_rows("metrics") == 1
    finally:
        db.close()


def test_a_server_shutting_down_is_unavailable_too(own_server: ThrowawayPostgres) -> None:
    url = _new_database(own_server)
    db = PostgresBackend(parse_storage_url(url), timescaledb="off")
    try:
        upgrade(db)
        own_server.stop()  # a fast shutdown: the server tells its clients and leaves
        try:
            with pytest.raises(StorageUnavailableError):
                db.write_metrics([Metric.gauge("m", 1.0, DAY0)])
        finally:
            own_server.start()
        assert db.write_metrics([Metric.gauge("m", 1.0, DAY0)]) == 1
    finally:
        db.close()


# -- passwords ---------------------------------------------------------------------------------

_PASSWORD = "pw-Tr0ub4dor&3"


@pytest.fixture(scope="module")
def password_role(own_server: ThrowawayPostgres) -> str:
    """The URL (no password in it) of a role that must give ``_PASSWORD`` to connect."""
    url = _new_database(own_server)
    with psycopg.connect(own_server.url(), autocommit=True) as conn:
        conn.execute(f"CREATE ROLE bob LOGIN PASSWORD '{_PASSWORD}'")
        hba = own_server.data_dir / "pg_hba.conf"
        rules = hba.read_text(encoding="utf-8")
        # Rules apply first match first: bob must authenticate, the superuser stays trusted.
        hba.write_text(f"host all bob 127.0.0.1/32 scram-sha-256\n{rules}", encoding="utf-8")
        conn.execute("SELECT pg_reload_conf()")
    return url.replace(f"{own_server.superuser}@", "bob@")


def test_the_password_reaches_the_server(password_role: str) -> None:
    db = PostgresBackend(parse_storage_url(password_role), password=_PASSWORD)
    try:
        db.ping()
        assert db.dialect == "postgresql"
        assert f"password={_PASSWORD}" in db.conninfo.replace("'", "")
    finally:
        db.close()


@pytest.mark.parametrize("password", [None, "wrong-" + _PASSWORD])
def test_a_missing_or_wrong_password_is_refused_without_showing_it(
    password_role: str, password: str | None
) -> None:
    db = PostgresBackend(parse_storage_url(password_role), password=password)
    try:
        with pytest.raises(StorageError) as caught:
            db.ping()
        assert "bob" in str(caught.value)
        for shown in (str(caught.value), repr(db), db.description):
            assert _PASSWORD not in shown
    finally:
        db.close()


@pytest.mark.parametrize("where", ["user part", "query string"])
def test_a_password_in_the_url_is_used_and_never_shown(password_role: str, where: str) -> None:
    if where == "user part":
        with_password = password_role.replace("bob@", f"bob:{_PASSWORD}@")
    else:  # libpq takes any parameter from the query string, a password too
        with_password = f"{password_role}?password={quote(_PASSWORD, safe='')}"
    db = PostgresBackend(parse_storage_url(with_password))
    try:
        db.ping()
        with pytest.raises(StorageError) as caught:
            db.query_fills(ALL)  # no schema: refused
        for shown in (str(caught.value), repr(db), db.description):
            assert _PASSWORD not in shown
            assert quote(_PASSWORD, safe="") not in shown
            assert "***" in shown or "bob@" not in shown
    finally:
        db.close()


# -- TimescaleDB (skipped where the server lacks it) ---------------------------------------------


@pytest.fixture
def timescale(url: str, timescale_available: bool) -> Iterator[PostgresBackend]:
    """A TimescaleDB backend on a new database, schema applied."""
    if not timescale_available:
        pytest.skip(TIMESCALE_MISSING)
    db = PostgresBackend(parse_storage_url(url), timescaledb="on")
    upgrade(db)
    yield db
    db.close()


def _jobs(url: str) -> dict[str, Any]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT hypertable_name, config->>'drop_after' FROM timescaledb_information.jobs "
            "WHERE proc_name = 'policy_retention'"
        ).fetchall()
    return dict(rows)


def test_timescale_tables_are_compressed_hypertables_with_default_retention(
    timescale: PostgresBackend, url: str
) -> None:
    assert timescale.dialect == "timescaledb"
    with psycopg.connect(url) as conn:
        hypertables = conn.execute(
            "SELECT hypertable_name, compression_enabled FROM timescaledb_information.hypertables"
        ).fetchall()
        compress_jobs = conn.execute(
            "SELECT count(*) FROM timescaledb_information.jobs WHERE proc_name = 'policy_compression'"
        ).fetchone()
    assert sorted(hypertables) == sorted((table, True) for table in TABLES)
    assert compress_jobs == (5,)
    assert _jobs(url) == {
        "metrics": "90 days",
        "orders": "365 days",
        "fills": "365 days",
        "positions": "365 days",
        "market_frames": "30 days",
    }


def test_timescale_configure_retention_replaces_the_policies(
    timescale: PostgresBackend, url: str
) -> None:
    timescale.configure_retention({"metrics": 7, "market_frames": 1.5})
    jobs = _jobs(url)
    assert (jobs["metrics"], jobs["market_frames"], jobs["orders"]) == (
        "7 days",
        "1 day 12:00:00",
        "365 days",
    )
    with pytest.raises(StorageError, match="unknown table"):
        timescale.configure_retention({"nope": 1})


def test_timescale_retention_drops_chunks_and_deletes_exactly_below_the_cutoff(
    timescale: PostgresBackend,
) -> None:
    cutoff = DAY0 + 2 * DAY_MS + 1000
    stamps = [DAY0, DAY0 + DAY_MS, cutoff - 1, cutoff]
    timescale.write_metrics([Metric.gauge("m", 1.0, t) for t in stamps])
    report = timescale.apply_retention({"metrics": cutoff})
    assert report.rows_deleted == {"metrics": 3}
    assert report.partitions_dropped == 2
    assert timescale.query_metrics(MetricsQuery("m", 0, 2**62))[0].timestamps == [cutoff]


# -- downsampling by index seeks ---------------------------------------------------------------


def _newest_per_bucket(stamps: list[int], start: int, end: int, points: int) -> list[int]:
    newest: dict[int, int] = {}
    for t in stamps:
        if start <= t <= end:
            bucket = (t - start) * points // (end - start + 1)
            newest[bucket] = max(newest.get(bucket, t), t)
    return sorted(newest.values())


@pytest.mark.parametrize(
    ("start", "end", "points"),
    [
        (DAY0 + 7, DAY0 + 2_600_000, 1000),  # dense: one seek per bucket
        (DAY0 + 7, DAY0 + 2_600_000, 3),
        (-(2**63), 2**63 - 1, 7),  # past 63 bits
        (DAY0, DAY0 + 2_600_000, 5000),  # sparse: rows read and aggregated
    ],
)
def test_max_points_keeps_the_newest_point_of_each_bucket(
    backend: PostgresBackend, start: int, end: int, points: int
) -> None:
    stamps = [DAY0 + 997 * i for i in range(3000)]
    metrics = [Metric.gauge("m", float(t), t, {"a": "1"}) for t in stamps]
    metrics += [Metric.gauge("m", -1.0, t + 1, {"a": "2"}) for t in stamps]
    backend.write_metrics(metrics)

    series = backend.query_metrics(MetricsQuery("m", start, end, {"a": "1"}, points))

    expected = _newest_per_bucket(stamps, start, end, points)
    assert [(s.labels, s.timestamps) for s in series] == [((("a", "1"),), expected)]
    assert series[0].values == [float(t) for t in expected]


def _catalog(url: str) -> list[tuple[str, str, int]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT metric_name, labels::text, day - %s FROM metric_series ORDER BY 3, 2",
            (DAY0 // DAY_MS,),
        ).fetchall()
    return [(name, labels, day) for name, labels, day in rows]


def test_the_series_catalog_holds_each_series_day_and_retention_forgets_emptied_days(
    backend: PostgresBackend, url: str
) -> None:
    cutoff = DAY0 + 2 * DAY_MS + 12 * 3_600_000  # day 2, noon
    backend.write_metrics([Metric.gauge("m", 1.0, DAY0, {"a": "1"})])
    backend.write_metrics(  # one batch over days 1 and 2
        [Metric.gauge("m", 2.0, DAY0 + DAY_MS, {"a": "2"}), Metric.gauge("m", 3.0, cutoff)]
    )
    backend.write_metrics([Metric.gauge("m", 4.0, DAY0 + 1, {"a": "1"})])  # known already
    assert _catalog(url) == [("m", '{"a": "1"}', 0), ("m", '{"a": "2"}', 1), ("m", "{}", 2)]

    backend.apply_retention({"metrics": cutoff})

    assert _catalog(url) == [("m", "{}", 2)]


def test_a_name_alone_in_range_or_among_others_gives_the_same_points(
    backend: PostgresBackend,
) -> None:
    # a=1 every 10 s on days 0 and 1; a=2 in the afternoon of day 1 only, interleaved.
    ones = [DAY0 + 10_000 * i for i in range(2 * 8640)]
    twos = [DAY0 + DAY_MS + 43_200_000 + 10_000 * i + 5 for i in range(4320)]
    backend.write_metrics([Metric.gauge("m", float(t), t, {"a": "1"}) for t in ones])
    backend.write_metrics([Metric.gauge("m", -1.0, t, {"a": "2", "b": "x"}) for t in twos])
    morning = (DAY0 + DAY_MS, DAY0 + DAY_MS + 43_200_000 - 1)  # a=2 has no point here
    ranges = [(DAY0, DAY0 + DAY_MS - 1), (DAY0, DAY0 + 2 * DAY_MS - 1), morning]
    for (start, end), points, wanted in itertools.product(
        ranges, (None, 100, 100_000), ({}, {"a": "1"})
    ):
        series = backend.query_metrics(MetricsQuery("m", start, end, wanted, points))
        expected = [t for t in ones if start <= t <= end]
        if points is not None:
            expected = _newest_per_bucket(expected, start, end, points)
        assert series[0].labels == (("a", "1"),)
        assert series[0].timestamps == expected
        assert series[0].values == [float(t) for t in expected]
        if start <= twos[0] <= end and not wanted:  # the other series, labels checked
            assert [s.labels for s in series[1:]] == [(("a", "2"), ("b", "x"))]
            assert series[1].values == [-1.0] * len(series[1].timestamps)
        else:  # filtered out, or no point in range (but in the catalog): none
            assert len(series) == 1
