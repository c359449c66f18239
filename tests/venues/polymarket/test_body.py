"""The POST /order and POST /orders bodies: the reference shape, byte for byte."""

from __future__ import annotations

import json

import pytest

from agbotkit.errors import SigningError
from agbotkit.model.orders import OrderType
from agbotkit.venues.polymarket.body import encode_body, order_body
from agbotkit.venues.polymarket.orders import ZERO_BYTES32

from .vectors import HARDHAT_0_ADDRESS, TOKEN, V2_VECTORS, signer_for

# --- the JSON body --------------------------------------------------------------------------


def test_the_post_order_body_is_the_reference_shape_byte_for_byte() -> None:
    order, _, digest, signature = V2_VECTORS["a-buy-eoa"]
    signed = signer_for(order).sign(order, neg_risk=False)
    body = order_body(signed, owner="api-key-uuid", order_type=OrderType.GTC)
    assert list(body) == ["order", "owner", "orderType", "deferExec", "postOnly"]
    assert list(body["order"]) == [
        "salt",
        "maker",
        "signer",
        "tokenId",
        "makerAmount",
        "takerAmount",
        "side",
        "expiration",
        "signatureType",
        "timestamp",
        "metadata",
        "builder",
        "signature",
    ]
    expected = (
        '{"order":{"salt":123456789,'
        f'"maker":"{HARDHAT_0_ADDRESS}","signer":"{HARDHAT_0_ADDRESS}",'
        f'"tokenId":"{TOKEN}","makerAmount":"100000000","takerAmount":"50000000",'
        '"side":"BUY","expiration":"0","signatureType":0,"timestamp":"1713398400000",'
        f'"metadata":"{ZERO_BYTES32}","builder":"{ZERO_BYTES32}","signature":"{signature}"}},'
        '"owner":"api-key-uuid","orderType":"GTC","deferExec":false,"postOnly":false}'
    )
    encoded = encode_body(body)
    assert encoded == expected.encode()
    # What the HMAC signs is what json.dumps gives with the reference client's options.
    assert encoded == json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    assert signed.order_id == digest


def test_a_batch_body_is_a_json_array_of_order_bodies() -> None:
    bodies = []
    for case in ("b-sell-neg-risk-eoa", "e-sell-neg-risk-gnosis-safe"):
        order, neg_risk, _, _ = V2_VECTORS[case]
        signed = signer_for(order).sign(order, neg_risk=neg_risk)
        bodies.append(order_body(signed, owner="k", order_type=OrderType.GTD, post_only=True))
    encoded = encode_body(bodies)
    decoded = json.loads(encoded)
    assert [item["order"]["side"] for item in decoded] == ["SELL", "SELL"]
    assert [item["order"]["signatureType"] for item in decoded] == [0, 2]
    assert all(item["postOnly"] is True and item["orderType"] == "GTD" for item in decoded)
    assert encoded == json.dumps(bodies, separators=(",", ":"), ensure_ascii=False).encode()


@pytest.mark.parametrize("order_type", [OrderType.FOK, OrderType.FAK])
def test_post_only_is_refused_for_orders_that_do_not_rest(order_type: OrderType) -> None:
    order, _, _, _ = V2_VECTORS["a-buy-eoa"]
    signed = signer_for(order).sign(order, neg_risk=False)
    with pytest.raises(SigningError, match="postOnly"):
        order_body(signed, owner="k", order_type=order_type, post_only=True)
