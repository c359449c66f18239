"""V2 orders signed byte for byte as Polymarket's reference clients sign them.

The vectors were produced by Polymarket's V2 Python client (``py-clob-client-v2``) and are
the ones NautilusTrader's Rust signer checks itself against: Hardhat's well-known test key #0
(a public key, never a real wallet), the Polygon V2 exchanges, and for POLY_1271 a made-up
deposit wallet ``0x1111...1111``.
"""

from __future__ import annotations

import copy
import json
import pickle
from decimal import Decimal
from fractions import Fraction

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agbotkit.errors import SigningError
from agbotkit.model.books import Side
from agbotkit.model.orders import OrderType
from agbotkit.venues.polymarket import eip712
from agbotkit.venues.polymarket.amounts import (
    TICK_SIZES,
    limit_order_amounts,
    market_order_amounts,
    round_config,
)
from agbotkit.venues.polymarket.keys import SigningKey, checksum_address, recover_address
from agbotkit.venues.polymarket.orders import (
    AMOY,
    ORDER_TYPE_STRING,
    POLYGON,
    ZERO_BYTES32,
    OrderSigner,
    OrderV2,
    SignatureType,
    encode_body,
    exchange_domain,
    order_body,
    order_digest,
    order_struct_hash,
    poly_1271_digest,
    split_poly_1271_signature,
)

HARDHAT_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
HARDHAT_0_ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
TOKEN = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
DEPOSIT_WALLET = "0x1111111111111111111111111111111111111111"
BUILDER_ONE = "0x" + "00" * 31 + "01"
KEY = SigningKey(HARDHAT_0)


def _order(
    salt: int,
    side: Side,
    signature_type: SignatureType,
    maker_amount: int,
    taker_amount: int,
    timestamp_ms: int = 1_713_398_400_000,
    builder: str = ZERO_BYTES32,
    token_id: str = TOKEN,
    maker: str = HARDHAT_0_ADDRESS,
) -> OrderV2:
    return OrderV2(
        salt=salt,
        maker=maker,
        signer=maker,
        token_id=token_id,
        maker_amount=maker_amount,
        taker_amount=taker_amount,
        side=side,
        signature_type=signature_type,
        timestamp_ms=timestamp_ms,
        builder=builder,
    )


# (order, neg_risk, digest, signature): table 4 of the protocol notes, cases a to e.
V2_VECTORS = {
    "a-buy-eoa": (
        _order(123456789, Side.BUY, SignatureType.EOA, 100_000_000, 50_000_000),
        False,
        "0x32961c48ddac87ed3582f8e02097cd0eff4fcf80460306bd44b3710438dfa64c",
        "0x89f178136333c8ebb32a19146cb891233e3202d474be6ef730c24dbc06ae4d2a0c99948a86d9b57de0f2c0bb8ec6964aa244ecf17cfa3a95b86878d0b64ad78a1b",
    ),
    "b-sell-neg-risk-eoa": (
        _order(987654321, Side.SELL, SignatureType.EOA, 50_000_000, 100_000_000),
        True,
        "0x8b878404bd92dea2bfea9975c9fcd816ec70a57ae431cb20d67bb773744aaef3",
        "0xf7d60d64364e2615b08d9f69f3ea9afd3b4f83ecfbf05ddd3ca83f4916277fb97d2d080758d17c8e91c928aceb8ff252477ebaec051b672832500f63b4d36b061c",
    ),
    "c-buy-builder-code": (
        _order(
            1,
            Side.BUY,
            SignatureType.EOA,
            100_000_000,
            50_000_000,
            timestamp_ms=1_713_398_500_000,
            builder=BUILDER_ONE,
        ),
        False,
        "0x3df0b6f6ddfca837bc36964cae968b34ad35640b5d98f557c104da97e804e36a",
        "0xf4d2b34659e8bc07a9572d40ee5a1639a1157409613b4c21566b1f33fd8fe11a364b3f306668cae7248ca7cdf72378f9266bc5628585aa939644400030671e081c",
    ),
    "d-buy-poly-proxy": (
        _order(111111111, Side.BUY, SignatureType.POLY_PROXY, 100_000_000, 50_000_000),
        False,
        "0x8f88fe2fb3448f4b8ba639992029f0a47a01a14d15b5f2bf9833516571efd279",
        "0x71a63c85b730cc934688f23ea6374afffef57a61690eba63dcb97a706c8a8d0f3d2a8e0280f3e252eb83be088ebae6b461a8eda18e559e079f59050b90057afa1c",
    ),
    "e-sell-neg-risk-gnosis-safe": (
        _order(222222222, Side.SELL, SignatureType.POLY_GNOSIS_SAFE, 50_000_000, 100_000_000),
        True,
        "0xb34248702810a1d76580234a33f942a9801c3680de54cb3ef104572a8d482190",
        "0xab9d33aee8b578fe5588c4a4b16bbef6fa05fc757020f95b98212e877a919e360a90296f02e97ecbabf3c200271ffe88eb9fd86912e8376cd27237bdad5f3abc1c",
    ),
}

_TYPE_STRING_HEX = ORDER_TYPE_STRING.encode().hex() + "00ba"
# POLY_1271 on Amoy (the reference client's own test): salt 479249096354, token 1234.
POLY_1271_AMOY_SIGNATURE = (
    "0xa3a093c83b6c20c83355c16ce94c92e6e9fcbdeb840618cc74f6c57a42ad145b"
    "2b98db73d2c73cbf1f2b6af288566ae81960ddbc3a13921027358a8bff3be6ff1c"
    "a440cbd865bc0c6243d7a8df9a8bf48a8827b0a4abbb61c30e96d305423af148"
    "d23d42d3ad94e65d78258cecaf8dcbaddac0f73dc085040f2c12bb595dd83804" + _TYPE_STRING_HEX
)
POLY_1271_AMOY_ORDER_ID = "0x2afca94626db91b2d556c351584a4cd93e13da32e377dc48c7983e43afa5ab47"
# POLY_1271 on Polygon, salt 333333333, on each exchange: (order id, signature).
POLY_1271_POLYGON = {
    False: (
        "0x48cfd4c03dcee72230750e2dc5ea71048e91244c2a9fec2ed6ef790a74869596",
        "0x780beffb568c4510b8a135a92ca8071f124cf368fb0e902fe451c5f51e555791"
        "0a2a87968caa08a242de85e83c27375fc09242e897aa77680f56622a54e6e7c"
        "61c3264e159346253e26a64e00b69032db0e7d32f94628de3e6eecb50304d"
        "7af3d2d3db4f9eed41f0490532a9460395d96602c6534a931bde4f0e3aad5"
        "71e4f84a0" + _TYPE_STRING_HEX,
    ),
    True: (
        "0x82b94b9d570fdd7b07f517ea848606a9b74029f2387fbf07d8b9c856d652e608",
        "0xa411986b67c58113f8787ee54c41def9376d57ef4262b56438438710720604b7"
        "00137e0175d7ae6afc40c2988179ad84b1b71a739f0974c8df3c12372f31b22c"
        "1c9b858f53327b0bd13af8ec14cfb35234fb9eb7b0504d1a4e61f433840d3"
        "0e81ad3db4f9eed41f0490532a9460395d96602c6534a931bde4f0e3aad571"
        "e4f84a0" + _TYPE_STRING_HEX,
    ),
}


def _signer_for(order: OrderV2) -> OrderSigner:
    funder = None if order.signature_type is SignatureType.EOA else order.maker
    return OrderSigner(KEY, signature_type=order.signature_type, funder=funder)


# --- keys -----------------------------------------------------------------------------------


def test_hardhat_key_zero_has_its_well_known_address() -> None:
    assert KEY.address == HARDHAT_0_ADDRESS
    assert SigningKey(HARDHAT_0[2:].upper()).address == HARDHAT_0_ADDRESS


@pytest.mark.parametrize(
    "address",
    [
        # EIP-55's own examples.
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ],
)
def test_checksum_addresses_follow_eip_55(address: str) -> None:
    assert checksum_address(address.lower()) == address
    assert checksum_address(bytes.fromhex(address[2:])) == address


def test_keccak256_is_ethereums_keccak_not_sha3() -> None:
    assert eip712.keccak256(b"").hex() == (
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    )
    assert eip712.keccak256(ORDER_TYPE_STRING.encode()).hex() == (
        "bb86318a2138f5fa8ae32fbe8e659f8fcf13cc6ae4014a707893055433818589"
    )


def test_the_fast_keccak_path_agrees_with_the_public_api_across_block_boundaries() -> None:
    # keccak-256 absorbs 136-byte blocks: lengths around one and two blocks included.
    for length in [*range(140), 271, 272, 273, 384, 1000]:
        data = bytes((i * 7 + length) % 256 for i in range(length))
        assert eip712.keccak256(data) == eip712.keccak256_public(data), length


def test_the_key_never_shows_itself() -> None:
    shown = [
        repr(KEY),
        str(KEY),
        f"{KEY}",
        f"{KEY!r}",
        repr([KEY]),
        repr(_signer_for(V2_VECTORS["d-buy-poly-proxy"][0])),
    ]
    secret = HARDHAT_0[2:]
    for text in shown:
        assert secret not in text.lower()
        assert secret[:16] not in text.lower()
    assert HARDHAT_0_ADDRESS in repr(KEY)


def test_the_key_cannot_be_pickled_or_copied() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(KEY)
    with pytest.raises(TypeError):
        copy.copy(KEY)


@pytest.mark.parametrize(
    "text",
    [
        HARDHAT_0[:-2] + "zz",  # not hex
        HARDHAT_0[:-2],  # too short
        HARDHAT_0 + "00",  # too long
        "0x" + "00" * 32,  # zero is not a key
        "0x" + "ff" * 32,  # above the curve's order
    ],
)
def test_a_bad_key_is_refused_without_being_quoted(text: str) -> None:
    with pytest.raises(SigningError) as caught:
        SigningKey(text)
    message = str(caught.value)
    assert text[2:20] not in message
    # No chained error (which could quote the text) travels with it.
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None


def test_recover_refuses_malformed_signatures() -> None:
    digest = bytes(32)
    signature = KEY.sign_digest(digest)
    assert recover_address(digest, signature) == HARDHAT_0_ADDRESS
    # v given as a bare recovery id (0/1) is accepted too.
    assert recover_address(digest, signature[:64] + bytes((signature[64] - 27,))) == (
        HARDHAT_0_ADDRESS
    )
    with pytest.raises(SigningError):
        recover_address(digest, signature[:64])
    with pytest.raises(SigningError, match="invalid v"):
        recover_address(digest, signature[:64] + b"\x05")
    with pytest.raises(SigningError):
        recover_address(digest, bytes(64) + b"\x1b")
    with pytest.raises(SigningError):
        KEY.sign_digest(b"short")


# --- the V2 vectors -------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(V2_VECTORS))
def test_v2_vectors_digest_and_signature_are_byte_identical(case: str) -> None:
    order, neg_risk, digest, signature = V2_VECTORS[case]
    signed = _signer_for(order).sign(order, neg_risk=neg_risk)
    assert signed.order_id == digest
    assert signed.signature == signature
    # The order id is the EIP-712 digest, computable by anyone holding the order.
    assert "0x" + order_digest(order, POLYGON, neg_risk=neg_risk).hex() == digest
    assert recover_address(bytes.fromhex(digest[2:]), bytes.fromhex(signature[2:])) == (
        HARDHAT_0_ADDRESS
    )
    assert signed.exchange == POLYGON.contract(neg_risk)


def test_neg_risk_markets_are_signed_for_the_neg_risk_exchange() -> None:
    order = V2_VECTORS["a-buy-eoa"][0]
    signer = _signer_for(order)
    plain = signer.sign(order, neg_risk=False)
    neg = signer.sign(order, neg_risk=True)
    assert plain.exchange == "0xE111180000d2663C0091e4f400237545B87B996B"
    assert neg.exchange == "0xe2222d279d744050d28e00520010520000310F59"
    assert plain.order_id != neg.order_id
    assert plain.signature != neg.signature
    assert exchange_domain(137, neg.exchange) != exchange_domain(137, plain.exchange)


def test_expiration_travels_unsigned() -> None:
    order = V2_VECTORS["a-buy-eoa"][0]
    signer = _signer_for(order)
    gtd = attrs.evolve(order, expiration=1_800_000_000)
    assert signer.sign(gtd, neg_risk=False).signature == V2_VECTORS["a-buy-eoa"][3]


# --- POLY_1271 ------------------------------------------------------------------------------


def test_poly_1271_on_amoy_matches_the_reference_signature() -> None:
    signer = OrderSigner(
        KEY, signature_type=SignatureType.POLY_1271, funder=DEPOSIT_WALLET, exchanges=AMOY
    )
    order = signer.build(
        token_id="1234",
        side=Side.BUY,
        maker_amount=100_000_000,
        taker_amount=50_000_000,
        timestamp_ms=1_710_000_000_000,
        salt=479249096354,
    )
    assert (order.maker, order.signer) == (DEPOSIT_WALLET, DEPOSIT_WALLET)
    signed = signer.sign(order, neg_risk=False)
    assert signed.signature.startswith("0xa3a093c83b6c20c8")
    assert len(signed.signature) == 636
    assert signed.signature == POLY_1271_AMOY_SIGNATURE
    assert signed.order_id == POLY_1271_AMOY_ORDER_ID

    # The wrapping: a 65-byte signature by the EOA over the TypedDataSign digest, then what
    # the deposit wallet needs to rebuild that digest.
    sig65, domain, contents, type_string = split_poly_1271_signature(
        bytes.fromhex(signed.signature[2:])
    )
    assert domain == exchange_domain(80002, AMOY.exchange)
    assert contents == order_struct_hash(order)
    assert type_string == ORDER_TYPE_STRING
    wrapped = poly_1271_digest(domain, contents, 80002, DEPOSIT_WALLET)
    assert recover_address(wrapped, sig65) == HARDHAT_0_ADDRESS
    # Over the plain order digest the same signature names someone else.
    assert recover_address(bytes.fromhex(signed.order_id[2:]), sig65) != HARDHAT_0_ADDRESS


@pytest.mark.parametrize("neg_risk", [False, True])
def test_poly_1271_on_polygon_matches_on_both_exchanges(neg_risk: bool) -> None:
    signer = OrderSigner(KEY, signature_type=SignatureType.POLY_1271, funder=DEPOSIT_WALLET)
    order = signer.build(
        token_id=TOKEN,
        side=Side.BUY,
        maker_amount=100_000_000,
        taker_amount=50_000_000,
        timestamp_ms=1_713_398_400_000,
        salt=333_333_333,
    )
    signed = signer.sign(order, neg_risk=neg_risk)
    assert (signed.order_id, signed.signature) == POLY_1271_POLYGON[neg_risk]


def test_split_refuses_what_is_not_a_poly_1271_signature() -> None:
    with pytest.raises(ValueError, match="too short"):
        split_poly_1271_signature(bytes(65))
    with pytest.raises(ValueError, match="length"):
        split_poly_1271_signature(bytes(65 + 64 + 10) + (11).to_bytes(2, "big"))


# --- maker, signer, funder ------------------------------------------------------------------

FUNDER = "0x" + "ab" * 20


@pytest.mark.parametrize(
    ("signature_type", "funder", "maker", "signer"),
    [
        (SignatureType.EOA, None, HARDHAT_0_ADDRESS, HARDHAT_0_ADDRESS),
        (SignatureType.EOA, HARDHAT_0_ADDRESS.lower(), HARDHAT_0_ADDRESS, HARDHAT_0_ADDRESS),
        (SignatureType.POLY_PROXY, FUNDER, checksum_address(FUNDER), HARDHAT_0_ADDRESS),
        (SignatureType.POLY_GNOSIS_SAFE, FUNDER, checksum_address(FUNDER), HARDHAT_0_ADDRESS),
        (SignatureType.POLY_1271, FUNDER, checksum_address(FUNDER), checksum_address(FUNDER)),
    ],
)
def test_each_signature_type_names_its_maker_and_signer(
    signature_type: SignatureType, funder: str | None, maker: str, signer: str
) -> None:
    order_signer = OrderSigner(KEY, signature_type=signature_type, funder=funder)
    order = order_signer.build(
        token_id=TOKEN,
        side=Side.SELL,
        maker_amount=10_000_000,
        taker_amount=4_000_000,
        timestamp_ms=1_713_398_400_000,
    )
    assert (order.maker, order.signer, order.signature_type) == (maker, signer, signature_type)
    signed = order_signer.sign(order, neg_risk=False)
    signature = bytes.fromhex(signed.signature[2:])
    if signature_type is SignatureType.POLY_1271:
        sig65, domain, contents, _ = split_poly_1271_signature(signature)
        digest = poly_1271_digest(domain, contents, 137, signer)
    else:
        sig65, digest = signature, bytes.fromhex(signed.order_id[2:])
    # Whatever the wallet, the key behind the order is the EOA.
    assert recover_address(digest, sig65) == HARDHAT_0_ADDRESS


@pytest.mark.parametrize(
    ("signature_type", "funder", "message"),
    [
        (SignatureType.EOA, FUNDER, "own funds"),
        (SignatureType.POLY_PROXY, None, "needs the funder"),
        (SignatureType.POLY_GNOSIS_SAFE, None, "needs the funder"),
        (SignatureType.POLY_1271, None, "needs the funder"),
        (SignatureType.POLY_PROXY, "0x1234", "funder"),
    ],
)
def test_a_wallet_without_the_address_it_needs_is_refused(
    signature_type: SignatureType, funder: str | None, message: str
) -> None:
    with pytest.raises(SigningError, match=message):
        OrderSigner(KEY, signature_type=signature_type, funder=funder)


def test_an_order_of_another_wallet_is_not_signed() -> None:
    order, _, _, _ = V2_VECTORS["a-buy-eoa"]
    proxy = OrderSigner(KEY, signature_type=SignatureType.POLY_PROXY, funder=FUNDER)
    with pytest.raises(SigningError, match="not this wallet's"):
        proxy.sign(order, neg_risk=False)


@pytest.mark.parametrize(
    "change",
    [
        {"maker_amount": -1},
        {"taker_amount": 1 << 256},
        {"token_id": "not a number"},
        {"metadata": "0x01"},
        {"builder": "0x" + "zz" * 32},
    ],
)
def test_a_field_that_does_not_fit_its_type_is_refused(change: dict[str, object]) -> None:
    order, _, _, _ = V2_VECTORS["a-buy-eoa"]
    bad = attrs.evolve(order, **change)
    with pytest.raises(SigningError, match="does not fit"):
        _signer_for(order).sign(bad, neg_risk=False)


# --- the JSON body --------------------------------------------------------------------------


def test_the_post_order_body_is_the_reference_shape_byte_for_byte() -> None:
    order, _, digest, signature = V2_VECTORS["a-buy-eoa"]
    signed = _signer_for(order).sign(order, neg_risk=False)
    body = order_body(signed, owner="api-key-uuid", order_type=OrderType.GTC)
    assert list(body) == ["order", "owner", "orderType", "deferExec", "postOnly"]
    assert list(body["order"]) == [
        "salt",
        "maker",
        "signer",
        "tokenId",
        "makerAmount",
        "takerAmount",
        "side",
        "expiration",
        "signatureType",
        "timestamp",
        "metadata",
        "builder",
        "signature",
    ]
    expected = (
        '{"order":{"salt":123456789,'
        f'"maker":"{HARDHAT_0_ADDRESS}","signer":"{HARDHAT_0_ADDRESS}",'
        f'"tokenId":"{TOKEN}","makerAmount":"100000000","takerAmount":"50000000",'
        '"side":"BUY","expiration":"0","signatureType":0,"timestamp":"1713398400000",'
        f'"metadata":"{ZERO_BYTES32}","builder":"{ZERO_BYTES32}","signature":"{signature}"}},'
        '"owner":"api-key-uuid","orderType":"GTC","deferExec":false,"postOnly":false}'
    )
    encoded = encode_body(body)
    assert encoded == expected.encode()
    # What the HMAC signs is what json.dumps gives with the reference client's options.
    assert encoded == json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    assert signed.order_id == digest


def test_a_batch_body_is_a_json_array_of_order_bodies() -> None:
    bodies = []
    for case in ("b-sell-neg-risk-eoa", "e-sell-neg-risk-gnosis-safe"):
        order, neg_risk, _, _ = V2_VECTORS[case]
        signed = _signer_for(order).sign(order, neg_risk=neg_risk)
        bodies.append(order_body(signed, owner="k", order_type=OrderType.GTD, post_only=True))
    encoded = encode_body(bodies)
    decoded = json.loads(encoded)
    assert [item["order"]["side"] for item in decoded] == ["SELL", "SELL"]
    assert [item["order"]["signatureType"] for item in decoded] == [0, 2]
    assert all(item["postOnly"] is True and item["orderType"] == "GTD" for item in decoded)
    assert encoded == json.dumps(bodies, separators=(",", ":"), ensure_ascii=False).encode()


@pytest.mark.parametrize("order_type", [OrderType.FOK, OrderType.FAK])
def test_post_only_is_refused_for_orders_that_do_not_rest(order_type: OrderType) -> None:
    order, _, _, _ = V2_VECTORS["a-buy-eoa"]
    signed = _signer_for(order).sign(order, neg_risk=False)
    with pytest.raises(SigningError, match="postOnly"):
        order_body(signed, owner="k", order_type=order_type, post_only=True)


# --- property: any order on the tick is consistent and recovers to its signer -------------------

_SIGNERS = [
    OrderSigner(KEY),
    OrderSigner(KEY, signature_type=SignatureType.POLY_GNOSIS_SAFE, funder=FUNDER),
]


@settings(max_examples=150, deadline=None)
@given(
    tick=st.sampled_from(TICK_SIZES),
    ticks=st.integers(min_value=1, max_value=9_999),
    size_units=st.integers(min_value=100, max_value=10**9),
    side=st.sampled_from(Side),
    market=st.booleans(),
    wallet=st.sampled_from(_SIGNERS),
    neg_risk=st.booleans(),
)
def test_amounts_are_integers_at_the_price_and_the_signature_recovers_the_signer(
    tick: Decimal,
    ticks: int,
    size_units: int,
    side: Side,
    market: bool,
    wallet: OrderSigner,
    neg_risk: bool,
) -> None:
    price = tick * (1 + ticks % (int(1 / tick) - 1))  # on the tick, in [tick, 1 - tick]
    size = Decimal(size_units).scaleb(-4)
    if market:
        amounts = market_order_amounts(side, size, price, tick)
    else:
        amounts = limit_order_amounts(side, price, size, tick)
    maker, taker = amounts.maker_amount, amounts.taker_amount
    assert isinstance(maker, int)
    assert isinstance(taker, int)
    assert maker > 0
    assert taker > 0
    paid, shares = (maker, taker) if side is Side.BUY else (taker, maker)
    if market and side is Side.BUY:
        # Shares are floored to the notional's decimals: per share the buyer pays at least
        # the price, and one more step of shares would cost more than it pays.
        step = 10 ** (6 - round_config(tick).amount)
        assert Fraction(paid, shares) >= Fraction(price)
        assert Fraction(price) * (shares + step) > paid
    else:
        # A notional of 2-decimal shares at a p-decimal price always fits in p + 2 decimals:
        # the amounts state the price exactly.
        assert Fraction(paid) == Fraction(price) * shares
    order = wallet.build(
        token_id=TOKEN,
        side=side,
        maker_amount=maker,
        taker_amount=taker,
        timestamp_ms=1_713_398_400_000,
    )
    signed = wallet.sign(order, neg_risk=neg_risk)
    assert (
        recover_address(bytes.fromhex(signed.order_id[2:]), bytes.fromhex(signed.signature[2:]))
        == KEY.address
    )
    assert signed.order_id == "0x" + order_digest(order, POLYGON, neg_risk=neg_risk).hex()
