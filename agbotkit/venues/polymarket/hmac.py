"""Polymarket's L2 request signature (pure): an HMAC over the request, per API key.

Every private CLOB request carries five headers: ``POLY_ADDRESS`` (the signing wallet),
``POLY_API_KEY``, ``POLY_PASSPHRASE``, ``POLY_TIMESTAMP`` (Unix seconds) and
``POLY_SIGNATURE``, computed as:

1. ``key = urlsafe_b64decode(secret)``;
2. ``message = timestamp + METHOD + path + body``, where ``path`` has no query string
   (``/data/orders``, not ``/data/orders?market=…``) and ``body`` is the exact bytes sent,
   left out when there is none;
3. ``signature = urlsafe_b64encode(HMAC-SHA256(key, message))``, ``=`` padding kept.

The body signed must be byte-identical to the body sent: serialise it once and send those
bytes (:func:`agbotkit.venues.polymarket.transport.encode_body`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac as _hmac

from agbotkit.errors import CredentialsError
from agbotkit.venues.polymarket.credentials import ApiCredentials

__all__ = ["l2_headers", "l2_signature"]


def l2_signature(
    secret: str, timestamp: int | str, method: str, path: str, body: bytes | str = b""
) -> str:
    """The ``POLY_SIGNATURE`` of one request.

    Args:
        secret: the API secret (URL-safe base64).
        timestamp: the ``POLY_TIMESTAMP`` sent, Unix seconds.
        method: the HTTP method as sent (``GET``, ``POST``, ``DELETE``).
        path: the request path; a query string, if any, is not signed and is dropped.
        body: the exact body bytes sent (a ``str`` is signed as its UTF-8 bytes).

    Raises:
        CredentialsError: the secret is not URL-safe base64 (the message omits it).
    """
    try:
        key = base64.urlsafe_b64decode(secret)
    except (binascii.Error, ValueError):
        raise CredentialsError("the API secret is not URL-safe base64") from None
    path = path.split("?", 1)[0]
    payload = body.encode() if isinstance(body, str) else body
    message = f"{timestamp}{method}{path}".encode() + payload
    digest = _hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")


def l2_headers(
    address: str,
    credentials: ApiCredentials,
    timestamp: int,
    method: str,
    path: str,
    body: bytes = b"",
) -> dict[str, str]:
    """The five L2 headers of one request (see the module docstring).

    Args:
        address: the wallet that signs orders (``POLY_ADDRESS``).
        credentials: the API key, secret and passphrase.
        timestamp: Unix seconds.
        method: the HTTP method as sent.
        path: the request path (its query string is not signed).
        body: the exact body bytes sent.
    """
    return {
        "POLY_ADDRESS": address,
        "POLY_SIGNATURE": l2_signature(credentials.secret.reveal(), timestamp, method, path, body),
        "POLY_TIMESTAMP": str(timestamp),
        "POLY_API_KEY": credentials.api_key,
        "POLY_PASSPHRASE": credentials.passphrase.reveal(),
    }
