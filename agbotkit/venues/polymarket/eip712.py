"""The little of EIP-712 that Polymarket's typed data needs, and nothing generic.

EIP-712 signs ``keccak256(0x19 0x01 || domainSeparator || hashStruct(message))`` where
``hashStruct(m) = keccak256(typeHash || enc(field_1) || ... || enc(field_n))`` and ``typeHash``
is the keccak-256 of the struct's type string (``Order(uint256 salt,address maker,...)``).
Every field Polymarket signs is a static type, encoded in one 32-byte word:

* ``uint256`` / ``uint8``: the integer, big-endian;
* ``address``: the 20 bytes, left-padded with zeros;
* ``bytes32``: the 32 bytes as they are;
* ``string``: the keccak-256 of its UTF-8 bytes.

There are no arrays and no nested structs, so there is no generic encoder here: a caller joins
the words of its fields in the order of its type string, which keeps the signing hot path to a
few ``bytes`` concatenations and two keccak calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from Crypto.Hash import keccak as _keccak
from Crypto.Util import _raw_api

__all__ = [
    "DOMAIN_TYPE",
    "DOMAIN_TYPE_NO_CONTRACT",
    "address_word",
    "bytes32_word",
    "domain_separator",
    "keccak256",
    "keccak256_public",
    "parse_address",
    "string_word",
    "type_hash",
    "typed_data_digest",
    "uint_word",
]

#: The domain type of a contract's typed data (Polymarket's exchanges).
DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
#: The domain type without a contract (Polymarket's ``ClobAuth`` API-key messages).
DOMAIN_TYPE_NO_CONTRACT = "EIP712Domain(string name,string version,uint256 chainId)"

_new_keccak = _keccak.new
_UINT256_LIMIT = 1 << 256
_PREFIX = b"\x19\x01"
_ADDRESS_PAD = bytes(12)


def keccak256_public(data: bytes) -> bytes:
    """keccak-256 through pycryptodome's public API (a hash object per call)."""
    return _new_keccak(digest_bits=256, data=data).digest()


# Signing an order takes two keccak-256 calls, and through the public API each spends most of
# its 6 µs building and freeing a hash object. pycryptodome's own one-shot function (what its
# public SHA3_256.digest uses) does the same hashing in about half the time; its keccak module
# does not expose it, so it is looked up here and checked against the public API at import.
# Should a release rename it, the public API is used: slower, never wrong.
_oneshot: Any = getattr(getattr(_keccak, "_raw_keccak_lib", None), "keccak_oneshot", None)
_output = getattr(_raw_api, "create_string_buffer", None)
_result = getattr(_raw_api, "get_raw_buffer", None)


def _keccak256_oneshot(data: bytes) -> bytes:
    out = _output(32)  # type: ignore[misc]  # present whenever this function is used
    # Arguments: 32 output bytes, capacity 64 bytes (keccak-256), 24 rounds, padding 0x01
    # (original Keccak, not SHA-3's 0x06).
    if _oneshot(data, len(data), out, 32, 64, 24, 0x01):
        raise ValueError("keccak-256 failed")
    return _result(out)  # type: ignore[misc, no-any-return]  # as above


def _pick_keccak() -> Callable[[bytes], bytes]:
    if _oneshot is None or _output is None or _result is None:
        return keccak256_public
    try:
        probes = (b"", b"abc", bytes(range(200)))
        if all(_keccak256_oneshot(p) == keccak256_public(p) for p in probes):
            return _keccak256_oneshot
    except Exception:  # any failure of a private interface means: do not use it
        pass
    return keccak256_public


#: The Ethereum keccak-256 of bytes (the original Keccak padding, not SHA3-256's).
keccak256: Callable[[bytes], bytes] = _pick_keccak()


def type_hash(type_string: str) -> bytes:
    """The ``typeHash`` of a struct: keccak-256 of its type string, e.g.
    ``ClobAuth(address address,string timestamp,uint256 nonce,string message)``."""
    return keccak256(type_string.encode())


def uint_word(value: int, bits: int = 256) -> bytes:
    """Encode an unsigned integer of ``bits`` bits (``uint8``, ``uint256``) as one word.

    Raises:
        ValueError: when ``value`` is negative or does not fit in ``bits`` bits.
    """
    if not 0 <= value < (_UINT256_LIMIT if bits == 256 else 1 << bits):
        raise ValueError(f"{value} is not a uint{bits}")
    return value.to_bytes(32, "big")


def parse_address(address: str) -> bytes:
    """The 20 bytes of a ``0x``-prefixed hex address (any letter case; the EIP-55 checksum
    is not checked here).

    Raises:
        ValueError: when ``address`` is not ``0x`` followed by 40 hex digits.
    """
    if len(address) != 42 or not address.startswith(("0x", "0X")):
        raise ValueError(f"not an address: {address!r}")
    return bytes.fromhex(address[2:])


def address_word(address: str) -> bytes:
    """Encode an address as one word (left-padded with zeros)."""
    return _ADDRESS_PAD + parse_address(address)


def bytes32_word(value: str) -> bytes:
    """Encode a ``bytes32`` given as ``0x`` and all 64 hex digits (it is one word already).

    Shorter hex is refused rather than padded: what is sent in JSON must be the value that
    was signed, and a padded value would not be.

    Raises:
        ValueError: when ``value`` is not ``0x`` followed by 64 hex digits.
    """
    if len(value) != 66 or not value.startswith(("0x", "0X")):
        raise ValueError(f"not a bytes32 (0x and 64 hex digits): {value!r}")
    return bytes.fromhex(value[2:])


def string_word(value: str) -> bytes:
    """Encode a ``string`` field: the keccak-256 of its UTF-8 bytes."""
    return keccak256(value.encode())


def domain_separator(
    name: str, version: str, chain_id: int, verifying_contract: str | None = None
) -> bytes:
    """The ``domainSeparator`` (hashStruct of ``EIP712Domain``) of a signing domain.

    Args:
        name: the domain's ``name`` (``Polymarket CTF Exchange``, ``ClobAuthDomain``).
        version: the domain's ``version`` (``"2"`` for V2 orders).
        chain_id: the chain (137 Polygon, 80002 Amoy).
        verifying_contract: the contract whose typed data this is; ``None`` for a domain
            without one (its type string then has no ``verifyingContract``).
    """
    words = [string_word(name), string_word(version), uint_word(chain_id)]
    if verifying_contract is None:
        return keccak256(type_hash(DOMAIN_TYPE_NO_CONTRACT) + b"".join(words))
    words.append(address_word(verifying_contract))
    return keccak256(type_hash(DOMAIN_TYPE) + b"".join(words))


def typed_data_digest(domain: bytes, struct_hash: bytes) -> bytes:
    """The digest that is signed: ``keccak256(0x1901 || domainSeparator || hashStruct)``."""
    return keccak256(_PREFIX + domain + struct_hash)
