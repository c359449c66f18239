"""What the fake CLOB costs: µs to check one order, orders/s placed through it.

Run: ``python benchmarks/bench_fake_clob.py``. Prints the cost of the fake's order check
(parse the body, rebuild the V2 struct, recover the signer, tick/amount/size rules), then
the rate of resting orders placed one at a time with the real ``ClobRestClient`` over
127.0.0.1 (sign, HMAC, HTTP, the fake's checks, the book, the answer; both ends share the
process and its core). Tests place a handful of orders: this says the fake is never what
makes a test slow.
"""

from __future__ import annotations

import base64
import time
from decimal import Decimal

import trio

from agbotkit.model.books import Side
from agbotkit.model.orders import OrderType
from agbotkit.testing import FakeAccount, FakeClob
from agbotkit.testing.fake_clob.verify import TokenSpec, check_order
from agbotkit.venues.polymarket.amounts import limit_order_amounts
from agbotkit.venues.polymarket.body import order_body
from agbotkit.venues.polymarket.keys import SigningKey
from agbotkit.venues.polymarket.orders import POLYGON
from agbotkit.venues.polymarket.rest import ClobRestClient
from agbotkit.venues.polymarket.signer import OrderSigner
from agbotkit.venues.polymarket.transport import ClobTransport, RestConfig

KEY = SigningKey("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
ACCOUNT = FakeAccount(KEY.address, "bench-key", base64.urlsafe_b64encode(bytes(32)).decode(), "p")
TOKEN = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
SIGNER = OrderSigner(KEY)


def body(n: int) -> dict[str, object]:
    amounts = limit_order_amounts(Side.BUY, Decimal("0.4"), Decimal(10 + n % 1000), Decimal("0.01"))
    order = SIGNER.build(
        token_id=TOKEN,
        side=Side.BUY,
        maker_amount=amounts.maker_amount,
        taker_amount=amounts.taker_amount,
        timestamp_ms=1_764_000_000_000 + n,
    )
    signed = SIGNER.sign(order, neg_risk=False)
    return order_body(signed, owner=ACCOUNT.api_key, order_type=OrderType.GTC)


def check_cost(count: int) -> float:
    bodies = [body(n) for n in range(count)]
    specs = {TOKEN: TokenSpec(TOKEN, "0xcd")}
    started = time.perf_counter()
    for item in bodies:
        check_order(item, exchanges=POLYGON, specs=specs, owners_of=lambda wallet: set())
    return (time.perf_counter() - started) / count * 1e6


async def placed_per_second(count: int) -> float:
    bodies = [body(n) for n in range(count)]
    async with FakeClob(accounts=[ACCOUNT]) as fake:
        fake.set_book(TOKEN, asks=[("0.6", "100")])
        transport = ClobTransport(
            RestConfig(base_url=fake.url), address=KEY.address, credentials=ACCOUNT.credentials
        )
        async with transport:
            client = ClobRestClient(transport)
            started = time.perf_counter()
            for item in bodies:
                assert (await client.post_order(item)).success
            elapsed = time.perf_counter() - started
    return count / elapsed


def main() -> None:
    print(f"fake CLOB order check:                 {check_cost(2_000):7.1f} µs/order")
    print(f"orders placed through it, one at a time: {trio.run(placed_per_second, 1_000):7.0f} /s")


if __name__ == "__main__":
    main()
