"""The fake CLOB's state: tokens, books, orders, trades, and the events they cause (pure).

:class:`FakeExchange` places checked orders (:mod:`.verify`), matches them (:mod:`.book`),
cancels, and moves trades along ``MATCHED -> MINED -> CONFIRMED`` (or ``RETRYING ->
FAILED``). Every change it makes appends user-channel events, shaped field for field as the
venue's, to :attr:`FakeExchange.events` as ``(api key, event)``; the server sends each to
that account's sockets. Time comes from a function, so a test's clock decides it.

One trade per price level an incoming order matches: the venue groups a match's maker
orders into one trade, but then states one price for the taker; one level per trade keeps
the taker's fill price exact.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import attrs

from agbotkit.model.books import Side
from agbotkit.model.orders import OrderType
from agbotkit.testing.fake_clob.accounts import FakeAccount
from agbotkit.testing.fake_clob.book import Book, Match, Resting
from agbotkit.testing.fake_clob.verify import CheckedOrder, OrderRejected, TokenSpec

__all__ = ["FakeExchange", "FakeOrder", "FakeTrade"]

FOK_KILLED = "order couldn't be fully filled. FOK orders are fully filled or killed."
FAK_UNMATCHED = (
    "no orders found to match with FAK order. FAK orders are partially filled or killed if no "
    "match is found."
)
POST_ONLY_CROSSES = "invalid post-only order: order crosses book"
NOT_CANCELED = "already canceled or matched"
UNKNOWN_ORDER = "order not found"


def _text(value: Decimal) -> str:
    """A decimal as the venue writes it: no exponent, no trailing zeros."""
    return format(value.normalize(), "f")


@attrs.define
class FakeOrder:
    """An order the fake accepted (mutable: it fills and is cancelled)."""

    id: str
    owner: str
    maker_address: str
    spec: TokenSpec
    side: Side
    price: Decimal
    original_size: Decimal
    order_type: OrderType
    created_at: int
    expiration: int
    size_matched: Decimal = Decimal(0)
    status: str = "LIVE"
    associate_trades: list[str] = attrs.Factory(list)

    def to_json(self) -> dict[str, Any]:
        """The order as ``GET /data/orders`` gives it."""
        return {
            "id": self.id,
            "status": self.status,
            "owner": self.owner,
            "maker_address": self.maker_address,
            "market": self.spec.market,
            "asset_id": self.spec.token_id,
            "side": self.side.value,
            "original_size": _text(self.original_size),
            "size_matched": _text(self.size_matched),
            "price": _text(self.price),
            "associate_trades": list(self.associate_trades),
            "outcome": self.spec.outcome,
            "created_at": self.created_at,
            "expiration": str(self.expiration),
            "order_type": self.order_type.value,
        }


@attrs.define
class FakeTrade:
    """A trade the fake made: one taker order against the makers at one price."""

    id: str
    taker: FakeOrder
    matches: list[Match]
    price: Decimal
    size: Decimal
    match_time: int
    status: str = "MATCHED"
    last_update: int = 0
    transaction_hash: str = ""

    def owners(self) -> list[str]:
        """API keys of the accounts in the trade, the taker's first."""
        keys = [self.taker.owner] if self.taker.owner else []  # seeded flow has none
        for match in self.matches:
            if match.resting.owner and match.resting.owner not in keys:
                keys.append(match.resting.owner)
        return keys

    def to_json(self, owner: str, timestamp_ms: int) -> dict[str, Any]:
        """The trade as the user channel (and ``GET /data/trades``) tells it to ``owner``."""
        spec = self.taker.spec
        return {
            "asset_id": spec.token_id,
            "bucket_index": 0,
            "event_type": "trade",
            "fee_rate_bps": str(spec.fee_rate_bps),
            "id": self.id,
            "last_update": str(self.last_update),
            "maker_address": self.taker.maker_address,
            "maker_orders": [
                {
                    "asset_id": spec.token_id,
                    "fee_rate_bps": "0",
                    "maker_address": m.resting.maker_address,
                    "matched_amount": _text(m.size),
                    "order_id": m.resting.order_id,
                    "outcome": spec.outcome,
                    "owner": m.resting.owner,
                    "price": _text(m.price),
                    "side": m.resting.side.value,
                }
                for m in self.matches
            ],
            "market": spec.market,
            "match_time": str(self.match_time),
            "outcome": spec.outcome,
            "owner": owner,
            "price": _text(self.price),
            "side": self.taker.side.value,
            "size": _text(self.size),
            "status": self.status,
            "taker_order_id": self.taker.id,
            "timestamp": str(timestamp_ms),
            "trade_owner": self.taker.owner,
            "trader_side": "TAKER" if owner == self.taker.owner else "MAKER",
            "transaction_hash": self.transaction_hash,
            "type": "TRADE",
        }


class FakeExchange:
    """See the module docstring.

    Args:
        now_s: the current Unix time in seconds (float).
    """

    def __init__(self, now_s: Callable[[], float]) -> None:
        self.now_s = now_s
        self.specs: dict[str, TokenSpec] = {}
        self.books: dict[str, Book] = {}
        self.orders: dict[str, FakeOrder] = {}
        self.trades: dict[str, FakeTrade] = {}
        self.events: list[tuple[str, dict[str, Any]]] = []
        self._seeds = 0

    # -- tokens ----------------------------------------------------------------------------

    def set_book(
        self,
        spec: TokenSpec,
        bids: Iterable[tuple[Decimal, Decimal]],
        asks: Iterable[tuple[Decimal, Decimal]],
    ) -> None:
        """Replace a token's seeded liquidity (orders placed through the fake stay).

        Seeded liquidity that crosses an account's resting order trades with it at once,
        at the resting order's price: the market moved through that price, and on the real
        venue the flow that moved it would have filled the order (this is how a fake whose
        books follow live or replayed ones fills the orders resting on it).
        """
        self.specs[spec.token_id] = spec
        book = self.books.setdefault(spec.token_id, Book())
        for side_orders in (book.bids, book.asks):
            side_orders[:] = [o for o in side_orders if o.owner]
        for side, levels in ((Side.BUY, bids), (Side.SELL, asks)):
            for price, size in levels:
                self._seeds += 1
                book.add(
                    Resting(f"seed-{self._seeds}", side, Decimal(price), Decimal(size), "", "")
                )
        self._trade_through(spec, book)

    def _trade_through(self, spec: TokenSpec, book: Book) -> None:
        """Seeded orders crossing resting orders of accounts take them (see set_book)."""
        now = int(self.now_s())
        for seeds, owned in ((book.asks, book.bids), (book.bids, book.asks)):
            if not any(o.owner for o in owned):
                continue  # no account's order on the other side: nothing to trade with
            for seed in [o for o in seeds if not o.owner]:
                matches = book.match(seed.side, seed.price, seed.size, owned_only=True)
                if not matches:
                    continue
                taker = FakeOrder(
                    seed.order_id, "", "", spec, seed.side, seed.price, seed.size,
                    OrderType.FAK, now, 0,
                )  # fmt: skip
                for trade in self._trades(taker, matches, now):
                    self._trade_events(trade)
                seed.size -= taker.size_matched
                if seed.size <= 0:
                    book.remove(seed.order_id)

    # -- placing ---------------------------------------------------------------------------

    def place(self, checked: CheckedOrder, account: FakeAccount) -> dict[str, Any]:
        """Place a checked order: match it, rest or kill the rest; the answer's JSON.

        Raises:
            OrderRejected: a duplicate, a crossing postOnly order, an unfillable FOK, an
                unmatched FAK.
        """
        if checked.order_id in self.orders:
            raise OrderRejected(f"order {checked.order_id} is invalid. Duplicated.")
        spec = self.specs[checked.order.token_id]
        book = self.books[spec.token_id]
        side, price, size = checked.order.side, checked.price, checked.size
        if checked.post_only and book.crosses(side, price):
            raise OrderRejected(POST_ONLY_CROSSES)
        available = book.available(side, price, account.api_key)
        if checked.order_type is OrderType.FOK and available < size:
            raise OrderRejected(FOK_KILLED)
        if checked.order_type is OrderType.FAK and not available:
            raise OrderRejected(FAK_UNMATCHED)
        now = self.now_s()
        order = FakeOrder(
            checked.order_id,
            account.api_key,
            checked.order.maker,
            spec,
            side,
            price,
            size,
            checked.order_type,
            int(now),
            checked.order.expiration,
        )
        self.orders[order.id] = order
        matches = book.match(side, price, size, account.api_key)
        trades = self._trades(order, matches, int(now))
        left = size - order.size_matched
        rests = checked.order_type.rests and left > 0
        if rests:
            book.add(Resting(order.id, side, price, left, order.owner, order.maker_address))
            self._order_event(order, "PLACEMENT")
        else:
            order.status = "MATCHED" if left <= 0 else "CANCELED"
        for trade in trades:
            self._trade_events(trade)
        making = sum((t.size * t.price for t in trades), Decimal(0))
        taking = order.size_matched
        if side is Side.SELL:
            making, taking = taking, making
        return {
            "success": True,
            "orderID": order.id,
            "status": "live" if rests and not trades else "matched" if trades else "unmatched",
            "makingAmount": _text(making),
            "takingAmount": _text(taking),
            "transactionsHashes": [],
            "tradeIDs": [t.id for t in trades],
            "errorMsg": "",
        }

    def _trades(self, order: FakeOrder, matches: list[Match], now: int) -> list[FakeTrade]:
        """One trade per price level matched; the makers' orders are updated."""
        by_price: dict[Decimal, list[Match]] = {}
        for match in matches:
            by_price.setdefault(match.price, []).append(match)
        trades = []
        for price, level in by_price.items():
            size = sum((m.size for m in level), Decimal(0))
            trade = FakeTrade(str(uuid.uuid4()), order, level, price, size, now, last_update=now)
            trade.transaction_hash = "0x" + uuid.uuid5(uuid.NAMESPACE_OID, trade.id).hex * 2
            self.trades[trade.id] = trade
            order.size_matched += size
            order.associate_trades.append(trade.id)
            trades.append(trade)
            for match in level:
                maker = self.orders.get(match.resting.order_id)
                if maker is None:
                    continue  # seeded liquidity
                maker.size_matched += match.size
                maker.associate_trades.append(trade.id)
                if maker.size_matched >= maker.original_size:
                    maker.status = "MATCHED"
                self._order_event(maker, "UPDATE")
        return trades

    # -- cancelling ------------------------------------------------------------------------

    def cancel(self, owner: str, order_ids: Iterable[str]) -> dict[str, Any]:
        """Cancel orders of ``owner``: the answer's ``canceled`` and ``not_canceled``."""
        canceled: list[str] = []
        not_canceled: dict[str, str] = {}
        for order_id in order_ids:
            order = self.orders.get(order_id)
            if order is None or order.owner != owner:
                not_canceled[order_id] = UNKNOWN_ORDER
            elif order.status != "LIVE":
                not_canceled[order_id] = NOT_CANCELED
            else:
                self.books[order.spec.token_id].remove(order_id)
                order.status = "CANCELED"
                self._order_event(order, "CANCELLATION")
                canceled.append(order_id)
        return {"canceled": canceled, "not_canceled": not_canceled}

    def open_orders(self, owner: str, market: str = "", asset_id: str = "") -> list[FakeOrder]:
        """``owner``'s live orders, oldest first, of a market and/or token if given."""
        return [
            o
            for o in self.orders.values()
            if o.owner == owner
            and o.status == "LIVE"
            and (not market or o.spec.market == market)
            and (not asset_id or o.spec.token_id == asset_id)
        ]

    # -- settlement ------------------------------------------------------------------------

    def set_trade_status(self, trade_id: str, status: str) -> FakeTrade:
        """Move a trade to ``status`` and tell every account in it.

        Raises:
            KeyError: no such trade.
        """
        trade = self.trades[trade_id]
        trade.status = status
        trade.last_update = int(self.now_s())
        self._trade_events(trade)
        return trade

    # -- events ----------------------------------------------------------------------------

    def _order_event(self, order: FakeOrder, kind: str) -> None:
        event = order.to_json()
        event.update(
            event_type="order",
            type=kind,
            order_owner=order.owner,
            created_at=str(order.created_at),
            associate_trades=list(order.associate_trades) or None,
            timestamp=str(int(self.now_s() * 1000)),
        )
        self.events.append((order.owner, event))

    def _trade_events(self, trade: FakeTrade) -> None:
        stamp = int(self.now_s() * 1000)
        for owner in trade.owners():
            self.events.append((owner, trade.to_json(owner, stamp)))

    def take_events(self) -> list[tuple[str, dict[str, Any]]]:
        """The events not yet taken, oldest first."""
        events, self.events = self.events, []
        return events
