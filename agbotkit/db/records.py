"""The rows the storage tables hold, and the questions the query API answers.

Pure values (no I/O): the storage component builds records from bus events, the backends
write and read them, the CLI and the dashboard print them. Times are Unix epoch
milliseconds; prices, sizes and money are :class:`~decimal.Decimal` (exact on both
backends); metric values are floats.

The tables (the same columns on SQLite and PostgreSQL):

* ``metrics(timestamp, metric_name, value, labels)``: labels are canonical JSON (sorted keys).
* ``orders(event_id, id, timestamp, venue, market, token_id, side, price, size, status,
  venue_order_id, strategy, reason, source, order_type, filled_size, average_price,
  expires_at_ms, post_only, previous_status)``: an append-only log, one row per thing that
  happened to an order (:class:`OrderStatus`); ``id`` is the client order id (else the
  venue's id), so one order's rows share it.
* ``fills(id, timestamp, order_id, venue, market, token_id, side, price, size, fee, taker,
  source, trade_id, trade_status, client_order_id)``.
* ``positions(timestamp, source, token_id, market, size, cost_basis_usd, realised_pnl_usd,
  fees_usd, mark, settled)``: snapshots from the risk component.
* ``market_frames(timestamp, feed, frame)``: raw market-data frames (when recording is on).
"""

from __future__ import annotations

import enum
import functools
import json
from collections.abc import Mapping
from decimal import Decimal

import attrs

from agbotkit.model.metrics import Labels, labels_key

__all__ = [
    "EXECUTION_TABLES",
    "TABLES",
    "ExecutionQuery",
    "FillRecord",
    "MetricsQuery",
    "OrderRecord",
    "OrderStatus",
    "PositionRecord",
    "Series",
    "labels_from_json",
    "labels_json",
]

#: Every table the storage writes, in the order migrations create them.
TABLES = ("metrics", "orders", "fills", "positions", "market_frames")
#: The tables whose rows are never dropped (and kept ``execution_days``).
EXECUTION_TABLES = ("orders", "fills", "positions")


@functools.lru_cache(maxsize=65_536)
def labels_json(labels: Labels) -> str:
    """``labels`` as canonical JSON: keys sorted, no spaces (``{}`` when empty).

    Cached: a process has few distinct label sets and writes each many times.
    """
    return json.dumps(dict(labels), separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def labels_from_json(text: str | Mapping[str, str] | None) -> Labels:
    """The labels tuple back from the stored JSON (PostgreSQL may hand a dict already)."""
    if text is None:
        return ()
    data = json.loads(text) if isinstance(text, str) else text
    return labels_key({str(k): str(v) for k, v in data.items()})


class OrderStatus(enum.StrEnum):
    """What happened to an order, one ``orders`` row each.

    ``approved`` and ``denied`` are the risk component's decisions; the others are the
    execution layer's order statuses (:class:`agbotkit.model.execution.OrderStatus`, in
    lower case), one row per change it publishes.
    """

    APPROVED = "approved"  # the risk component let it through
    DENIED = "denied"  # the risk component stopped it (``reason`` says which policies)
    NEW = "new"  # the execution layer made the order, not sent yet
    SUBMITTING = "submitting"  # being sent to the venue
    ACCEPTED = "accepted"  # the venue took it
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCEL_PENDING = "cancel_pending"  # a cancel was sent, the venue has not confirmed it
    CANCELED = "canceled"
    REJECTED = "rejected"  # the venue refused it, or sending it failed
    EXPIRED = "expired"  # a GTD order's time ran out
    UNKNOWN = "unknown"  # sent, but the venue's answer never came (it is asked until it says)


@attrs.frozen(slots=True, kw_only=True)
class OrderRecord:
    """One row of ``orders``.

    Attributes:
        event_id: unique per row; writing the same row twice stores it once.
        id: the order's id (the strategy's client order id, else the venue's).
        timestamp_ms: when it happened.
        venue: where the order goes (``polymarket``).
        market: the market (condition id).
        token_id: the outcome token.
        side: ``BUY`` or ``SELL`` (empty when not known).
        price: limit price (``None`` when not known).
        size: shares (``None`` when not known).
        status: see :class:`OrderStatus`.
        venue_order_id: the venue's id of the order, once it gave one.
        strategy: the strategy that wanted the order.
        reason: why it was denied, rejected or cancelled.
        source: the component that published the event.
        order_type: ``GTC``, ``GTD``, ``FOK`` or ``FAK`` (empty when not known).
        filled_size: shares filled so far (``None`` on the risk component's rows).
        average_price: the average price of those fills (``None`` while nothing filled).
        expires_at_ms: when a GTD order expires (``None`` for the others).
        post_only: whether the order refuses to take liquidity.
        previous_status: the status before this change (empty for a new order and on the
            risk component's rows).
    """

    event_id: str
    id: str
    timestamp_ms: int
    venue: str
    market: str
    token_id: str
    side: str
    price: Decimal | None
    size: Decimal | None
    status: OrderStatus = attrs.field(converter=OrderStatus)
    venue_order_id: str = ""
    strategy: str = ""
    reason: str = ""
    source: str = ""
    order_type: str = ""
    filled_size: Decimal | None = None
    average_price: Decimal | None = None
    expires_at_ms: int | None = None
    post_only: bool = False
    previous_status: str = ""


@attrs.frozen(slots=True, kw_only=True)
class FillRecord:
    """One row of ``fills``.

    Attributes:
        id: unique per fill; writing the same fill twice stores it once. A fill with a
            ``trade_id`` has an id derived from its venue, trade and order, so a trade the
            venue reports again is stored once.
        timestamp_ms: when it filled.
        order_id: the order that filled (the venue's id, else the client order id).
        venue: the venue.
        market: the market (condition id).
        token_id: the outcome token.
        side: ``BUY`` or ``SELL``.
        price: execution price.
        size: shares.
        fee: fee in USD (``None`` when the venue did not say).
        taker: whether the order took liquidity.
        source: the component that published the fill.
        trade_id: the venue's id of the trade (empty when it gave none).
        trade_status: where the trade was on its way to settlement when first stored
            (``MATCHED``, ``MINED``, ``CONFIRMED``...; empty when not said).
        client_order_id: our id of the order that filled (empty when not known).
    """

    id: str
    timestamp_ms: int
    order_id: str
    venue: str
    market: str
    token_id: str
    side: str
    price: Decimal
    size: Decimal
    fee: Decimal | None = None
    taker: bool = True
    source: str = ""
    trade_id: str = ""
    trade_status: str = ""
    client_order_id: str = ""


@attrs.frozen(slots=True, kw_only=True)
class PositionRecord:
    """One row of ``positions``: what one component held of one token at one time.

    ``(source, token_id, timestamp_ms)`` is unique: writing the same snapshot twice stores
    it once.
    """

    timestamp_ms: int
    source: str
    token_id: str
    market: str
    size: Decimal
    cost_basis_usd: Decimal
    realised_pnl_usd: Decimal
    fees_usd: Decimal
    mark: Decimal
    settled: bool = False


@attrs.frozen(slots=True)
class MetricsQuery:
    """Metrics by name, time range and labels.

    Attributes:
        name: the metric name; ``*`` matches any run of characters (``polymarket.*.lag_ms``).
        start_ms: first timestamp, inclusive.
        end_ms: last timestamp, inclusive.
        labels: every one of these labels must match (a series may have more).
        max_points: at most this many points per series: ``[start_ms, end_ms]`` is cut into
            ``max_points`` equal buckets (bucket ``(t - start_ms) * max_points //
            (end_ms - start_ms + 1)``) and each non-empty bucket gives its newest point.
            ``None``: every point.
    """

    name: str
    start_ms: int
    end_ms: int
    labels: Mapping[str, str] = attrs.field(factory=dict)
    max_points: int | None = None

    def __attrs_post_init__(self) -> None:
        if self.end_ms < self.start_ms:
            raise ValueError(f"end_ms {self.end_ms} is before start_ms {self.start_ms}")
        if self.max_points is not None and self.max_points < 1:
            raise ValueError(f"max_points must be >= 1, got {self.max_points}")


@attrs.frozen(slots=True)
class Series:
    """The points of one series (one name, one label set), oldest first."""

    name: str
    labels: Labels
    timestamps: list[int]
    values: list[float]


@attrs.frozen(slots=True, kw_only=True)
class ExecutionQuery:
    """Orders, fills or positions by time range (inclusive) and by what they concern.

    ``None`` filters match everything. ``status`` applies to orders only, ``order_id`` to
    orders (their ``id``) and fills. Rows come oldest first, at most ``limit``.
    """

    start_ms: int
    end_ms: int
    venue: str | None = None
    market: str | None = None
    status: str | None = None
    order_id: str | None = None
    token_id: str | None = None
    limit: int = 10_000

    def __attrs_post_init__(self) -> None:
        if self.end_ms < self.start_ms:
            raise ValueError(f"end_ms {self.end_ms} is before start_ms {self.start_ms}")
        if self.limit < 1:
            raise ValueError(f"limit must be >= 1, got {self.limit}")
