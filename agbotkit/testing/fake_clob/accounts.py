"""The fake CLOB's accounts: API credentials it accepts, and those it derives (pure).

An account is one API key with its secret and passphrase, bound to the wallet address that
must come in ``POLY_ADDRESS``. L1 requests (``POST /auth/api-key``, ``GET
/auth/derive-api-key``) get credentials derived from the wallet address and the nonce, the
same every time, as the venue's derivation is.
"""

from __future__ import annotations

import base64
import hashlib
import uuid

import attrs

from agbotkit.venues.polymarket.credentials import ApiCredentials
from agbotkit.venues.polymarket.keys import checksum_address

__all__ = ["FakeAccount", "derived_account"]


@attrs.frozen(repr=False)
class FakeAccount:
    """One API key the fake accepts.

    Attributes:
        address: the wallet that must come as ``POLY_ADDRESS`` (checksummed on the way in).
        api_key: the API key (a UUID).
        secret: the API secret (URL-safe base64).
        passphrase: the API passphrase.
    """

    address: str = attrs.field(converter=checksum_address)
    api_key: str
    secret: str
    passphrase: str

    @classmethod
    def of(cls, address: str, credentials: ApiCredentials) -> FakeAccount:
        """The account of a wallet and its :class:`ApiCredentials`."""
        return cls(
            address,
            credentials.api_key,
            credentials.secret.reveal(),
            credentials.passphrase.reveal(),
        )

    @property
    def credentials(self) -> ApiCredentials:
        """The account's credentials, as a client holds them."""
        return ApiCredentials(self.api_key, self.secret, self.passphrase)

    def __repr__(self) -> str:
        return f"FakeAccount(address={self.address!r}, api_key={self.api_key!r}, secret=***)"

    __str__ = __repr__


def derived_account(address: str, nonce: int) -> FakeAccount:
    """The account the fake derives for a wallet and nonce (always the same)."""
    seed = hashlib.sha256(f"fake-clob/{checksum_address(address)}/{nonce}".encode()).digest()
    return FakeAccount(
        address,
        str(uuid.UUID(bytes=seed[:16])),
        base64.urlsafe_b64encode(hashlib.sha256(seed + b"secret").digest()).decode(),
        hashlib.sha256(seed + b"passphrase").hexdigest()[:32],
    )
