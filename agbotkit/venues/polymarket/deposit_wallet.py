"""``POLY_1271``: orders of a deposit wallet, signed by the key behind it.

A deposit wallet is a smart-contract wallet that checks signatures through ERC-1271; it is
both maker and signer of its orders. Its key does not sign the order's digest directly but
the order's hash wrapped in ERC-7739's ``TypedDataSign`` with the wallet's own domain
(``DepositWallet``, version ``1``), and the signature sent carries what the wallet needs to
rebuild that digest::

    signature (65) || exchange domain separator (32) || hashStruct(order) (32)
        || Order type string (UTF-8) || its length (uint16, big-endian)

316 bytes for the V2 order type: 636 hex characters with ``0x``.
"""

from __future__ import annotations

from agbotkit.venues.polymarket.eip712 import (
    address_word,
    keccak256,
    string_word,
    type_hash,
    typed_data_digest,
    uint_word,
)
from agbotkit.venues.polymarket.orders import ORDER_TYPE_STRING

__all__ = ["poly_1271_digest", "poly_1271_signature", "split_poly_1271_signature"]

# POLY_1271: the deposit wallet's own domain and ERC-7739's wrapper type.
_TYPED_DATA_SIGN_TYPEHASH = type_hash(
    "TypedDataSign(Order contents,string name,string version,uint256 chainId,"
    "address verifyingContract,bytes32 salt)" + ORDER_TYPE_STRING
)
_DEPOSIT_WALLET_NAME = string_word("DepositWallet")
_DEPOSIT_WALLET_VERSION = string_word("1")
_ORDER_TYPE_TRAILER = ORDER_TYPE_STRING.encode() + len(ORDER_TYPE_STRING).to_bytes(2, "big")


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


def poly_1271_signature(signature: bytes, domain: bytes, contents_hash: bytes) -> bytes:
    """The bytes sent for a ``POLY_1271`` order: the key's 65-byte signature over
    :func:`poly_1271_digest`, then the domain, the contents hash and the order type."""
    return signature + domain + contents_hash + _ORDER_TYPE_TRAILER


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
