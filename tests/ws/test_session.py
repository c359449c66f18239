"""Tests of :class:`agbotkit.ws.session.WsSession` against real loopback servers.

Time is virtual: the clock jumps to the next deadline once nothing has happened for 10 ms
of real time (loopback delivery takes microseconds), so connect timeouts, backoffs and
close deadlines are measured exactly without sleeping.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import attrs
import pytest
import trio
import trio.testing

from agbotkit.errors import WsClosed
from agbotkit.toolkit.backoff import Backoff
from agbotkit.ws.connection import WsConnection
from agbotkit.ws.server import serve_ws
from agbotkit.ws.session import Outage, WsSession


class Silent(Exception):
    """A failure of the user's own, as a feed's silence watchdog raises."""


@pytest.fixture
def clock() -> trio.testing.MockClock:
    """Virtual time that jumps to the next deadline after 10 ms of real idleness."""
    return trio.testing.MockClock(autojump_threshold=0.01)


@attrs.define
class Peer:
    """A ``serve_ws`` server that records its connections; each is served by ``behave``,
    by default reading (and recording) all the client sends."""

    behave: Callable[[WsConnection], Awaitable[None]] | None = None
    refuse: int = 0  # refuse this many upgrades (HTTP 503) first
    port: int = 0
    attempts: list[float] = attrs.Factory(list)  # every upgrade request, refused or not
    accepted: list[float] = attrs.Factory(list)
    received: list[str] = attrs.Factory(list)
    ended: list[BaseException] = attrs.Factory(list)  # how each connection ended

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/feed"

    def check(self, target: str) -> int | None:
        self.attempts.append(trio.current_time())
        if self.refuse:
            self.refuse -= 1
            return 503
        return None

    async def handle(self, conn: WsConnection) -> None:
        self.accepted.append(trio.current_time())
        try:
            if self.behave is not None:
                await self.behave(conn)
            while True:
                self.received.extend(str(text) for text in await conn.receive())
        except BaseException as exc:
            self.ended.append(exc)
            raise


async def start_peer(
    nursery: trio.Nursery,
    behave: Callable[[WsConnection], Awaitable[None]] | None = None,
    refuse: int = 0,
) -> Peer:
    peer = Peer(behave, refuse)
    peer.port = await nursery.start(partial(serve_ws, peer.handle, check_request=peer.check))
    return peer


async def wait_until(predicate: Callable[[], bool]) -> None:
    with trio.fail_after(1):
        while not predicate():  # noqa: ASYNC110 - polls what the peer recorded
            await trio.sleep(0.01)


@attrs.define
class Events:
    """What the session told its user, in order, with the virtual time of each."""

    seen: list[tuple[float, str, Any]] = attrs.Factory(list)

    def up(self, conn: WsConnection) -> None:
        self.seen.append((trio.current_time(), "up", None))

    def down(self, reason: str, was_up: bool) -> None:
        self.seen.append((trio.current_time(), "down", (reason, was_up)))

    def retry(self, outage: Outage) -> None:
        self.seen.append((trio.current_time(), "retry", outage))

    def of(self, kind: str) -> list[Any]:
        return [value for _, name, value in self.seen if name == kind]

    def times(self, kind: str) -> list[float]:
        return [at for at, name, _ in self.seen if name == kind]


def session(
    url: str, events: Events, serve: Callable[[WsConnection], Awaitable[object]], **options: Any
) -> WsSession:
    options.setdefault("connect_timeout_s", 5.0)
    options.setdefault("retry", 1.0)
    return WsSession(
        url, serve, on_up=events.up, on_down=events.down, on_retry=events.retry, **options
    )


async def serve_forever(conn: WsConnection) -> None:
    while True:
        await conn.receive()


async def hello(conn: WsConnection) -> None:
    await conn.send_text("hello")


# -- ready, greeting ------------------------------------------------------------------------


async def test_ready_once_connected_and_greeted(
    nursery: trio.Nursery, clock: trio.testing.MockClock
) -> None:
    peer = await start_peer(nursery)
    events = Events()
    link = session(peer.url, events, serve_forever, greet=hello)
    assert link.connection is None
    await nursery.start(link.run)
    assert link.connection is not None
    assert [name for _, name, _ in events.seen] == ["up"]
    await link.connection.send_text("more")
    await wait_until(lambda: len(peer.received) == 2)
    assert peer.received == ["hello", "more"]  # the greeting came first


async def test_failed_greeting_is_a_connection_that_never_was_up(
    nursery: trio.Nursery, clock: trio.testing.MockClock
) -> None:
    async def hang_up(conn: WsConnection) -> None:
        if len(peer.accepted) == 1:
            await conn.aclose(1013, "try again later")
        else:
            await serve_forever(conn)

    greetings: list[WsConnection] = []

    async def wait_for_welcome(conn: WsConnection) -> None:
        greetings.append(conn)
        if len(greetings) == 1:
            await conn.receive()  # the first peer hangs up instead

    peer = await start_peer(nursery, hang_up)
    events = Events()
    await nursery.start(session(peer.url, events, serve_forever, greet=wait_for_welcome).run)
    reason = "WebSocket closed with code 1013: try again later"
    assert events.of("down") == [(reason, False)]
    assert events.of("retry") == [Outage(reason, False, 1.0)]
    assert len(events.of("up")) == 1
    assert peer.accepted[1] - peer.accepted[0] == pytest.approx(1.0)


# -- connect timeout, both ways -------------------------------------------------------------


async def test_connect_timeout_both_ways(
    nursery: trio.Nursery, clock: trio.testing.MockClock
) -> None:
    """A proxy holds each connection back before passing it on: 2.1 s is over the 2 s
    connect timeout (abandoned, retried after the pause), 1.9 s is within it."""
    peer = await start_peer(nursery, serve_forever)
    delays = [2.1, 1.9]
    held: list[float] = []

    async def pipe(source: trio.abc.Stream, sink: trio.abc.Stream, done: trio.CancelScope) -> None:
        try:
            while data := await source.receive_some(65536):
                await sink.send_all(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass
        done.cancel()

    async def hold_back(stream: trio.SocketStream) -> None:
        async with stream:
            held.append(trio.current_time())
            await trio.sleep(delays.pop(0))
            upstream = await trio.open_tcp_stream("127.0.0.1", peer.port)
            async with upstream, trio.open_nursery() as both:
                both.start_soon(pipe, stream, upstream, both.cancel_scope)
                both.start_soon(pipe, upstream, stream, both.cancel_scope)

    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    await nursery.start(trio.serve_listeners, hold_back, listeners)
    events = Events()
    link = session(f"ws://127.0.0.1:{port}/", events, serve_forever, connect_timeout_s=2.0)
    start = trio.current_time()
    await nursery.start(link.run)

    assert events.of("retry") == [Outage("connect timed out after 2 s", False, 1.0)]
    assert events.of("down") == []  # no connection was made: nothing went down
    assert events.times("retry") == [pytest.approx(start + 2.0)]  # the whole timeout
    assert held == [pytest.approx(start), pytest.approx(start + 3.0)]
    assert events.times("up") == [pytest.approx(start + 3.0 + 1.9)]
    assert len(events.of("up")) == 1


async def test_refused_and_unreachable_connects_are_failed_connects(
    nursery: trio.Nursery, clock: trio.testing.MockClock
) -> None:
    peer = await start_peer(nursery, serve_forever, refuse=1)
    events = Events()
    await nursery.start(session(peer.url, events, serve_forever).run)
    assert events.of("retry") == [
        Outage("connect failed: WebSocket upgrade refused: HTTP 503", False, 1.0)
    ]

    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    await listeners[0].aclose()  # nothing listens there any more
    nowhere = Events()
    nursery.start_soon(session(f"ws://127.0.0.1:{port}/", nowhere, serve_forever).run)
    await trio.sleep(2.5)
    retries = nowhere.of("retry")
    assert len(retries) == 3  # at 0, 1 and 2 s
    assert all(r.reason.startswith("connect failed: ") and not r.was_up for r in retries)


# -- lost connections, backoff --------------------------------------------------------------


async def test_backoff_grows_while_failing_and_starts_over_once_up(
    nursery: trio.Nursery, clock: trio.testing.MockClock
) -> None:
    async def go_away_once(conn: WsConnection) -> None:
        if len(peer.accepted) == 1:
            await trio.sleep(10)
            await conn.aclose(1001, "going away")
        else:
            await serve_forever(conn)

    peer = await start_peer(nursery, go_away_once, refuse=2)
    events = Events()
    backoff = Backoff(1.0, 3.0, rng=random.Random(7))
    start = trio.current_time()
    await nursery.start(session(peer.url, events, serve_forever, retry=backoff).run)
    # The same draws from the same seed: ceilings 1 s, 2 s; then 1 s again after being up.
    expected = Backoff(1.0, 3.0, rng=random.Random(7))
    first, second = expected.next_delay(), expected.next_delay()
    assert 0.5 <= first <= 1.0
    assert 1.0 <= second <= 2.0
    assert peer.attempts == [
        pytest.approx(start),
        pytest.approx(start + first),
        pytest.approx(start + first + second),
    ]

    await trio.sleep(11)  # the peer goes away after 10 s; the session comes back
    expected.reset()
    third = expected.next_delay()
    assert 0.5 <= third <= 1.0
    reason = "WebSocket closed with code 1001: going away"
    assert events.of("down") == [(reason, True)]
    assert events.of("retry")[-1] == Outage(reason, True, third)
    assert peer.accepted[1] - peer.accepted[0] == pytest.approx(10.0 + third)
    assert len(events.of("up")) == 2


async def test_abrupt_loss_and_user_failures_end_a_connection_with_their_reason(
    nursery: trio.Nursery, clock: trio.testing.MockClock
) -> None:
    async def drop(conn: WsConnection) -> None:
        if len(peer.accepted) == 1:
            await conn.abort()  # no close frame: lost
        else:
            await serve_forever(conn)

    served: list[WsConnection] = []

    async def serve(conn: WsConnection) -> None:
        served.append(conn)
        if len(served) == 2:
            async with trio.open_nursery() as nursery:  # as a feed's watchdog would
                nursery.start_soon(trio.sleep_forever)
                await trio.sleep(3)
                raise Silent()
        await serve_forever(conn)

    peer = await start_peer(nursery, drop)
    events = Events()
    link = session(peer.url, events, serve, failures={Silent: "no data for 3 s"})
    await nursery.start(link.run)
    await trio.sleep(10)
    lost = "WebSocket connection lost: connection lost"
    assert events.of("down") == [(lost, True), ("no data for 3 s", True)]
    assert [o.reason for o in events.of("retry")] == [lost, "no data for 3 s"]
    assert len(peer.accepted) == 3
    assert link.connection is not None


async def test_other_errors_propagate_after_the_connection_is_closed(
    nursery: trio.Nursery, clock: trio.testing.MockClock
) -> None:
    async def broken(conn: WsConnection) -> None:
        raise ValueError("a bug")

    peer = await start_peer(nursery)
    events = Events()
    with pytest.raises(ValueError, match="a bug"):
        await session(peer.url, events, broken).run()
    assert events.of("down") == [("connection closed", True)]
    await wait_until(lambda: bool(peer.ended))
    assert isinstance(peer.ended[0], WsClosed)
    assert peer.ended[0].code == 1000


# -- stop: close within the deadline, or keep the connection -------------------------------


async def run_until_cancelled(
    link: WsSession,
    done: trio.Event,
    scope: trio.CancelScope,
    *,
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    with scope:
        await link.run(task_status=task_status)
    done.set()


async def test_stop_closes_at_once_when_the_peer_reads(
    nursery: trio.Nursery, clock: trio.testing.MockClock
) -> None:
    peer = await start_peer(nursery)
    events = Events()
    link = session(peer.url, events, serve_forever)
    scope, done = trio.CancelScope(), trio.Event()
    await nursery.start(run_until_cancelled, link, done, scope)
    stopped_at = trio.current_time()
    scope.cancel()
    await done.wait()
    assert trio.current_time() == stopped_at
    assert events.of("down") == [("connection closed", True)]
    assert link.connection is None
    await wait_until(lambda: bool(peer.ended))
    assert isinstance(peer.ended[0], WsClosed)
    assert peer.ended[0].code == 1000


async def test_stop_gives_up_closing_after_the_close_timeout(
    nursery: trio.Nursery, clock: trio.testing.MockClock
) -> None:
    """A peer that stops reading: another task's send fills the socket and holds the send
    lock, so the close frame cannot go out. The stop still ends, ``close_timeout_s`` later,
    with the connection cut."""

    async def deaf(conn: WsConnection) -> None:
        await trio.sleep_forever()

    peer = await start_peer(nursery, deaf)
    events = Events()
    link = session(peer.url, events, serve_forever, close_timeout_s=0.25)
    scope, done = trio.CancelScope(), trio.Event()
    await nursery.start(run_until_cancelled, link, done, scope)
    conn = link.connection
    assert conn is not None
    flood_ended: list[BaseException] = []

    async def flood() -> None:
        try:
            while True:
                await conn.send_text("x" * 65536)
        except WsClosed as exc:
            flood_ended.append(exc)

    nursery.start_soon(flood)
    await trio.sleep(1)  # the socket buffers fill up; the flood blocks
    stopped_at = trio.current_time()
    scope.cancel()
    await done.wait()
    assert trio.current_time() - stopped_at == pytest.approx(0.25)
    assert conn.closed
    await trio.sleep(0.1)
    assert [type(exc) for exc in flood_ended] == [WsClosed]  # its stream was closed


async def test_keep_open_on_stop_leaves_the_connection_to_the_owner(
    nursery: trio.Nursery, clock: trio.testing.MockClock
) -> None:
    peer = await start_peer(nursery)
    events = Events()
    link = session(peer.url, events, serve_forever, keep_open_on_stop=True)
    scope, done = trio.CancelScope(), trio.Event()
    await nursery.start(run_until_cancelled, link, done, scope)
    scope.cancel()
    await done.wait()
    assert events.of("down") == []
    conn = link.detach()
    assert conn is not None
    assert not conn.closed
    assert link.connection is None
    assert link.detach() is None
    await conn.send_text("last words")
    await conn.aclose()
    await wait_until(lambda: bool(peer.ended))
    assert peer.received == ["last words"]


async def test_keep_open_on_stop_still_closes_a_connection_that_was_not_up(
    nursery: trio.Nursery, clock: trio.testing.MockClock
) -> None:
    peer = await start_peer(nursery)
    events = Events()
    greeting = trio.Event()

    async def greet(conn: WsConnection) -> None:
        greeting.set()
        await trio.sleep_forever()

    link = session(peer.url, events, serve_forever, greet=greet, keep_open_on_stop=True)
    scope, done = trio.CancelScope(), trio.Event()
    nursery.start_soon(run_until_cancelled, link, done, scope)
    await greeting.wait()
    scope.cancel()
    await done.wait()
    await wait_until(lambda: bool(peer.ended))
    assert events.of("down") == [("connection closed", False)]
    assert link.detach() is None


async def test_every_callback_is_optional(
    nursery: trio.Nursery, clock: trio.testing.MockClock
) -> None:
    async def go_away_once(conn: WsConnection) -> None:
        if len(peer.accepted) == 1:
            await conn.aclose(1001, "going away")

    peer = await start_peer(nursery, go_away_once)
    link = WsSession(peer.url, serve_forever, connect_timeout_s=1.0, retry=0.5)
    await nursery.start(link.run)
    await trio.sleep(1)
    assert peer.accepted == [pytest.approx(0.0), pytest.approx(0.5)]
    assert link.connection is not None
