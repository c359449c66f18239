"""Polymarket V2 orders: the signed struct, its hash, and which exchange verifies it.

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

Who is maker and who signs depends on the wallet (:class:`SignatureType`); see
:mod:`.signer` for the rules and the hot path that signs, :mod:`.deposit_wallet` for the
``POLY_1271`` wrapping, and :mod:`.body` for the JSON that is sent.
"""

from __future__ import annotations

import enum
import functools
import random

import attrs

from agbotkit.model.books import Side
from agbotkit.venues.polymarket.eip712 import (
    address_word,
    bytes32_word,
    domain_separator,
    keccak256,
    type_hash,
    typed_data_digest,
    uint_word,
)

__all__ = [
    "AMOY",
    "ORDER_TYPEHASH",
    "ORDER_TYPE_STRING",
    "POLYGON",
    "SIDE_WORD",
    "ZERO_BYTES32",
    "ZERO_WORD",
    "Exchanges",
    "OrderV2",
    "SignatureType",
    "SignedOrder",
    "bytes32_field",
    "exchange_domain",
    "order_digest",
    "order_struct_hash",
    "random_salt",
]

ORDER_TYPE_STRING = (
    "Order(uint256 salt,address maker,address signer,uint256 tokenId,uint256 makerAmount,"
    "uint256 takerAmount,uint8 side,uint8 signatureType,uint256 timestamp,bytes32 metadata,"
    "bytes32 builder)"
)
ORDER_TYPEHASH = type_hash(ORDER_TYPE_STRING)
EXCHANGE_DOMAIN_NAME = "Polymarket CTF Exchange"
EXCHANGE_DOMAIN_VERSION = "2"
ZERO_BYTES32 = "0x" + "00" * 32
ZERO_WORD = bytes(32)
#: The ``side`` field's word per side.
SIDE_WORD = {Side.BUY: (0).to_bytes(32, "big"), Side.SELL: (1).to_bytes(32, "big")}

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


def bytes32_field(value: str) -> bytes:
    """The word of a ``bytes32`` field (``metadata``, ``builder``) given as hex."""
    # Most orders carry no metadata and no builder code: skip parsing the zero word.
    return ZERO_WORD if value == ZERO_BYTES32 else bytes32_word(value)


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
        + SIDE_WORD[order.side]
        + uint_word(int(order.signature_type), 8)
        + uint_word(order.timestamp_ms)
        + bytes32_field(order.metadata)
        + bytes32_field(order.builder)
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
