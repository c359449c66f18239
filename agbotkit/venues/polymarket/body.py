"""The JSON bodies of ``POST /order`` and ``POST /orders``, byte for byte.

The request's HMAC (L2 auth) signs the body's exact bytes, so the body is encoded once, here,
and those bytes are sent: compact JSON, UTF-8, no ASCII escaping, keys in the reference
client's order. ``salt`` and ``signatureType`` are numbers; ``tokenId``, the amounts,
``expiration`` and ``timestamp`` strings; ``side`` is ``"BUY"``/``"SELL"`` (0/1 only inside
the signed struct).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from agbotkit.errors import SigningError
from agbotkit.model.orders import OrderType
from agbotkit.venues.polymarket.orders import SignedOrder

__all__ = ["encode_body", "order_body"]

VENUE = "polymarket"


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
