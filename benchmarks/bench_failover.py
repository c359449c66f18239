"""Benchmark of the leader lease: how long a standby takes to trade after the leader goes.

Run ``python benchmarks/bench_failover.py`` (``--runs N`` repeats each case, 3 by default;
``--quick`` runs each once). It measures, it does not judge: no timing is asserted. About a
minute with the defaults.

Setup: a throwaway PostgreSQL (``agbotkit.testing.postgres``; skipped, with the reason,
without the server binaries or psycopg), the fake CLOB (``agbotkit.testing.FakeClob``) as the
wallet's venue, and two ``execution`` components with the **default** lease settings
(``check_interval_s: 1``, ``lease_s: 5``, ``acquire_interval_s: 1``) on the same wallet:
the leader is a real process (``agbotkit run``), the standby runs in this process. A run
starts when the leader trades and the standby has stood by for 2 s plus a random part of
a second (its tries are then at a random phase), and ends when the standby's
``exec.leader`` gauge turns 1, which it does once it has started its venue and reconciled,
just before it takes its first order. The cases:

1. **killed**: the leader process gets SIGKILL (a crash, an evicted pod). Its connection
   closes with it, the lock is free at once; the standby takes it at its next try (within
   ``acquire_interval_s``), and, its predecessor not having released, waits ``lease_s``.
   Expected: about ``lease_s`` + up to ``acquire_interval_s`` + the venue's start.
2. **session ended**: the leader's lock session is ended on the server
   (``pg_terminate_backend``: an operator, a database failover). The same wait applies;
   the leader process itself fences at its next check and stays up as a standby.
3. **graceful**: the leader gets SIGTERM (a deploy). It stops trading, releases cleanly
   and unlocks; the standby takes the lock at its next try and trades at once.
   Expected: up to ``acquire_interval_s`` + the venue's start + the leader's stop.
"""

from __future__ import annotations

import argparse
import base64
import logging
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import trio

from agbotkit.bus.topic import Overflow
from agbotkit.model.metrics import Metric
from agbotkit.supervisor.runner import Supervisor
from agbotkit.testing import FakeClob
from agbotkit.testing.fake_clob.accounts import FakeAccount
from agbotkit.testing.postgres import POSTGRES_MISSING, ThrowawayPostgres, find_postgres_binaries
from agbotkit.testing.stacks import plan_from_yaml
from agbotkit.topics import METRICS

RUNS = 3
ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
API_KEY = "3e2c94ca-8124-c4c1-c7ea-be1ea21b71fe"
SECRET = base64.urlsafe_b64encode(bytes(range(200, 232))).decode()
PASSPHRASE = "f4d2b3465-passphrase-9e8bc07a"
ENV = {
    # Hardhat's first test account: a well-known throwaway key, no money anywhere.
    "POLYMARKET_PRIVATE_KEY": "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "POLYMARKET_API_KEY": API_KEY,
    "POLYMARKET_API_SECRET": SECRET,
    "POLYMARKET_API_PASSPHRASE": PASSPHRASE,
    "AGBOTKIT_LIVE_TRADING": "1",
}
LEASE = ADDRESS.lower()
TRADING = "reconciled; trading"


def stack(fake: FakeClob, db_url: str) -> str:
    """One ``execution`` component on the wallet, under the lease with default settings."""
    venue = (
        f'{{kind: polymarket, dry_run: false, clob_url: "{fake.url}", '
        f'user_ws_url: "{fake.ws_url}", timeout_s: 2}}'
    )
    return "\n".join(
        [
            "stack: {shutdown_grace_s: 10}",
            "components:",
            "  execution:",
            "    kind: execution",
            "    live_trading: true",
            "    cancel_on_stop: false",
            f'    leader_lease: {{database: {{url: "{db_url}"}}, name: "{LEASE}"}}',
            f"    venues: {{pm: {venue}}}",
        ]
    )


class Leader:
    """The leader: ``agbotkit run`` in a process of its own."""

    def __init__(self, stack_file: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "agbotkit", "run", str(stack_file)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **ENV},
        )

    async def until_trading(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        with trio.fail_after(60):
            while TRADING not in (line := await trio.to_thread.run_sync(stream.readline)):
                if not line:
                    raise RuntimeError("the leader process ended before it traded")

    def end(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(30)
        if self.process.stdout is not None:
            self.process.stdout.close()


def terminate_lock_session(db_url: str) -> None:
    """End the session holding the lease's lock, on the server."""
    import psycopg

    from agbotkit.exec.lease.key import lease_key, lock_ids

    classid, objid = lock_ids(lease_key(LEASE))
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            """SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'
                 AND granted AND classid = %s AND objid = %s""",
            (classid, objid),
        )


async def one_run(
    fake: FakeClob, db_url: str, folder: Path, cause: Callable[[Leader], None], phase: float
) -> float:
    """Seconds from ``cause`` (done to the leader) to the standby trading."""
    text = stack(fake, db_url)
    stack_file = folder / "leader.yaml"
    stack_file.write_text(text, encoding="utf-8")
    leader = Leader(stack_file)
    try:
        await leader.until_trading()
        supervisor = Supervisor(plan_from_yaml(text, base_dir=folder, environ=ENV))
        with supervisor.bus.subscribe(METRICS, buffer=100_000, overflow=Overflow.BLOCK) as metrics:

            async def gauge(value: float) -> None:
                sample: Metric
                async for sample in metrics:
                    if sample.name == "exec.leader" and sample.value == value:
                        return

            async with trio.open_nursery() as nursery:
                await nursery.start(supervisor.run)
                with trio.fail_after(60):
                    await gauge(0)
                    # Steady polling, at a random phase of the standby's tries.
                    await trio.sleep(2 + phase)
                    began = time.perf_counter()
                    cause(leader)
                    await gauge(1)
                took = time.perf_counter() - began
                supervisor.request_stop()
    finally:
        leader.end()
    return took


def report(name: str, seconds: Sequence[float]) -> None:
    shown = ", ".join(f"{s:.2f}" for s in seconds)
    print(
        f"failover.{name}: median {statistics.median(seconds):.2f} s, "
        f"max {max(seconds):.2f} s over {len(seconds)} runs ({shown})",
        flush=True,
    )


async def bench(runs: int) -> None:
    binaries = find_postgres_binaries()
    if binaries is None:
        print(f"failover: skipped: {POSTGRES_MISSING}", flush=True)
        return
    rng = random.Random(17)
    os.environ.update(ENV)  # the standby reads the wallet's credentials from here
    with tempfile.TemporaryDirectory() as tmp, ThrowawayPostgres(binaries) as server:
        fake = FakeClob(accounts=[FakeAccount(ADDRESS, API_KEY, SECRET, PASSPHRASE)])
        async with fake:
            cases: dict[str, Callable[[Leader], None]] = {
                "killed (SIGKILL)": lambda leader: leader.process.send_signal(signal.SIGKILL),
                "session_ended (pg_terminate_backend)": lambda _: terminate_lock_session(db_url),
                "graceful (SIGTERM, clean release)": (
                    lambda leader: leader.process.send_signal(signal.SIGTERM)
                ),
            }
            for number, (name, cause) in enumerate(cases.items()):
                took = []
                for run in range(runs):
                    db_url = server.create_database(f"failover_{number}_{run}")
                    phase = rng.uniform(0, 1)  # of acquire_interval_s
                    took.append(await one_run(fake, db_url, Path(tmp), cause, phase))
                report(name, took)
    print(
        "failover: defaults check_interval_s 1, lease_s 5, acquire_interval_s 1; an unclean "
        "takeover waits lease_s on purpose (see docs/execution.md, Leader lease)",
        flush=True,
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Print the takeover times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS, help="runs per case")
    parser.add_argument("--quick", action="store_true", help="one run per case")
    args = parser.parse_args(argv)
    logging.getLogger("agbotkit").setLevel(logging.ERROR)  # the standby's own log: not wanted
    trio.run(bench, 1 if args.quick else args.runs)


if __name__ == "__main__":
    main()
