"""The user-channel connection against a real WebSocket server on 127.0.0.1.

The server (:class:`FakeUserChannel`) records what each connection sends, answers ``PING``
with ``PONG`` as the venue does, and sends what a test queues on a connection, or drops it.

Time is virtual: the clock jumps to the next deadline once nothing has happened for 10 ms
of real time (loopback delivery takes microseconds), so pings, silence timeouts and
backoffs are waited for exactly, without sleeping.
"""

from __future__ import annotations

import json
import logging
import random
import traceback
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import attrs
import pytest
import trio
import trio.testing

from agbotkit.model.execution import OrderStatus
from agbotkit.model.metrics import MetricType
from agbotkit.model.orders import Fill
from agbotkit.model.venues import VenueEvent, VenueOrderUpdate
from agbotkit.venues.polymarket.credentials import ApiCredentials
from agbotkit.venues.polymarket.user_channel import UserChannel
from agbotkit.venues.polymarket.user_translate import UserIdentity, decode_user_frame
from agbotkit.ws.connection import WsConnection
from agbotkit.ws.server import serve_ws

DATA = Path(__file__).resolve().parents[2] / "data" / "polymarket"
LINES = (DATA / "nautilus_clob_user_ws.jsonl").read_text().splitlines()
OUR_KEY = "3e2c94ca-8124-c4c1-c7ea-be1ea21b71fe"
OUR_ADDRESS = "0xa3D82Ed56F4c68d2328Fb8c29e568Ba2cAF7d7c8"
ME = UserIdentity(api_keys=[OUR_KEY], addresses=[OUR_ADDRESS])
SECRET = "c2VjcmV0LW9mLXRoZS11c2VyLWNoYW5uZWwtdGVzdHM="
PASSPHRASE = "passphrase-of-the-user-channel-tests"
CREDENTIALS = ApiCredentials(OUR_KEY, SECRET, PASSPHRASE)
MARKETS = ["0xdd22472e552920b8438158ea7238bfadfa4f736aa4cee91a6b86c39ead110917"]
#: What the server sends to drop a connection.
DROP = object()


@pytest.fixture
def clock() -> trio.testing.MockClock:
    """Virtual time that jumps to the next deadline after 10 ms of real idleness."""
    return trio.testing.MockClock(autojump_threshold=0.01)


@attrs.define
class Link:
    """One accepted connection: what the client sent (with the virtual time of each), and
    a channel of what the server should send (:data:`DROP` closes it)."""

    outbox: trio.MemorySendChannel[object]
    received: list[tuple[float, str]] = attrs.Factory(list)
    closed: bool = False

    def texts(self) -> list[str]:
        return [text for _, text in self.received]

    async def send(self, *frames: object) -> None:
        for frame in frames:
            await self.outbox.send(frame)


@attrs.define
class FakeUserChannel:
    """A ``serve_ws`` server standing in for the user channel."""

    port: int = 0
    links: list[Link] = attrs.Factory(list)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/user"

    async def handle(self, conn: WsConnection) -> None:
        send, outbox = trio.open_memory_channel[object](100)
        link = Link(send)
        self.links.append(link)
        CHANGES.notify()
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._read, conn, link)
                async for frame in outbox:
                    if frame is DROP:
                        nursery.cancel_scope.cancel()
                        break
                    await conn.send_text(str(frame))
        finally:
            link.closed = True
            CHANGES.notify()

    async def _read(self, conn: WsConnection, link: Link) -> None:
        while True:
            for text in await conn.receive():
                link.received.append((trio.current_time(), str(text)))
                CHANGES.notify()
                if text == "PING":
                    await conn.send_text("PONG")


async def start_server(nursery: trio.Nursery) -> FakeUserChannel:
    server = FakeUserChannel()
    server.port = await nursery.start(partial(serve_ws, server.handle))
    return server


class Changes:
    """Wakes the tests' waits whenever the server or the owner recorded something."""

    def __init__(self) -> None:
        self._event = trio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = trio.Event()

    async def wait(self) -> None:
        await self._event.wait()


CHANGES = Changes()


async def wait_until(predicate: Callable[[], bool]) -> None:
    """Wait (in virtual time, at most 1000 s) until ``predicate`` holds."""
    with trio.fail_after(1000):
        while not predicate():
            await CHANGES.wait()


@attrs.define
class Owner:
    """The channel's owner (the venue adapter to come): records what it was told, in order."""

    log: list[Any] = attrs.Factory(list)
    metrics: list[tuple[str, float, MetricType]] = attrs.Factory(list)
    # While set, a reconciliation waits for it to be released.
    hold: trio.Event | None = None

    async def on_event(self, event: VenueEvent) -> None:
        self.log.append(event)
        CHANGES.notify()

    async def on_reconnect(self) -> None:
        self.log.append("reconcile")
        CHANGES.notify()
        if self.hold is not None:
            await self.hold.wait()
        self.log.append("reconciled")
        CHANGES.notify()

    def metric(
        self,
        name: str,
        value: float,
        metric_type: MetricType = MetricType.GAUGE,
        labels: Any = None,
    ) -> None:
        assert labels == {"venue": "pm"}
        self.metrics.append((name, value, metric_type))

    def events(self) -> list[VenueEvent]:
        return [item for item in self.log if not isinstance(item, str)]

    def last(self, name: str) -> float | None:
        values = [value for metric, value, _ in self.metrics if metric == name]
        return values[-1] if values else None


def channel(server: FakeUserChannel, owner: Owner, **options: Any) -> UserChannel:
    return UserChannel(
        server.url,
        CREDENTIALS,
        MARKETS,
        ME,
        on_event=owner.on_event,
        on_reconnect=owner.on_reconnect,
        metric=owner.metric,
        labels={"venue": "pm"},
        rng=random.Random(7),
        **options,
    )


def expected(*lines: int) -> list[Any]:
    return [event for index in lines for event in decode_user_frame(LINES[index], ME)]


# -- subscribe, ping -----------------------------------------------------------------------


async def test_ready_once_subscribed_with_our_credentials_and_markets(
    nursery: trio.Nursery, clock: trio.testing.MockClock
) -> None:
    server = await start_server(nursery)
    owner = Owner()
    user = channel(server, owner)
    assert not user.connected
    await nursery.start(user.run)
    assert user.connected
    await wait_until(lambda: bool(server.links and server.links[0].received))
    assert json.loads(server.links[0].texts()[0]) == {
        "auth": {"apiKey": OUR_KEY, "secret": SECRET, "passphrase": PASSPHRASE},
        "markets": MARKETS,
        "assets_ids": [],
        "type": "user",
    }
    assert owner.last("polymarket.user.connection_status") == 1.0
    assert owner.log == []  # the first connect is no reconnect: nothing to reconcile


async def test_ping_every_10_s_and_pongs_are_no_events(
    nursery: trio.Nursery, clock: trio.testing.MockClock
) -> None:
    server = await start_server(nursery)
    owner = Owner()
    await nursery.start(channel(server, owner).run)
    start = trio.current_time()
    await wait_until(lambda: server.links[0].texts().count("PING") == 3)
    pings = [at - start for at, text in server.links[0].received if text == "PING"]
    assert pings == [10.0, 20.0, 30.0]
    assert owner.log == []
    assert len(server.links) == 1


# -- events ----------------------------------------------------------------------------------


async def test_sample_frames_become_order_updates_and_fills_in_order(
    nursery: trio.Nursery, clock: trio.testing.MockClock
) -> None:
    server = await start_server(nursery)
    owner = Owner()
    await nursery.start(channel(server, owner).run)
    await server.links[0].send(*LINES[:4])
    await wait_until(lambda: len(owner.log) == 4)
    placed, canceled, maker_fill, taker_fill = owner.log
    assert placed == VenueOrderUpdate(
        venue_order_id="0x0f76f4dc6eaf3332f4100f2e8a0b4a927351dd64646b7bb12f37df775c657a78",
        status=OrderStatus.ACCEPTED,
        filled_size=0,
        timestamp_ms=1725842520990,
    )
    assert isinstance(canceled, VenueOrderUpdate)
    assert canceled.status is OrderStatus.CANCELED
    assert isinstance(maker_fill, Fill)
    assert not maker_fill.taker
    assert maker_fill.trade_id == "83b5c849-620e-4c23-b63b-2e779c04a6e7"
    assert isinstance(taker_fill, Fill)
    assert taker_fill.taker
    assert owner.log == expected(0, 1, 2, 3)


async def test_an_array_frame_gives_its_events_in_order(
    nursery: trio.Nursery, clock: trio.testing.MockClock
) -> None:
    server = await start_server(nursery)
    owner = Owner()
    await nursery.start(channel(server, owner).run)
    await server.links[0].send(f"[{LINES[3]},{LINES[0]}]")
    await wait_until(lambda: len(owner.log) == 2)
    assert owner.log == expected(3, 0)


async def test_malformed_frames_are_counted_and_the_stream_goes_on(
    nursery: trio.Nursery, clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    server = await start_server(nursery)
    owner = Owner()
    user = channel(server, owner, max_frame_bytes=4096)
    await nursery.start(user.run)
    hostile = "[" * 5000 + "]" * 5000  # over the frame limit
    deep = "[" * 1000 + "]" * 1000  # under it, nested too deeply
    bad_array = f'[{LINES[0]},{{"event_type":"order"}}]'  # one good element, one bad
    await server.links[0].send("not json{", hostile, deep, '{"event_type":"bid"}', bad_array)
    await server.links[0].send(LINES[1])
    await wait_until(lambda: len(owner.log) == 2)
    assert owner.log == expected(0, 1)
    assert user.malformed == 5
    assert owner.last("polymarket.user.malformed") == 5.0
    assert user.connected
    assert len(server.links) == 1
    assert "malformed frame dropped" in caplog.text


# -- losing the connection -------------------------------------------------------------------


async def test_reconnect_reconciles_before_the_new_connections_events(
    nursery: trio.Nursery, clock: trio.testing.MockClock
) -> None:
    server = await start_server(nursery)
    owner = Owner(hold=trio.Event())
    user = channel(server, owner)
    await nursery.start(user.run)
    await server.links[0].send(LINES[0])
    await wait_until(lambda: len(owner.log) == 1)

    await server.links[0].send(DROP)
    await wait_until(lambda: len(server.links) == 2 and bool(server.links[1].received))
    assert json.loads(server.links[1].texts()[0])["auth"]["secret"] == SECRET
    # The new connection's event arrives while the reconciliation is still running.
    await server.links[1].send(LINES[1])
    await wait_until(lambda: owner.log[-1] == "reconcile")
    await trio.sleep(30)  # long enough for the event to have been delivered, if it were
    assert owner.log == [*expected(0), "reconcile"]
    assert server.links[1].texts().count("PING") >= 2  # pings go on meanwhile
    assert owner.hold is not None
    owner.hold.set()
    await wait_until(lambda: len(owner.log) == 4)
    assert owner.log == [*expected(0), "reconcile", "reconciled", *expected(1)]
    assert user.reconnects == 1
    assert owner.last("polymarket.user.reconnects") == 1.0
    statuses = [v for n, v, _ in owner.metrics if n == "polymarket.user.connection_status"]
    assert statuses == [0.0, 1.0, 0.0, 1.0]


async def test_silence_reconnects_although_pongs_came(
    nursery: trio.Nursery, clock: trio.testing.MockClock
) -> None:
    server = await start_server(nursery)
    owner = Owner()
    user = channel(server, owner, silence_timeout_s=300)
    await nursery.start(user.run)
    start = trio.current_time()
    await server.links[0].send(LINES[0])  # data, at the start
    await wait_until(lambda: len(server.links) == 2)
    first = server.links[0]
    assert first.closed
    assert first.texts().count("PING") >= 29  # answered every 10 s, and still silent
    assert trio.current_time() - start >= 300
    await wait_until(lambda: "reconciled" in owner.log)
    assert user.reconnects == 1
    await server.links[1].send(LINES[1])
    await wait_until(lambda: len(owner.events()) == 2)
    assert owner.log == [*expected(0), "reconcile", "reconciled", *expected(1)]


async def test_data_keeps_a_quiet_channel_open(
    nursery: trio.Nursery, clock: trio.testing.MockClock
) -> None:
    server = await start_server(nursery)
    owner = Owner()
    await nursery.start(channel(server, owner, silence_timeout_s=60).run)
    for index in range(5):
        await trio.sleep(50)
        await server.links[0].send(LINES[index % 2])
    await wait_until(lambda: len(owner.log) == 5)
    assert len(server.links) == 1


async def test_a_refused_connect_is_retried_and_the_first_connection_is_not_reconciled(
    nursery: trio.Nursery, clock: trio.testing.MockClock
) -> None:
    # Nothing listens on the port at first: the connects fail until the server starts.
    with trio.socket.socket() as sock:
        await sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    owner = Owner()
    server = FakeUserChannel(port=port)
    user = channel(server, owner)
    ready = trio.Event()

    async def run_user() -> None:
        await nursery.start(user.run)
        ready.set()
        CHANGES.notify()

    nursery.start_soon(run_user)
    await trio.sleep(3)
    assert not ready.is_set()
    await nursery.start(partial(serve_ws, server.handle, port=port))
    await wait_until(ready.is_set)
    assert owner.log == []
    assert user.reconnects == 0


# -- secrets ----------------------------------------------------------------------------------


async def test_the_secret_is_never_logged_nor_shown(
    nursery: trio.Nursery, clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = await start_server(nursery)
    owner = Owner()
    user = channel(server, owner)
    await nursery.start(user.run)
    await server.links[0].send("garbage", LINES[0], DROP)
    await wait_until(lambda: len(server.links) == 2 and "reconciled" in owner.log)
    assert "reconnecting" in caplog.text
    assert "malformed" in caplog.text
    for record in caplog.records:
        shown = record.getMessage() + repr(record.args) + repr(record.__dict__)
        assert SECRET not in shown
        assert PASSPHRASE not in shown
    assert SECRET not in repr(user)
    assert PASSPHRASE not in repr(user)
    assert SECRET not in str(user)


async def test_an_owner_failure_propagates_without_the_secret(
    clock: trio.testing.MockClock,
) -> None:
    async def failing(event: VenueEvent) -> None:
        raise RuntimeError("the owner failed")

    owner = Owner()
    with pytest.RaisesGroup(
        pytest.RaisesExc(RuntimeError, match="owner failed"), flatten_subgroups=True
    ) as caught:
        with trio.fail_after(60):  # bounded: a channel that never delivers fails here
            async with trio.open_nursery() as nursery:
                server = await start_server(nursery)
                user = UserChannel(
                    server.url,
                    CREDENTIALS,
                    [],
                    ME,
                    on_event=failing,
                    on_reconnect=owner.on_reconnect,
                )
                await nursery.start(user.run)
                await server.links[0].send(LINES[0])
    text = "".join(traceback.format_exception(caught.value))
    assert SECRET not in text
    assert PASSPHRASE not in text


def test_markets_must_be_condition_ids() -> None:
    owner = Owner()
    with pytest.raises(TypeError, match="not one string"):
        UserChannel(
            "ws://127.0.0.1:1/ws/user",
            CREDENTIALS,
            MARKETS[0],
            ME,
            on_event=owner.on_event,
            on_reconnect=owner.on_reconnect,
        )
