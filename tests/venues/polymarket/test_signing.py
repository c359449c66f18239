"""V2 orders signed byte for byte as Polymarket's reference clients sign them: the five V2
vectors, POLY_1271, neg-risk routing, each wallet's maker and signer, and a property over
random orders on the tick."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agbotkit.errors import SigningError
from agbotkit.model.books import Side
from agbotkit.venues.polymarket.amounts import (
    TICK_SIZES,
    limit_order_amounts,
    market_order_amounts,
    round_config,
)
from agbotkit.venues.polymarket.deposit_wallet import poly_1271_digest, split_poly_1271_signature
from agbotkit.venues.polymarket.keys import checksum_address, recover_address
from agbotkit.venues.polymarket.orders import (
    AMOY,
    ORDER_TYPE_STRING,
    POLYGON,
    SignatureType,
    exchange_domain,
    order_digest,
    order_struct_hash,
)
from agbotkit.venues.polymarket.signer import OrderSigner

from .vectors import (
    DEPOSIT_WALLET,
    HARDHAT_0_ADDRESS,
    KEY,
    POLY_1271_AMOY_ORDER_ID,
    POLY_1271_AMOY_SIGNATURE,
    POLY_1271_POLYGON,
    TOKEN,
    V2_VECTORS,
    signer_for,
)

# --- the V2 vectors -------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(V2_VECTORS))
def test_v2_vectors_digest_and_signature_are_byte_identical(case: str) -> None:
    order, neg_risk, digest, signature = V2_VECTORS[case]
    signed = signer_for(order).sign(order, neg_risk=neg_risk)
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
    signer = signer_for(order)
    plain = signer.sign(order, neg_risk=False)
    neg = signer.sign(order, neg_risk=True)
    assert plain.exchange == "0xE111180000d2663C0091e4f400237545B87B996B"
    assert neg.exchange == "0xe2222d279d744050d28e00520010520000310F59"
    assert plain.order_id != neg.order_id
    assert plain.signature != neg.signature
    assert exchange_domain(137, neg.exchange) != exchange_domain(137, plain.exchange)


def test_expiration_travels_unsigned() -> None:
    order = V2_VECTORS["a-buy-eoa"][0]
    signer = signer_for(order)
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
        signer_for(order).sign(bad, neg_risk=False)


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
