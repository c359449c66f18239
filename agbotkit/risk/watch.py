"""Files the risk component watches: its policy file, its kill state file, and SIGHUP.

Files are polled (no inotify: it is not portable, and misses edits on network shares):
each poll reads the whole file and compares it with what was seen last. Policy and state
files are a few hundred bytes, so reading them every second costs nothing, and comparing
contents (not modification times) cannot miss two writes within one timestamp tick.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import trio

from agbotkit.model.risk import KillState
from agbotkit.risk.killstate import load_kill_state, save_kill_state

__all__ = ["FileChanges", "KillStateFile", "hangup_signals"]

LOGGER = logging.getLogger(__name__)


def _read(path: Path) -> bytes | None:
    """The file's bytes; ``None`` when it is missing or unreadable."""
    try:
        return path.read_bytes()
    except OSError:
        return None


class FileChanges:
    """Tells whether a file's contents changed since the last look.

    Args:
        path: the file; its contents now are the baseline.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen = _read(path)

    def changed(self) -> bool:
        """Whether the contents differ from the last look (appearing and vanishing count)."""
        content = _read(self.path)
        if content == self._seen:
            return False
        self._seen = content
        return True


class KillStateFile:
    """The kill state file of one risk component: load, save, and notice others' writes.

    Writes by this object are remembered, so :meth:`poll` reports only changes made by
    someone else (``agbotkit risk kill|reset``, an operator's editor).

    Args:
        path: the state file (see :mod:`agbotkit.risk.killstate` for its format).

    Attributes:
        saved: the state last loaded from or written to the file.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.saved = KillState()
        self._seen: bytes | None = None

    def load(self) -> KillState:
        """Read the file (not triggered when missing; triggered when unusable)."""
        self._seen = _read(self.path)
        self.saved = load_kill_state(self.path)
        return self.saved

    def save(self, state: KillState) -> None:
        """Write ``state`` atomically, creating the folder when needed.

        Raises:
            OSError: it could not be written; :attr:`saved` is unchanged.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        save_kill_state(self.path, state)
        self.saved = state
        self._seen = _read(self.path)

    def poll(self) -> KillState | None:
        """The file's state when someone else changed it since the last look, else ``None``.

        A file that vanished while the switch is triggered is written again (a restart
        must not forget the trigger); deleting the file is not a way to reset.
        """
        content = _read(self.path)
        if content == self._seen:
            return None
        self._seen = content
        if content is None:
            if self.saved.triggered:
                LOGGER.warning("kill state file %s vanished: writing it again", self.path)
                try:
                    self.save(self.saved)
                except OSError as exc:
                    LOGGER.error("cannot write kill state file %s: %s", self.path, exc)
            return None
        state = load_kill_state(self.path)
        if state == self.saved:
            return None
        self.saved = state
        return state


@contextlib.contextmanager
def hangup_signals(enabled: bool = True) -> Iterator[AsyncIterator[int] | None]:
    """Receive SIGHUP while inside, or ``None`` where that is impossible.

    Signals can only be caught in the main thread, and Windows has no SIGHUP; elsewhere
    (a stack run in a worker thread, some test runners) reloading by signal is off and
    the policy-file watch remains.

    Only one receiver per process gets a signal: with several risk components in one
    stack, SIGHUP reaches the one started last.
    """
    if not enabled or not hasattr(signal, "SIGHUP"):
        yield None
        return
    if threading.current_thread() is not threading.main_thread():
        LOGGER.info("not in the main thread: SIGHUP will not reload the policy file")
        yield None
        return
    with trio.open_signal_receiver(signal.SIGHUP) as receiver:
        yield receiver
