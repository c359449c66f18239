"""What the fake CLOB checks in a posted order, as strictly as the venue (pure).

:func:`parse_order` rebuilds the signed V2 struct from a ``POST /order`` body (a malformed
body is an :class:`OrderRejected` with ``payload=True``: the venue answers 400 ``Invalid
order payload``). :func:`check_order` then refuses, in this order:

* a signature that does not recover to the order's signer over its EIP-712 digest, in the
  domain of the exchange the token's ``neg_risk`` flag picks; ``POLY_1271`` orders carry
  the deposit wallet's wrapped signature, whose ECDSA part must recover to the key the
  test registered for that wallet, over the wrapped digest of *this* order;
* a maker and signer that do not fit the signature type (``EOA``: the same address);
* a price off the tick or outside ``[tick, 1 - tick]``, amounts that the reference
  rounding (limit: shares with 2 decimals and an exact notional; FOK/FAK: the market
  rounding) does not give, and a resting size below the token's minimum.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import Any

import attrs

from agbotkit.errors import AgbotkitError
from agbotkit.model.books import Side
from agbotkit.model.orders import OrderType
from agbotkit.venues.polymarket.amounts import (
    limit_order_amounts,
    market_order_amounts,
    price_valid,
)
from agbotkit.venues.polymarket.deposit_wallet import poly_1271_digest, split_poly_1271_signature
from agbotkit.venues.polymarket.keys import checksum_address, recover_address
from agbotkit.venues.polymarket.orders import (
    ORDER_TYPE_STRING,
    Exchanges,
    OrderV2,
    SignatureType,
    exchange_domain,
    order_digest,
    order_struct_hash,
)

__all__ = ["CheckedOrder", "OrderRejected", "TokenSpec", "check_order", "parse_order"]

_MILLION = Decimal(1_000_000)
INVALID_SIGNATURE = "invalid signature"


@attrs.frozen
class TokenSpec:
    """What the fake knows of one token.

    Attributes:
        token_id: the token.
        market: its condition id.
        tick_size: its price increment.
        neg_risk: whether it trades on the neg-risk exchange.
        min_size: the smallest resting order, in shares.
        outcome: the outcome it stands for (``Yes``).
        fee_rate_bps: the taker fee rate reported.
    """

    token_id: str
    market: str
    tick_size: Decimal = Decimal("0.01")
    neg_risk: bool = False
    min_size: Decimal = Decimal(5)
    outcome: str = "Yes"
    fee_rate_bps: int = 0


class OrderRejected(AgbotkitError):
    """The fake refused an order; ``payload``: the body itself was malformed (400)."""

    def __init__(self, reason: str, *, payload: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.payload = payload


@attrs.frozen
class CheckedOrder:
    """A posted order that passed every check.

    Attributes:
        order: the struct as signed.
        order_id: its hash, ``0x`` hex.
        order_type: GTC, GTD, FOK or FAK.
        post_only: refuse it if it would trade at once.
        owner: the API key named in the body.
        price: its limit price.
        size: its shares (for a market BUY: the shares its amounts buy at its price).
    """

    order: OrderV2
    order_id: str
    order_type: OrderType
    post_only: bool
    owner: str
    price: Decimal
    size: Decimal


def parse_order(body: Any) -> tuple[OrderV2, str, OrderType, bool, str]:
    """``(order, signature, order type, postOnly, owner)`` of one ``POST /order`` body.

    Raises:
        OrderRejected: (``payload=True``) a field is missing or has the wrong type.
    """
    try:
        raw = body["order"]
        salt, signature_type = raw["salt"], raw["signatureType"]
        if type(salt) is not int or type(signature_type) is not int:
            raise TypeError("salt and signatureType are numbers")
        order = OrderV2(
            salt=salt,
            maker=checksum_address(raw["maker"]),
            signer=checksum_address(raw["signer"]),
            token_id=str(int(raw["tokenId"])),
            maker_amount=int(raw["makerAmount"]),
            taker_amount=int(raw["takerAmount"]),
            side=Side(raw["side"]),
            signature_type=SignatureType(signature_type),
            timestamp_ms=int(raw["timestamp"]),
            metadata=raw["metadata"],
            builder=raw["builder"],
            expiration=int(raw["expiration"]),
        )
        signature = raw["signature"]
        order_type = OrderType(body["orderType"])
        post_only = body.get("postOnly", False)
        owner = body["owner"]
        if not (isinstance(signature, str) and isinstance(owner, str)):
            raise TypeError("signature and owner are strings")
        if not isinstance(post_only, bool) or order.maker_amount <= 0 or order.taker_amount <= 0:
            raise ValueError("bad postOnly or amounts")
        order_struct_hash(order)  # every field fits its type
    except (KeyError, TypeError, ValueError, AttributeError):
        raise OrderRejected("Invalid order payload", payload=True) from None
    return order, signature, order_type, post_only, owner


def _check_signature(
    order: OrderV2, signature_hex: str, exchanges: Exchanges, spec: TokenSpec, owners_of: Any
) -> str:
    """The order id, after the signature checked out (see the module docstring)."""
    digest = order_digest(order, exchanges, neg_risk=spec.neg_risk)
    try:
        signature = bytes.fromhex(signature_hex.removeprefix("0x"))
        if order.signature_type is SignatureType.POLY_1271:
            if order.maker != order.signer:
                raise ValueError("a deposit wallet is maker and signer")
            ecdsa, domain, contents, type_string = split_poly_1271_signature(signature)
            expected_domain = exchange_domain(exchanges.chain_id, exchanges.contract(spec.neg_risk))
            if (domain, contents, type_string) != (
                expected_domain,
                order_struct_hash(order),
                ORDER_TYPE_STRING,
            ):
                raise ValueError("the wrapped order is not this order")
            wrapped = poly_1271_digest(domain, contents, exchanges.chain_id, order.signer)
            if recover_address(wrapped, ecdsa) not in owners_of(order.signer):
                raise ValueError("not the deposit wallet's key")
        else:
            if order.signature_type is SignatureType.EOA and order.maker != order.signer:
                raise ValueError("an EOA order's maker is its signer")
            if recover_address(digest, signature) != order.signer:
                raise ValueError("signed by another key")
    except (ValueError, AgbotkitError):
        raise OrderRejected(INVALID_SIGNATURE) from None
    return "0x" + digest.hex()


def _price_and_size(
    order: OrderV2, order_type: OrderType, spec: TokenSpec
) -> tuple[Decimal, Decimal]:
    """The limit price and shares the amounts encode, checked against the rounding rules."""
    maker = Decimal(order.maker_amount) / _MILLION
    taker = Decimal(order.taker_amount) / _MILLION
    shares, notional = (taker, maker) if order.side is Side.BUY else (maker, taker)
    price = notional / shares
    tick = spec.tick_size
    exact = price.quantize(tick) == price
    if exact and price_valid(price, tick):
        try:
            amounts = limit_order_amounts(order.side, price, shares, tick)
        except AgbotkitError:
            amounts = None
        if amounts is not None and (amounts.maker_amount, amounts.taker_amount) == (
            order.maker_amount,
            order.taker_amount,
        ):
            return price, shares
    if not order_type.rests:
        # A market order: maker is what is given (pUSD for a BUY), rounded down to the tick.
        rounded = price.quantize(tick, rounding=ROUND_DOWN)
        for candidate in (rounded, rounded + tick):
            if not price_valid(candidate, tick):
                continue
            try:
                amounts = market_order_amounts(order.side, maker, candidate, tick)
            except AgbotkitError:
                continue
            if (amounts.maker_amount, amounts.taker_amount) == (
                order.maker_amount,
                order.taker_amount,
            ):
                return candidate, shares
    if not exact or not price_valid(price, tick):
        raise OrderRejected(
            f"order is invalid. Price ({price.normalize()}) breaks minimum tick size rule: {tick}"
        )
    raise OrderRejected(
        f"order is invalid. Amounts ({order.maker_amount}/{order.taker_amount}) do not match "
        "the price and size rounding"
    )


def check_order(
    body: Any, *, exchanges: Exchanges, specs: dict[str, TokenSpec], owners_of: Any
) -> CheckedOrder:
    """Parse and check one order body (see the module docstring).

    Args:
        body: the decoded JSON object.
        exchanges: the chain and its exchange contracts.
        specs: the tokens the fake knows, by id.
        owners_of: ``wallet -> set of key addresses`` allowed to sign for a deposit wallet.

    Raises:
        OrderRejected: with the venue's reason.
    """
    order, signature, order_type, post_only, owner = parse_order(body)
    spec = specs.get(order.token_id)
    if spec is None:
        raise OrderRejected("Invalid token id", payload=True)
    order_id = _check_signature(order, signature, exchanges, spec, owners_of)
    if post_only and not order_type.rests:
        raise OrderRejected("invalid post-only order: only GTC and GTD orders can be post-only")
    price, size = _price_and_size(order, order_type, spec)
    if order_type.rests and size < spec.min_size:
        raise OrderRejected(
            f"order {order_id} is invalid. Size ({size.normalize()}) lower than the minimum: "
            f"{spec.min_size}"
        )
    return CheckedOrder(order, order_id, order_type, post_only, owner, price, size)
