"""Helpers for the system tests: real ``agbotkit run`` subprocesses on free loopback ports.

Every stack runs as ``python -m agbotkit run STACK`` in a temporary folder (its state files
land there, never in the repository), its stdout and stderr go to one log file, and it is
watched from outside only: ``/readyz``, ``/api/series`` and the Prometheus ``GET /metrics``
of a ``dashboard`` component. Every wait polls with a deadline and fails with a message that
says what was awaited, the last value seen and the tail of the stack's log.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
POLICIES = ROOT / "policies"

#: How long a stack may take to report ready (imports, replay load, connects).
READY_TIMEOUT_S = 60.0
#: The default bound on waiting for something a running stack should do.
WAIT_S = 30.0

T = TypeVar("T")


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def now_ms() -> int:
    return int(time.time() * 1000)


class StackProcess:
    """One ``python -m agbotkit run STACK`` child, started (and started again) on demand.

    Args:
        name: a short name for messages and the log file.
        stack: the stack file; the child runs in its folder.
        env: extra environment variables (ports).
        dashboard_port: the port of the stack's dashboard, if it has one.
    """

    def __init__(
        self,
        name: str,
        stack: Path,
        env: dict[str, str] | None = None,
        dashboard_port: int | None = None,
    ) -> None:
        self.name = name
        self.stack = stack
        self.env = {**os.environ, **(env or {})}
        self.dashboard_port = dashboard_port
        self.log_path = stack.parent / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> StackProcess:
        assert self.process is None or self.process.poll() is not None, "already running"
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"==== start {self.starts} ====\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "agbotkit", "run", self.stack.name],
                cwd=self.stack.parent,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def assert_running(self) -> None:
        if not self.running:
            pytest.fail(f"{self.name} exited with code {self.returncode}:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL: a crash, no clean-up at all."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self, within_s: float) -> tuple[int, float]:
        """Send one SIGTERM; return (exit code, seconds it took). Fails after ``within_s``."""
        assert self.process is not None
        self.assert_running()
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=within_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"{self.name} did not exit within {within_s} s of SIGTERM:\n{self.tail()}")
        return code, time.monotonic() - started

    def close(self) -> None:
        """At teardown: make sure the child is gone (SIGTERM, then SIGKILL)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    # -- output -------------------------------------------------------------------------

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def tail(self, lines: int = 60) -> str:
        text = self.output().splitlines()[-lines:]
        return f"--- last lines of {self.log_path} ---\n" + "\n".join(text)

    def assert_no_traceback(self) -> None:
        out = self.output()
        assert "Traceback" not in out, f"{self.name} printed a traceback:\n{out[-6000:]}"

    # -- the dashboard ------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self.dashboard_port is not None, f"{self.name} has no dashboard"
        return f"http://127.0.0.1:{self.dashboard_port}"

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        """Until ``GET /readyz`` answers 200 (fails when the child exits first)."""
        last: Any = "no answer"

        def ready() -> bool:
            nonlocal last
            self.assert_running()
            try:
                response = httpx.get(f"{self.url}/readyz", timeout=2)
            except httpx.HTTPError as exc:
                last = repr(exc)
                return False
            last = f"{response.status_code} {response.text}"
            return response.status_code == 200

        wait_until(ready, timeout_s, f"{self.name}: /readyz is 200", self, last=lambda: last)

    def series(
        self, name: str, labels: dict[str, str] | None = None, since: int | None = None
    ) -> list[dict[str, Any]]:
        """``GET /api/series``: every matching series, ``points`` as ``[[ts, value], ...]``."""
        params: list[tuple[str, str]] = [("name", name), ("max_points", "10000")]
        params += [("label", f"{key}:{value}") for key, value in (labels or {}).items()]
        if since is not None:
            params.append(("since", str(since)))
        response = httpx.get(f"{self.url}/api/series", params=params, timeout=5)
        response.raise_for_status()
        found: list[dict[str, Any]] = response.json()["series"]
        return found

    def points(
        self, name: str, labels: dict[str, str] | None = None, since: int | None = None
    ) -> list[tuple[int, float, dict[str, str]]]:
        """Every point of every matching series, oldest first, with its series' labels."""
        out = [
            (int(ts), float(value), s["labels"])
            for s in self.series(name, labels, since)
            for ts, value in s["points"]
        ]
        return sorted(out, key=lambda point: point[0])

    def latest(self, name: str, labels: dict[str, str] | None = None) -> float | None:
        """The newest value among the matching series (``None`` when there is none)."""
        found = self.points(name, labels)
        return found[-1][1] if found else None

    def prometheus(self) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        """``GET /metrics`` parsed: ``{(family, labels): value}``."""
        response = httpx.get(f"{self.url}/metrics", timeout=5)
        response.raise_for_status()
        return parse_prometheus(response.text)

    def prom_sum(self, family: str, **labels: str) -> float | None:
        """The sum of a Prometheus family's samples whose labels include ``labels``."""
        values = [
            value
            for (name, found), value in self.prometheus().items()
            if name == family and set(labels.items()) <= found
        ]
        return sum(values) if values else None


_SAMPLE = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)")
_LABEL = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_prometheus(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        if match is None:
            continue
        name, raw_labels, raw_value = match.groups()
        labels = frozenset(_LABEL.findall(raw_labels or ""))
        with contextlib.suppress(ValueError):
            samples[(name, labels)] = float(raw_value)
    return samples


def wait_until(
    condition: Callable[[], T],
    timeout_s: float,
    what: str,
    *watched: StackProcess,
    last: Callable[[], object] | None = None,
    interval_s: float = 0.25,
) -> T:
    """Poll ``condition`` until it returns something truthy; return that.

    Fails after ``timeout_s`` saying ``what`` was awaited, the last value ``last()`` gives
    and the log tails of ``watched``; fails at once when a watched process exits.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        for proc in watched:
            proc.assert_running()
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            seen = f"\nlast seen: {last()!r}" if last is not None else ""
            tails = "\n".join(proc.tail() for proc in watched)
            pytest.fail(f"timed out after {timeout_s:g} s waiting for: {what}{seen}\n{tails}")
        time.sleep(interval_s)


def wait_port(port: int, timeout_s: float, what: str, *watched: StackProcess) -> None:
    """Until something accepts TCP connections on 127.0.0.1:``port``."""

    def accepts() -> bool:
        with socket.socket() as sock:
            sock.settimeout(1)
            try:
                sock.connect(("127.0.0.1", port))
            except OSError:
                return False
            return True

    wait_until(accepts, timeout_s, what, *watched)


def copy_demo(folder: Path, policy_text: str | None = None) -> tuple[Path, Path]:
    """``examples/demo.yaml`` and a policy file (``policies/demo.yaml`` unless given) in
    ``folder``, the stack pointing at the copy. Returns (stack, policy file)."""
    folder.mkdir(parents=True, exist_ok=True)
    policy = folder / "policy.yaml"
    policy.write_text(
        policy_text if policy_text is not None else (POLICIES / "demo.yaml").read_text()
    )
    text = (EXAMPLES / "demo.yaml").read_text()
    assert "policy_file: ../policies/demo.yaml" in text
    stack = folder / "demo.yaml"
    stack.write_text(text.replace("policy_file: ../policies/demo.yaml", "policy_file: policy.yaml"))
    return stack, policy


def demo_env(speed: float = 1) -> tuple[dict[str, str], int]:
    """The demo's environment on free ports; returns (env, dashboard port)."""
    dashboard = free_port()
    env = {
        "AGBOTKIT_DASHBOARD_PORT": str(dashboard),
        "AGBOTKIT_DEMO_CLOB_PORT": str(free_port()),
        "AGBOTKIT_DEMO_RTDS_PORT": str(free_port()),
        "AGBOTKIT_DEMO_SPEED": str(speed),
    }
    return env, dashboard


@pytest.fixture
def stacks() -> Iterator[Callable[..., StackProcess]]:
    """``stacks(name, stack_path, env=..., dashboard_port=...)``: a not-yet-started child;
    every child still running at the end is stopped."""
    made: list[StackProcess] = []

    def make(
        name: str,
        stack: Path,
        env: dict[str, str] | None = None,
        dashboard_port: int | None = None,
    ) -> StackProcess:
        proc = StackProcess(name, stack, env, dashboard_port)
        made.append(proc)
        return proc

    yield make
    for proc in made:
        proc.close()
