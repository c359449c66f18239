"""The CLOB REST endpoints a venue adapter needs, on :class:`~.transport.ClobTransport`.

Orders go in as JSON-ready objects or as bytes already serialised (what was signed is what
is sent); answers come back as the structs of :mod:`.responses`. Paginated lists are read
to their end. Tick size, neg-risk flag and fee rate are cached per token (a token's tick
size can change: :meth:`ClobRestClient.forget_tick_size` on a ``tick_size_change``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from agbotkit.errors import MalformedFrameError, OrderOutcomeUnknownError, VenueError
from agbotkit.venues.polymarket.responses import (
    FIRST_CURSOR,
    LAST_CURSOR,
    BalanceAllowance,
    CancelResponse,
    FeeRate,
    HeartbeatResponse,
    NegRisk,
    OpenOrder,
    OrderResponse,
    OrdersPage,
    TickSize,
    Trade,
    TradesPage,
    VersionResponse,
    decode,
)
from agbotkit.venues.polymarket.transport import ClobTransport, encode_body

__all__ = ["MAX_BATCH_CANCEL", "MAX_BATCH_ORDERS", "ClobRestClient"]

LOGGER = logging.getLogger(__name__)

T = TypeVar("T")


class _Page(Protocol):
    @property
    def next_cursor(self) -> str: ...


PageT = TypeVar("PageT", bound=_Page)

#: The most orders ``POST /orders`` takes, and ids ``DELETE /orders`` takes.
MAX_BATCH_ORDERS = 15
MAX_BATCH_CANCEL = 3000
#: A list longer than this many pages is refused (a server repeating itself).
_MAX_PAGES = 10_000

OrderBody = Mapping[str, Any] | bytes


def _body(order: OrderBody) -> bytes:
    return order if isinstance(order, bytes) else encode_body(order)


class ClobRestClient:
    """The CLOB's REST endpoints; see the module docstring.

    Args:
        transport: how requests are sent (its config names the heartbeat path).
    """

    def __init__(self, transport: ClobTransport) -> None:
        self.transport = transport
        self.venue = transport.venue
        self._tick_sizes: dict[str, Decimal] = {}
        self._neg_risk: dict[str, bool] = {}
        self._fee_rates: dict[str, int] = {}

    def _decode(self, data: bytes | None, type_: type[T], what: str) -> T:
        try:
            return decode(data or b"", type_)
        except MalformedFrameError as exc:
            raise VenueError(self.venue, f"{what}: unreadable answer: {exc}") from None

    # -- orders ----------------------------------------------------------------------------

    async def post_order(self, order: OrderBody) -> OrderResponse:
        """Place one signed order (``POST /order``); a rejection has ``success`` false.

        Raises:
            OrderOutcomeUnknownError: the answer was lost, late or unreadable.
        """
        data = await self.transport.request(
            "POST", "/order", body=_body(order), private=True, order_submit=True
        )
        try:
            return decode(data or b"", OrderResponse)
        except MalformedFrameError as exc:
            raise OrderOutcomeUnknownError(
                self.venue, f"POST /order: unreadable answer ({exc}); the order may be placed"
            ) from None

    async def post_orders(self, orders: Sequence[OrderBody]) -> list[OrderResponse]:
        """Place up to 15 signed orders in one request (``POST /orders``).

        Raises:
            ValueError: no orders, or more than 15 (nothing is sent).
            OrderOutcomeUnknownError: the answer was lost, late or unreadable.
        """
        if not 1 <= len(orders) <= MAX_BATCH_ORDERS:
            raise ValueError(f"a batch holds 1 to {MAX_BATCH_ORDERS} orders, not {len(orders)}")
        body = b"[" + b",".join(_body(order) for order in orders) + b"]"
        data = await self.transport.request(
            "POST", "/orders", body=body, private=True, order_submit=True
        )
        try:
            return decode(data or b"", list[OrderResponse])
        except MalformedFrameError as exc:
            raise OrderOutcomeUnknownError(
                self.venue, f"POST /orders: unreadable answer ({exc}); orders may be placed"
            ) from None

    async def cancel(self, order_id: str) -> CancelResponse:
        """Cancel one order (``DELETE /order``)."""
        return await self._cancel("/order", encode_body({"orderID": order_id}))

    async def cancel_many(self, order_ids: Sequence[str]) -> CancelResponse:
        """Cancel up to 3,000 orders (``DELETE /orders``).

        Raises:
            ValueError: more than 3,000 ids (nothing is sent).
        """
        if len(order_ids) > MAX_BATCH_CANCEL:
            raise ValueError(f"at most {MAX_BATCH_CANCEL} ids per cancel, not {len(order_ids)}")
        return await self._cancel("/orders", encode_body(list(order_ids)))

    async def cancel_all(self) -> CancelResponse:
        """Cancel every open order of the account (``DELETE /cancel-all``)."""
        return await self._cancel("/cancel-all", b"")

    async def cancel_market(self, market: str = "", asset_id: str = "") -> CancelResponse:
        """Cancel the open orders of a market, of one of its tokens, or both.

        Raises:
            ValueError: neither is given (that would not be "per market").
        """
        if not market and not asset_id:
            raise ValueError("cancel_market needs a market, an asset_id or both")
        return await self._cancel(
            "/cancel-market-orders", encode_body({"market": market, "asset_id": asset_id})
        )

    async def _cancel(self, path: str, body: bytes) -> CancelResponse:
        data = await self.transport.request("DELETE", path, body=body, private=True)
        return self._decode(data, CancelResponse, f"DELETE {path}")

    # -- reading orders and trades ---------------------------------------------------------

    async def open_orders(
        self, market: str | None = None, asset_id: str | None = None
    ) -> list[OpenOrder]:
        """Every open order, or those of ``market`` / ``asset_id``, all pages read."""
        params = _params(market=market, asset_id=asset_id)
        orders: list[OpenOrder] = []
        for page in await self._pages("/data/orders", params, OrdersPage):
            orders.extend(page.data)
        return orders

    async def trades(
        self,
        *,
        market: str | None = None,
        asset_id: str | None = None,
        trade_id: str | None = None,
        maker_address: str | None = None,
        before: int | None = None,
        after: int | None = None,
    ) -> list[Trade]:
        """The account's trades matching the filters (``before``/``after``: Unix seconds),
        all pages read."""
        params = _params(
            market=market,
            asset_id=asset_id,
            id=trade_id,
            maker_address=maker_address,
            before=before,
            after=after,
        )
        trades: list[Trade] = []
        for page in await self._pages("/data/trades", params, TradesPage):
            trades.extend(page.data)
        return trades

    async def _pages(
        self, path: str, params: dict[str, str | int], type_: type[PageT]
    ) -> list[PageT]:
        """Every page of a paginated list, from the first cursor to the last."""
        pages: list[PageT] = []
        cursor = FIRST_CURSOR
        seen: set[str] = set()
        while cursor and cursor != LAST_CURSOR:
            if cursor in seen or len(seen) >= _MAX_PAGES:
                raise VenueError(
                    self.venue, f"GET {path}: the pages do not end (cursor {cursor!r} again)"
                )
            seen.add(cursor)
            data = await self.transport.request(
                "GET", path, params={**params, "next_cursor": cursor}, private=True
            )
            page = self._decode(data, type_, f"GET {path}")
            pages.append(page)
            cursor = page.next_cursor
        return pages

    async def get_order(self, order_id: str) -> OpenOrder | None:
        """One order by id, or ``None`` when the venue does not know it."""
        data = await self.transport.request(
            "GET", f"/data/order/{order_id}", private=True, not_found_ok=True
        )
        if data is None or data.strip() in (b"", b"null", b"{}"):
            return None
        return self._decode(data, OpenOrder, "GET /data/order")

    # -- account ---------------------------------------------------------------------------

    async def balance_allowance(
        self, asset_type: str, token_id: str | None = None, signature_type: int = 0
    ) -> BalanceAllowance:
        """Balance and allowance of the collateral (``COLLATERAL``) or of a token
        (``CONDITIONAL`` with ``token_id``)."""
        params = _params(asset_type=asset_type, token_id=token_id, signature_type=signature_type)
        data = await self.transport.request(
            "GET", "/balance-allowance", params=params, private=True
        )
        return self._decode(data, BalanceAllowance, "GET /balance-allowance")

    async def update_balance_allowance(
        self, asset_type: str, token_id: str | None = None, signature_type: int = 0
    ) -> None:
        """Ask the venue to read the balance and allowance from the chain again (after an
        approval, or when it says an allowance is short)."""
        params = _params(asset_type=asset_type, token_id=token_id, signature_type=signature_type)
        await self.transport.request(
            "GET", "/balance-allowance/update", params=params, private=True
        )

    async def heartbeat(self, heartbeat_id: str = "") -> HeartbeatResponse:
        """Tell the venue this client is alive; when heartbeats stop, the venue cancels every
        open order of the account (a dead-man switch)."""
        path = self.transport.config.heartbeat_path
        body = encode_body({"heartbeat_id": heartbeat_id})
        data = await self.transport.request("POST", path, body=body, private=True)
        return self._decode(data, HeartbeatResponse, f"POST {path}")

    # -- public, cached per token ----------------------------------------------------------

    async def version(self) -> int:
        """The order version the CLOB takes now (``GET /version``; 2 since 2026-04-28)."""
        data = await self.transport.request("GET", "/version")
        return self._decode(data, VersionResponse, "GET /version").version

    async def server_time(self) -> int:
        """The venue's clock, Unix seconds (``GET /time``)."""
        data = await self.transport.request("GET", "/time")
        return self._decode(data, int, "GET /time")

    async def tick_size(self, token_id: str) -> Decimal:
        """The token's tick size (cached until :meth:`forget_tick_size`)."""
        if token_id not in self._tick_sizes:
            data = await self.transport.request("GET", "/tick-size", params={"token_id": token_id})
            answer = self._decode(data, TickSize, "GET /tick-size")
            self._tick_sizes[token_id] = answer.minimum_tick_size
        return self._tick_sizes[token_id]

    def forget_tick_size(self, token_id: str) -> None:
        """Drop the cached tick size (the venue announced a new one)."""
        self._tick_sizes.pop(token_id, None)

    async def neg_risk(self, token_id: str) -> bool:
        """Whether the token trades on the neg-risk exchange (cached)."""
        if token_id not in self._neg_risk:
            data = await self.transport.request("GET", "/neg-risk", params={"token_id": token_id})
            self._neg_risk[token_id] = self._decode(data, NegRisk, "GET /neg-risk").neg_risk
        return self._neg_risk[token_id]

    async def fee_rate_bps(self, token_id: str) -> int:
        """The token's base fee in basis points (cached)."""
        if token_id not in self._fee_rates:
            data = await self.transport.request("GET", "/fee-rate", params={"token_id": token_id})
            answer = self._decode(data, FeeRate, "GET /fee-rate")
            try:
                self._fee_rates[token_id] = int(answer.base_fee)
            except ValueError:
                raise VenueError(
                    self.venue, f"GET /fee-rate: base_fee {answer.base_fee!r} is not a number"
                ) from None
        return self._fee_rates[token_id]


def _params(**values: str | int | None) -> dict[str, str | int]:
    """The query parameters that are set."""
    return {key: value for key, value in values.items() if value is not None}
