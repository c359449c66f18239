"""Fixtures of the market-data component tests: virtual time, contexts, loopback peers.

The peers are real servers on 127.0.0.1: the CLOB and RTDS fakes of
:mod:`agbotkit.marketdata.replay.loopback`, and a minimal HTTP server standing in for Gamma.

Time: real sockets and a mock clock that jumps as soon as every task sleeps do not mix,
since the clock may jump while a loopback packet is in flight. :func:`clock` jumps only after
10 ms of real idleness (loopback delivery takes microseconds), so the tests that wait a
silence timeout or a backoff run in virtual time without skipping deadlines. A test takes
the ``clock`` argument to use it (pytest-trio picks up any fixture that is a ``Clock``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import pytest
import trio
import trio.testing

from agbotkit.abc import ComponentContext
from agbotkit.bus.bus import Bus
from agbotkit.bus.subscription import Subscription
from agbotkit.marketdata.replay.loopback.clob import ClobMarketServer
from agbotkit.marketdata.replay.loopback.rtds import RtdsServer
from agbotkit.marketdata.replay.recording import RecordingWriter
from agbotkit.model.feeds import RawFrame
from agbotkit.model.markets import MarketInfo
from agbotkit.model.metrics import Metric

T = TypeVar("T")

DATA = Path(__file__).resolve().parent.parent / "data" / "polymarket"

#: Unix ms at virtual time 0 (see :func:`virtual_now_ms`).
EPOCH_MS = 1_764_000_000_000
#: Condition id of the hand-made books.
MARKET = "0x" + "ab" * 32
#: Server timestamp of the hand-made frames.
TS = 1_764_000_000_000

Level = tuple[str, str]


def virtual_now_ms() -> int:
    """A wall clock that follows trio's (mock) clock: lags and stamps become exact."""
    return EPOCH_MS + int(trio.current_time() * 1000)


def sample_lines(name: str) -> list[dict[str, Any]]:
    """The JSON objects of ``tests/data/polymarket/<name>``, one per line."""
    with (DATA / name).open(encoding="utf-8") as file:
        return [json.loads(line) for line in file if line.strip()]


@pytest.fixture
def clock() -> trio.testing.MockClock:
    """Virtual time that jumps to the next deadline after 10 ms of real idleness."""
    return trio.testing.MockClock(autojump_threshold=0.01)


@pytest.fixture
def bus() -> Bus:
    return Bus()


@pytest.fixture
def make_context(bus: Bus, tmp_path: Path) -> Callable[..., ComponentContext]:
    """``make_context(name, now_ms=virtual_now_ms)``: a context on the test's bus."""

    def make(name: str, now_ms: Callable[[], int] = virtual_now_ms) -> ComponentContext:
        return ComponentContext(name, bus, tmp_path, now_ms)

    return make


# -- CLOB frames ---------------------------------------------------------------------------


def levels(pairs: Iterable[Level]) -> list[dict[str, str]]:
    return [{"price": price, "size": size} for price, size in pairs]


def book_frame(
    asset_id: str,
    bids: Sequence[Level],
    asks: Sequence[Level],
    *,
    ts: int = TS,
    market: str = MARKET,
    tick_size: str | None = None,
    polymarket_order: bool = True,
) -> dict[str, Any]:
    """A ``book`` object. ``polymarket_order``: bids ascending and asks descending (best
    level last, as real captures); otherwise the levels go out in the order given."""
    if polymarket_order:
        bids = sorted(bids, key=lambda level: float(level[0]))
        asks = sorted(asks, key=lambda level: float(level[0]), reverse=True)
    frame: dict[str, Any] = {
        "market": market,
        "asset_id": asset_id,
        "timestamp": str(ts),
        "hash": hashlib.sha1(f"{asset_id}:{ts}".encode()).hexdigest(),
        "bids": levels(bids),
        "asks": levels(asks),
        "event_type": "book",
    }
    if tick_size is not None:
        frame["tick_size"] = tick_size
    return frame


def price_change(
    *changes: tuple[str, str, str, str],
    ts: int = TS,
    market: str = MARKET,
    best: Mapping[str, tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """A batched ``price_change``; each change is ``(asset_id, side, price, size)``;
    ``best`` gives the post-change ``(best_bid, best_ask)`` per token (omitted otherwise)."""
    entries = []
    for asset_id, side, price, size in changes:
        entry = {"asset_id": asset_id, "price": price, "size": size, "side": side, "hash": "0" * 40}
        if best and asset_id in best:
            entry["best_bid"], entry["best_ask"] = best[asset_id]
        entries.append(entry)
    return {
        "market": market,
        "price_changes": entries,
        "timestamp": str(ts),
        "event_type": "price_change",
    }


class BookStore:
    """The snapshots provider of a :class:`ClobMarketServer`; tests change it between
    connections to prove books are reseeded from the fresh snapshot."""

    def __init__(self) -> None:
        self.books: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, ...]] = []

    def set(
        self, asset_id: str, bids: Sequence[Level], asks: Sequence[Level], **options: Any
    ) -> None:
        self.books[asset_id] = book_frame(asset_id, bids, asks, **options)

    def __call__(self, asset_ids: Sequence[str]) -> list[dict[str, Any]]:
        self.requests.append(tuple(asset_ids))
        return [self.books[a] for a in asset_ids if a in self.books]


@pytest.fixture
def store() -> BookStore:
    return BookStore()


@pytest.fixture
async def clob_server(nursery: trio.Nursery, store: BookStore) -> ClobMarketServer:
    server = ClobMarketServer(snapshots=store)
    await nursery.start(server.run)
    return server


@pytest.fixture
async def rtds_server(nursery: trio.Nursery) -> RtdsServer:
    server = RtdsServer()
    await nursery.start(server.run)
    return server


# -- waiting on the bus --------------------------------------------------------------------


async def receive_until(
    subscription: Subscription[T], predicate: Callable[[T], bool], timeout_s: float = 60.0
) -> T:
    """The first message of ``subscription`` that satisfies ``predicate``."""
    with trio.fail_after(timeout_s):
        async for message in subscription:
            if predicate(message):
                return message
    raise AssertionError("the bus closed")


def metric_key(sample: Metric) -> str:
    """``name{label=value,...}`` without the ``component`` label, e.g.
    ``polymarket.clob.messages_received{event_type=book}``."""
    extra = ",".join(f"{k}={v}" for k, v in sample.labels if k != "component")
    return f"{sample.name}{{{extra}}}" if extra else sample.name


async def metrics_until(
    metrics: Subscription[Metric],
    check: Callable[[dict[str, float]], bool],
    component: str,
    timeout_s: float = 60.0,
) -> dict[str, float]:
    """Read ``component``'s samples until the latest values per :func:`metric_key` pass
    ``check`` (checked after each publication); returns those values."""
    seen: dict[str, float] = {}
    with trio.fail_after(timeout_s):
        while True:
            # A component publishes all its samples at once: check whole publications.
            for sample in await metrics.receive_batch():
                if sample.labels_dict.get("component") == component:
                    seen[metric_key(sample)] = sample.value
            if check(seen):
                return seen


def drain(subscription: Subscription[T]) -> list[T]:
    """Every message buffered in ``subscription`` now."""
    out: list[T] = []
    while True:
        try:
            out.append(subscription.receive_nowait())
        except trio.WouldBlock:
            return out


def client_frames(
    server: ClobMarketServer | RtdsServer, connection: int | None = None
) -> list[str]:
    """What clients sent the server (PINGs left out), of one connection or all."""
    return [
        text
        for cid, text in server.frames_received
        if text != "PING" and (connection is None or cid == connection)
    ]


# -- Gamma ---------------------------------------------------------------------------------


class GammaServer:
    """A minimal HTTP/1.1 stand-in for ``GET /markets?slug=…`` / ``condition_ids=…``.

    Attributes:
        markets: Gamma market objects; a query matches by ``slug`` or ``conditionId``.
        status: answer every request with this status (and an error body) instead.
        delay_s: wait this long (trio time) before answering.
        body: answer every request with these bytes instead (status 200).
        requests: the request targets received.
    """

    def __init__(self, markets: Iterable[dict[str, Any]] = ()) -> None:
        self.markets = list(markets)
        self.status = 200
        self.delay_s = 0.0
        self.body: bytes | None = None
        self.requests: list[str] = []
        self.port: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        self.port = listeners[0].socket.getsockname()[1]
        async with trio.open_nursery() as nursery:
            await nursery.start(trio.serve_listeners, self._handle, listeners)
            task_status.started()

    def _answer(self, target: str) -> tuple[int, bytes]:
        if self.body is not None:
            return 200, self.body
        if self.status != 200:
            return self.status, b'{"error":"internal error"}'
        url = urlsplit(target)
        if url.path != "/markets":
            return 404, b'{"error":"not found"}'
        query = parse_qs(url.query)
        found = [
            m
            for m in self.markets
            if m.get("slug") in query.get("slug", ())
            or m.get("conditionId") in query.get("condition_ids", ())
        ]
        return 200, json.dumps(found).encode()

    async def _handle(self, stream: trio.SocketStream) -> None:
        async with stream:
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    chunk = await stream.receive_some(65536)
                    if not chunk:
                        return
                    data += chunk
                target = data.split(b"\r\n", 1)[0].split(b" ")[1].decode()
                self.requests.append(target)
                status, body = self._answer(target)
                await trio.sleep(self.delay_s)
                head = (
                    f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
                )
                await stream.send_all(head.encode() + body)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                pass  # the client gave up (a timeout test)


def gamma_sample() -> dict[str, Any]:
    """The real Gamma market of ``nautilus_clob_rest_and_gamma.jsonl``."""
    return next(m for m in sample_lines("nautilus_clob_rest_and_gamma.jsonl") if "conditionId" in m)


@pytest.fixture
async def gamma(nursery: trio.Nursery) -> GammaServer:
    server = GammaServer([gamma_sample()])
    await nursery.start(server.run)
    return server


# -- a small recording -----------------------------------------------------------------------

#: The two tokens of :func:`small_recording`'s market.
YES = "11" * 38
NO = "22" * 38
#: Receive time of :func:`small_recording`'s first frame.
R0 = 1_700_000_000_000
#: Latency of every frame of :func:`small_recording` (receive time minus server time).
LATENCY_MS = 40


def small_recording_frames() -> list[tuple[str, int, str]]:
    """``(feed, received_ms, text)``: a snapshot, then a frame every 10 s for 30 s."""

    def js(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"))

    def at(seconds: int) -> int:
        return R0 + seconds * 1000 - LATENCY_MS

    snapshot = [
        book_frame(YES, [("0.40", "10"), ("0.45", "20")], [("0.55", "30")], ts=at(0)),
        book_frame(NO, [("0.45", "30")], [("0.55", "20"), ("0.60", "10")], ts=at(0)),
    ]
    price = {
        "connection_id": "c1",
        "topic": "crypto_prices_chainlink",
        "type": "update",
        "timestamp": at(10),
        "payload": {
            "symbol": "btc/usd",
            "timestamp": at(10) - 500,
            "value": 97000.5,
            "full_accuracy_value": "97000500000000000000000",
        },
    }
    trade = {
        "connection_id": "c1",
        "topic": "activity",
        "type": "trades",
        "timestamp": at(20),
        "payload": {
            "asset": YES,
            "conditionId": MARKET,
            "eventSlug": "ev",
            "outcome": "Yes",
            "outcomeIndex": 0,
            "price": 0.46,
            "proxyWallet": "0xw",
            "side": "BUY",
            "size": 5.0,
            "slug": "small-market",
            "timestamp": at(20) // 1000 - 1,
            "title": "Small?",
            "transactionHash": "0xt",
        },
    }
    last = {
        "event_type": "last_trade_price",
        "asset_id": YES,
        "market": MARKET,
        "price": "0.46",
        "side": "BUY",
        "size": "5",
        "fee_rate_bps": "0",
        "timestamp": str(at(30)),
    }
    return [
        ("clob", R0, js(snapshot)),
        ("rtds", R0, ""),
        (
            "clob",
            R0 + 10_000,
            js(price_change((YES, "BUY", "0.46", "7"), ts=at(10), best={YES: ("0.46", "0.55")})),
        ),
        ("rtds", R0 + 10_000, js(price)),
        (
            "clob",
            R0 + 20_000,
            js(price_change((NO, "SELL", "0.54", "3"), ts=at(20), best={NO: ("0.45", "0.54")})),
        ),
        ("rtds", R0 + 20_000, js(trade)),
        ("clob", R0 + 30_000, js(last)),
    ]


def small_market() -> MarketInfo:
    return MarketInfo(
        MARKET,
        "Small?",
        "small-market",
        ("Yes", "No"),
        (YES, NO),
        Decimal("0.01"),
        Decimal(5),
        False,
        R0 + 86_400_000,
        True,
        False,
        "42",
    )


@pytest.fixture
def small_recording(tmp_path: Path) -> Path:
    """A recording of one market: 7 frames over 30 s (see :func:`small_recording_frames`)."""
    path = tmp_path / "small.jsonl.gz"
    with RecordingWriter(path, created_ms=R0, note="hand-made") as writer:
        writer.write_market(small_market())
        writer.write_frames(RawFrame(*frame) for frame in small_recording_frames())
    return path
