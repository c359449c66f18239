"""The fake CLOB's REST endpoints: authentication, then one function per route.

Private requests are checked like the venue checks them (L2: the API key, its passphrase,
the wallet in ``POLY_ADDRESS`` and the HMAC over ``timestamp + METHOD + path + body``);
L1 requests by recovering the ``ClobAuth`` signer. See :class:`~.server.FakeClob` for the
faults applied before a route runs.
"""

from __future__ import annotations

import base64
import hmac
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from agbotkit.errors import AgbotkitError
from agbotkit.model.books import Side
from agbotkit.testing.fake_clob.accounts import FakeAccount, derived_account
from agbotkit.testing.fake_clob.http import HttpRequest, HttpResponse, json_response
from agbotkit.testing.fake_clob.verify import OrderRejected, check_order
from agbotkit.venues.polymarket.hmac import l2_signature
from agbotkit.venues.polymarket.keys import checksum_address, recover_address
from agbotkit.venues.polymarket.l1 import clob_auth_digest
from agbotkit.venues.polymarket.orders import SignatureType
from agbotkit.venues.polymarket.responses import FIRST_CURSOR, LAST_CURSOR

if TYPE_CHECKING:
    from agbotkit.testing.fake_clob.server import FakeClob

__all__ = ["PUBLIC", "authenticate", "route"]

PUBLIC = frozenset({"/ok", "/time", "/version", "/tick-size", "/neg-risk", "/fee-rate", "/book"})
L1 = frozenset({("POST", "/auth/api-key"), ("GET", "/auth/derive-api-key")})
MAX_BATCH = 15
UNAUTHORIZED = json_response({"error": "Unauthorized/Invalid api key"}, 401)
INVALID_L1 = json_response({"error": "Invalid L1 Request headers"}, 401)
WRONG_OWNER = "the order owner has to be the owner of the API KEY"
WRONG_SIGNER = "the order signer address has to be the address of the API KEY"


def authenticate(clob: FakeClob, request: HttpRequest) -> FakeAccount | None:
    """The account an L2-signed request comes from; ``None`` when any header is wrong."""
    headers = request.headers
    account = clob.accounts.get(headers.get("poly_api_key", ""))
    if account is None:
        return None
    try:
        address = checksum_address(headers.get("poly_address", ""))
        expected = l2_signature(
            account.secret,
            headers.get("poly_timestamp", ""),
            request.method,
            request.path,
            request.body,
        )
    except (ValueError, AgbotkitError):
        return None
    if (
        address != account.address
        or not hmac.compare_digest(headers.get("poly_passphrase", ""), account.passphrase)
        or not hmac.compare_digest(headers.get("poly_signature", ""), expected)
    ):
        return None
    return account


def _l1(clob: FakeClob, request: HttpRequest) -> HttpResponse:
    headers = request.headers
    try:
        address = checksum_address(headers["poly_address"])
        timestamp, nonce = int(headers["poly_timestamp"]), int(headers.get("poly_nonce", "0"))
        signature = bytes.fromhex(headers["poly_signature"].removeprefix("0x"))
        digest = clob_auth_digest(address, timestamp, nonce, clob.exchanges.chain_id)
        signer = recover_address(digest, signature)
    except (KeyError, ValueError, AgbotkitError):
        return INVALID_L1
    if signer != address:
        return INVALID_L1
    account = derived_account(address, nonce)
    clob.add_account(account)
    return json_response(
        {"apiKey": account.api_key, "secret": account.secret, "passphrase": account.passphrase}
    )


def _refusal(reason: str) -> dict[str, Any]:
    return {"success": False, "orderID": "", "status": "", "errorMsg": reason}


def _post_one(clob: FakeClob, account: FakeAccount, body: Any) -> dict[str, Any]:
    """Check and place one order; a rejection becomes the venue's ``success: false``."""
    clob.orders.append(body)
    try:
        if isinstance(body, dict) and body.get("owner") != account.api_key:
            raise OrderRejected(WRONG_OWNER, payload=True)
        checked = check_order(
            body,
            exchanges=clob.exchanges,
            specs=clob.exchange.specs,
            owners_of=lambda wallet: {account.address},
        )
        if (
            checked.order.signature_type is not SignatureType.POLY_1271
            and checked.order.signer != account.address
        ):
            raise OrderRejected(WRONG_SIGNER)
        answer = clob.exchange.place(checked, account)
    except OrderRejected as rejected:
        if rejected.payload:
            raise
        return _refusal(rejected.reason)
    if clob.faults.fail_trades:
        clob.failing.update(answer["tradeIDs"])
    return answer


async def _orders(clob: FakeClob, request: HttpRequest, account: FakeAccount) -> HttpResponse:
    try:
        body = request.json()
        batch = body if request.path == "/orders" else [body]
        if not isinstance(batch, list):
            raise ValueError("a batch is an array")
    except ValueError:
        return json_response({"error": "Invalid order payload"}, 400)
    if not 1 <= len(batch) <= MAX_BATCH:
        return json_response({"error": f"Too many orders in payload, max {MAX_BATCH}"}, 400)
    answers = []
    try:
        for body in batch:
            try:
                answers.append(_post_one(clob, account, body))
            except OrderRejected as rejected:
                if request.path == "/order":
                    return json_response({"error": rejected.reason}, 400)
                answers.append(_refusal(rejected.reason))
    finally:
        clob.after_change()
    if clob.faults.hang_orders > 0:
        clob.faults.hang_orders -= 1
        await clob.hang()
    return json_response(answers if request.path == "/orders" else answers[0])


def _cancel(clob: FakeClob, request: HttpRequest, account: FakeAccount) -> HttpResponse:
    exchange = clob.exchange
    try:
        body = request.json() if request.body else {}
        if request.path == "/order":
            ids = [body["orderID"]]
        elif request.path == "/orders":
            ids = [str(order_id) for order_id in body]
        elif request.path == "/cancel-all":
            ids = [o.id for o in exchange.open_orders(account.api_key)]
        else:
            market, asset = body.get("market", ""), body.get("asset_id", "")
            ids = [o.id for o in exchange.open_orders(account.api_key, market, asset)]
    except (ValueError, KeyError, TypeError, AttributeError):
        return json_response({"error": "Invalid payload"}, 400)
    answer = exchange.cancel(account.api_key, ids)
    clob.after_change()
    return json_response(answer)


def _page(clob: FakeClob, request: HttpRequest, items: list[dict[str, Any]]) -> HttpResponse:
    """One page of a list, cursors as the venue spells them (base64 of the offset)."""
    cursor = request.query.get("next_cursor", FIRST_CURSOR) or FIRST_CURSOR
    try:
        start = int(base64.b64decode(cursor).decode())
    except ValueError:
        return json_response({"error": "invalid next_cursor"}, 400)
    size = clob.page_size
    data = items[start : start + size]
    end = start + size >= len(items)
    following = LAST_CURSOR if end else base64.b64encode(str(start + size).encode()).decode()
    return json_response(
        {"limit": size, "count": len(data), "next_cursor": following, "data": data}
    )


def _matches(item: dict[str, Any], query: dict[str, str], *keys: tuple[str, str]) -> bool:
    return all(not query.get(key) or str(item.get(field)) == query[key] for key, field in keys)


def _private(clob: FakeClob, request: HttpRequest, account: FakeAccount) -> HttpResponse:
    exchange, query, path = clob.exchange, request.query, request.path
    if request.method == "GET" and path == "/data/orders":
        orders = exchange.open_orders(account.api_key, query.get("market", ""))
        items = [o.to_json() for o in orders]
        items = [i for i in items if _matches(i, query, ("id", "id"), ("asset_id", "asset_id"))]
        return _page(clob, request, items)
    if request.method == "GET" and path.startswith("/data/order/"):
        order = exchange.orders.get(path.removeprefix("/data/order/"))
        if order is None or order.owner != account.api_key:
            return json_response({"error": "order not found"}, 404)
        return json_response(order.to_json())
    if request.method == "GET" and path == "/data/trades":
        stamp = int(clob.now_s() * 1000)
        items = [
            t.to_json(account.api_key, stamp)
            for t in exchange.trades.values()
            if account.api_key in t.owners()
        ]
        keys = (("id", "id"), ("market", "market"), ("asset_id", "asset_id"))
        return _page(clob, request, [i for i in items if _matches(i, query, *keys)])
    if request.method == "GET" and path == "/balance-allowance":
        return json_response({"balance": clob.balance, "allowances": {}})
    if request.method == "GET" and path == "/balance-allowance/update":
        return json_response({})
    if request.method == "POST" and path == clob.heartbeat_path:
        clob.heartbeat(account)
        return json_response({"status": "ok", "heartbeat_id": ""})
    return json_response({"error": "not found"}, 404)


def _public(clob: FakeClob, request: HttpRequest) -> HttpResponse:
    path = request.path
    if path == "/ok":
        return json_response("OK")
    if path == "/time":
        return json_response(int(clob.now_s()))
    if path == "/version":
        return json_response({"version": 2})
    spec = clob.exchange.specs.get(request.query.get("token_id", ""))
    if spec is None:
        return json_response({"error": "No orderbook exists for the requested token id"}, 404)
    if path == "/tick-size":
        return HttpResponse(body=b'{"minimum_tick_size":%s}' % str(spec.tick_size).encode())
    if path == "/neg-risk":
        return json_response({"neg_risk": spec.neg_risk})
    if path == "/fee-rate":
        return json_response({"base_fee": spec.fee_rate_bps})
    book = clob.exchange.books[spec.token_id]

    def levels(side: Side) -> list[dict[str, str]]:
        # The venue lists the best level last on both sides.
        pairs: list[tuple[Decimal, Decimal]] = book.levels(side)
        return [{"price": str(p), "size": str(s)} for p, s in reversed(pairs)]

    return json_response(
        {
            "market": spec.market,
            "asset_id": spec.token_id,
            "timestamp": str(int(clob.now_s() * 1000)),
            "hash": "",
            "bids": levels(Side.BUY),
            "asks": levels(Side.SELL),
            "min_order_size": str(spec.min_size),
            "tick_size": str(spec.tick_size),
            "neg_risk": spec.neg_risk,
            "last_trade_price": "",
        }
    )


async def route(clob: FakeClob, request: HttpRequest) -> HttpResponse:
    """Answer one request that got past the faults."""
    if request.path in PUBLIC and request.method == "GET":
        return _public(clob, request)
    if (request.method, request.path) in L1:
        return _l1(clob, request)
    account = authenticate(clob, request)
    if account is None:
        return UNAUTHORIZED
    if request.method == "POST" and request.path in ("/order", "/orders"):
        if clob.faults.cancel_only:
            return HttpResponse(503, clob.cancel_only_body)
        return await _orders(clob, request, account)
    if request.method == "DELETE" and request.path in (
        "/order",
        "/orders",
        "/cancel-all",
        "/cancel-market-orders",
    ):
        return _cancel(clob, request, account)
    return _private(clob, request, account)
