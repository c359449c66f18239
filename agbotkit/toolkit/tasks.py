"""Task loops and clean-up that components share.

Every loop here ends the way the rest of agbotkit does: a consumer stops when its channel
closes, a periodic task when it is cancelled, and clean-up is shielded from the stop but
bounded by its own deadline (STYLE rule 2).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterable, Callable, Iterator
from typing import Protocol, TypeVar

import trio

__all__ = ["aclose_within", "cleanup_within", "consume", "run_every", "take_waiting"]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class _NowaitReceiver(Protocol[T_co]):
    def receive_nowait(self) -> T_co: ...


class _AsyncClosable(Protocol):
    async def aclose(self) -> None: ...


async def consume(
    messages: AsyncIterable[T],
    handle: Callable[[T], object],
    *,
    done: trio.CancelScope | None = None,
) -> None:
    """Hand every message to ``handle`` until the channel closes.

    Args:
        messages: a bus subscription or any async iterable.
        handle: called with each message, synchronously.
        done: cancelled when the channel closes (the bus closed: the stack is over), so
            sibling tasks that would run forever stop too.
    """
    async for message in messages:
        handle(message)
    if done is not None:
        done.cancel()


async def run_every(interval_s: float, action: Callable[[], object]) -> None:
    """Call ``action`` every ``interval_s`` seconds (the first time after one interval)."""
    while True:
        await trio.sleep(interval_s)
        action()


def take_waiting(receiver: _NowaitReceiver[T], limit: int | None = None) -> list[T]:
    """Everything already waiting in ``receiver`` (at most ``limit`` messages), without
    blocking (empty when closed)."""
    taken: list[T] = []
    while limit is None or len(taken) < limit:
        try:
            taken.append(receiver.receive_nowait())
        except (trio.WouldBlock, trio.EndOfChannel, trio.ClosedResourceError):
            break
    return taken


@contextlib.contextmanager
def cleanup_within(timeout_s: float) -> Iterator[trio.CancelScope]:
    """A scope for clean-up that a stop cannot cut short, but that ends after ``timeout_s``.

    Use it in ``finally`` blocks and cancellation handlers: a cancelled task may still await
    inside it, and a peer that never answers cannot hold the stop forever.
    """
    with trio.CancelScope(shield=True, deadline=trio.current_time() + timeout_s) as scope:
        yield scope


async def aclose_within(resource: _AsyncClosable, timeout_s: float) -> None:
    """Close ``resource`` even while being cancelled, giving up after ``timeout_s``."""
    with cleanup_within(timeout_s):
        await resource.aclose()
