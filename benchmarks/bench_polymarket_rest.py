"""What the Polymarket REST client costs: µs per L2 signature, loopback ``POST /order``.

Run: ``python benchmarks/bench_polymarket_rest.py``. Prints the cost of the L2 HMAC over a
V2 order body (about 700 bytes) and of the five headers, then the round trip of
``ClobRestClient.post_order`` (encode, rate limit, sign, HTTP over 127.0.0.1, decode) to a
bare keep-alive server that answers at once: p50, p99, and requests per second one at a
time and 16 in flight (the server shares the process and its one core).
"""

from __future__ import annotations

import base64
import logging
import statistics
import time

import trio

from agbotkit.toolkit.ratelimit import RateLimits, Window
from agbotkit.venues.polymarket.credentials import ApiCredentials
from agbotkit.venues.polymarket.hmac import l2_headers, l2_signature
from agbotkit.venues.polymarket.rest import ClobRestClient
from agbotkit.venues.polymarket.transport import ClobTransport, RestConfig, encode_body

ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
CREDENTIALS = ApiCredentials(
    "3e2c94ca-8124-c4c1-c7ea-be1ea21b71fe", base64.urlsafe_b64encode(bytes(32)).decode(), "pp"
)
ORDER = {
    "order": {
        "salt": 123456789,
        "maker": ADDRESS,
        "signer": ADDRESS,
        "tokenId": "71321045679252212594626385532706912750332728571942532289631379312455583992563",
        "makerAmount": "100000000",
        "takerAmount": "50000000",
        "side": "BUY",
        "expiration": "0",
        "signatureType": 0,
        "timestamp": "1713398400000",
        "metadata": "0x" + "00" * 32,
        "builder": "0x" + "00" * 32,
        "signature": "0x" + "11" * 65,
    },
    "owner": CREDENTIALS.api_key,
    "orderType": "GTC",
    "deferExec": False,
    "postOnly": False,
}
ANSWER = b'{"success":true,"orderID":"0x' + b"ab" * 32 + b'","status":"live","errorMsg":""}'


def per_call_us(function: object, calls: int) -> float:
    assert callable(function)
    start = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - start) / calls * 1e6


async def serve(stream: trio.SocketStream) -> None:
    """Answer every request on the connection with ``ANSWER`` (keep-alive)."""
    buffer = b""
    response = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(ANSWER)).encode()
        + b"\r\n\r\n"
        + ANSWER
    )
    async with stream:
        while True:
            while b"\r\n\r\n" not in buffer:
                chunk = await stream.receive_some(65536)
                if not chunk:
                    return
                buffer += chunk
            head, buffer = buffer.split(b"\r\n\r\n", 1)
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            while len(buffer) < length:
                buffer += await stream.receive_some(65536)
            buffer = buffer[length:]
            await stream.send_all(response)


async def loopback(requests: int, concurrency: int) -> tuple[float, float, float, float]:
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    async with trio.open_nursery() as nursery:
        nursery.start_soon(trio.serve_listeners, serve, listeners)
        config = RestConfig(base_url=f"http://127.0.0.1:{port}")
        # The venue's budget (3,500 per 10 s) would cap the rate measured: lift it, so the
        # client's own cost is what is timed (the limiter's is in bench_ratelimit.py).
        limits = RateLimits()
        limits.limiter("polymarket", "POST /order", [Window(10**9, 1.0)])
        logging.getLogger("agbotkit.toolkit.ratelimit").setLevel(logging.ERROR)
        async with ClobTransport(
            config, address=ADDRESS, credentials=CREDENTIALS, rate_limits=limits
        ) as transport:
            client = ClobRestClient(transport)
            for _ in range(50):  # warm up: connection, caches
                await client.post_order(ORDER)
            times = []
            start = time.perf_counter()
            for _ in range(requests):
                sent = time.perf_counter()
                await client.post_order(ORDER)
                times.append((time.perf_counter() - sent) * 1e3)
            elapsed = time.perf_counter() - start

            async def worker(count: int) -> None:
                for _ in range(count):
                    await client.post_order(ORDER)

            start = time.perf_counter()
            async with trio.open_nursery() as workers:
                for _ in range(concurrency):
                    workers.start_soon(worker, requests // concurrency)
            concurrent_rate = requests // concurrency * concurrency / (time.perf_counter() - start)
        nursery.cancel_scope.cancel()
    quantiles = statistics.quantiles(times, n=100)
    return quantiles[49], quantiles[98], requests / elapsed, concurrent_rate


def main() -> None:
    body = encode_body(ORDER)
    secret = CREDENTIALS.secret.reveal()
    sign = min(
        per_call_us(lambda: l2_signature(secret, 1764000000, "POST", "/order", body), 50_000)
        for _ in range(3)
    )
    headers = min(
        per_call_us(
            lambda: l2_headers(ADDRESS, CREDENTIALS, 1764000000, "POST", "/order", body), 50_000
        )
        for _ in range(3)
    )
    encode = min(per_call_us(lambda: encode_body(ORDER), 50_000) for _ in range(3))
    print(f"order body ({len(body)} bytes) encode:       {encode:6.2f} µs/op")
    print(f"L2 signature over it:                {sign:6.2f} µs/op")
    print(f"L2 headers (signature included):     {headers:6.2f} µs/op")
    p50, p99, rate, concurrent = trio.run(loopback, 2_000, 16)
    print(
        f"POST /order over loopback HTTP: p50 {p50:.3f} ms, p99 {p99:.3f} ms, "
        f"{rate:,.0f} sequential requests/s, {concurrent:,.0f}/s with 16 in flight"
    )


if __name__ == "__main__":
    main()
