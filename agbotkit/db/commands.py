"""``agbotkit db ...``: a stack's database from a shell (schema, and the query API).

* ``status``: the database, its schema version, pending migrations, rows per table.
* ``upgrade [--to N]`` / ``downgrade [--to N]``: apply or undo migrations.
* ``metrics NAME``, ``orders``, ``fills``, ``positions``: query stored rows (table, JSON
  lines or CSV).

The database is the one of the stack's ``storage`` component (``--component`` picks one
when there are several). The caller plans the stack file and hands the component in: this
module sits below the supervisor and does not import it. Functions return the lines to
print; errors are raised (:class:`~agbotkit.errors.StorageError`).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from agbotkit.config.schema import PlannedComponentLike
from agbotkit.db.backend import StorageBackend
from agbotkit.db.database import DatabaseConfig
from agbotkit.db.migrations import downgrade, schema_status, upgrade
from agbotkit.db.records import TABLES, ExecutionQuery, MetricsQuery
from agbotkit.errors import ConfigError, ConfigIssue, StorageError
from agbotkit.toolkit.clock import wall_clock_ms

__all__ = ["FORMATS", "find_database", "parse_time", "query_lines", "schema_lines", "status_lines"]

#: Output formats of the query commands.
FORMATS = ("table", "json", "csv")
_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}


def find_database(
    components: Iterable[PlannedComponentLike],
    stack_dir: Path,
    *,
    stack_file: str,
    only: str | None = None,
) -> StorageBackend:
    """Open the database of the stack's storage component.

    Raises:
        ConfigError: the stack has no storage component (or none named ``only``), or
            several and ``only`` is not given, or its password cannot be read.
    """
    found = [
        c
        for c in components
        if isinstance(c.config, DatabaseConfig) and (only is None or c.name == only)
    ]
    if len(found) != 1:
        what = (
            f"no storage component named {only!r}"
            if only is not None
            else "no storage component"
            if not found
            else f"several storage components ({', '.join(c.name for c in found)}): "
            "choose one with --component"
        )
        raise ConfigError([ConfigIssue(stack_file, None, "components", what)])
    component = found[0]
    config: DatabaseConfig = component.config
    return config.open(stack_dir, f"components.{component.name}")


def parse_time(text: str, now_ms: int | None = None) -> int:
    """A time given on the command line as Unix epoch ms.

    Accepts epoch milliseconds (``1763900000000``), ISO 8601 (``2026-11-23T10:00``, UTC when
    no offset is given) or a duration before now (``90s``, ``15m``, ``2h``, ``7d``).

    Raises:
        ValueError: none of those.
    """
    text = text.strip()
    now = wall_clock_ms() if now_ms is None else now_ms
    if text.isdigit():
        return int(text)
    relative = _RELATIVE.match(text)
    if relative:
        return now - int(float(relative[1]) * _UNIT_MS[relative[2]])
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"expected epoch ms, an ISO 8601 time or a duration like 15m/2h/7d, got {text!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def status_lines(backend: StorageBackend) -> list[str]:
    """``agbotkit db status``."""
    status = schema_status(backend)
    lines = [
        f"database: {backend.description}",
        f"schema:   version {status.current} of {status.latest} ({status.dialect})",
    ]
    if status.too_new:
        lines.append("          newer than this agbotkit knows: upgrade agbotkit")
    for migration in status.pending:
        lines.append(f"pending:  {migration.label}")
    if status.current:
        for table in TABLES:
            lines.append(f"rows:     {table:<14} {backend.count_rows(table)}")
    return lines


def schema_lines(backend: StorageBackend, action: str, to: int | None) -> list[str]:
    """``agbotkit db upgrade`` / ``downgrade``."""
    if action == "upgrade":
        done = upgrade(backend, to)
        verb = "applied"
    else:
        done = downgrade(backend, to)
        verb = "undone"
    status = schema_status(backend)
    lines = [f"{verb} {m.label}" for m in done]
    lines.append(f"schema at version {status.current} of {status.latest} ({status.dialect})")
    return lines


@attrs.frozen
class QueryArgs:
    """What ``agbotkit db metrics|orders|fills|positions`` asked for."""

    what: str
    start_ms: int
    end_ms: int
    name: str | None = None
    labels: dict[str, str] = attrs.field(factory=dict)
    max_points: int | None = None
    venue: str | None = None
    market: str | None = None
    status: str | None = None
    order_id: str | None = None
    token_id: str | None = None
    limit: int = 10_000
    output: str = "table"


def query_lines(backend: StorageBackend, args: QueryArgs) -> list[str]:
    """The rows a query command prints, in ``args.output`` format."""
    rows: list[dict[str, Any]]
    if args.what == "metrics":
        if not args.name:
            raise StorageError("agbotkit db metrics needs a metric name")
        query = MetricsQuery(args.name, args.start_ms, args.end_ms, args.labels, args.max_points)
        rows = [
            {
                "timestamp": _iso(ts),
                "timestamp_ms": ts,
                "metric_name": series.name,
                "labels": json.dumps(dict(series.labels), sort_keys=True),
                "value": value,
            }
            for series in backend.query_metrics(query)
            for ts, value in zip(series.timestamps, series.values, strict=True)
        ]
    else:
        execution = ExecutionQuery(
            start_ms=args.start_ms,
            end_ms=args.end_ms,
            venue=args.venue,
            market=args.market,
            status=args.status if args.what == "orders" else None,
            order_id=args.order_id if args.what != "positions" else None,
            token_id=args.token_id,
            limit=args.limit,
        )
        queries: dict[str, Callable[[ExecutionQuery], Sequence[Any]]] = {
            "orders": backend.query_orders,
            "fills": backend.query_fills,
            "positions": backend.query_positions,
        }
        records: Sequence[Any] = queries[args.what](execution)
        rows = [
            {"timestamp": _iso(r.timestamp_ms), **attrs.asdict(r, value_serializer=_plain)}
            for r in records
        ]
    return _format(rows, args.output)


def _plain(_: object, __: object, value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    return value


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


def _format(rows: list[dict[str, Any]], output: str) -> list[str]:
    if output == "json":
        return [json.dumps(row, default=str) for row in rows]
    if not rows:
        return [] if output == "csv" else ["(no rows)"]
    columns = list(rows[0])
    if output == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue().splitlines()
    cells = [[_cell(row[c]) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return lines


def _cell(value: Any) -> str:
    return "" if value is None else str(value)
