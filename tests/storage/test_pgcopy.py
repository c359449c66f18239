"""The binary COPY encoder of metrics: its bytes by hand, then round trips through PostgreSQL."""

from __future__ import annotations

import itertools
import math
import struct
from collections.abc import Iterator
from typing import Any

import pytest

from agbotkit.db.postgres.binary_copy import (
    COPY_METRICS_SQL,
    HEADER,
    PG_EPOCH_MS,
    TRAILER,
    MetricCopyEncoder,
)
from agbotkit.model.metrics import Metric, MetricType
from agbotkit.testing.postgres import ThrowawayPostgres

_NUMBERS = itertools.count(1)


def test_header_and_trailer_are_postgresqls_binary_copy_framing() -> None:
    assert HEADER == b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
    assert TRAILER == b"\xff\xff"
    assert MetricCopyEncoder().encode([]) == HEADER + TRAILER


def test_one_row_encodes_byte_for_byte() -> None:
    # 2000-01-01T00:00:00.001Z is 1 ms = 1000 us after PostgreSQL's epoch.
    metric = Metric(PG_EPOCH_MS + 1, MetricType.GAUGE, "a", 1.5, (("k", "v"),))
    row = (
        b"\x00\x04"  # 4 fields
        + b"\x00\x00\x00\x08" + b"\x00\x00\x00\x00\x00\x00\x03\xe8"  # timestamptz: 1000 us
        + b"\x00\x00\x00\x01" + b"a"  # text
        + b"\x00\x00\x00\x08" + b"\x3f\xf8\x00\x00\x00\x00\x00\x00"  # float8 1.5
        + b"\x00\x00\x00\x0a" + b"\x01" + b'{"k":"v"}'  # jsonb: version 1 + 9 bytes of JSON
    )  # fmt: skip
    assert MetricCopyEncoder().encode([metric]) == HEADER + row + TRAILER


def test_times_before_2000_are_negative_microseconds() -> None:
    metric = Metric.gauge("x", 0.0, 0)  # 1970-01-01: 946,684,800 s before PostgreSQL's epoch
    data = MetricCopyEncoder().encode([metric])
    (micros,) = struct.unpack_from(">q", data, len(HEADER) + 2 + 4)
    assert micros == -PG_EPOCH_MS * 1000


def test_rows_are_grouped_by_name_in_order_of_first_appearance() -> None:
    batch = [
        Metric.gauge("b", 1.0, PG_EPOCH_MS + 1),
        Metric.gauge("a", 2.0, PG_EPOCH_MS + 2),
        Metric.gauge("b", 3.0, PG_EPOCH_MS + 3, {"x": "y"}),
        Metric.gauge("a", 4.0, PG_EPOCH_MS + 4),
    ]
    grouped = [batch[0], batch[2], batch[1], batch[3]]
    encoder = MetricCopyEncoder()
    one_by_one = b"".join(
        encoder.encode([metric])[len(HEADER) : -len(TRAILER)] for metric in grouped
    )
    assert encoder.encode(batch) == HEADER + one_by_one + TRAILER


def test_a_timestamp_beyond_int64_microseconds_is_a_struct_error() -> None:
    with pytest.raises(struct.error):
        MetricCopyEncoder().encode([Metric.gauge("far", 1.0, 2**62)])


def test_series_are_cached_and_encoded_alike() -> None:
    encoder = MetricCopyEncoder()
    batch = [Metric.gauge("m", float(i), PG_EPOCH_MS + i, {"a": "b"}) for i in range(3)]
    once = encoder.encode(batch)
    assert encoder.encode(batch) == once == MetricCopyEncoder().encode(batch)
    labels_field = b"\x00\x00\x00\x0a\x01" + b'{"a":"b"}'
    assert once.count(labels_field) == 3


def test_the_caches_are_bounded_and_encoding_stays_right_past_the_bound() -> None:
    encoder = MetricCopyEncoder()
    many = [Metric.gauge(f"m{i}", 1.0, PG_EPOCH_MS, {"i": str(i)}) for i in range(70_000)]
    encoder.encode(many)
    last = Metric.gauge("m69999", 2.0, PG_EPOCH_MS, {"i": "69999"})
    assert encoder.encode([last]) == MetricCopyEncoder().encode([last])
    # Cleared when past the bound, then one series added.
    assert len(encoder._names) <= 1
    assert len(encoder._labels) <= 1


# -- round trips through PostgreSQL -----------------------------------------------------------


@pytest.fixture
def conn(postgres_server: ThrowawayPostgres) -> Iterator[Any]:
    """A connection to a new database holding a bare ``metrics`` table."""
    import psycopg

    url = postgres_server.create_database(f"pgcopy_{next(_NUMBERS)}")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(
            "CREATE TABLE metrics (timestamp timestamptz NOT NULL, metric_name text NOT NULL, "
            "value double precision NOT NULL, labels jsonb NOT NULL DEFAULT '{}')"
        )
        yield connection


def _copy(conn: Any, metrics: list[Metric]) -> list[tuple[int, str, float, dict[str, str]]]:
    data = MetricCopyEncoder().encode(metrics)
    with conn.cursor() as cursor, cursor.copy(COPY_METRICS_SQL) as copy:
        copy.write(data)
    rows = conn.execute(
        "SELECT (extract(epoch FROM timestamp) * 1000)::bigint, metric_name, value, labels "
        "FROM metrics ORDER BY 1, 2"
    ).fetchall()
    return [(t, n, v, labels) for t, n, v, labels in rows]


def test_values_round_trip_exactly(conn: Any) -> None:
    values = [0.0, -0.0, 1.5, -2.25, 1e308, -1e308, 5e-324, 2.0**53 + 2, math.pi, -math.e]
    metrics = [Metric.gauge("v", value, PG_EPOCH_MS + i) for i, value in enumerate(values)]
    rows = _copy(conn, metrics)
    assert [row[2] for row in rows] == values
    assert math.copysign(1.0, rows[1][2]) == -1.0  # -0.0 keeps its sign


def test_timestamps_round_trip_to_the_millisecond(conn: Any) -> None:
    stamps = [
        0,  # 1970
        -1,  # just before 1970
        PG_EPOCH_MS - 1,  # just before PostgreSQL's epoch
        PG_EPOCH_MS,
        1_790_035_199_999,  # 2026-09-21T23:59:59.999Z
        1_790_035_200_001,
        253_402_300_799_999,  # 9999-12-31T23:59:59.999Z
        -62_135_596_800_000,  # 0001-01-01T00:00:00Z
    ]
    rows = _copy(conn, [Metric.gauge("t", 1.0, stamp) for stamp in stamps])
    assert [row[0] for row in rows] == sorted(stamps)
    text = conn.execute(
        "SELECT to_char(timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS') "
        "FROM metrics WHERE timestamp = '2026-09-21T23:59:59.999Z'"
    ).fetchone()
    assert text == ("2026-09-21 23:59:59.999",)


def test_unicode_names_and_labels_and_empty_labels_round_trip(conn: Any) -> None:
    labels = {"marché": "ü€", "键": "值 🚀", 'quo"te': "back\\slash", "nl": "a\nb"}
    metrics = [
        Metric.gauge("métrique.延迟_ms", 1.0, PG_EPOCH_MS, labels),
        Metric.gauge("plain", 2.0, PG_EPOCH_MS + 1),
    ]
    rows = _copy(conn, metrics)
    assert rows == [
        (PG_EPOCH_MS, "métrique.延迟_ms", 1.0, labels),
        (PG_EPOCH_MS + 1, "plain", 2.0, {}),
    ]
    stored = conn.execute("SELECT labels::text FROM metrics WHERE metric_name = 'plain'").fetchone()
    assert stored == ("{}",)


def test_a_large_batch_round_trips(conn: Any) -> None:
    metrics = [
        Metric.gauge(f"series.{i % 7}", i * 0.5, PG_EPOCH_MS + i, {"n": str(i % 3)})
        for i in range(10_000)
    ]
    rows = _copy(conn, metrics)
    assert len(rows) == 10_000
    assert rows[1234] == (PG_EPOCH_MS + 1234, "series.2", 617.0, {"n": "1"})


def test_a_timestamp_postgresql_cannot_hold_is_refused(conn: Any) -> None:
    import psycopg

    # About 7500 BC: an int64 of microseconds, but before timestamptz's 4713 BC.
    far = Metric.gauge("far", 1.0, -300_000_000_000_000)
    with pytest.raises(psycopg.errors.DatetimeFieldOverflow):
        _copy(conn, [far])
