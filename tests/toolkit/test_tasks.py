"""consume, run_every, take_waiting and the bounded clean-up scopes."""

from __future__ import annotations

import trio
import trio.testing

from agbotkit.toolkit.tasks import aclose_within, cleanup_within, consume, run_every, take_waiting


async def test_consume_hands_over_every_message_and_cancels_done_at_the_end() -> None:
    send, receive = trio.open_memory_channel[int](10)
    seen: list[int] = []
    async with trio.open_nursery() as nursery:
        done = nursery.cancel_scope
        nursery.start_soon(trio.sleep_forever)  # a sibling that only `done` can end
        nursery.start_soon(lambda: consume(receive, seen.append, done=done))
        for value in (1, 2, 3):
            await send.send(value)
        await send.aclose()
    assert seen == [1, 2, 3]
    assert done.cancelled_caught


async def test_consume_without_done_just_returns() -> None:
    send, receive = trio.open_memory_channel[str](1)
    seen: list[str] = []
    async with trio.open_nursery() as nursery:
        nursery.start_soon(lambda: consume(receive, seen.append))
        await send.send("a")
        await send.aclose()
    assert seen == ["a"]


async def test_run_every_waits_one_interval_before_each_call(
    autojump_clock: trio.testing.MockClock,
) -> None:
    calls: list[float] = []
    with trio.move_on_after(3.5):
        await run_every(1.0, lambda: calls.append(trio.current_time()))
    assert calls == [1.0, 2.0, 3.0]


def test_take_waiting_takes_what_is_there_and_never_blocks() -> None:
    send, receive = trio.open_memory_channel[int](10)
    assert take_waiting(receive) == []
    for value in (4, 5):
        send.send_nowait(value)
    assert take_waiting(receive) == [4, 5]
    send.send_nowait(6)
    send.close()
    assert take_waiting(receive) == [6]  # what was sent before the close still counts
    assert take_waiting(receive) == []  # closed: nothing, no error
    receive.close()
    assert take_waiting(receive) == []


async def test_cleanup_within_survives_the_stop_but_not_its_deadline(
    autojump_clock: trio.testing.MockClock,
) -> None:
    finished: list[str] = []
    with trio.CancelScope() as outer:
        outer.cancel()
        with cleanup_within(5.0):
            await trio.sleep(1.0)  # shielded from the cancelled outer scope
            finished.append("short")
        with cleanup_within(5.0) as scope:
            await trio.sleep(60.0)  # a peer that never answers
            finished.append("never")
    assert finished == ["short"]
    assert scope.cancelled_caught
    assert trio.current_time() == 6.0


class _SlowCloser:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.closed = False

    async def aclose(self) -> None:
        await trio.sleep(self.seconds)
        self.closed = True


async def test_aclose_within_closes_while_cancelled_and_gives_up_in_time(
    autojump_clock: trio.testing.MockClock,
) -> None:
    quick, stuck = _SlowCloser(0.5), _SlowCloser(100.0)
    with trio.CancelScope() as outer:
        outer.cancel()
        await aclose_within(quick, 1.0)
        await aclose_within(stuck, 1.0)
    assert quick.closed
    assert not stuck.closed
    assert trio.current_time() == 1.5


def test_take_waiting_takes_at_most_its_limit() -> None:
    send, receive = trio.open_memory_channel[int](10)
    for n in range(5):
        send.send_nowait(n)
    assert take_waiting(receive, 2) == [0, 1]
    assert take_waiting(receive) == [2, 3, 4]
    assert take_waiting(receive, 3) == []
