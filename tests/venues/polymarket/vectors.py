"""Test vectors of Polymarket V2 signing, shared by the signing tests.

The vectors were produced by Polymarket's V2 Python client (``py-clob-client-v2``) and are
the ones NautilusTrader's Rust signer checks itself against: Hardhat's well-known test key #0
(a public key, never a real wallet), the Polygon V2 exchanges, and for POLY_1271 a made-up
deposit wallet ``0x1111...1111``.
"""

from __future__ import annotations

from agbotkit.model.books import Side
from agbotkit.venues.polymarket.keys import SigningKey
from agbotkit.venues.polymarket.orders import (
    ORDER_TYPE_STRING,
    ZERO_BYTES32,
    OrderV2,
    SignatureType,
)
from agbotkit.venues.polymarket.signer import OrderSigner

HARDHAT_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
HARDHAT_0_ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
TOKEN = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
DEPOSIT_WALLET = "0x1111111111111111111111111111111111111111"
BUILDER_ONE = "0x" + "00" * 31 + "01"
KEY = SigningKey(HARDHAT_0)


def v2_order(
    salt: int,
    side: Side,
    signature_type: SignatureType,
    maker_amount: int,
    taker_amount: int,
    timestamp_ms: int = 1_713_398_400_000,
    builder: str = ZERO_BYTES32,
    token_id: str = TOKEN,
    maker: str = HARDHAT_0_ADDRESS,
) -> OrderV2:
    return OrderV2(
        salt=salt,
        maker=maker,
        signer=maker,
        token_id=token_id,
        maker_amount=maker_amount,
        taker_amount=taker_amount,
        side=side,
        signature_type=signature_type,
        timestamp_ms=timestamp_ms,
        builder=builder,
    )


# (order, neg_risk, digest, signature): table 4 of the protocol notes, cases a to e.
V2_VECTORS = {
    "a-buy-eoa": (
        v2_order(123456789, Side.BUY, SignatureType.EOA, 100_000_000, 50_000_000),
        False,
        "0x32961c48ddac87ed3582f8e02097cd0eff4fcf80460306bd44b3710438dfa64c",
        "0x89f178136333c8ebb32a19146cb891233e3202d474be6ef730c24dbc06ae4d2a0c99948a86d9b57de0f2c0bb8ec6964aa244ecf17cfa3a95b86878d0b64ad78a1b",
    ),
    "b-sell-neg-risk-eoa": (
        v2_order(987654321, Side.SELL, SignatureType.EOA, 50_000_000, 100_000_000),
        True,
        "0x8b878404bd92dea2bfea9975c9fcd816ec70a57ae431cb20d67bb773744aaef3",
        "0xf7d60d64364e2615b08d9f69f3ea9afd3b4f83ecfbf05ddd3ca83f4916277fb97d2d080758d17c8e91c928aceb8ff252477ebaec051b672832500f63b4d36b061c",
    ),
    "c-buy-builder-code": (
        v2_order(
            1,
            Side.BUY,
            SignatureType.EOA,
            100_000_000,
            50_000_000,
            timestamp_ms=1_713_398_500_000,
            builder=BUILDER_ONE,
        ),
        False,
        "0x3df0b6f6ddfca837bc36964cae968b34ad35640b5d98f557c104da97e804e36a",
        "0xf4d2b34659e8bc07a9572d40ee5a1639a1157409613b4c21566b1f33fd8fe11a364b3f306668cae7248ca7cdf72378f9266bc5628585aa939644400030671e081c",
    ),
    "d-buy-poly-proxy": (
        v2_order(111111111, Side.BUY, SignatureType.POLY_PROXY, 100_000_000, 50_000_000),
        False,
        "0x8f88fe2fb3448f4b8ba639992029f0a47a01a14d15b5f2bf9833516571efd279",
        "0x71a63c85b730cc934688f23ea6374afffef57a61690eba63dcb97a706c8a8d0f3d2a8e0280f3e252eb83be088ebae6b461a8eda18e559e079f59050b90057afa1c",
    ),
    "e-sell-neg-risk-gnosis-safe": (
        v2_order(222222222, Side.SELL, SignatureType.POLY_GNOSIS_SAFE, 50_000_000, 100_000_000),
        True,
        "0xb34248702810a1d76580234a33f942a9801c3680de54cb3ef104572a8d482190",
        "0xab9d33aee8b578fe5588c4a4b16bbef6fa05fc757020f95b98212e877a919e360a90296f02e97ecbabf3c200271ffe88eb9fd86912e8376cd27237bdad5f3abc1c",
    ),
}

_TYPE_STRING_HEX = ORDER_TYPE_STRING.encode().hex() + "00ba"
# POLY_1271 on Amoy (the reference client's own test): salt 479249096354, token 1234.
POLY_1271_AMOY_SIGNATURE = (
    "0xa3a093c83b6c20c83355c16ce94c92e6e9fcbdeb840618cc74f6c57a42ad145b"
    "2b98db73d2c73cbf1f2b6af288566ae81960ddbc3a13921027358a8bff3be6ff1c"
    "a440cbd865bc0c6243d7a8df9a8bf48a8827b0a4abbb61c30e96d305423af148"
    "d23d42d3ad94e65d78258cecaf8dcbaddac0f73dc085040f2c12bb595dd83804" + _TYPE_STRING_HEX
)
POLY_1271_AMOY_ORDER_ID = "0x2afca94626db91b2d556c351584a4cd93e13da32e377dc48c7983e43afa5ab47"
# POLY_1271 on Polygon, salt 333333333, on each exchange: (order id, signature).
POLY_1271_POLYGON = {
    False: (
        "0x48cfd4c03dcee72230750e2dc5ea71048e91244c2a9fec2ed6ef790a74869596",
        "0x780beffb568c4510b8a135a92ca8071f124cf368fb0e902fe451c5f51e555791"
        "0a2a87968caa08a242de85e83c27375fc09242e897aa77680f56622a54e6e7c"
        "61c3264e159346253e26a64e00b69032db0e7d32f94628de3e6eecb50304d"
        "7af3d2d3db4f9eed41f0490532a9460395d96602c6534a931bde4f0e3aad5"
        "71e4f84a0" + _TYPE_STRING_HEX,
    ),
    True: (
        "0x82b94b9d570fdd7b07f517ea848606a9b74029f2387fbf07d8b9c856d652e608",
        "0xa411986b67c58113f8787ee54c41def9376d57ef4262b56438438710720604b7"
        "00137e0175d7ae6afc40c2988179ad84b1b71a739f0974c8df3c12372f31b22c"
        "1c9b858f53327b0bd13af8ec14cfb35234fb9eb7b0504d1a4e61f433840d3"
        "0e81ad3db4f9eed41f0490532a9460395d96602c6534a931bde4f0e3aad571"
        "e4f84a0" + _TYPE_STRING_HEX,
    ),
}


def signer_for(order: OrderV2) -> OrderSigner:
    funder = None if order.signature_type is SignatureType.EOA else order.maker
    return OrderSigner(KEY, signature_type=order.signature_type, funder=funder)
