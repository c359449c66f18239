"""L1 authentication: the wallet proves it controls its address (EIP-712 ``ClobAuth``).

The CLOB creates or derives API credentials (``POST /auth/api-key``, ``GET
/auth/derive-api-key``) for whoever signs, with the wallet's key, the typed data::

    ClobAuth(address address,string timestamp,uint256 nonce,string message)

in the domain ``ClobAuthDomain`` version ``1`` of the chain, which has no
``verifyingContract``. ``timestamp`` is the decimal string of the unix seconds sent in the
``POLY_TIMESTAMP`` header, ``message`` a fixed sentence. The request carries four headers:
``POLY_ADDRESS``, ``POLY_SIGNATURE``, ``POLY_TIMESTAMP`` and ``POLY_NONCE``. The same nonce
always derives the same credentials.
"""

from __future__ import annotations

from agbotkit.venues.polymarket.eip712 import (
    address_word,
    domain_separator,
    keccak256,
    string_word,
    type_hash,
    typed_data_digest,
    uint_word,
)
from agbotkit.venues.polymarket.keys import SigningKey

__all__ = ["CLOB_AUTH_MESSAGE", "clob_auth_digest", "l1_headers", "sign_clob_auth"]

CLOB_AUTH_MESSAGE = "This message attests that I control the given wallet"
CLOB_AUTH_TYPEHASH = type_hash(
    "ClobAuth(address address,string timestamp,uint256 nonce,string message)"
)
_MESSAGE_WORD = string_word(CLOB_AUTH_MESSAGE)


def clob_auth_digest(address: str, timestamp_s: int, nonce: int, chain_id: int = 137) -> bytes:
    """The digest a wallet signs to authenticate as ``address`` at ``timestamp_s``.

    Args:
        address: the signing wallet's address.
        timestamp_s: unix seconds, as sent in ``POLY_TIMESTAMP``.
        nonce: the key nonce (0 unless several credentials are wanted).
        chain_id: 137 on Polygon, 80002 on Amoy.
    """
    struct_hash = keccak256(
        CLOB_AUTH_TYPEHASH
        + address_word(address)
        + string_word(str(timestamp_s))
        + uint_word(nonce)
        + _MESSAGE_WORD
    )
    domain = domain_separator("ClobAuthDomain", "1", chain_id)
    return typed_data_digest(domain, struct_hash)


def sign_clob_auth(key: SigningKey, timestamp_s: int, nonce: int = 0, chain_id: int = 137) -> str:
    """The ``POLY_SIGNATURE`` of an L1 request: ``0x`` and 65 bytes ``r || s || v``."""
    digest = clob_auth_digest(key.address, timestamp_s, nonce, chain_id)
    return "0x" + key.sign_digest(digest).hex()


def l1_headers(
    key: SigningKey, timestamp_s: int, nonce: int = 0, chain_id: int = 137
) -> dict[str, str]:
    """The four headers of an L1 request (``timestamp_s`` from the caller's clock, or from
    the server's ``GET /time`` to avoid skew)."""
    return {
        "POLY_ADDRESS": key.address,
        "POLY_SIGNATURE": sign_clob_auth(key, timestamp_s, nonce, chain_id),
        "POLY_TIMESTAMP": str(timestamp_s),
        "POLY_NONCE": str(nonce),
    }
