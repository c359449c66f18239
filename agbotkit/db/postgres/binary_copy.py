"""Metric samples in PostgreSQL's binary ``COPY`` format (pure: no I/O, no driver).

Writing metrics is the storage hot path. Binary ``COPY`` skips SQL parsing and text
conversion on the server, and encoding it here costs well under a microsecond a row: a
process has few distinct series and writes each many times, so the name and labels of each
series are encoded once and cached, and each row packs two fixed-size structs.

The stream answers ``COPY metrics (timestamp, metric_name, value, labels) FROM STDIN
(FORMAT BINARY)`` (see PostgreSQL's "COPY: Binary Format"):

* header: the signature ``PGCOPY\\n\\377\\r\\n\\0``, an int32 flags field (0) and an int32
  header-extension length (0);
* per row: an int16 field count (4), then per field an int32 byte length and the bytes:
  ``timestamptz`` is an int64 of microseconds since 2000-01-01 UTC, ``double precision`` a
  big-endian float8, ``text`` UTF-8, ``jsonb`` a version byte (1) and the JSON as UTF-8;
* trailer: an int16 -1.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Sequence
from typing import NamedTuple

from agbotkit.db.records import labels_json
from agbotkit.model.metrics import Labels, Metric

__all__ = [
    "COPY_METRICS_SQL",
    "HEADER",
    "METRIC_COLUMNS",
    "PG_EPOCH_MS",
    "TRAILER",
    "EncodedBatch",
    "MetricCopyEncoder",
]

#: The columns of each row, in stream order.
METRIC_COLUMNS = "(timestamp, metric_name, value, labels)"
#: The statement the encoded stream answers (a partition of ``metrics`` takes it too).
COPY_METRICS_SQL = f"COPY metrics {METRIC_COLUMNS} FROM STDIN (FORMAT BINARY)"
#: Signature, flags (no OIDs), header-extension length.
HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
#: The field count -1 that ends the data.
TRAILER = struct.pack(">h", -1)
#: PostgreSQL's epoch (2000-01-01T00:00:00Z) in Unix milliseconds.
PG_EPOCH_MS = 946_684_800_000

_JSONB_VERSION = b"\x01"
# Row start: field count, then the timestamp field (length 8, int64 microseconds).
_ROW_START = struct.Struct(">hiq")
# The value field: length 8, float8.
_VALUE = struct.Struct(">id")
_LENGTH = struct.Struct(">i")
# Bounds the caches: a runaway label (a request id, say) must not grow them forever.
_CACHE_LIMIT = 65_536


class EncodedBatch(NamedTuple):
    """A ``COPY`` stream and the (name, labels JSON) of each series it holds."""

    data: bytes
    series: list[tuple[str, str]]


class MetricCopyEncoder:
    """Encodes batches of :class:`~agbotkit.model.metrics.Metric` for binary ``COPY``.

    Keeps the encoded name and labels field of every series it has seen (cleared when it
    holds more than 65,536 of either), so keep one encoder per backend rather than one
    per batch.
    """

    __slots__ = ("_labels", "_names")

    def __init__(self) -> None:
        self._names: dict[str, bytes] = {}
        self._labels: dict[Labels, bytes] = {}

    def encode(self, metrics: Sequence[Metric]) -> bytes:
        """The whole ``COPY`` stream (header, one row per metric, trailer) for ``metrics``.

        Rows are grouped by metric name, in order of first appearance, each name's rows by
        series (labels) in order of first appearance, each series' rows in their given
        order: a name's rows of one batch then share a few heap pages instead of being
        spread over all of them, so reading one series later touches fewer pages.

        Raises:
            struct.error: a timestamp outside int64 microseconds or a value that is not a
                number (PostgreSQL checks the timestamp range itself).
        """
        return self.encode_batch(metrics).data

    def encode_batch(self, metrics: Sequence[Metric]) -> EncodedBatch:
        """Like :meth:`encode`, with the batch's distinct series."""
        names, labels = self._names, self._labels
        if len(names) > _CACHE_LIMIT:
            names.clear()
        if len(labels) > _CACHE_LIMIT:
            labels.clear()
        # name -> labels field -> rows: the series come for free, and the second lookup
        # hashes a bytes object (its hash is cached), not the labels tuple again.
        by_name: dict[str, dict[bytes, list[bytes]]] = {}
        row_start, value_field = _ROW_START.pack, _VALUE.pack
        for metric in metrics:
            series = by_name.get(metric.name)
            if series is None:
                series = by_name[metric.name] = {}
            name = names.get(metric.name)
            if name is None:
                name = names[metric.name] = _text_field(metric.name)
            label_field = labels.get(metric.labels)
            if label_field is None:
                label_field = labels[metric.labels] = _jsonb_field(labels_json(metric.labels))
            rows = series.get(label_field)
            if rows is None:
                rows = series[label_field] = []
            rows.append(row_start(4, 8, (metric.timestamp_ms - PG_EPOCH_MS) * 1000))
            rows.append(name)
            rows.append(value_field(8, metric.value))
            rows.append(label_field)
        data = b"".join(
            itertools.chain(
                (HEADER,), *(r for s in by_name.values() for r in s.values()), (TRAILER,)
            )
        )
        keys = [
            # The labels field: int32 length, jsonb version byte, the JSON.
            (name, field[_LENGTH.size + 1 :].decode("utf-8"))
            for name, series in by_name.items()
            for field in series
        ]
        return EncodedBatch(data, keys)


def _text_field(text: str) -> bytes:
    data = text.encode("utf-8")
    return _LENGTH.pack(len(data)) + data


def _jsonb_field(json_text: str) -> bytes:
    data = _JSONB_VERSION + json_text.encode("utf-8")
    return _LENGTH.pack(len(data)) + data
