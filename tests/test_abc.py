"""ComponentContext.draining: shielded, bounded clean-up that a forced stop cuts short."""

from __future__ import annotations

import trio
import trio.testing

from agbotkit.abc import ComponentContext
from agbotkit.bus.bus import Bus


async def test_a_drain_survives_the_stop_until_its_deadline(
    autojump_clock: trio.testing.MockClock,
) -> None:
    context = ComponentContext("c", Bus())
    with trio.CancelScope() as stop:
        stop.cancel()
        with context.draining(5.0) as scope:
            await trio.sleep(60)
    assert scope.cancelled_caught
    assert trio.current_time() == 5.0


async def test_a_forced_stop_cuts_a_drain_in_progress(
    autojump_clock: trio.testing.MockClock,
) -> None:
    context = ComponentContext("c", Bus())
    async with trio.open_nursery() as nursery:
        nursery.start_soon(trio.sleep, 1.0)  # the forced stop, one second in

        async def clean_up() -> None:
            with context.draining(60.0):
                await trio.sleep(60)

        nursery.start_soon(clean_up)
        await trio.sleep(1.0)
        context.cancel_drains()
    assert trio.current_time() == 1.0


async def test_a_drain_begun_after_a_forced_stop_gets_no_time(
    autojump_clock: trio.testing.MockClock,
) -> None:
    # The race a second Ctrl-C can hit: the stop is forced before the component's
    # `finally` reaches its clean-up.
    context = ComponentContext("c", Bus())
    context.cancel_drains()
    with context.draining(60.0) as scope:
        await trio.sleep(60)
    assert scope.cancelled_caught
    assert trio.current_time() == 0.0
