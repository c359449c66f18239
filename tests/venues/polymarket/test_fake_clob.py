"""The fake CLOB driven by the real REST client, real signed orders and the user channel."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
import trio
import trio.testing

from agbotkit.errors import (
    CancelOnlyError,
    OrderOutcomeUnknownError,
    RateLimitedError,
    VenueError,
    WsClosed,
)
from agbotkit.model.books import Side
from agbotkit.model.orders import OrderType, TradeStatus
from agbotkit.testing import FakeAccount, FakeClob
from agbotkit.venues.polymarket.credentials import ApiCredentials
from agbotkit.venues.polymarket.l1 import l1_headers
from agbotkit.venues.polymarket.orders import SignatureType
from agbotkit.venues.polymarket.rest import ClobRestClient
from agbotkit.venues.polymarket.signer import OrderSigner
from agbotkit.venues.polymarket.transport import ClobTransport, RestConfig, encode_body
from agbotkit.venues.polymarket.user_translate import UserIdentity, decode_user_frame
from agbotkit.venues.polymarket.user_wire import UserSubscribe, encode_user_add_markets
from agbotkit.ws.client import ws_connect
from agbotkit.ws.connection import WsConnection

from .fake_clob_helpers import (
    ALICE,
    BOB,
    KEY_A,
    KEY_B,
    MARKET,
    NEG_RISK_TOKEN,
    TOKEN,
    body,
    events,
    seed,
    signed,
    user_socket,
)


@pytest.fixture
def clock() -> trio.testing.MockClock:
    return trio.testing.MockClock(autojump_threshold=0.01)


@pytest.fixture
async def fake(nursery: trio.Nursery) -> FakeClob:
    server = FakeClob(accounts=[ALICE, BOB], heartbeat_timeout_s=10.0)
    seed(server)
    await nursery.start(server.run)
    return server


def client_of(fake: FakeClob, account: FakeAccount, **config: object) -> ClobRestClient:
    transport = ClobTransport(
        RestConfig(base_url=fake.url, timeout_s=5.0, **config),  # type: ignore[arg-type]
        address=account.address,
        credentials=account.credentials,
    )
    return ClobRestClient(transport)


@pytest.fixture
async def alice(fake: FakeClob) -> AsyncIterator[ClobRestClient]:
    client = client_of(fake, ALICE)
    async with client.transport:
        yield client


@pytest.fixture
async def bob(fake: FakeClob) -> AsyncIterator[ClobRestClient]:
    client = client_of(fake, BOB)
    async with client.transport:
        yield client


# -- orders are checked like the venue checks them -------------------------------------------


async def test_a_valid_order_rests_under_its_hash(fake: FakeClob, alice: ClobRestClient) -> None:
    order = signed(Side.BUY, "0.45", "10")
    answer = await alice.post_order(body(order))
    assert (answer.success, answer.order_id, answer.status) == (True, order.order_id, "live")
    assert answer.trade_ids == []
    [listed] = await alice.open_orders(market=MARKET)
    assert (listed.id, listed.price, listed.original_size, listed.status) == (
        order.order_id,
        "0.45",
        "10",
        "LIVE",
    )
    assert (await alice.get_order(order.order_id)) == listed
    assert fake.orders == [body(order)]
    again = await alice.post_order(body(order))
    assert not again.success
    assert again.error_msg is not None
    assert "Duplicated" in again.error_msg


async def test_a_tampered_order_is_refused(fake: FakeClob, alice: ClobRestClient) -> None:
    tampered = body(signed(Side.BUY, "0.45", "10"))
    tampered["order"]["makerAmount"] = str(int(tampered["order"]["makerAmount"]) + 1)
    answer = await alice.post_order(tampered)
    assert (answer.success, answer.error_msg) == (False, "invalid signature")
    # Signed for the wrong exchange: the neg-risk token's orders use the neg-risk one.
    wrong = signed(Side.BUY, "0.45", "10", token=NEG_RISK_TOKEN, tick="0.001", neg_risk=False)
    answer = await alice.post_order(body(wrong))
    assert (answer.success, answer.error_msg) == (False, "invalid signature")
    right = signed(Side.BUY, "0.45", "10", token=NEG_RISK_TOKEN, tick="0.001", neg_risk=True)
    assert (await alice.post_order(body(right))).success
    # Bob's valid order sent with Alice's key: the signer is not the key's wallet.
    answer = await alice.post_order(body(signed(Side.BUY, "0.45", "10", key=KEY_B)))
    assert answer.error_msg == "the order signer address has to be the address of the API KEY"
    assert [o.id for o in await alice.open_orders()] == [right.order_id]


async def test_owner_and_payload_are_checked(alice: ClobRestClient) -> None:
    with pytest.raises(VenueError, match="400 the order owner has to be the owner"):
        await alice.post_order(body(signed(Side.BUY, "0.45", "10"), BOB))
    broken = body(signed(Side.BUY, "0.45", "10"))
    broken["order"]["salt"] = str(broken["order"]["salt"])
    with pytest.raises(VenueError, match="400 Invalid order payload"):
        await alice.post_order(broken)
    with pytest.raises(VenueError, match="400 Invalid token id"):
        await alice.post_order(body(signed(Side.BUY, "0.45", "10", token="999")))


async def test_tick_size_amounts_and_minimum_size(alice: ClobRestClient) -> None:
    signer = OrderSigner(KEY_A)

    async def post(maker: int, taker: int) -> str | None:
        order = signer.build(
            token_id=TOKEN,
            side=Side.BUY,
            maker_amount=maker,
            taker_amount=taker,
            timestamp_ms=1,
        )
        answer = await alice.post_order(body(signer.sign(order, neg_risk=False)))
        assert not answer.success
        return answer.error_msg

    assert "breaks minimum tick size rule: 0.01" in (await post(5_050_000, 10_000_000) or "")
    assert "Amounts" in (await post(5_000_500, 10_001_000) or "")  # 3 decimals of shares
    assert "lower than the minimum: 5" in (await post(1_500_000, 3_000_000) or "")
    assert "breaks minimum tick size rule" in (await post(9_950_000, 10_000_000) or "")


async def test_batches_hold_at_most_15(fake: FakeClob, alice: ClobRestClient) -> None:
    orders = [body(signed(Side.BUY, "0.4", str(10 + n))) for n in range(16)]
    with pytest.raises(VenueError, match="400 Too many orders in payload, max 15"):
        await alice.transport.request(
            "POST", "/orders", body=encode_body(orders), private=True, order_submit=True
        )
    orders[1]["order"]["signature"] = orders[0]["order"]["signature"]
    answers = await alice.post_orders(orders[:15])
    assert [a.success for a in answers] == [True, False] + [True] * 13
    assert len(await alice.open_orders()) == 14


async def test_a_wrong_hmac_or_key_is_401(fake: FakeClob) -> None:
    for account in (
        FakeAccount(ALICE.address, ALICE.api_key, BOB.secret, ALICE.passphrase),
        FakeAccount(ALICE.address, ALICE.api_key, ALICE.secret, "wrong"),
        FakeAccount(BOB.address, ALICE.api_key, ALICE.secret, ALICE.passphrase),
        FakeAccount(ALICE.address, "unknown-key", ALICE.secret, ALICE.passphrase),
    ):
        client = client_of(fake, account)
        async with client.transport:
            with pytest.raises(VenueError, match="401 Unauthorized/Invalid api key"):
                await client.cancel_all()
    assert fake.exchange.orders == {}


async def test_signature_types_proxy_and_deposit_wallet(alice: ClobRestClient) -> None:
    wallet = "0x" + "11" * 20
    for kind in (SignatureType.POLY_PROXY, SignatureType.POLY_1271):
        signer = OrderSigner(KEY_A, signature_type=kind, funder=wallet)
        order = signed(Side.BUY, "0.3", "10", signer=signer)
        answer = await alice.post_order(body(order))
        assert (answer.success, answer.order_id) == (True, order.order_id)
        bad = body(order)
        bad["order"]["signature"] = bad["order"]["signature"][:-4] + "0000"
        assert (await alice.post_order(bad)).error_msg == "invalid signature"
    foreign = OrderSigner(KEY_B, signature_type=SignatureType.POLY_1271, funder=wallet)
    answer = await alice.post_order(body(signed(Side.BUY, "0.3", "11", signer=foreign)))
    assert answer.error_msg == "invalid signature"


# -- matching and the user channel -----------------------------------------------------------


async def test_a_marketable_order_trades_and_settles_on_the_user_channel(
    fake: FakeClob, alice: ClobRestClient, bob: ClobRestClient
) -> None:
    bob_ask = signed(Side.SELL, "0.51", "10", key=KEY_B)
    alice_socket, bob_socket = await user_socket(fake, ALICE), await user_socket(fake, BOB)
    assert (await bob.post_order(body(bob_ask, BOB))).status == "live"
    [placement] = await events(bob_socket, 1)
    assert (placement["type"], placement["status"], placement["id"]) == (
        "PLACEMENT",
        "LIVE",
        bob_ask.order_id,
    )

    buy = signed(Side.BUY, "0.52", "30")
    answer = await alice.post_order(body(buy))
    assert (answer.status, answer.taking_amount) == ("matched", "30")
    assert answer.making_amount == "15.5"  # 10 x 0.51 + 20 x 0.52
    assert answer.trade_ids is not None
    assert len(answer.trade_ids) == 2
    first = answer.trade_ids[0]
    for _ in range(2):
        assert await fake.step(first) in ("MINED", "CONFIRMED")
    assert await fake.settle(answer.trade_ids[1]) == "CONFIRMED"

    me = UserIdentity(ALICE.api_key, KEY_A.address)
    frames = await events(alice_socket, 6)
    fills = [f for e in frames for f in decode_user_frame(json.dumps(e), me)]
    assert [(f.trade_id == first, f.trade_status) for f in fills] == [
        (True, TradeStatus.MATCHED),
        (False, TradeStatus.MATCHED),
        (True, TradeStatus.MINED),
        (True, TradeStatus.CONFIRMED),
        (False, TradeStatus.MINED),
        (False, TradeStatus.CONFIRMED),
    ]
    assert {(f.price, f.size, f.side, f.taker, f.order_id) for f in fills} == {
        (Decimal("0.51"), Decimal(10), Side.BUY, True, buy.order_id),
        (Decimal("0.52"), Decimal(20), Side.BUY, True, buy.order_id),
    }
    # Bob's side: his order's update, then his maker fill inside maker_orders.
    bob_frames = await events(bob_socket, 4)
    assert (bob_frames[0]["type"], bob_frames[0]["status"]) == ("UPDATE", "MATCHED")
    bob_me = UserIdentity(BOB.api_key, KEY_B.address)
    bob_fills = [f for e in bob_frames[1:] for f in decode_user_frame(json.dumps(e), bob_me)]
    assert [(f.side, f.size, f.taker, f.trade_status) for f in bob_fills] == [
        (Side.SELL, Decimal(10), False, TradeStatus.MATCHED),
        (Side.SELL, Decimal(10), False, TradeStatus.MINED),
        (Side.SELL, Decimal(10), False, TradeStatus.CONFIRMED),
    ]
    assert bob_frames[1]["trader_side"] == "MAKER"
    assert bob_frames[1]["maker_orders"][0]["order_id"] == bob_ask.order_id
    trades = await alice.trades()
    assert {t.status for t in trades} == {"CONFIRMED"}
    assert await bob.open_orders() == []


async def test_failed_trades_go_retrying_then_failed(fake: FakeClob, alice: ClobRestClient) -> None:
    socket = await user_socket(fake)
    fake.faults.fail_trades = True
    answer = await alice.post_order(body(signed(Side.SELL, "0.48", "10"), order_type=OrderType.FOK))
    assert answer.trade_ids is not None
    [trade_id] = answer.trade_ids
    assert await fake.settle(trade_id) == "FAILED"
    frames = await events(socket, 3)
    assert [(f["id"], f["status"]) for f in frames] == [
        (trade_id, "MATCHED"),
        (trade_id, "RETRYING"),
        (trade_id, "FAILED"),
    ]


async def test_automatic_settlement(clock: trio.testing.MockClock, nursery: trio.Nursery) -> None:
    fake = FakeClob(accounts=[ALICE], settle_after_s=2.0)
    seed(fake)
    await nursery.start(fake.run)
    socket = await user_socket(fake)
    async with client_of(fake, ALICE).transport as transport:
        await ClobRestClient(transport).post_order(body(signed(Side.BUY, "0.52", "5")))
    frames = await events(socket, 3)
    assert [f["status"] for f in frames] == ["MATCHED", "MINED", "CONFIRMED"]


async def test_fok_fak_and_post_only(fake: FakeClob, alice: ClobRestClient) -> None:
    fok = await alice.post_order(body(signed(Side.BUY, "0.52", "60"), order_type=OrderType.FOK))
    assert not fok.success
    assert fok.error_msg is not None
    assert "FOK orders are fully filled or killed" in fok.error_msg
    crossing = body(signed(Side.BUY, "0.52", "10"), post_only=True)
    assert (await alice.post_order(crossing)).error_msg == (
        "invalid post-only order: order crosses book"
    )
    fak = await alice.post_order(body(signed(Side.BUY, "0.52", "60"), order_type=OrderType.FAK))
    assert (fak.success, fak.taking_amount) == (True, "50")
    assert await alice.open_orders() == []  # the rest was killed
    nothing = await alice.post_order(body(signed(Side.BUY, "0.40", "6"), order_type=OrderType.FAK))
    assert nothing.error_msg is not None
    assert "no orders found to match" in nothing.error_msg


async def test_cancels_and_pages(fake: FakeClob, alice: ClobRestClient) -> None:
    fake.page_size = 2
    ids = [
        (await alice.post_order(body(signed(Side.BUY, "0.3", str(10 + n))))).order_id
        for n in range(5)
    ]
    assert [o.id for o in await alice.open_orders()] == ids
    pages = [r.query.get("next_cursor") for r in fake.requests if r.path == "/data/orders"]
    assert pages[0] == "MA=="
    assert len(pages) == 3

    one = await alice.cancel(ids[0])
    assert (one.canceled, one.not_canceled) == ([ids[0]], {})
    again = await alice.cancel_many([ids[0], ids[1], "0xunknown"])
    assert again.canceled == [ids[1]]
    assert again.not_canceled == {
        ids[0]: "already canceled or matched",
        "0xunknown": "order not found",
    }
    assert (await alice.cancel_market(market=MARKET)).canceled == ids[2:]
    assert (await alice.cancel_all()).canceled == []
    assert (await alice.get_order(ids[0])) is not None
    assert (await alice.get_order("0x" + "00" * 32)) is None


async def test_the_user_channel_ignores_a_wrong_subscription(
    fake: FakeClob, alice: ClobRestClient
) -> None:
    impostor = FakeAccount(ALICE.address, ALICE.api_key, BOB.secret, ALICE.passphrase)
    socket = await user_socket(fake, impostor)
    await alice.post_order(body(signed(Side.BUY, "0.4", "10")))
    await socket.send_text("PING")
    assert await socket.receive() == ["PONG"]  # and no order event before it


async def test_the_dead_man_switch(
    clock: trio.testing.MockClock, fake: FakeClob, alice: ClobRestClient
) -> None:
    order = signed(Side.BUY, "0.4", "10")
    await alice.post_order(body(order))
    await trio.sleep(60)  # no heartbeat yet: nothing is armed
    assert len(await alice.open_orders()) == 1
    for _ in range(3):
        assert (await alice.heartbeat()).status == "ok"
        await trio.sleep(9)
    assert fake.heartbeat_cancels == []
    await trio.sleep(2)
    assert fake.heartbeat_cancels == [order.order_id]
    assert await alice.open_orders() == []


# -- L1 and public endpoints -----------------------------------------------------------------


async def test_l1_creates_and_derives_the_same_credentials(fake: FakeClob) -> None:
    async with httpx.AsyncClient(base_url=fake.url) as http:
        created = await http.post("/auth/api-key", headers=l1_headers(KEY_B, 1_764_000_000, 3))
        derived = await http.get(
            "/auth/derive-api-key", headers=l1_headers(KEY_B, 1_764_000_009, 3)
        )
        forged = l1_headers(KEY_A, 1_764_000_000) | {"POLY_ADDRESS": KEY_B.address}
        refused = await http.get("/auth/derive-api-key", headers=forged)
    assert created.status_code == derived.status_code == 200
    assert created.json() == derived.json()
    assert (refused.status_code, refused.json()) == (401, {"error": "Invalid L1 Request headers"})
    answer = created.json()
    credentials = ApiCredentials(answer["apiKey"], answer["secret"], answer["passphrase"])
    client = client_of(fake, FakeAccount.of(KEY_B.address, credentials))
    async with client.transport:
        assert (await client.heartbeat()).status == "ok"


async def test_public_endpoints(fake: FakeClob, alice: ClobRestClient) -> None:
    assert await alice.tick_size(NEG_RISK_TOKEN) == Decimal("0.001")
    assert await alice.neg_risk(NEG_RISK_TOKEN) is True
    assert await alice.fee_rate_bps(TOKEN) == 0
    assert await alice.server_time() > 1_700_000_000
    async with httpx.AsyncClient(base_url=fake.url) as http:
        assert (await http.get("/version")).json() == {"version": 2}
        book = (await http.get("/book", params={"token_id": TOKEN})).json()
        missing = await http.get("/book", params={"token_id": "5"})
    assert [level["price"] for level in book["bids"]] == ["0.47", "0.48"]  # best last
    assert [level["price"] for level in book["asks"]] == ["0.53", "0.52"]
    assert missing.status_code == 404


# -- faults ----------------------------------------------------------------------------------


async def test_a_hung_order_is_placed_all_the_same(
    clock: trio.testing.MockClock, fake: FakeClob, alice: ClobRestClient
) -> None:
    fake.faults.hang_orders = 1
    order = signed(Side.BUY, "0.4", "10")
    with pytest.raises(OrderOutcomeUnknownError, match="no answer to POST /order within 5 s"):
        await alice.post_order(body(order))
    assert [o.id for o in await alice.open_orders()] == [order.order_id]
    assert len(fake.orders) == 1


async def test_server_errors_cancel_only_and_cloudflare(
    clock: trio.testing.MockClock, fake: FakeClob, alice: ClobRestClient
) -> None:
    fake.faults.server_errors = 1
    with pytest.raises(OrderOutcomeUnknownError, match="500 Internal server error"):
        await alice.post_order(body(signed(Side.BUY, "0.4", "10")))
    assert fake.exchange.orders == {}
    fake.faults.server_errors = 2
    assert await alice.open_orders() == []  # a GET is tried again
    order = signed(Side.BUY, "0.4", "11")
    await alice.post_order(body(order))
    fake.faults.cancel_only = True
    with pytest.raises(CancelOnlyError, match="cancel-only"):
        await alice.post_order(body(signed(Side.BUY, "0.4", "12")))
    assert (await alice.cancel_all()).canceled == [order.order_id]
    fake.faults.cloudflare = 1
    with pytest.raises(VenueError, match="403, request blocked"):
        await alice.cancel_all()


async def test_429_and_rate_limits(
    clock: trio.testing.MockClock, fake: FakeClob, alice: ClobRestClient
) -> None:
    fake.faults.too_many_requests, fake.faults.retry_after_s = 1, 3.0
    with pytest.raises(RateLimitedError) as caught:
        await alice.cancel_all()
    assert caught.value.retry_after_s == 3.0
    fake.faults.limit("DELETE /order", 2, window_s=10.0)
    await trio.sleep(5)
    for _ in range(2):
        await alice.cancel("0x01")
    with pytest.raises(RateLimitedError) as caught:
        await alice.cancel("0x01")
    assert caught.value.retry_after_s == pytest.approx(10.0, abs=0.1)
    statuses = [r.path for r in fake.requests]
    assert statuses.count("/order") == 3


async def _read_until_closed(socket: WsConnection) -> None:
    while True:
        await socket.receive()


async def test_dropped_user_sockets_are_closed(fake: FakeClob) -> None:
    socket = await user_socket(fake)
    assert fake.drop_user_sockets() == 1
    with trio.fail_after(5):
        with pytest.raises(WsClosed):
            await _read_until_closed(socket)
    again = await user_socket(fake)
    assert fake.user_sockets == 1
    await again.aclose()


async def test_as_a_context_manager() -> None:
    async with FakeClob(accounts=[ALICE]) as fake:
        fake.set_book(TOKEN, asks=[("0.5", "10")])
        async with httpx.AsyncClient(base_url=fake.url) as http:
            assert (await http.get("/time")).status_code == 200
        assert fake.ws_url.endswith("/ws/user")


def test_account_repr_hides_the_secret() -> None:
    text = repr(ALICE) + str(ALICE)
    assert ALICE.secret not in text
    assert ALICE.passphrase not in text
    assert ALICE.api_key in text


async def test_the_user_channel_follows_the_markets_asked_for(
    fake: FakeClob, alice: ClobRestClient
) -> None:
    conn = await ws_connect(fake.ws_url)
    subscribe = UserSubscribe(ALICE.api_key, ALICE.secret, ALICE.passphrase, ["0xother"])
    await conn.send_text(subscribe.encode())
    await alice.post_order(body(signed(Side.BUY, "0.4", "10")))
    await conn.send_text(encode_user_add_markets([MARKET]))
    await conn.send_text("PING")
    assert await conn.receive() == ["PONG"]  # the first order's event was not for us
    order = signed(Side.BUY, "0.4", "11")
    await alice.post_order(body(order))
    [placement] = await events(conn, 1)
    assert placement["id"] == order.order_id
    await conn.aclose()


async def test_a_book_moving_through_a_resting_order_fills_it(
    fake: FakeClob, alice: ClobRestClient
) -> None:
    # The fake's books follow live or replayed ones: when the new book's asks reach below
    # a resting bid, that flow trades with it, at the resting order's price.
    socket = await user_socket(fake)
    bid = signed(Side.BUY, "0.50", "10")
    assert (await alice.post_order(body(bid))).status == "live"
    await events(socket, 1)  # its PLACEMENT
    fake.set_book(TOKEN, bids=[("0.44", "100")], asks=[("0.49", "4"), ("0.50", "3")], market=MARKET)
    frames = await events(socket, 4)  # each crossing ask is a taker: update, trade, twice
    updates = [f for f in frames if f["event_type"] == "order"]
    trades = [f for f in frames if f["event_type"] == "trade"]
    assert [u["size_matched"] for u in updates] == ["4", "7"]
    assert [(t["price"], t["size"], t["status"], t["trader_side"]) for t in trades] == [
        ("0.5", "4", "MATCHED", "MAKER"),
        ("0.5", "3", "MATCHED", "MAKER"),
    ]
    me = UserIdentity(ALICE.api_key, KEY_A.address)
    fills = [f for t in trades for f in decode_user_frame(json.dumps(t), me)]
    assert [(f.order_id, f.side, f.size, f.price, f.taker) for f in fills] == [
        (bid.order_id, Side.BUY, Decimal(4), Decimal("0.50"), False),
        (bid.order_id, Side.BUY, Decimal(3), Decimal("0.50"), False),
    ]
    [left] = await alice.open_orders(market=MARKET)
    assert (left.size_matched, left.status) == ("7", "LIVE")
    async with httpx.AsyncClient(base_url=fake.url) as http:
        book = (await http.get("/book", params={"token_id": TOKEN})).json()
    assert book["asks"] == []  # the crossing flow was used up
    # A book that does not cross leaves the order alone.
    fake.set_book(TOKEN, bids=[("0.44", "100")], asks=[("0.55", "10")], market=MARKET)
    [still] = await alice.open_orders(market=MARKET)
    assert still.size_matched == "7"
