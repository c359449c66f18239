"""The ``polymarket`` venue: orders signed in Polymarket's V2 format, sent to its CLOB.

Live, the venue keeps the CLOB's user channel open (:mod:`.user_channel`): order updates
and fills are reported as they happen, and after every reconnect the open orders and the
trades since the newest one seen are read back through REST (:mod:`.catch_up`).

Safety: with ``dry_run: true`` (the default) every order is built, signed and logged, and
answered ``REJECTED`` ("dry run"): nothing reaches Polymarket, and the venue claims no real
money, so the execution component lets orders through to be signed. With
``dry_run: false`` the venue claims real money: the execution component then sends orders
only with ``live_trading: true`` and ``AGBOTKIT_LIVE_TRADING=1``, and this adapter checks
the variable again before every order it sends.

The order id is the order's EIP-712 hash, known before sending: :meth:`order_id_for` signs
the order (once; :meth:`submit` sends that same signature), so a submit whose answer is
lost is looked up by that id, never sent again. Salt and timestamp come from the order
itself (its client order id and creation time), so the same order always has the same id.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import trio

from agbotkit.abc import Problem, VenueAdapter, VenueContext
from agbotkit.errors import CredentialsError, OrderOutcomeUnknownError, SigningError, VenueError
from agbotkit.model.execution import OrderStatus
from agbotkit.model.orders import Fill, Order, OrderType, Side
from agbotkit.model.venues import (
    CancelResult,
    OrderAck,
    VenueCapabilities,
    VenueEvent,
    VenueOrder,
)
from agbotkit.venues.polymarket.amounts import limit_order_amounts, market_order_amounts
from agbotkit.venues.polymarket.answers import ack_from_response, cancel_result, venue_order
from agbotkit.venues.polymarket.body import order_body
from agbotkit.venues.polymarket.catch_up import OVERLAP_S, order_events, trade_fills
from agbotkit.venues.polymarket.config import PolymarketConfig
from agbotkit.venues.polymarket.credentials import (
    PRIVATE_KEY_ENV,
    ApiCredentials,
    load_api_credentials,
    load_private_key,
)
from agbotkit.venues.polymarket.keys import SigningKey
from agbotkit.venues.polymarket.orders import AMOY, POLYGON, SignatureType, SignedOrder
from agbotkit.venues.polymarket.refusals import second_chance
from agbotkit.venues.polymarket.rest import MAX_BATCH_ORDERS, ClobRestClient
from agbotkit.venues.polymarket.signer import OrderSigner
from agbotkit.venues.polymarket.transport import ClobTransport, RestConfig
from agbotkit.venues.polymarket.user_channel import UserChannel
from agbotkit.venues.polymarket.user_translate import UserIdentity

__all__ = ["LIVE_TRADING_ENV", "PolymarketVenue"]

LOGGER = logging.getLogger(__name__)
LIVE_TRADING_ENV = "AGBOTKIT_LIVE_TRADING"
#: Polymarket takes a GTD order off the book a minute before its expiration: ask for that
#: much more, so the order lives as long as it was meant to.
GTD_BUFFER_S = 60
_SALT_MASK = (1 << 41) - 1


def _signing_key(config: PolymarketConfig, context: VenueContext) -> SigningKey:
    """The wallet's key; in a dry run with none configured, a throwaway one (its orders
    are signed like real ones, and nothing is sent anyway)."""
    named = config.private_key_file is not None or os.environ.get(PRIVATE_KEY_ENV, "").strip()
    if config.dry_run and not named:
        context.logger.warning(
            "dry run without %s or private_key_file: signing with a throwaway key",
            PRIVATE_KEY_ENV,
        )
        return SigningKey(secrets.token_hex(32))
    return SigningKey(load_private_key(config.private_key_file).reveal())


class PolymarketVenue(VenueAdapter[PolymarketConfig]):
    """Polymarket's CLOB (entry point ``polymarket``); see the module docstring."""

    Config = PolymarketConfig

    @classmethod
    def preflight(cls, config: PolymarketConfig, stack_dir: Path) -> Sequence[Problem]:
        """The private key must be readable (and private); outside a dry run, the API
        credentials too."""
        problems: list[Problem] = []
        if config.private_key_file is not None or not config.dry_run:
            # A dry run without a key signs with a throwaway one (see _signing_key).
            try:
                load_private_key(config.private_key_file)
            except CredentialsError as exc:
                problems.append(Problem(("private_key_file",), str(exc)))
        if not config.dry_run:
            try:
                load_api_credentials(config.credentials_file)
            except CredentialsError as exc:
                problems.append(Problem(("credentials_file",), str(exc)))
        return problems

    @classmethod
    def no_money_reason(cls, config: PolymarketConfig) -> str | None:
        """``dry_run: true`` (the default) signs and logs every order and sends none."""
        if config.dry_run:
            return "DRY RUN, dry_run: true signs and logs every order and sends none"
        return None

    def __init__(self, config: PolymarketConfig, context: VenueContext) -> None:
        super().__init__(config, context)
        key = _signing_key(config, context)
        self.credentials: ApiCredentials | None = None
        try:
            self.credentials = load_api_credentials(config.credentials_file)
        except CredentialsError:
            if not config.dry_run:
                raise
        exchanges = POLYGON if config.chain_id == 137 else AMOY
        self.signer = OrderSigner(
            key,
            signature_type=SignatureType[config.signature_type],
            funder=config.funder or None,
            exchanges=exchanges,
        )
        self.capabilities = VenueCapabilities(
            max_batch=MAX_BATCH_ORDERS,
            min_size=Decimal(str(config.min_size)),
            min_notional_usd=Decimal(1),
            computes_order_id=True,
            real_money=not config.dry_run,
        )
        self._transport = ClobTransport(
            RestConfig(base_url=config.clob_url, timeout_s=config.timeout_s),
            rate_limits=context.rate_limits,
            venue=context.name,
            address=self.signer.signer,
            credentials=self.credentials,
        )
        self.rest = ClobRestClient(self._transport)
        self.me = UserIdentity(
            api_keys=[self.credentials.api_key] if self.credentials is not None else [],
            addresses=[self.signer.maker, self.signer.signer],
        )
        self._newest_trade_ms = 0
        self._started_s = int(context.now_ms() // 1000)
        self._signed: dict[str, SignedOrder] = {}
        self._ticks: dict[str, Decimal] = {}
        self._neg_risk: dict[str, bool] = {}

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        log = self.context.logger
        if self.config.dry_run or self.credentials is None:
            log.warning("polymarket venue %s: DRY RUN: orders are signed, never sent", self.name)
            task_status.started()
            await trio.sleep_forever()
        log.warning(
            "polymarket venue %s: LIVE: orders are sent to %s for the funder (maker) %s, "
            "signed by %s (%s wallet)",
            self.name,
            self.config.clob_url,
            self.signer.maker,
            self.signer.signer,
            self.config.signature_type,
        )
        channel = UserChannel(
            self.config.user_ws_url,
            self.credentials,
            self.config.markets,
            self.me,
            on_event=self._on_event,
            on_reconnect=self._catch_up,
            metric=self.context.component.metric,
            labels={"venue": self.name},
        )
        async with trio.open_nursery() as nursery:
            await nursery.start(channel.run)
            if self.config.heartbeat_interval_s > 0:
                nursery.start_soon(self._heartbeats, self.config.heartbeat_interval_s)
            task_status.started()

    async def _heartbeats(self, interval_s: float) -> None:
        """Post a heartbeat every ``interval_s``: the venue's dead-man switch cancels our
        open orders when they stop (this process died, hung or lost the network)."""
        heartbeat_id = ""
        while True:
            try:
                answer = await self.rest.heartbeat(heartbeat_id)
                heartbeat_id = answer.heartbeat_id or heartbeat_id
            except VenueError as exc:
                self.context.logger.warning("heartbeat refused or lost: %s", exc)
            await trio.sleep(interval_s)

    async def aclose(self) -> None:
        """Close the REST connection pool."""
        await self._transport.aclose()

    async def _on_event(self, event: VenueEvent) -> None:
        if isinstance(event, Fill) and event.timestamp_ms:
            self._newest_trade_ms = max(self._newest_trade_ms, event.timestamp_ms)
        await self.context.report(event)

    async def _catch_up(self) -> None:
        """The user channel reconnected: read back what it may have missed."""
        now_ms = self.context.now_ms()
        try:
            listed = await self.rest.open_orders(market=None)
            after_s = max(self._newest_trade_ms // 1000 - OVERLAP_S, self._started_s - OVERLAP_S)
            trades = await self.rest.trades(after=after_s)
        except VenueError as exc:
            self.context.logger.warning("reading back after a reconnect failed: %s", exc)
            return
        events = order_events(listed, now_ms)
        events.extend(trade_fills(trades, self.me, set()))
        self.context.logger.info(
            "user channel reconnected: %d open orders and %d fills read back",
            len(listed),
            len(events) - len(listed),
        )
        for event in events:
            await self._on_event(event)

    # -- orders --------------------------------------------------------------------------

    async def prepare(self, orders: Sequence[Order]) -> None:
        """Learn each token's tick size and neg-risk flag (cached): the order's id, its
        hash, needs them, and is then known before sending."""
        for order in orders:
            if order.token_id not in self._ticks:
                self._ticks[order.token_id] = await self.rest.tick_size(order.token_id)
            if order.token_id not in self._neg_risk:
                self._neg_risk[order.token_id] = await self.rest.neg_risk(order.token_id)

    def order_id_for(self, order: Order) -> str:
        """The order's hash, once its token's tick size and neg-risk flag are known (they
        are cached after the token's first order); ``""`` before."""
        signed = self._signed.get(order.client_order_id)
        if signed is None and order.token_id in self._ticks and order.token_id in self._neg_risk:
            signed = self._sign(order)
        return signed.order_id if signed is not None else ""

    async def submit(self, order: Order) -> OrderAck:
        signed = await self._ready(order)
        if signed is None:
            return self._refused(order, "dry run: signed and logged, not sent")
        body = order_body(
            signed,
            owner=self._api_key(),
            order_type=order.order_type,
            post_only=order.post_only,
        )
        try:
            answer = await self.rest.post_order(body)
            answer = await second_chance(
                self.rest,
                order,
                body,
                answer,
                signature_type=int(self.signer.signature_type),
                log=self.context.logger,
            )
        except OrderOutcomeUnknownError as exc:
            raise OrderOutcomeUnknownError(self.name, exc.reason, signed.order_id) from None
        finally:
            self._signed.pop(order.client_order_id, None)
        return ack_from_response(order, signed.order_id, answer, self.context.now_ms())

    async def submit_batch(self, orders: Sequence[Order]) -> list[OrderAck]:
        if len(orders) > MAX_BATCH_ORDERS:
            raise VenueError(self.name, f"a batch takes at most {MAX_BATCH_ORDERS} orders")
        ready = [await self._ready(order) for order in orders]
        if any(signed is None for signed in ready):
            return [self._refused(o, "dry run: signed and logged, not sent") for o in orders]
        signed_orders = [s for s in ready if s is not None]
        bodies = [
            order_body(s, owner=self._api_key(), order_type=o.order_type, post_only=o.post_only)
            for s, o in zip(signed_orders, orders, strict=True)
        ]
        try:
            answers = await self.rest.post_orders(bodies)
        finally:
            for order in orders:
                self._signed.pop(order.client_order_id, None)
        now = self.context.now_ms()
        return [
            ack_from_response(order, signed.order_id, answer, now)
            for order, signed, answer in zip(orders, signed_orders, answers, strict=False)
        ]

    async def _ready(self, order: Order) -> SignedOrder | None:
        """The order signed (``None`` in a dry run, after logging it)."""
        await self.prepare([order])
        signed = self._signed.get(order.client_order_id) or self._sign(order)
        if self.config.dry_run:
            LOGGER.info(
                "dry run: %s %s %s @ %s signed as %s, not sent",
                order.side,
                order.size,
                order.token_id,
                order.price,
                signed.order_id,
            )
            return None
        if os.environ.get(LIVE_TRADING_ENV, "") != "1":
            # The execution component checks this first; a venue used some other way must
            # not trade real money on one switch.
            raise VenueError(self.name, f"live trading needs {LIVE_TRADING_ENV}=1")
        return signed

    def _sign(self, order: Order) -> SignedOrder:
        tick = self._ticks[order.token_id]
        if order.order_type.rests:
            amounts = limit_order_amounts(order.side, order.price, order.size, tick)
        else:
            spend = order.size * order.price if order.side is Side.BUY else order.size
            amounts = market_order_amounts(order.side, spend, order.price, tick)
        expiration = 0
        if order.order_type is OrderType.GTD and order.expires_at_ms is not None:
            expiration = order.expires_at_ms // 1000 + GTD_BUFFER_S
        digest = hashlib.blake2b(order.client_order_id.encode(), digest_size=8).digest()
        unsigned = self.signer.build(
            token_id=order.token_id,
            side=order.side,
            maker_amount=amounts.maker_amount,
            taker_amount=amounts.taker_amount,
            timestamp_ms=order.created_ms or self.context.now_ms(),
            salt=int.from_bytes(digest, "big") & _SALT_MASK,
            expiration=expiration,
        )
        signed = self.signer.sign(unsigned, neg_risk=self._neg_risk[order.token_id])
        self._signed[order.client_order_id] = signed
        return signed

    def _refused(self, order: Order, reason: str) -> OrderAck:
        self._signed.pop(order.client_order_id, None)
        return OrderAck(
            client_order_id=order.client_order_id,
            status=OrderStatus.REJECTED,
            reason=reason,
            timestamp_ms=self.context.now_ms(),
        )

    def _api_key(self) -> str:
        if self.credentials is None:
            raise SigningError(self.name, "no API credentials: orders cannot name their owner")
        return self.credentials.api_key

    # -- cancels and lookups -------------------------------------------------------------

    async def cancel(self, venue_order_id: str) -> CancelResult:
        return cancel_result(await self.rest.cancel(venue_order_id))

    async def cancel_many(self, venue_order_ids: Sequence[str]) -> CancelResult:
        return cancel_result(await self.rest.cancel_many(venue_order_ids))

    async def cancel_all(self, market_id: str | None = None) -> CancelResult:
        if market_id is None:
            return cancel_result(await self.rest.cancel_all())
        return cancel_result(await self.rest.cancel_market(market=market_id))

    async def open_orders(self, market_id: str | None = None) -> list[VenueOrder]:
        if self.credentials is None:  # a dry run without credentials has placed nothing
            return []
        listed = await self.rest.open_orders(market=market_id)
        return [order for order in map(venue_order, listed) if order is not None]

    async def get_order(self, venue_order_id: str) -> VenueOrder | None:
        if self.credentials is None:
            return None
        found = await self.rest.get_order(venue_order_id)
        return venue_order(found) if found is not None else None

    async def tick_size(self, token_id: str) -> Decimal:
        tick = self._ticks.get(token_id)
        if tick is None:
            tick = self._ticks[token_id] = await self.rest.tick_size(token_id)
        return tick
