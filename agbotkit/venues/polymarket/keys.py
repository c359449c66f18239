"""The wallet's private key, its address, and the signatures it makes.

:class:`SigningKey` holds a secp256k1 private key and never shows it: its ``repr`` and ``str``
name only the address, it refuses to be pickled or copied (so it cannot end up in a queue, a
cache or the database by accident), and no error it raises quotes the key.

Signatures are Ethereum's 65 bytes ``r || s || v``: RFC 6979 deterministic nonces and low
``s`` (what libsecp256k1 always produces, through coincurve), ``v = 27 + recovery id``. The
same digest and key therefore always give the same bytes, which is how the test vectors of
Polymarket's reference clients can be matched byte for byte.
"""

from __future__ import annotations

import contextlib
import functools
from typing import NoReturn

import coincurve

from agbotkit.errors import CredentialsError, SigningError
from agbotkit.venues.polymarket.eip712 import keccak256, parse_address

__all__ = ["SigningKey", "address_of_public_key", "checksum_address", "recover_address"]

VENUE = "polymarket"


def checksum_address(address: str | bytes) -> str:
    """The EIP-55 spelling of an address: ``0x`` and 40 hex digits whose letters are upper
    case where the keccak-256 of the lower-case hex has a nibble of 8 or more.

    Args:
        address: 20 bytes, or ``0x`` and 40 hex digits in any case.

    Raises:
        ValueError: when ``address`` is not an address.
    """
    raw = parse_address(address) if isinstance(address, str) else address
    if len(raw) != 20:
        raise ValueError(f"an address has 20 bytes, not {len(raw)}")
    return _checksummed(bytes(raw))


@functools.lru_cache(maxsize=4096)
def _checksummed(raw: bytes) -> str:
    # Cached: a process checks the same few wallets on every order.
    hex_digits = raw.hex()
    nibbles = keccak256(hex_digits.encode()).hex()
    return "0x" + "".join(
        char.upper() if nibble in "89abcdef" else char
        for char, nibble in zip(hex_digits, nibbles[:40], strict=True)
    )


def address_of_public_key(public_key: coincurve.PublicKey) -> str:
    """The checksummed address of a public key: the last 20 bytes of the keccak-256 of its
    uncompressed point without the ``0x04`` prefix."""
    return checksum_address(keccak256(public_key.format(compressed=False)[1:])[-20:])


def recover_address(digest: bytes, signature: bytes) -> str:
    """The checksummed address whose key made ``signature`` (65 bytes ``r || s || v``, ``v``
    27/28 or 0/1) over the 32-byte ``digest``.

    What a verifier (such as a fake CLOB) compares with the order's signer: a signature made
    by another key, or over other bytes, recovers to another address.

    Raises:
        SigningError: when the digest or the signature is malformed or recovers no key.
    """
    if len(digest) != 32 or len(signature) != 65:
        raise SigningError(VENUE, "a signature has 65 bytes and a digest 32")
    v = signature[64]
    recovery_id = v - 27 if v >= 27 else v
    if recovery_id not in (0, 1):
        raise SigningError(VENUE, f"signature has an invalid v ({v})")
    try:
        public_key = coincurve.PublicKey.from_signature_and_message(
            signature[:64] + bytes((recovery_id,)), digest, hasher=None
        )
    except ValueError as error:
        raise SigningError(VENUE, f"signature recovers no key: {error}") from None
    return address_of_public_key(public_key)


class SigningKey:
    """A secp256k1 private key that signs 32-byte digests and never shows itself.

    Args:
        private_key_hex: 64 hex digits, with or without ``0x``.

    Raises:
        CredentialsError: when the text is not a valid private key (the message never
            quotes it).

    Attributes:
        address: the key's checksummed (EIP-55) address, e.g.
            ``0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266``.
    """

    __slots__ = ("_key", "address")

    def __init__(self, private_key_hex: str) -> None:
        text = private_key_hex.strip()
        if text[:2] in ("0x", "0X"):
            text = text[2:]
        key = None
        # The error is raised after the handler, so no chained error can quote the text.
        with contextlib.suppress(ValueError):
            key = coincurve.PrivateKey(bytes.fromhex(text)) if len(text) == 64 else None
        if key is None:
            raise CredentialsError("the private key is not 32 bytes of hex in secp256k1's range")
        self._key = key
        self.address: str = address_of_public_key(self._key.public_key)

    def sign_digest(self, digest: bytes) -> bytes:
        """Sign a 32-byte digest: 65 bytes ``r || s || v`` with ``v = 27 + recovery id``."""
        if len(digest) != 32:
            raise SigningError(VENUE, f"a digest has 32 bytes, not {len(digest)}")
        signature = self._key.sign_recoverable(digest, hasher=None)
        return signature[:64] + bytes((27 + signature[64],))

    def __repr__(self) -> str:
        return f"SigningKey(address={self.address!r})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        # A pickled or copied key would be a second place the secret lives.
        raise TypeError("a SigningKey cannot be pickled or copied")
