"""Tests of agbotkit.ws over real loopback sockets.

Two kinds of peer: :func:`serve_ws` itself, and a raw server (wsproto for the handshake,
frames written byte for byte by the test) for what a well-behaved peer never does on its
own: fragments, pings in the middle of a message, frames split at every byte, invalid UTF-8.
"""

from __future__ import annotations

import logging
import ssl
import struct
import subprocess
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import trio
import trio.testing
from wsproto import ConnectionType, WSConnection
from wsproto.connection import Connection
from wsproto.events import AcceptConnection, CloseConnection, Event, Pong, Request

from agbotkit.errors import WsClosed, WsHandshakeError
from agbotkit.ws.client import ws_connect
from agbotkit.ws.connection import WsConnection
from agbotkit.ws.frames import Oversize
from agbotkit.ws.server import HANDSHAKE_TIMEOUT_S, serve_ws

Script = Callable[[trio.SocketStream, bytes], Awaitable[None]]


@pytest.fixture
def lazy_clock() -> trio.testing.MockClock:
    """Virtual time that jumps only after 10 ms of real idleness.

    A clock that jumps as soon as every task waits could skip a deadline while a loopback
    packet is in flight; loopback delivery takes microseconds.
    """
    return trio.testing.MockClock(autojump_threshold=0.01)


def frame(payload: bytes | str, opcode: int = 1, fin: bool = True) -> bytes:
    """An unmasked frame, as a server writes it."""
    data = payload.encode() if isinstance(payload, str) else payload
    first = (0x80 if fin else 0) | opcode
    size = len(data)
    if size < 126:
        head = bytes((first, size))
    elif size < 65536:
        head = bytes((first, 126)) + struct.pack("!H", size)
    else:
        head = bytes((first, 127)) + struct.pack("!Q", size)
    return head + data


def close_frame(code: int, reason: str = "") -> bytes:
    return frame(struct.pack("!H", code) + reason.encode(), opcode=8)


async def start_raw_server(nursery: trio.Nursery, script: Script) -> str:
    """Serve one script per connection: it gets the stream and the 101 answer to send."""
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]

    async def handle(stream: trio.SocketStream) -> None:
        async with stream:
            ws = WSConnection(ConnectionType.SERVER)
            request = False
            while not request:
                ws.receive_data(await stream.receive_some(65536))
                request = any(isinstance(event, Request) for event in ws.events())
            await script(stream, ws.send(AcceptConnection()))

    await nursery.start(trio.serve_listeners, handle, listeners)
    return f"ws://127.0.0.1:{port}/raw"


async def read_client_events(stream: trio.SocketStream, proto: Connection) -> list[Event]:
    """Read until the client's (masked) frames yield at least one event."""
    while True:
        events = list(proto.events())
        if events:
            return events
        data = await stream.receive_some(65536)
        if not data:
            return [CloseConnection(code=1006)]
        proto.receive_data(bytes(data))


async def start_server(
    nursery: trio.Nursery, handler: Callable[[WsConnection], Awaitable[None]], **options: Any
) -> str:
    port = await nursery.start(partial(serve_ws, handler, **options))
    return f"ws://127.0.0.1:{port}"


async def receive_n(conn: WsConnection, n: int) -> tuple[list[str | Oversize], int]:
    """``n`` messages and how many ``receive`` calls brought them."""
    got: list[str | Oversize] = []
    calls = 0
    while len(got) < n:
        got += await conn.receive()
        calls += 1
    return got, calls


async def echo(conn: WsConnection) -> None:
    while True:
        for text in await conn.receive():
            assert isinstance(text, str)
            await conn.send_text(text)


# -- round trips with serve_ws ------------------------------------------------------------


async def test_text_round_trip_and_paths(nursery: trio.Nursery) -> None:
    paths: list[str] = []

    async def handler(conn: WsConnection) -> None:
        paths.append(conn.path)
        await echo(conn)

    url = await start_server(nursery, handler)
    async with await ws_connect(url + "/ws/market?x=1") as conn:
        assert conn.path == "/ws/market?x=1"
        await conn.send_text('{"hello":"wörld ✓"}')
        assert await conn.receive() == ['{"hello":"wörld ✓"}']
        await conn.send_text("")
        assert await conn.receive() == [""]
    assert paths == ["/ws/market?x=1"]


async def test_many_messages_arrive_in_few_batches(nursery: trio.Nursery) -> None:
    async def handler(conn: WsConnection) -> None:
        await conn.send_texts([f"message {i:04d} " + "x" * 280 for i in range(1000)])
        await trio.sleep_forever()

    async with await ws_connect(await start_server(nursery, handler)) as conn:
        got, calls = await receive_n(conn, 1000)
    assert got == [f"message {i:04d} " + "x" * 280 for i in range(1000)]
    assert calls < 100  # batches, not one call per message


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 300_000])
async def test_every_length_encoding(nursery: trio.Nursery, size: int) -> None:
    text = ("é" * size)[:size] if size < 1000 else "y" * size

    async def handler(conn: WsConnection) -> None:
        await conn.send_texts([text, "after"])
        await trio.sleep_forever()

    async with await ws_connect(await start_server(nursery, handler)) as conn:
        got, _ = await receive_n(conn, 2)
    assert got == [text, "after"]


async def test_client_close_reaches_the_server(nursery: trio.Nursery) -> None:
    seen: list[WsClosed] = []
    done = trio.Event()

    async def handler(conn: WsConnection) -> None:
        with pytest.raises(WsClosed) as info:
            await conn.receive()
        seen.append(info.value)
        done.set()

    url = await start_server(nursery, handler)
    conn = await ws_connect(url)
    await conn.aclose(4001, "done here")
    with trio.fail_after(5):
        await done.wait()
    assert (seen[0].code, seen[0].reason) == (4001, "done here")


async def test_server_close_code_and_reason_after_pending_messages(nursery: trio.Nursery) -> None:
    async def handler(conn: WsConnection) -> None:
        await conn.send_texts(["last words"])
        await conn.aclose(4000, "bye")

    conn = await ws_connect(await start_server(nursery, handler))
    assert await conn.receive() == ["last words"]
    with pytest.raises(WsClosed) as info:
        await conn.receive()
    assert (info.value.code, info.value.reason) == (4000, "bye")
    assert "4000" in str(info.value)
    assert conn.closed
    with pytest.raises(WsClosed):
        await conn.receive()  # still closed
    await conn.aclose()


async def test_handler_return_closes_cleanly(nursery: trio.Nursery) -> None:
    async def handler(conn: WsConnection) -> None:
        return

    conn = await ws_connect(await start_server(nursery, handler))
    with pytest.raises(WsClosed) as info:
        await conn.receive()
    assert info.value.code == 1000
    await conn.aclose()


async def test_handler_error_is_logged_and_closes_only_its_connection(
    nursery: trio.Nursery, caplog: pytest.LogCaptureFixture
) -> None:
    async def handler(conn: WsConnection) -> None:
        if conn.path == "/boom":
            raise RuntimeError("handler bug")
        await echo(conn)

    url = await start_server(nursery, handler)
    async with await ws_connect(url + "/ok") as good:
        with caplog.at_level(logging.ERROR, logger="agbotkit.ws"):
            bad = await ws_connect(url + "/boom")
            with pytest.raises(WsClosed):
                await bad.receive()
            await bad.aclose()
        assert "handler bug" in caplog.text
        await good.send_text("still here")
        assert await good.receive() == ["still here"]


async def test_concurrent_senders_do_not_interleave_frames(nursery: trio.Nursery) -> None:
    received: list[str] = []
    done = trio.Event()

    async def handler(conn: WsConnection) -> None:
        while len(received) < 1000:
            received.extend(t for t in await conn.receive() if isinstance(t, str))
        done.set()
        await trio.sleep_forever()

    async with await ws_connect(await start_server(nursery, handler)) as conn:

        async def send(tag: str) -> None:
            for i in range(500):
                await conn.send_text(f"{tag}{i}" + "z" * 2000)

        async with trio.open_nursery() as senders:
            senders.start_soon(send, "a")
            senders.start_soon(send, "b")
        with trio.fail_after(10):
            await done.wait()
    for tag in "ab":
        mine = [t for t in received if t.startswith(tag)]
        assert mine == [f"{tag}{i}" + "z" * 2000 for i in range(500)]


async def test_aclose_is_idempotent_and_sends_fail_afterwards(nursery: trio.Nursery) -> None:
    async def handler(conn: WsConnection) -> None:
        await trio.sleep_forever()

    conn = await ws_connect(await start_server(nursery, handler))
    await conn.aclose()
    await conn.aclose()
    assert conn.closed
    with pytest.raises(WsClosed):
        await conn.send_text("too late")
    with pytest.raises(WsClosed):
        await conn.receive()


async def test_aclose_on_a_broken_connection_does_not_raise(nursery: trio.Nursery) -> None:
    async def script(stream: trio.SocketStream, accept: bytes) -> None:
        await stream.send_all(accept)  # then the stream closes: EOF

    conn = await ws_connect(await start_raw_server(nursery, script))
    with pytest.raises(WsClosed) as info:
        await conn.receive()
    assert info.value.code is None
    assert "connection lost" in str(info.value)
    await conn.aclose()
    await conn.aclose(1001)


async def test_close_while_another_task_receives(nursery: trio.Nursery) -> None:
    async def handler(conn: WsConnection) -> None:
        await trio.sleep_forever()

    conn = await ws_connect(await start_server(nursery, handler))
    outcome: list[WsClosed] = []

    async def reader() -> None:
        with pytest.raises(WsClosed) as info:
            await conn.receive()
        outcome.append(info.value)

    async with trio.open_nursery() as inner:
        inner.start_soon(reader)
        await trio.testing.wait_all_tasks_blocked()
        await conn.aclose()
    assert outcome[0].code is None


async def test_abort_closes_without_a_close_frame(nursery: trio.Nursery) -> None:
    seen: list[WsClosed] = []
    done = trio.Event()

    async def handler(conn: WsConnection) -> None:
        with pytest.raises(WsClosed) as info:
            await conn.receive()
        seen.append(info.value)
        done.set()

    conn = await ws_connect(await start_server(nursery, handler))
    await conn.abort()
    await conn.abort()
    with trio.fail_after(5):
        await done.wait()
    assert seen[0].code is None


# -- what only a raw peer does -------------------------------------------------------------


async def test_fragments_are_joined_and_pings_answered(nursery: trio.Nursery) -> None:
    pongs: list[bytes] = []
    answered = trio.Event()

    async def script(stream: trio.SocketStream, accept: bytes) -> None:
        await stream.send_all(accept)
        await stream.send_all(
            frame("ab", fin=False)
            + frame(b"hi", opcode=9)  # a ping inside a fragmented message
            + frame("cd", opcode=0, fin=False)
            + frame("é✓", opcode=0)
            + frame("next")
        )
        proto = Connection(ConnectionType.SERVER)
        for event in await read_client_events(stream, proto):
            if isinstance(event, Pong):
                pongs.append(event.payload)
        answered.set()
        await trio.sleep_forever()

    async with await ws_connect(await start_raw_server(nursery, script)) as conn:
        got, _ = await receive_n(conn, 2)
        assert got == ["abcdé✓", "next"]
        with trio.fail_after(5):
            await answered.wait()
    assert pongs == [b"hi"]


async def test_frames_split_at_every_byte(nursery: trio.Nursery) -> None:
    texts = ["short", "m" * 300, "u" * 70_000, "ü€"]
    wire = (
        frame(texts[0])
        + frame(texts[1])
        + frame(texts[2])
        + frame("ü", fin=False)
        + frame("€", opcode=0)
        + frame(b"\x00\x01binary", opcode=2)
    )

    async def script(stream: trio.SocketStream, accept: bytes) -> None:
        await stream.send_all(accept)
        start = 0
        while start < len(wire):
            # Byte by byte through the first frames' headers, then in odd-sized pieces.
            step = 1 if start < 400 else 997
            await stream.send_all(wire[start : start + step])
            start += step
        await trio.sleep_forever()

    async with await ws_connect(await start_raw_server(nursery, script)) as conn:
        got, _ = await receive_n(conn, 5)
    assert got == [*texts, "\x00\x01binary"]


async def test_frames_in_the_same_write_as_the_handshake(nursery: trio.Nursery) -> None:
    async def script(stream: trio.SocketStream, accept: bytes) -> None:
        await stream.send_all(accept + frame("early") + frame("bird"))
        await trio.sleep_forever()

    async with await ws_connect(await start_raw_server(nursery, script)) as conn:
        got, _ = await receive_n(conn, 2)
    assert got == ["early", "bird"]


async def test_binary_is_decoded_as_text_with_replacement(nursery: trio.Nursery) -> None:
    async def script(stream: trio.SocketStream, accept: bytes) -> None:
        await stream.send_all(accept + frame(b'{"a":1}', opcode=2) + frame(b"ok\xff", opcode=2))
        await trio.sleep_forever()

    async with await ws_connect(await start_raw_server(nursery, script)) as conn:
        got, _ = await receive_n(conn, 2)
    assert got == ['{"a":1}', "ok\ufffd"]


async def test_oversize_messages_are_dropped_and_the_stream_goes_on(nursery: trio.Nursery) -> None:
    async def script(stream: trio.SocketStream, accept: bytes) -> None:
        await stream.send_all(accept + frame("a" * 50) + frame("b" * 101))
        await stream.send_all(frame("c" * 60, fin=False) + frame("d" * 60, opcode=0))
        await stream.send_all(frame(b"e" * 150, opcode=2) + frame("f" * 100_000))
        await stream.send_all(frame("g" * 10))
        await trio.sleep_forever()

    url = await start_raw_server(nursery, script)
    async with await ws_connect(url, max_message_bytes=100) as conn:
        got, _ = await receive_n(conn, 6)
    assert got == [
        "a" * 50,
        Oversize(101),
        Oversize(120),
        Oversize(150),
        Oversize(100_000),
        "g" * 10,
    ]


# -- the max_message_bytes boundary: exactly the limit passes, one byte more is refused ------

LIMIT = 1_000
#: Texts of exactly LIMIT bytes: ASCII, and two-byte characters (500 of them).
AT_LIMIT = {"ascii": "a" * LIMIT, "two-byte": "é" * (LIMIT // 2)}


def pieces(text: str, n: int) -> list[bytes]:
    """``text``'s UTF-8 in ``n`` parts, cut between characters."""
    step = -(-len(text) // n)
    return [text[i : i + step].encode() for i in range(0, len(text), step)]


@pytest.mark.parametrize("text", AT_LIMIT.values(), ids=AT_LIMIT.keys())
@pytest.mark.parametrize("shape", ["whole", "fragmented", "binary", "trickled"])
async def test_client_end_limit_is_inclusive(nursery: trio.Nursery, text: str, shape: str) -> None:
    over = text + "b"  # one byte more

    def message(payload: str) -> bytes:
        if shape == "fragmented":  # joined by wsproto, not the fast path
            parts = pieces(payload, 3)
            return b"".join(
                frame(part, opcode=1 if i == 0 else 0, fin=i == len(parts) - 1)
                for i, part in enumerate(parts)
            )
        if shape == "binary":
            return frame(payload.encode(), opcode=2)
        return frame(payload)

    async def script(stream: trio.SocketStream, accept: bytes) -> None:
        wire = message(text) + message(over) + frame("end")
        if shape == "trickled":  # the frames arrive in pieces smaller than one of them
            await stream.send_all(accept)
            for start in range(0, len(wire), 97):
                await stream.send_all(wire[start : start + 97])
        else:
            await stream.send_all(accept + wire)
        await trio.sleep_forever()

    url = await start_raw_server(nursery, script)
    async with await ws_connect(url, max_message_bytes=LIMIT) as conn:
        got, _ = await receive_n(conn, 3)
    assert got == [text, Oversize(LIMIT + 1), "end"]


@pytest.mark.parametrize("text", AT_LIMIT.values(), ids=AT_LIMIT.keys())
async def test_server_end_limit_is_inclusive(nursery: trio.Nursery, text: str) -> None:
    received: list[str | Oversize] = []
    done = trio.Event()

    async def handler(conn: WsConnection) -> None:
        while len(received) < 3:
            received.extend(await conn.receive())
        done.set()
        await trio.sleep_forever()

    url = await start_server(nursery, handler, max_message_bytes=LIMIT)
    async with await ws_connect(url) as conn:
        await conn.send_texts([text, text + "b", "end"])
        with trio.fail_after(5):
            await done.wait()
    assert received == [text, Oversize(LIMIT + 1), "end"]


async def test_peer_close_is_answered(nursery: trio.Nursery) -> None:
    replies: list[Event] = []
    answered = trio.Event()

    async def script(stream: trio.SocketStream, accept: bytes) -> None:
        await stream.send_all(accept + frame("before") + close_frame(1013, "slow consumer"))
        replies.extend(await read_client_events(stream, Connection(ConnectionType.SERVER)))
        answered.set()

    conn = await ws_connect(await start_raw_server(nursery, script))
    assert await conn.receive() == ["before"]
    with pytest.raises(WsClosed) as info:
        await conn.receive()
    assert (info.value.code, info.value.reason) == (1013, "slow consumer")
    with trio.fail_after(5):
        await answered.wait()
    assert isinstance(replies[0], CloseConnection)
    assert replies[0].code == 1013


async def test_invalid_utf8_is_a_protocol_error(nursery: trio.Nursery) -> None:
    async def script(stream: trio.SocketStream, accept: bytes) -> None:
        await stream.send_all(accept + frame(b"bad \xff text"))
        await trio.sleep_forever()

    conn = await ws_connect(await start_raw_server(nursery, script))
    with pytest.raises(WsClosed) as info:
        await conn.receive()
    assert info.value.code == 1007
    assert "protocol error" in info.value.reason
    await conn.aclose()


async def test_masked_frame_from_a_server_is_a_protocol_error(nursery: trio.Nursery) -> None:
    async def script(stream: trio.SocketStream, accept: bytes) -> None:
        await stream.send_all(accept + bytes((0x81, 0x82, 0, 0, 0, 0)) + b"hi")
        await trio.sleep_forever()

    conn = await ws_connect(await start_raw_server(nursery, script))
    with pytest.raises(WsClosed) as info:
        await conn.receive()
    assert info.value.code == 1002
    await conn.aclose()


# -- handshakes ----------------------------------------------------------------------------


async def test_refused_upgrade_raises_with_status(nursery: trio.Nursery) -> None:
    async def handler(conn: WsConnection) -> None:
        raise AssertionError("never accepted")

    url = await start_server(nursery, handler, check_request=lambda path: 503)
    with pytest.raises(WsHandshakeError) as info:
        await ws_connect(url)
    assert info.value.status == 503


async def test_server_that_hangs_up_or_talks_nonsense(nursery: trio.Nursery) -> None:
    async def hang_up(stream: trio.SocketStream, accept: bytes) -> None:
        return

    async def nonsense(stream: trio.SocketStream, accept: bytes) -> None:
        await stream.send_all(b"SSH-2.0-OpenSSH\r\n\r\n")

    for script in (hang_up, nonsense):
        with pytest.raises(WsHandshakeError) as info:
            await ws_connect(await start_raw_server(nursery, script))
        assert info.value.status is None


async def test_bad_urls_and_refused_ports() -> None:
    with pytest.raises(ValueError, match="not a ws"):
        await ws_connect("http://example.com/")
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    await listeners[0].aclose()
    with pytest.raises(OSError, match="connect"):
        await ws_connect(f"ws://127.0.0.1:{port}")


async def test_server_refuses_bad_requests_and_idle_clients(
    nursery: trio.Nursery, lazy_clock: trio.testing.MockClock
) -> None:
    async def handler(conn: WsConnection) -> None:
        raise AssertionError("never accepted")

    url = await start_server(nursery, handler)
    port = int(url.rsplit(":", 1)[1])
    async with await trio.open_tcp_stream("127.0.0.1", port) as stream:
        await stream.send_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")  # no upgrade headers
        answer = await stream.receive_some(65536)
        assert answer.startswith(b"HTTP/1.1 400")
    async with await trio.open_tcp_stream("127.0.0.1", port) as stream:
        start = trio.current_time()
        assert await stream.receive_some(65536) == b""  # says nothing: cut off
        assert trio.current_time() - start == pytest.approx(HANDSHAKE_TIMEOUT_S)


async def test_extra_headers_are_sent(nursery: trio.Nursery) -> None:
    heads: list[bytes] = []
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]

    async def handle(stream: trio.SocketStream) -> None:
        async with stream:
            heads.append(bytes(await stream.receive_some(65536)))

    await nursery.start(trio.serve_listeners, handle, listeners)
    with pytest.raises(WsHandshakeError):
        await ws_connect(f"ws://127.0.0.1:{port}/p", headers=[("X-Test", "yes")])
    assert b"X-Test: yes" in heads[0]
    assert f"Host: 127.0.0.1:{port}".encode() in heads[0]


async def test_wss_round_trip(nursery: trio.Nursery, tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))

    url = await start_server(nursery, echo, ssl_context=server_context)
    port = int(url.rsplit(":", 1)[1])
    async with await ws_connect(f"wss://localhost:{port}/", ssl_context=client_context) as conn:
        await conn.send_text("secret")
        assert await conn.receive() == ["secret"]
    with pytest.raises(WsHandshakeError):  # the default context does not trust it
        await ws_connect(f"wss://localhost:{port}/")


async def test_endless_handshake_answer_is_refused(nursery: trio.Nursery) -> None:
    async def script(stream: trio.SocketStream, accept: bytes) -> None:
        await stream.send_all(b"HTTP/1.1 101 Switching Protocols\r\n" + b"X: y\r\n" * 20_000)
        await trio.sleep_forever()

    with pytest.raises(WsHandshakeError, match="closed during"):
        await ws_connect(await start_raw_server(nursery, script))


# -- sending into trouble ------------------------------------------------------------------


async def test_sending_to_a_vanished_peer_raises_ws_closed(nursery: trio.Nursery) -> None:
    outcome: list[WsClosed] = []
    done = trio.Event()

    async def flood(conn: WsConnection) -> None:
        while True:
            await conn.send_text("x" * 10_000)

    async def handler(conn: WsConnection) -> None:
        with pytest.raises(WsClosed) as info:
            await flood(conn)
        outcome.append(info.value)
        done.set()

    conn = await ws_connect(await start_server(nursery, handler))
    await conn.abort()
    with trio.fail_after(10):
        await done.wait()
    assert outcome[0].code is None


async def test_a_cancelled_send_breaks_the_stream_for_good(
    nursery: trio.Nursery, lazy_clock: trio.testing.MockClock
) -> None:
    closed = trio.Event()

    async def handler(conn: WsConnection) -> None:
        with trio.move_on_after(1):  # the client never reads: the write gets stuck
            while True:
                await conn.send_text("x" * 65_536)
        with pytest.raises(WsClosed):
            await conn.send_text("after a half-written frame nothing may follow")
        await conn.aclose()  # no close frame now, and no waiting for one
        closed.set()

    async with await ws_connect(await start_server(nursery, handler)):
        with trio.fail_after(5):
            await closed.wait()
