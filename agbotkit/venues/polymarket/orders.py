"""Polymarket V2 orders: the signed struct, its hash (the order id), and the POST /order body.

Since 2026-04-28 the CLOB accepts only V2 orders: EIP-712 typed data in the domain
``Polymarket CTF Exchange`` version ``2`` on Polygon (chain 137), whose ``verifyingContract``
is the CTF Exchange, or the neg-risk CTF Exchange for a market with ``neg_risk`` set (the same
order signed for the wrong one is refused as an invalid signature). The struct is::

    Order(uint256 salt,address maker,address signer,uint256 tokenId,uint256 makerAmount,
          uint256 takerAmount,uint8 side,uint8 signatureType,uint256 timestamp,
          bytes32 metadata,bytes32 builder)

``side`` is 0 for BUY and 1 for SELL, ``timestamp`` the creation time in milliseconds;
``expiration`` travels in the JSON (for GTD) but is not signed. The EIP-712 digest of an
order is also its id on the CLOB, so the id is known before the order is sent.

Who is maker and who signs depends on the wallet (:class:`SignatureType`):

* ``EOA``: the key's own address is maker and signer;
* ``POLY_PROXY``, ``POLY_GNOSIS_SAFE``: the funds sit in a proxy or Safe wallet (the
  "funder"), which is the maker; the key's address signs;
* ``POLY_1271``: a deposit wallet (a smart-contract wallet that checks signatures through
  ERC-1271) is both maker and signer. The key signs a digest that wraps the order
  (ERC-7739 ``TypedDataSign``), and the signature carries what the wallet needs to rebuild
  it: ``sig(65) || domainSeparator(32) || hashStruct(order)(32) || type string ||
  uint16 length of the type string``.

:class:`OrderSigner` holds a key and a wallet, precomputes both exchanges' domain separators
and the wallet's encoded addresses, and builds and signs orders with nothing generic on the
way. :func:`order_body` and :func:`encode_body` give the JSON that is sent (and HMAC-signed).
"""

from __future__ import annotations

import enum
import functools
import random
from collections.abc import Sequence
from typing import Any

import attrs
import msgspec

from agbotkit.errors import SigningError
from agbotkit.model.books import Side
from agbotkit.model.orders import OrderType
from agbotkit.venues.polymarket.eip712 import (
    address_word,
    bytes32_word,
    domain_separator,
    keccak256,
    string_word,
    type_hash,
    typed_data_digest,
    uint_word,
)
from agbotkit.venues.polymarket.keys import SigningKey, checksum_address

__all__ = [
    "AMOY",
    "ORDER_TYPE_STRING",
    "POLYGON",
    "ZERO_BYTES32",
    "Exchanges",
    "OrderSigner",
    "OrderV2",
    "SignatureType",
    "SignedOrder",
    "encode_body",
    "exchange_domain",
    "order_body",
    "order_digest",
    "order_struct_hash",
    "poly_1271_digest",
    "random_salt",
    "split_poly_1271_signature",
]

VENUE = "polymarket"

ORDER_TYPE_STRING = (
    "Order(uint256 salt,address maker,address signer,uint256 tokenId,uint256 makerAmount,"
    "uint256 takerAmount,uint8 side,uint8 signatureType,uint256 timestamp,bytes32 metadata,"
    "bytes32 builder)"
)
ORDER_TYPEHASH = type_hash(ORDER_TYPE_STRING)
EXCHANGE_DOMAIN_NAME = "Polymarket CTF Exchange"
EXCHANGE_DOMAIN_VERSION = "2"
ZERO_BYTES32 = "0x" + "00" * 32

# POLY_1271: the deposit wallet's own domain and ERC-7739's wrapper type.
_TYPED_DATA_SIGN_TYPEHASH = type_hash(
    "TypedDataSign(Order contents,string name,string version,uint256 chainId,"
    "address verifyingContract,bytes32 salt)" + ORDER_TYPE_STRING
)
_DEPOSIT_WALLET_NAME = string_word("DepositWallet")
_DEPOSIT_WALLET_VERSION = string_word("1")
_ORDER_TYPE_TRAILER = ORDER_TYPE_STRING.encode() + len(ORDER_TYPE_STRING).to_bytes(2, "big")

_ZERO_WORD = bytes(32)
_SIDE_WORD = {Side.BUY: (0).to_bytes(32, "big"), Side.SELL: (1).to_bytes(32, "big")}
# The reference client draws salts below the current time in milliseconds (about 2**41):
# staying in that range keeps the JSON number exact for any parser. A salt only makes equal
# orders distinct, it guards no secret: a seeded Mersenne Twister (0.1 µs) is enough, where
# `secrets` would cost a system call per order.
_SALT_BITS = 41
_salt_bits = random.Random().getrandbits


class SignatureType(enum.IntEnum):
    """How an order's signature is checked, which decides its maker and signer."""

    EOA = 0
    POLY_PROXY = 1
    POLY_GNOSIS_SAFE = 2
    POLY_1271 = 3


@attrs.frozen
class Exchanges:
    """The two V2 exchange contracts of one chain.

    Attributes:
        chain_id: the chain (137 Polygon, 80002 Amoy).
        exchange: the CTF Exchange, for markets without ``neg_risk``.
        neg_risk_exchange: the neg-risk CTF Exchange, for markets with ``neg_risk``.
    """

    chain_id: int
    exchange: str
    neg_risk_exchange: str

    def contract(self, neg_risk: bool) -> str:
        """The exchange that verifies an order of a market with this ``neg_risk`` flag."""
        return self.neg_risk_exchange if neg_risk else self.exchange


#: Polygon mainnet, where Polymarket trades.
POLYGON = Exchanges(
    137,
    "0xE111180000d2663C0091e4f400237545B87B996B",
    "0xe2222d279d744050d28e00520010520000310F59",
)
#: Amoy, Polygon's test chain (the same V2 addresses).
AMOY = attrs.evolve(POLYGON, chain_id=80002)


@attrs.frozen(kw_only=True)
class OrderV2:
    """An unsigned V2 order, field for field what is signed (plus ``expiration``).

    Attributes:
        salt: a random number that makes otherwise equal orders distinct.
        maker: the address whose funds trade (checksummed).
        signer: the address whose signature the exchange checks (checksummed).
        token_id: the outcome token, as the decimal string Polymarket uses.
        maker_amount: what the maker gives, in millionths.
        taker_amount: what the maker gets, in millionths.
        side: BUY or SELL.
        signature_type: the wallet kind (see :class:`SignatureType`).
        timestamp_ms: creation time, milliseconds since the epoch.
        metadata: ``bytes32`` hex (``0x`` and 64 digits), zero by default.
        builder: the builder code, ``bytes32`` hex, zero by default.
        expiration: unix seconds after which a GTD order ends, 0 for none; sent, not signed.
    """

    salt: int
    maker: str
    signer: str
    token_id: str
    maker_amount: int
    taker_amount: int
    side: Side
    signature_type: SignatureType
    timestamp_ms: int
    metadata: str = ZERO_BYTES32
    builder: str = ZERO_BYTES32
    expiration: int = 0


@attrs.frozen
class SignedOrder:
    """An order with its signature, ready to send.

    Attributes:
        order: the order as signed.
        signature: ``0x`` hex: 65 bytes, or the longer POLY_1271 wrapping.
        order_id: ``0x`` hex of the order's EIP-712 digest: its id on the CLOB.
        exchange: the verifying contract it was signed for.
    """

    order: OrderV2
    signature: str
    order_id: str
    exchange: str


def _bytes32(value: str) -> bytes:
    # Most orders carry no metadata and no builder code: skip parsing the zero word.
    return _ZERO_WORD if value == ZERO_BYTES32 else bytes32_word(value)


def random_salt() -> int:
    """A fresh random salt, in the range the reference client uses."""
    return _salt_bits(_SALT_BITS)


def order_struct_hash(order: OrderV2) -> bytes:
    """``hashStruct`` of an order (what POLY_1271 calls the contents hash).

    Raises:
        ValueError: when a field does not fit its type.
    """
    return keccak256(
        ORDER_TYPEHASH
        + uint_word(order.salt)
        + address_word(order.maker)
        + address_word(order.signer)
        + uint_word(int(order.token_id))
        + uint_word(order.maker_amount)
        + uint_word(order.taker_amount)
        + _SIDE_WORD[order.side]
        + uint_word(int(order.signature_type), 8)
        + uint_word(order.timestamp_ms)
        + bytes32_word(order.metadata)
        + bytes32_word(order.builder)
    )


@functools.lru_cache(maxsize=16)
def exchange_domain(chain_id: int, contract: str) -> bytes:
    """The domain separator of V2 orders verified by ``contract`` on ``chain_id``."""
    return domain_separator(EXCHANGE_DOMAIN_NAME, EXCHANGE_DOMAIN_VERSION, chain_id, contract)


def order_digest(order: OrderV2, exchanges: Exchanges, *, neg_risk: bool) -> bytes:
    """The EIP-712 digest of an order (its id on the CLOB, and what types 0 to 2 sign).

    Raises:
        ValueError: when a field does not fit its type.
    """
    domain = exchange_domain(exchanges.chain_id, exchanges.contract(neg_risk))
    return typed_data_digest(domain, order_struct_hash(order))


def poly_1271_digest(domain: bytes, contents_hash: bytes, chain_id: int, wallet: str) -> bytes:
    """What the key behind a ``POLY_1271`` deposit wallet signs: the order's hash wrapped in
    ERC-7739's ``TypedDataSign`` with the wallet's own domain (``DepositWallet``, version 1,
    the chain, the wallet's address, zero salt), in the exchange's domain.

    Args:
        domain: the exchange's domain separator.
        contents_hash: ``hashStruct`` of the order.
        chain_id: the chain.
        wallet: the deposit wallet's address (the order's maker and signer).
    """
    wallet_struct = keccak256(
        _TYPED_DATA_SIGN_TYPEHASH
        + contents_hash
        + _DEPOSIT_WALLET_NAME
        + _DEPOSIT_WALLET_VERSION
        + uint_word(chain_id)
        + address_word(wallet)
        + bytes(32)
    )
    return typed_data_digest(domain, wallet_struct)


def split_poly_1271_signature(signature: bytes) -> tuple[bytes, bytes, bytes, str]:
    """The parts of a ``POLY_1271`` signature: the 65-byte ECDSA signature, the exchange's
    domain separator, the order's contents hash and the order's type string.

    Raises:
        ValueError: when the bytes do not have that layout.
    """
    if len(signature) < 65 + 64 + 2:
        raise ValueError("too short for a POLY_1271 signature")
    length = int.from_bytes(signature[-2:], "big")
    if len(signature) != 65 + 64 + length + 2:
        raise ValueError("the type string's length does not match the signature's")
    return (
        signature[:65],
        signature[65:97],
        signature[97:129],
        signature[129:-2].decode(),
    )


class OrderSigner:
    """Builds and signs V2 orders for one wallet on one chain.

    Args:
        key: the private key that signs.
        signature_type: the wallet kind.
        funder: the address holding the funds: the proxy or Safe for ``POLY_PROXY`` and
            ``POLY_GNOSIS_SAFE``, the deposit wallet for ``POLY_1271``; ``None`` (or the
            key's own address) for ``EOA``.
        exchanges: the chain and its exchange contracts.

    Raises:
        SigningError: when the wallet kind and the funder do not go together.

    Attributes:
        maker: the address every order of this signer names as maker.
        signer: the address every order names as signer.
    """

    def __init__(
        self,
        key: SigningKey,
        *,
        signature_type: SignatureType = SignatureType.EOA,
        funder: str | None = None,
        exchanges: Exchanges = POLYGON,
    ) -> None:
        self._key = key
        self.signature_type = SignatureType(signature_type)
        self.exchanges = exchanges
        try:
            funder = None if funder is None else checksum_address(funder)
        except ValueError as error:
            raise SigningError(VENUE, f"funder: {error}") from None
        if self.signature_type is SignatureType.EOA:
            if funder not in (None, key.address):
                raise SigningError(VENUE, "an EOA wallet trades its own funds: give no funder")
            self.maker = self.signer = key.address
        elif funder is None:
            raise SigningError(
                VENUE, f"signature type {self.signature_type.name} needs the funder's address"
            )
        elif self.signature_type is SignatureType.POLY_1271:
            self.maker = self.signer = funder
        else:
            self.maker, self.signer = funder, key.address
        self._maker_word = address_word(self.maker)
        self._signer_word = address_word(self.signer)
        self._type_word = uint_word(int(self.signature_type), 8)
        self._domains = {
            contract: exchange_domain(exchanges.chain_id, contract)
            for contract in (exchanges.exchange, exchanges.neg_risk_exchange)
        }

    def build(
        self,
        *,
        token_id: str,
        side: Side,
        maker_amount: int,
        taker_amount: int,
        timestamp_ms: int,
        salt: int | None = None,
        expiration: int = 0,
        metadata: str = ZERO_BYTES32,
        builder: str = ZERO_BYTES32,
    ) -> OrderV2:
        """An unsigned order of this wallet (maker, signer and signature type filled in).

        ``salt`` defaults to :func:`random_salt`.
        """
        return OrderV2(
            salt=random_salt() if salt is None else salt,
            maker=self.maker,
            signer=self.signer,
            token_id=token_id,
            maker_amount=maker_amount,
            taker_amount=taker_amount,
            side=side,
            signature_type=self.signature_type,
            timestamp_ms=timestamp_ms,
            metadata=metadata,
            builder=builder,
            expiration=expiration,
        )

    def sign(self, order: OrderV2, *, neg_risk: bool) -> SignedOrder:
        """Sign an order of this wallet for the exchange its market's ``neg_risk`` picks.

        Raises:
            SigningError: when the order's maker, signer or signature type are not this
                wallet's, or a field does not fit its type.
        """
        if (
            order.maker != self.maker
            or order.signer != self.signer
            or order.signature_type is not self.signature_type
        ):
            raise SigningError(
                VENUE, "the order's maker, signer or signature type are not this wallet's"
            )
        contract = self.exchanges.contract(neg_risk)
        domain = self._domains[contract]
        try:
            struct_hash = keccak256(
                ORDER_TYPEHASH
                + order.salt.to_bytes(32, "big")
                + self._maker_word
                + self._signer_word
                + int(order.token_id).to_bytes(32, "big")
                + order.maker_amount.to_bytes(32, "big")
                + order.taker_amount.to_bytes(32, "big")
                + _SIDE_WORD[order.side]
                + self._type_word
                + order.timestamp_ms.to_bytes(32, "big")
                + _bytes32(order.metadata)
                + _bytes32(order.builder)
            )
        except (OverflowError, ValueError) as error:
            raise SigningError(VENUE, f"order field does not fit its type: {error}") from None
        digest = typed_data_digest(domain, struct_hash)
        if self.signature_type is SignatureType.POLY_1271:
            wrapped = poly_1271_digest(domain, struct_hash, self.exchanges.chain_id, self.signer)
            signature = self._key.sign_digest(wrapped) + domain + struct_hash + _ORDER_TYPE_TRAILER
        else:
            signature = self._key.sign_digest(digest)
        return SignedOrder(order, "0x" + signature.hex(), "0x" + digest.hex(), contract)

    def __repr__(self) -> str:
        return (
            f"OrderSigner(signature_type={self.signature_type.name}, maker={self.maker!r}, "
            f"signer={self.signer!r}, chain_id={self.exchanges.chain_id})"
        )


def order_body(
    signed: SignedOrder,
    *,
    owner: str,
    order_type: OrderType,
    post_only: bool = False,
    defer_exec: bool = False,
) -> dict[str, Any]:
    """The JSON object of ``POST /order`` (one element of ``POST /orders``), keys in the
    reference client's order.

    Args:
        signed: the signed order.
        owner: the API key the order is sent with.
        order_type: GTC, GTD, FOK or FAK.
        post_only: refuse the order if it would trade at once (GTC and GTD only).
        defer_exec: V2's ``deferExec`` flag (false unless you know why).

    Raises:
        SigningError: ``post_only`` with an order type that does not rest.
    """
    if post_only and not order_type.rests:
        raise SigningError(VENUE, f"postOnly is for GTC and GTD orders, not {order_type}")
    order = signed.order
    return {
        "order": {
            "salt": order.salt,
            "maker": order.maker,
            "signer": order.signer,
            "tokenId": order.token_id,
            "makerAmount": str(order.maker_amount),
            "takerAmount": str(order.taker_amount),
            "side": order.side.value,
            "expiration": str(order.expiration),
            "signatureType": int(order.signature_type),
            "timestamp": str(order.timestamp_ms),
            "metadata": order.metadata,
            "builder": order.builder,
            "signature": signed.signature,
        },
        "owner": owner,
        "orderType": order_type.value,
        "deferExec": defer_exec,
        "postOnly": post_only,
    }


_encode = msgspec.json.Encoder().encode


def encode_body(body: dict[str, Any] | Sequence[dict[str, Any]]) -> bytes:
    """The bytes to send (and HMAC-sign) for one body or a batch: compact JSON, UTF-8, no
    ASCII escaping, keys in insertion order (what ``json.dumps(body, separators=(",", ":"),
    ensure_ascii=False)`` gives)."""
    return _encode(body)
