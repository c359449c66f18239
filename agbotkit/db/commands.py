"""``agbotkit db ...``: a stack's database from a shell (schema, and the query API).

* ``status``: the database, its schema version, pending migrations, rows per table.
* ``upgrade [--to N]``: apply migrations.
* ``downgrade --to N``: undo migrations down to version N, after a confirmation
  (``--yes``, or a question on a terminal); undoing a migration that drops ``orders`` or
  ``fills`` while they hold rows also needs ``--force``.
* ``metrics NAME``, ``orders``, ``fills``, ``positions``: query stored rows (table, JSON
  lines or CSV). Tables shorten long ids (first 10 characters and ``…``) and reasons
  (first 47), show times as ISO 8601 only (``expires_at_ms`` as ``expires_at``) and leave
  out ``event_id`` and the columns empty in every row shown (an order's lifetime and fill
  progress, on rows of the risk component alone); CSV and JSON keep every column, whole.

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
from agbotkit.db.migrations import downgrade, load_migrations, schema_status, upgrade
from agbotkit.db.records import TABLES, ExecutionQuery, MetricsQuery
from agbotkit.errors import ConfigError, ConfigIssue, StorageError
from agbotkit.toolkit.clock import wall_clock_ms

__all__ = [
    "FORMATS",
    "PROTECTED_TABLES",
    "find_database",
    "parse_time",
    "query_lines",
    "schema_lines",
    "status_lines",
]

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


#: Tables a downgrade does not drop without ``--force`` while they hold rows.
PROTECTED_TABLES = ("orders", "fills")
_DROP_TABLE = re.compile(r"\bDROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?([a-z_][a-z0-9_]*)", re.IGNORECASE)
_ALTER_TABLE = re.compile(r"\bALTER\s+TABLE\s+([a-z_][a-z0-9_]*)([^;]*)", re.IGNORECASE)
_DROP_COLUMN = re.compile(r"\bDROP\s+COLUMN\s+(?:IF\s+EXISTS\s+)?([a-z_][a-z0-9_]*)", re.IGNORECASE)


def _dropped_columns(script: str) -> list[str]:
    """``table.column`` of every column ``script`` drops, in its order."""
    return [
        f"{table.lower()}.{column.lower()}"
        for table, body in _ALTER_TABLE.findall(script)
        for column in _DROP_COLUMN.findall(body)
    ]


def schema_lines(
    backend: StorageBackend,
    action: str,
    to: int | None,
    *,
    confirm: Callable[[str], bool] | None = None,
    force: bool = False,
) -> list[str]:
    """``agbotkit db upgrade`` / ``downgrade``.

    A downgrade needs ``to``, and ``confirm`` (asked what will be undone) to answer yes;
    when it would drop ``orders`` or ``fills`` holding rows, ``force`` too.

    Raises:
        ValueError: ``to`` is missing, ``force`` is needed, or ``confirm`` is missing
            or said no: a usage error, nothing was changed.
        StorageError: the database failed.
    """
    if action == "upgrade":
        done = upgrade(backend, to)
        verb = "applied"
    else:
        if to is None:
            raise ValueError("downgrade needs the version to reach: --to N (0 removes every table)")
        question = _downgrade_question(backend, to, force=force)
        if question is None:
            done = []
        elif confirm is None or not confirm(question):
            raise ValueError("downgrade not confirmed: nothing was changed")
        else:
            done = downgrade(backend, to)
        verb = "undone"
    status = schema_status(backend)
    lines = [f"{verb} {m.label}" for m in done]
    lines.append(f"schema at version {status.current} of {status.latest} ({status.dialect})")
    return lines


def _downgrade_question(backend: StorageBackend, to: int, *, force: bool) -> str | None:
    """What to ask before downgrading to ``to`` (``None``: nothing to undo).

    Raises:
        ValueError: it would drop orders or fills holding rows, without ``force``.
        SchemaVersionError: the schema is newer than this agbotkit knows.
        StorageError: ``to`` is above the current version.
    """
    status = schema_status(backend)
    if status.too_new or not 0 <= to <= status.current:
        downgrade(backend, to)  # raises the error that says why, and changes nothing
    undo = [m for m in load_migrations(status.dialect)[::-1] if to < m.version <= status.current]
    if not undo:
        return None
    dropped = {t.lower() for m in undo for t in _DROP_TABLE.findall(m.down)}
    held = {t: backend.count_rows(t) for t in PROTECTED_TABLES if t in dropped}
    held = {t: n for t, n in held.items() if n}
    dropping = ", ".join(f"{table} ({rows} rows)" for table, rows in held.items())
    if held and not force:
        raise ValueError(
            f"downgrading to version {to} drops {dropping}: orders and fills are not "
            "dropped without --force (export them first: agbotkit db orders|fills --format csv)"
        )
    tables = ", ".join(sorted(dropped)) or "no tables"
    columns = [c for m in undo for c in _dropped_columns(m.down) if c.split(".")[0] not in dropped]
    return (
        f"undo {', '.join(m.label for m in undo)} on {backend.description}, dropping {tables}"
        + (f" (with {dropping})" if held else "")
        + (f" and the columns {', '.join(columns)} with their values" if columns else "")
        + "?"
    )


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
        if args.output == "table":
            rows = _for_table(rows)
    return _format(rows, args.output)


#: In tables, a longer ``reason`` (a denial names policies, markets and numbers) shows
#: its first ``REASON_WIDTH - 1`` characters and ``…``; CSV and JSON keep it whole.
REASON_WIDTH = 48
#: Execution columns a table leaves out: the ISO ``timestamp`` says the time, and a row
#: key means nothing to a reader.
_TABLE_HIDDEN = frozenset({"timestamp_ms", "event_id"})


def _for_table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Execution rows as a table shows them (see the module docstring)."""
    if not rows:
        return rows
    shown = [
        column
        for column in rows[0]
        if column not in _TABLE_HIDDEN and any(row[column] not in (None, "") for row in rows)
    ]
    out = []
    for row in rows:
        table_row = {column: row[column] for column in shown}
        reason = table_row.get("reason")
        if isinstance(reason, str) and len(reason) > REASON_WIDTH:
            table_row["reason"] = reason[: REASON_WIDTH - 1] + "…"
        if "expires_at_ms" in table_row:
            expires = table_row.pop("expires_at_ms")
            table_row["expires_at"] = "" if expires is None else _iso(expires)
        out.append(table_row)
    return out


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
    cells = [[_cell(row[c], short=_is_id(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return lines


#: In tables, ids longer than this show their first ``ID_WIDTH - 1`` characters and ``…``
#: (Polymarket's order ids, token ids and condition ids run to 66-77 characters); CSV and
#: JSON keep them whole.
ID_WIDTH = 11


def _is_id(column: str) -> bool:
    return column in ("id", "market") or column.endswith("_id")


def _cell(value: Any, *, short: bool = False) -> str:
    text = "" if value is None else str(value)
    if short and len(text) > ID_WIDTH:
        return text[: ID_WIDTH - 1] + "…"
    return text
