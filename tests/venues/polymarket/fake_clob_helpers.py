"""Wallets, orders and a user-socket reader for the fake CLOB's tests."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

import trio

from agbotkit.model.books import Side
from agbotkit.model.orders import OrderType
from agbotkit.testing import FakeAccount, FakeClob
from agbotkit.venues.polymarket.amounts import limit_order_amounts
from agbotkit.venues.polymarket.body import order_body
from agbotkit.venues.polymarket.keys import SigningKey
from agbotkit.venues.polymarket.orders import SignedOrder
from agbotkit.venues.polymarket.signer import OrderSigner
from agbotkit.venues.polymarket.user_wire import UserSubscribe
from agbotkit.ws.client import ws_connect
from agbotkit.ws.connection import WsConnection

# Hardhat's first two development keys (public test keys, never funded).
KEY_A = SigningKey("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
KEY_B = SigningKey("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d")
ALICE = FakeAccount(
    KEY_A.address,
    "3e2c94ca-8124-c4c1-c7ea-be1ea21b71fe",
    base64.urlsafe_b64encode(bytes(range(32))).decode(),
    "alice-passphrase",
)
BOB = FakeAccount(
    KEY_B.address,
    "78132bc3-22af-6aa2-79ae-11929f821cae",
    base64.urlsafe_b64encode(bytes(range(100, 132))).decode(),
    "bob-passphrase",
)
TOKEN = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
NEG_RISK_TOKEN = "1234"
MARKET = "0x" + "cd" * 32
TIMESTAMP_MS = 1_764_000_000_000


def seed(fake: FakeClob) -> None:
    """A book of TOKEN: bids 0.48 x 100 and 0.47 x 100, asks 0.52 x 50 and 0.53 x 100."""
    fake.set_book(
        TOKEN,
        bids=[("0.48", "100"), ("0.47", "100")],
        asks=[("0.52", "50"), ("0.53", "100")],
        market=MARKET,
    )
    fake.set_book(NEG_RISK_TOKEN, tick_size="0.001", neg_risk=True, market="0x" + "ee" * 32)


def signed(
    side: Side,
    price: str,
    size: str,
    *,
    key: SigningKey = KEY_A,
    token: str = TOKEN,
    tick: str = "0.01",
    neg_risk: bool = False,
    signer: OrderSigner | None = None,
) -> SignedOrder:
    """A limit order signed by ``key`` with the reference rounding."""
    signer = signer or OrderSigner(key)
    amounts = limit_order_amounts(side, Decimal(price), Decimal(size), Decimal(tick))
    order = signer.build(
        token_id=token,
        side=side,
        maker_amount=amounts.maker_amount,
        taker_amount=amounts.taker_amount,
        timestamp_ms=TIMESTAMP_MS,
    )
    return signer.sign(order, neg_risk=neg_risk)


def body(
    order: SignedOrder,
    account: FakeAccount = ALICE,
    order_type: OrderType = OrderType.GTC,
    post_only: bool = False,
) -> dict[str, Any]:
    return order_body(order, owner=account.api_key, order_type=order_type, post_only=post_only)


async def user_socket(fake: FakeClob, account: FakeAccount = ALICE) -> WsConnection:
    """A user-channel connection, subscribed (its PONG arrived after the subscription)."""
    conn = await ws_connect(fake.ws_url)
    subscribe = UserSubscribe(account.api_key, account.secret, account.passphrase)
    await conn.send_text(subscribe.encode())
    await conn.send_text("PING")
    assert await conn.receive() == ["PONG"]
    return conn


async def events(conn: WsConnection, count: int) -> list[dict[str, Any]]:
    """The next ``count`` JSON events of a socket (bounded: a missing event fails)."""
    got: list[dict[str, Any]] = []
    with trio.fail_after(5):
        while len(got) < count:
            got.extend(json.loads(text) for text in await conn.receive() if isinstance(text, str))
    return got
