"""Execution records to table rows and back, written once for every backend.

``orders``, ``fills`` and ``positions`` hold one column per field of their record
(:mod:`agbotkit.db.records`), named as the field (``timestamp_ms`` is the column
``timestamp``). So the record classes are the tables' one description: :class:`Table`
derives the columns from the record and adds what the queries filter and order by;
:class:`Dialect` says how one database takes and gives back each kind of value (the only
part that differs between SQLite and PostgreSQL); :class:`RowMapper` is one table in one
dialect: its statements, records to parameter rows, and fetched rows to records.

Pure: no I/O, no driver. The backends run the statements on their connections.
"""

from __future__ import annotations

import enum
import operator
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Generic, TypeVar

import attrs

from agbotkit.db.records import ExecutionQuery, FillRecord, OrderRecord, PositionRecord

__all__ = [
    "EXECUTION",
    "FILLS",
    "ORDERS",
    "POSITIONS",
    "Column",
    "Dialect",
    "Kind",
    "RowMapper",
    "Table",
]

R = TypeVar("R")

#: Fields stored under another column name.
_COLUMN_NAMES = {"timestamp_ms": "timestamp"}
_QUERY_FIELDS = frozenset(a.name for a in attrs.fields(ExecutionQuery))


class Kind(enum.Enum):
    """What a column holds; each dialect converts some kinds its own way."""

    TEXT = "text"
    TIME = "time"  # Unix epoch milliseconds in the record
    INTEGER = "integer"  # an int, or None (stored as it is on every backend)
    DECIMAL = "decimal"  # a Decimal, or None
    FLAG = "flag"  # a bool
    ENUM = "enum"  # a string enum (OrderStatus)


@attrs.frozen
class Column:
    """One column of an execution table.

    Attributes:
        name: the column.
        field: the record's field it holds.
        kind: what it holds.
    """

    name: str
    field: str
    kind: Kind


def columns_of(record: type) -> tuple[Column, ...]:
    """One column per field of the attrs class ``record``, in field order.

    Raises:
        TypeError: a field's type has no column kind.
    """
    hints = typing.get_type_hints(record)
    return tuple(_column(a.name, hints[a.name]) for a in attrs.fields(record))


def _column(field: str, hint: Any) -> Column:
    if field == "timestamp_ms":
        kind = Kind.TIME
    elif hint is str:
        kind = Kind.TEXT
    elif hint is bool:
        kind = Kind.FLAG
    elif hint in (Decimal, Decimal | None):
        kind = Kind.DECIMAL
    elif hint in (int, int | None):
        kind = Kind.INTEGER
    elif isinstance(hint, type) and issubclass(hint, enum.Enum):
        kind = Kind.ENUM
    else:
        raise TypeError(f"no column kind for the field {field!r} of type {hint!r}")
    return Column(_COLUMN_NAMES.get(field, field), field, kind)


@attrs.frozen
class Table(Generic[R]):
    """An execution table: its record class, and how queries narrow and order it.

    Attributes:
        name: the table.
        record: the record class; one column per field (see the module docstring).
        filters: ``(column, ExecutionQuery field)`` pairs; a query that sets the field
            keeps the rows whose column equals it.
        tie_break: the text columns ordering rows of the same millisecond.
        columns: derived from ``record``.
    """

    name: str
    record: type[R]
    filters: tuple[tuple[str, str], ...]
    tie_break: tuple[str, ...]
    columns: tuple[Column, ...] = attrs.field(init=False)

    @columns.default
    def _columns(self) -> tuple[Column, ...]:
        return columns_of(self.record)

    def __attrs_post_init__(self) -> None:
        unknown = {field for _, field in self.filters} - _QUERY_FIELDS
        if unknown:
            raise ValueError(f"{self.name}: no ExecutionQuery field {sorted(unknown)}")


ORDERS = Table(
    "orders",
    OrderRecord,
    filters=(
        ("venue", "venue"),
        ("market", "market"),
        ("status", "status"),
        ("id", "order_id"),
        ("token_id", "token_id"),
    ),
    tie_break=("event_id",),
)
FILLS = Table(
    "fills",
    FillRecord,
    filters=(
        ("venue", "venue"),
        ("market", "market"),
        ("order_id", "order_id"),
        ("token_id", "token_id"),
    ),
    tie_break=("id",),
)
POSITIONS = Table(
    "positions",
    PositionRecord,
    filters=(("market", "market"), ("token_id", "token_id")),
    tie_break=("source", "token_id"),
)
#: The execution tables, in the order a batch writes them.
EXECUTION: tuple[Table[Any], ...] = (ORDERS, FILLS, POSITIONS)


def _unchanged(value: int) -> object:
    return value


@attrs.frozen
class Dialect:
    """How one database takes and gives back the values of the execution tables.

    Attributes:
        placeholder: the driver's parameter mark (``?``, ``%s``).
        to_db: per kind, a record's value to the parameter the driver takes (kinds not
            named go as they are).
        from_db: per kind, a fetched value to the record's value (kinds not named are
            taken as they are).
        time_bound: a query's epoch-ms bound to the parameter compared with ``timestamp``.
        read_time: the select-list expression that reads ``timestamp`` as epoch ms.
        collate: appended to each tie-break column in ``ORDER BY``.
    """

    placeholder: str
    to_db: Mapping[Kind, Callable[[Any], Any]]
    from_db: Mapping[Kind, Callable[[Any], Any]]
    time_bound: Callable[[int], object] = _unchanged
    read_time: str = "timestamp"
    collate: str = ""


class RowMapper(Generic[R]):
    """One execution table in one dialect: its statements and its row conversions.

    Attributes:
        table: the table.
        insert: the ``INSERT`` of one row, skipping a row already stored.
        select_list: the columns to ``SELECT`` for :meth:`record` (``timestamp`` as ms).
    """

    def __init__(self, table: Table[R], dialect: Dialect) -> None:
        self.table = table
        self._dialect = dialect
        columns = table.columns
        marks = ", ".join([dialect.placeholder] * len(columns))
        self.insert = (
            f"INSERT INTO {table.name} ({', '.join(c.name for c in columns)}) "
            f"VALUES ({marks}) ON CONFLICT DO NOTHING"
        )
        self.select_list = ", ".join(
            dialect.read_time if c.kind is Kind.TIME else c.name for c in columns
        )
        self._fields = tuple(c.field for c in columns)
        self._values = operator.attrgetter(*self._fields)
        self._to_db = _converters(columns, dialect.to_db)
        self._from_db = _converters(columns, dialect.from_db)
        self._make: Callable[..., R] = table.record

    def row(self, record: R) -> tuple[Any, ...]:
        """The parameters that insert ``record``, in column order."""
        values = list(self._values(record))
        for index, convert in self._to_db:
            values[index] = convert(values[index])
        return tuple(values)

    def record(self, row: Sequence[Any]) -> R:
        """The record of a row fetched with :attr:`select_list`."""
        values = list(row)
        for index, convert in self._from_db:
            values[index] = convert(values[index])
        return self._make(**dict(zip(self._fields, values, strict=True)))

    def records(self, rows: Iterable[Sequence[Any]]) -> list[R]:
        """The records of fetched rows, in their order."""
        return [self.record(row) for row in rows]

    def query(self, query: ExecutionQuery) -> tuple[str, list[object]]:
        """The ``SELECT`` answering ``query`` and its parameters: rows in its time range
        (inclusive) and filters, oldest first, ties in :attr:`Table.tie_break` order, at
        most ``query.limit``."""
        dialect, mark = self._dialect, self._dialect.placeholder
        where = [f"timestamp >= {mark}", f"timestamp <= {mark}"]
        params = [dialect.time_bound(query.start_ms), dialect.time_bound(query.end_ms)]
        for column, field in self.table.filters:
            wanted = getattr(query, field)
            if wanted is not None:
                where.append(f"{column} = {mark}")
                params.append(wanted)
        params.append(query.limit)
        order = ", ".join(f"{column}{dialect.collate}" for column in self.table.tie_break)
        statement = (
            f"SELECT {self.select_list} FROM {self.table.name} WHERE {' AND '.join(where)} "
            f"ORDER BY timestamp, {order} LIMIT {mark}"
        )
        return statement, params


def _converters(
    columns: Sequence[Column], by_kind: Mapping[Kind, Callable[[Any], Any]]
) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    # Only the columns that need converting: the others are copied as they are.
    return tuple((i, by_kind[c.kind]) for i, c in enumerate(columns) if c.kind in by_kind)
