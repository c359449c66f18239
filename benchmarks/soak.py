"""Soak test: the demo stack at full replay speed for minutes, with a dashboard client.

Runs ``agbotkit run examples/demo.yaml`` as a real subprocess with the replay at full speed
(``AGBOTKIT_DEMO_SPEED=0``), keeps a browser-style WebSocket client on ``/dashboard``, and
prints: market frames processed and per second, metrics/s pushed to the dashboard client,
peak RSS, RSS growth over the last 4/5 of the run, lag, and the error count (ERROR log
lines and tracebacks). ``nox -s soak``; ``--seconds`` shortens it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def scrape(port: int) -> dict[str, float]:
    """Sum the Prometheus samples of interest by family name."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    sums: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name = re.split(r"[{ ]", line, maxsplit=1)[0]
        try:
            sums[name] = sums.get(name, 0.0) + float(line.rsplit(" ", 1)[1])
        except ValueError:
            continue
    return sums


class DashboardClient(threading.Thread):
    """A browser stand-in: reads every /dashboard frame and counts the points in them."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.points = 0
        self.frames = 0
        self.stop = threading.Event()

    def run(self) -> None:
        import trio

        from agbotkit.errors import WsClosed
        from agbotkit.ws.client import ws_connect
        from agbotkit.ws.connection import WsConnection

        async def main() -> None:
            conn = await ws_connect(f"ws://127.0.0.1:{self.port}/dashboard")
            with contextlib.suppress(WsClosed):  # the stack stopping closes it with 1001
                await read(conn)
            await conn.aclose()

        async def read(conn: WsConnection) -> None:
            while not self.stop.is_set():
                for text in await conn.receive():
                    if isinstance(text, str):
                        frame = json.loads(text)
                        self.frames += 1
                        self.points += sum(
                            len(s.get("points", ())) for s in frame.get("series", ())
                        )
            await conn.aclose()

        trio.run(main)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=300.0)
    args = parser.parse_args()
    ports = {name: free_port() for name in ("dash", "clob", "rtds")}
    env = dict(
        os.environ,
        AGBOTKIT_DEMO_SPEED="0",
        AGBOTKIT_DASHBOARD_PORT=str(ports["dash"]),
        AGBOTKIT_DEMO_CLOB_PORT=str(ports["clob"]),
        AGBOTKIT_DEMO_RTDS_PORT=str(ports["rtds"]),
    )
    log = open(ROOT / ".soak.log", "w")  # noqa: SIM115 - kept open for the child's lifetime
    child = subprocess.Popen(
        [sys.executable, "-m", "agbotkit", "run", "examples/demo.yaml"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if (
                    urllib.request.urlopen(
                        f"http://127.0.0.1:{ports['dash']}/readyz", timeout=2
                    ).status
                    == 200
                ):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or child.poll() is not None:
                raise SystemExit("the demo did not become ready; see .soak.log")
            time.sleep(0.5)
        client = DashboardClient(ports["dash"])
        client.start()
        started = time.monotonic()
        samples: list[tuple[float, int]] = []
        first = scrape(ports["dash"])
        lags: list[float] = []
        next_report = 300.0
        while time.monotonic() - started < args.seconds and child.poll() is None:
            time.sleep(5)
            samples.append((time.monotonic() - started, rss_kib(child.pid)))
            if samples[-1][0] >= next_report:  # RSS every 5 minutes: does memory plateau?
                print(f"soak.rss_at: {next_report / 60:.0f} min {samples[-1][1] / 1024:,.1f} MiB")
                sys.stdout.flush()
                next_report += 300.0
            lags.append(scrape(ports["dash"]).get("polymarket_clob_lag_ms", float("nan")))
        last = scrape(ports["dash"])
        elapsed = time.monotonic() - started
        client.stop.set()
    finally:
        child.send_signal(signal.SIGTERM)
        code = child.wait(timeout=30)
        log.close()
    frames = last.get("polymarket_clob_messages_received_total", 0) - first.get(
        "polymarket_clob_messages_received_total", 0
    )
    output = (ROOT / ".soak.log").read_text()
    errors = len(re.findall(r" ERROR |Traceback", output))
    peak = max(rss for _, rss in samples)
    after_first_fifth = [rss for t, rss in samples if t >= elapsed / 5]
    growth = (after_first_fifth[-1] - after_first_fifth[0]) / after_first_fifth[0] * 100
    lags = [lag for lag in lags if lag == lag]
    print(f"soak.duration: {elapsed:,.0f} s at full replay speed, exit code {code}")
    print(
        f"soak.frames_processed: {frames:,.0f} CLOB messages, {frames / elapsed:,.0f}/s "
        "(target >= 5,000/s)"
    )
    print(
        f"soak.dashboard: {client.points / elapsed:,.0f} metric points/s pushed to one "
        f"dashboard client in {client.frames:,} frames"
    )
    print(
        f"soak.rss: peak {peak / 1024:,.1f} MiB; growth over the last 4/5 of the run "
        f"{growth:+.1f}% (target < 5%)"
    )
    if lags:
        print(f"soak.lag_ms: median of samples {sorted(lags)[len(lags) // 2]:,.1f} ms")
    print(f"soak.errors: {errors} (target 0; log in .soak.log)")


if __name__ == "__main__":
    main()
