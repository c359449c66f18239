"""A small CLOB stand-in on 127.0.0.1 for the REST client's tests.

:class:`FakeClobRest` is a raw HTTP/1.1 server on a trio listener (keep-alive, bodies by
Content-Length). It checks the L2 HMAC of every private request from the exact bytes it
received and answers 401 when the check fails, as Polymarket does. Answers come from
``routes`` (a function per ``(method, path)``), unless a test queued answers for that
request with :meth:`FakeClobRest.queue` (errors, delays, silence).

Time: see tests/marketdata/conftest.py: the mock clock jumps only after 10 ms of real
idleness, so loopback traffic is never overtaken by a jump.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import attrs
import pytest
import trio
import trio.testing

from agbotkit.toolkit.ratelimit import RateLimits
from agbotkit.venues.polymarket.credentials import ApiCredentials
from agbotkit.venues.polymarket.rest import ClobRestClient
from agbotkit.venues.polymarket.transport import ClobTransport, RestConfig

DATA = Path(__file__).resolve().parents[2] / "data" / "polymarket"

ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
API_KEY = "3e2c94ca-8124-c4c1-c7ea-be1ea21b71fe"
SECRET = base64.urlsafe_b64encode(bytes(range(200, 232))).decode()
PASSPHRASE = "f4d2b3465-passphrase-9e8bc07a"
CREDENTIALS = ApiCredentials(API_KEY, SECRET, PASSPHRASE)
# L1 requests (the wallet signs them) carry no L2 headers either.
PUBLIC = {
    "/time",
    "/version",
    "/tick-size",
    "/neg-risk",
    "/fee-rate",
    "/auth/api-key",
    "/auth/derive-api-key",
}


def rest_samples() -> list[bytes]:
    """The lines of the recorded REST answers (tests/data/polymarket), byte for byte."""
    return (DATA / "nautilus_clob_rest_and_gamma.jsonl").read_bytes().splitlines()


#: Recorded answers: a trade, order answers, a 500, cancel answers, a fee rate.
SAMPLES = rest_samples()
TRADE, ORDER_OK, ORDER_FAILED, ERROR_500 = SAMPLES[1], SAMPLES[3], SAMPLES[4], SAMPLES[5]
CANCEL_FAILED, BATCH_CANCEL, FEE_RATE = SAMPLES[6], SAMPLES[7], SAMPLES[8]
ORDER_ID = "0x" + "ab" * 32
#: A V2 order body (the signature is not checked here: the signing tests do that).
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
    "owner": API_KEY,
    "orderType": "GTC",
    "deferExec": False,
    "postOnly": False,
}
CANCEL_ONLY = {"error": "Trading is currently cancel-only. New orders are not accepted."}
DISABLED = {"error": "Trading is currently disabled. Check polymarket.com for updates"}
CLOUDFLARE = b"<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title>"


def open_order(n: int) -> dict[str, object]:
    return {
        "id": f"0x{n:064x}",
        "status": "LIVE",
        "side": "BUY",
        "price": "0.5",
        "original_size": "10",
        "size_matched": "0",
        "asset_id": "123",
        "market": "0x" + "cd" * 32,
        "order_type": "GTC",
        "created_at": 1764000000,
        "expiration": "0",
        "owner": API_KEY,
        "outcome": "Yes",
    }


@attrs.frozen
class Request:
    """One request as received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float  # trio time of arrival


@attrs.frozen
class Answer:
    """What the fake sends back, after ``delay_s``; ``hang``: nothing, ever."""

    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = attrs.Factory(dict)
    hang: bool = False
    delay_s: float = 0.0
    content_type: str = "application/json"


def json_answer(value: object, status: int = 200) -> Answer:
    return Answer(status, json.dumps(value).encode())


def expected_signature(request: Request) -> str:
    message = (
        request.headers.get("poly_timestamp", "").encode()
        + request.method.encode()
        + request.path.encode()
        + request.body
    )
    digest = hmac.new(base64.urlsafe_b64decode(SECRET), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()


class FakeClobRest:
    """See the module docstring.

    Attributes:
        routes: ``(method, path) -> answer function``; a path ending ``/`` matches by prefix.
        requests: every request received, in order.
        verified: private requests whose L2 headers checked out.
        refused_auth: private requests whose headers did not.
    """

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Callable[[Request], Answer]] = {}
        self.queued: dict[tuple[str, str], collections.deque[Answer]] = {}
        self.requests: list[Request] = []
        self.verified = 0
        self.refused_auth: list[Request] = []
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def queue(self, method: str, path: str, *answers: Answer) -> None:
        """Answer the next requests to ``method path`` with ``answers``, in order."""
        self.queued.setdefault((method, path), collections.deque()).extend(answers)

    def of(self, method: str, path: str) -> list[Request]:
        return [r for r in self.requests if (r.method, r.path) == (method, path)]

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        self.port = listeners[0].socket.getsockname()[1]
        async with trio.open_nursery() as nursery:
            await nursery.start(trio.serve_listeners, self._serve, listeners)
            task_status.started()

    def _answer(self, request: Request) -> Answer:
        key = (request.method, request.path)
        if request.path not in PUBLIC:
            headers = request.headers
            if (
                headers.get("poly_api_key") != API_KEY
                or headers.get("poly_passphrase") != PASSPHRASE
                or headers.get("poly_address") != ADDRESS
                or not hmac.compare_digest(
                    headers.get("poly_signature", ""), expected_signature(request)
                )
            ):
                self.refused_auth.append(request)
                return json_answer({"error": "Unauthorized/Invalid api key"}, 401)
            self.verified += 1
        if self.queued.get(key):
            return self.queued[key].popleft()
        route = self.routes.get(key)
        if route is None:
            for (method, path), candidate in self.routes.items():
                if (
                    method == request.method
                    and path.endswith("/")
                    and request.path.startswith(path)
                ):
                    route = candidate
        if route is None:
            return json_answer({"error": "not found"}, 404)
        return route(request)

    async def _serve(self, stream: trio.SocketStream) -> None:
        buffer = b""
        try:
            async with stream:
                while True:
                    while b"\r\n\r\n" not in buffer:
                        chunk = await stream.receive_some(65536)
                        if not chunk:
                            return
                        buffer += chunk
                    head, buffer = buffer.split(b"\r\n\r\n", 1)
                    lines = head.decode("latin-1").split("\r\n")
                    method, target, _ = lines[0].split(" ", 2)
                    headers = {}
                    for line in lines[1:]:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                    length = int(headers.get("content-length", "0"))
                    while len(buffer) < length:
                        chunk = await stream.receive_some(65536)
                        if not chunk:
                            return
                        buffer += chunk
                    body, buffer = buffer[:length], buffer[length:]
                    url = urlsplit(target)
                    request = Request(
                        method, url.path, parse_qs(url.query), headers, body, trio.current_time()
                    )
                    self.requests.append(request)
                    answer = self._answer(request)
                    if answer.hang:
                        await trio.sleep_forever()
                    await trio.sleep(answer.delay_s)
                    extra = "".join(f"{k}: {v}\r\n" for k, v in answer.headers.items())
                    response = (
                        f"HTTP/1.1 {answer.status} X\r\nContent-Type: {answer.content_type}\r\n"
                        f"Content-Length: {len(answer.body)}\r\n{extra}\r\n"
                    ).encode() + answer.body
                    await stream.send_all(response)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass  # the client went away (a timeout test)


@pytest.fixture
def clock() -> trio.testing.MockClock:
    """Virtual time that jumps to the next deadline after 10 ms of real idleness."""
    return trio.testing.MockClock(autojump_threshold=0.01)


@pytest.fixture
async def clob(nursery: trio.Nursery) -> FakeClobRest:
    server = FakeClobRest()
    await nursery.start(server.run)
    return server


@pytest.fixture
def rate_limits() -> RateLimits:
    return RateLimits()


@pytest.fixture
async def client(clob: FakeClobRest, rate_limits: RateLimits) -> AsyncIterator[ClobRestClient]:
    config = RestConfig(base_url=clob.url, timeout_s=5.0)
    transport = ClobTransport(
        config, rate_limits=rate_limits, address=ADDRESS, credentials=CREDENTIALS
    )
    async with transport:
        yield ClobRestClient(transport)
