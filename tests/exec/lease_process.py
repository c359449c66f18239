"""A leader in a process of its own: ``agbotkit run`` on a stack file, killed at will."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import trio

TRADING = "reconciled; trading"


class LeaderProcess:
    """``agbotkit run`` of one stack, its output read line by line."""

    def __init__(self, stack_file: Path) -> None:
        self.output: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "agbotkit", "run", str(stack_file)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=dict(os.environ),
        )

    async def until_output(self, text: str, timeout_s: float = 60) -> None:
        """Wait for a line holding ``text``; fail with the output if the process ends."""
        stream = self.process.stdout
        assert stream is not None
        with trio.fail_after(timeout_s):
            while True:
                line = await trio.to_thread.run_sync(stream.readline, abandon_on_cancel=True)
                if not line:
                    raise AssertionError("the leader process ended:\n" + "".join(self.output))
                self.output.append(line)
                if text in line:
                    return

    def pause(self) -> None:
        """SIGSTOP: frozen, its sockets still open (a stalled VM, a debugger)."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT."""
        self.process.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as a crash or an evicted pod."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)


@contextmanager
def leader_process(stack_file: Path) -> Iterator[LeaderProcess]:
    """The process, killed on exit if it still runs."""
    found = LeaderProcess(stack_file)
    try:
        yield found
    finally:
        if found.process.poll() is None:
            found.kill()
        if found.process.stdout is not None:
            found.process.stdout.close()
