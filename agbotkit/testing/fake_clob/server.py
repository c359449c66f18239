""":class:`FakeClob`: the listener, the faults, the user channel and settlement.

REST is served by a small HTTP/1.1 server (:mod:`.http`) at :attr:`FakeClob.url`; the user
channel is a WebSocket server (:func:`agbotkit.ws.server.serve_ws`) at
:attr:`FakeClob.ws_url` (``ws://127.0.0.1:<port>/ws/user``), on a port of its own.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from decimal import Decimal
from types import TracebackType
from typing import Any

import attrs
import trio

from agbotkit.errors import WsError
from agbotkit.testing.fake_clob import routes
from agbotkit.testing.fake_clob.accounts import FakeAccount
from agbotkit.testing.fake_clob.exchange import FakeExchange
from agbotkit.testing.fake_clob.faults import (
    CANCEL_ONLY,
    CLOUDFLARE_PAGE,
    INTERNAL_ERROR,
    TOO_MANY,
    Faults,
)
from agbotkit.testing.fake_clob.http import HttpRequest, HttpResponse, serve_http
from agbotkit.testing.fake_clob.verify import TokenSpec
from agbotkit.venues.polymarket.limits import budget_of
from agbotkit.venues.polymarket.orders import POLYGON, Exchanges
from agbotkit.ws.connection import WsConnection
from agbotkit.ws.server import serve_ws

__all__ = ["FakeClob"]

LOGGER = logging.getLogger(__name__)

USER_PATH = "/ws/user"
_SETTLED = {"MATCHED": "MINED", "MINED": "CONFIRMED"}
_FAILING = {"MATCHED": "RETRYING", "RETRYING": "FAILED"}
Levels = Iterable[tuple[Decimal | str | float, Decimal | str | float]]


@attrs.define(eq=False)
class _UserSocket:
    """One user-channel connection: who subscribed (once authenticated), what it follows."""

    send: trio.MemorySendChannel[str]
    scope: trio.CancelScope = attrs.Factory(trio.CancelScope)
    api_key: str = ""
    markets: set[str] = attrs.Factory(set)
    dropped: bool = False


class FakeClob:
    """A strict stand-in for Polymarket's CLOB, REST and user channel, on 127.0.0.1.

    Start it with ``await nursery.start(fake.run)`` or ``async with FakeClob(...) as fake``;
    then point a :class:`~agbotkit.venues.polymarket.rest.ClobRestClient` at :attr:`url` and
    the user channel at :attr:`ws_url`. See docs/venues/polymarket.md, "The fake CLOB".

    Args:
        accounts: the API keys it accepts (more come from L1 key creation).
        exchanges: the chain and exchange contracts orders must be signed for.
        now_s: Unix seconds now (timestamps in answers and events).
        page_size: items per page of ``/data/orders`` and ``/data/trades``.
        settle_after_s: when set, each trade moves a step (``MINED``, ``CONFIRMED``) this
            often by itself; otherwise the test calls :meth:`settle` or :meth:`step`.
        heartbeat_timeout_s: when set, an account that sent a heartbeat and then none for
            this long has all its open orders cancelled (the venue's dead-man switch).
        heartbeat_path: where heartbeats are posted.
        port: the REST port (0: any free one; :attr:`url` tells).
        ws_port: the user channel's port (0: any free one; :attr:`ws_url` tells).

    Attributes:
        faults: what it does wrong (:class:`~.faults.Faults`).
        exchange: its state: books, orders, trades (:class:`~.exchange.FakeExchange`).
        requests: every HTTP request received, in order.
        orders: every order body received (batches element by element), in order.
        heartbeat_cancels: orders cancelled by the dead-man switch.
    """

    def __init__(
        self,
        *,
        accounts: Iterable[FakeAccount] = (),
        exchanges: Exchanges = POLYGON,
        now_s: Callable[[], float] = time.time,
        page_size: int = 100,
        settle_after_s: float | None = None,
        heartbeat_timeout_s: float | None = None,
        heartbeat_path: str = "/v1/heartbeats",
        port: int = 0,
        ws_port: int = 0,
    ) -> None:
        self.accounts: dict[str, FakeAccount] = {}
        for account in accounts:
            self.add_account(account)
        self.exchanges = exchanges
        self.now_s = now_s
        self.page_size = page_size
        self.settle_after_s = settle_after_s
        self.heartbeat_timeout_s = heartbeat_timeout_s
        self.heartbeat_path = heartbeat_path
        self.balance = "1000000000"
        self.cancel_only_body = CANCEL_ONLY
        self.faults = Faults()
        self._settling: set[str] = set()
        self.exchange = FakeExchange(now_s)
        self.requests: list[HttpRequest] = []
        self.orders: list[Any] = []
        self.failing: set[str] = set()
        self.heartbeat_cancels: list[str] = []
        self.port = port
        self.ws_port = ws_port
        self._sockets: list[_UserSocket] = []
        self._switches: dict[str, trio.CancelScope] = {}
        self._nursery: trio.Nursery | None = None
        self._nursery_manager: Any = None

    def __repr__(self) -> str:
        return f"FakeClob(url={self.url!r}, accounts={len(self.accounts)})"

    @property
    def url(self) -> str:
        """The REST base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        """The user channel's URL."""
        return f"ws://127.0.0.1:{self.ws_port}{USER_PATH}"

    def add_account(self, account: FakeAccount) -> None:
        """Accept one more API key."""
        self.accounts[account.api_key] = account

    def set_book(
        self,
        token_id: str,
        *,
        bids: Levels = (),
        asks: Levels = (),
        tick_size: Decimal | str = "0.01",
        neg_risk: bool = False,
        min_size: Decimal | str | int = 5,
        market: str = "",
        outcome: str = "Yes",
        fee_rate_bps: int = 0,
    ) -> TokenSpec:
        """Make a token tradable and seed its book with anonymous liquidity.

        Args:
            token_id: the token.
            bids: ``(price, size)`` levels to buy at.
            asks: ``(price, size)`` levels to sell at.
            tick_size: its tick.
            neg_risk: whether orders are signed for the neg-risk exchange.
            min_size: the smallest resting order, in shares.
            market: its condition id (default: derived from the token id).
            outcome: its outcome's name.
            fee_rate_bps: its taker fee rate.
        """
        spec = TokenSpec(
            token_id,
            market or "0x" + format(int(token_id) % 2**256, "064x"),
            Decimal(str(tick_size)),
            neg_risk,
            Decimal(str(min_size)),
            outcome,
            fee_rate_bps,
        )
        decimals = [(Decimal(str(p)), Decimal(str(s))) for p, s in bids]
        self.exchange.set_book(
            spec, decimals, [(Decimal(str(p)), Decimal(str(s))) for p, s in asks]
        )
        self.after_change()  # resting orders the new book crossed have traded
        return spec

    # -- running ---------------------------------------------------------------------------

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Serve until cancelled; ``started()`` once both ports are bound."""
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            self.port = await nursery.start(serve_http, self._handle, "127.0.0.1", self.port)
            self.ws_port = await nursery.start(self._serve_ws)
            task_status.started()

    async def _serve_ws(self, *, task_status: trio.TaskStatus[int]) -> None:
        def only_user(target: str) -> int | None:
            return None if target.split("?", 1)[0] == USER_PATH else 404

        await serve_ws(
            self._user_socket,
            port=self.ws_port,
            check_request=only_user,
            task_status=task_status,
        )

    async def __aenter__(self) -> FakeClob:
        self._nursery_manager = trio.open_nursery()
        nursery = await self._nursery_manager.__aenter__()
        await nursery.start(self.run)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        if self._nursery is not None:
            self._nursery.cancel_scope.cancel()
        result: bool | None = await self._nursery_manager.__aexit__(exc_type, exc, tb)
        return result

    # -- REST ------------------------------------------------------------------------------

    async def _handle(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        faults = self.faults
        if faults.cloudflare > 0:
            faults.cloudflare -= 1
            return HttpResponse(403, CLOUDFLARE_PAGE, content_type="text/html; charset=UTF-8")
        retry_after = None
        if faults.too_many_requests > 0:
            faults.too_many_requests -= 1
            retry_after = faults.retry_after_s
        budget = faults.rate_limits.get(budget_of(request.method, request.path))
        if retry_after is None and budget is not None:
            retry_after = budget.admit(trio.current_time())
        if retry_after is not None:
            return HttpResponse(429, TOO_MANY, {"Retry-After": f"{retry_after:g}"})
        if faults.server_errors > 0:
            faults.server_errors -= 1
            return HttpResponse(500, INTERNAL_ERROR)
        return await routes.route(self, request)

    async def hang(self) -> None:
        """Never answer (the client's deadline ends the wait)."""
        await trio.sleep_forever()

    # -- events, settlement and heartbeats ---------------------------------------------------

    def after_change(self) -> None:
        """Send the exchange's new events to the sockets of their accounts, and start the
        automatic settlement of new trades."""
        for owner, event in self.exchange.take_events():
            text = json.dumps(event, separators=(",", ":"))
            for socket in self._sockets:
                if socket.api_key == owner and (
                    not socket.markets or event["market"] in socket.markets
                ):
                    try:
                        socket.send.send_nowait(text)
                    except (trio.WouldBlock, trio.BrokenResourceError, trio.ClosedResourceError):
                        LOGGER.warning("fake CLOB: a user socket is not reading; event dropped")
            if (
                event["event_type"] == "trade"
                and event["status"] == "MATCHED"
                and event["id"] not in self._settling
                and self.settle_after_s is not None
                and self._nursery is not None
            ):
                self._settling.add(event["id"])  # once, whoever is told first
                self._nursery.start_soon(self._auto_settle, event["id"])

    async def _auto_settle(self, trade_id: str) -> None:
        assert self.settle_after_s is not None
        while not self._final(trade_id):
            await trio.sleep(self.settle_after_s)
            await self.step(trade_id)

    def _final(self, trade_id: str) -> bool:
        return self.exchange.trades[trade_id].status in ("CONFIRMED", "FAILED")

    async def step(self, trade_id: str) -> str:
        """Move a trade one step (``MINED``, then ``CONFIRMED``; a failing trade
        ``RETRYING``, then ``FAILED``); its new status.

        Raises:
            KeyError: no such trade.
        """
        trade = self.exchange.trades[trade_id]
        path = _FAILING if trade_id in self.failing else _SETTLED
        following = path.get(trade.status)
        if following is not None:
            self.exchange.set_trade_status(trade_id, following)
            self.after_change()
        await trio.lowlevel.checkpoint()
        return trade.status

    async def settle(self, trade_id: str) -> str:
        """Move a trade to its end (``CONFIRMED``, or ``FAILED`` for a failing one)."""
        while not self._final(trade_id):
            await self.step(trade_id)
        return self.exchange.trades[trade_id].status

    def fail(self, trade_id: str) -> None:
        """Make one trade go ``RETRYING`` then ``FAILED`` instead of being confirmed."""
        self.failing.add(trade_id)

    def heartbeat(self, account: FakeAccount) -> None:
        """A heartbeat of ``account``: arms or re-arms its dead-man switch."""
        if self.heartbeat_timeout_s is None or self._nursery is None:
            return
        deadline = trio.current_time() + self.heartbeat_timeout_s
        switch = self._switches.get(account.api_key)
        if switch is not None:
            switch.deadline = deadline
        else:
            switch = self._switches[account.api_key] = trio.CancelScope(deadline=deadline)
            self._nursery.start_soon(self._dead_man, account.api_key, switch)

    async def _dead_man(self, api_key: str, switch: trio.CancelScope) -> None:
        with switch:
            await trio.sleep_forever()
        del self._switches[api_key]
        ids = [order.id for order in self.exchange.open_orders(api_key)]
        LOGGER.info("fake CLOB: no heartbeat from %s: cancelling %d orders", api_key, len(ids))
        self.heartbeat_cancels.extend(self.exchange.cancel(api_key, ids)["canceled"])
        self.after_change()

    # -- the user channel ------------------------------------------------------------------

    def drop_user_sockets(self) -> int:
        """Cut every user-channel connection (the client must reconnect); how many."""
        for socket in self._sockets:
            socket.dropped = True
            socket.scope.cancel()
        return len(self._sockets)

    @property
    def user_sockets(self) -> int:
        """User-channel connections open now."""
        return len(self._sockets)

    def _subscribe(self, socket: _UserSocket, text: str) -> None:
        try:
            frame = json.loads(text)
            auth = frame.get("auth") if isinstance(frame, dict) else None
            markets = frame.get("markets") or []
        except (ValueError, AttributeError):
            return  # the venue ignores what it cannot read
        if not socket.api_key and isinstance(auth, dict) and frame.get("type") == "user":
            account = self.accounts.get(str(auth.get("apiKey")))
            if (
                account is not None
                and auth.get("secret") == account.secret
                and auth.get("passphrase") == account.passphrase
            ):
                socket.api_key = account.api_key
                socket.markets = set(markets)
        elif socket.api_key and frame.get("operation") == "subscribe":
            socket.markets.update(markets)
        elif socket.api_key and frame.get("operation") == "unsubscribe":
            socket.markets.difference_update(markets)

    async def _user_socket(self, conn: WsConnection) -> None:
        send, receive = trio.open_memory_channel[str](10_000)
        socket = _UserSocket(send)
        self._sockets.append(socket)
        try:
            with socket.scope:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self._write, conn, receive)
                    while True:
                        for message in await conn.receive():
                            if not isinstance(message, str):
                                continue
                            if message.strip() == "PING":
                                send.send_nowait("PONG")
                            else:
                                self._subscribe(socket, message)
        except* WsError:
            pass  # the client went away
        finally:
            self._sockets.remove(socket)
        if socket.dropped:
            await conn.abort()

    async def _write(self, conn: WsConnection, receive: trio.MemoryReceiveChannel[str]) -> None:
        async for text in receive:
            await conn.send_text(text)
