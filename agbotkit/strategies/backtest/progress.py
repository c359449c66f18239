"""The terminal progress bar of long backtests (tqdm), off when stderr is not a terminal."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Protocol

__all__ = ["progress_bar"]


class Bar(Protocol):
    """What the engine calls on a bar."""

    def update(self, n: int) -> object:
        """``n`` more events replayed."""


class _Silent:
    def update(self, n: int) -> None:
        pass


@contextlib.contextmanager
def progress_bar(total: int, *, enabled: bool) -> Iterator[Bar]:
    """A bar over ``total`` events when ``enabled`` and stderr is a terminal, else one
    that shows nothing."""
    if not enabled or not sys.stderr.isatty():
        yield _Silent()
        return
    from tqdm import tqdm  # imported only for a terminal: it costs a start-up

    with tqdm(total=total, unit="ev", unit_scale=True, desc="backtest", file=sys.stderr) as bar:
        yield bar
