"""The leader lease's parts: the key, the options and their margin, and the lease itself
on the real PostgreSQL (the session's server-side timeouts, a check that cannot finish)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import trio

from agbotkit.db.database import DatabaseConfig
from agbotkit.errors import ConfigError
from agbotkit.exec.lease.config import LeaseConfig
from agbotkit.exec.lease.key import lease_key, lock_ids
from agbotkit.exec.lease.lease import LeaderLease
from agbotkit.testing.stacks import plan_from_yaml


def test_the_key_is_stable_and_a_signed_bigint() -> None:
    # Fixed forever: processes of different versions must contend for the same lock.
    assert lease_key("0xabc") == lease_key("0xabc") == -8523498946021524068
    assert lease_key("0xabc") != lease_key("0xabd")
    assert all(-(2**63) <= lease_key(str(n)) < 2**63 for n in range(1000))
    high, low = lock_ids(-1)
    assert (high, low) == (0xFFFF_FFFF, 0xFFFF_FFFF)
    assert lock_ids(5) == (0, 5)


@pytest.mark.parametrize("lease_s", [1.0, 2.5, 5.0, 30.0])
def test_the_server_drops_a_silent_holder_well_after_it_fenced_itself(lease_s: float) -> None:
    config = LeaseConfig(
        database=DatabaseConfig(url="postgresql://u@h/d"),
        name="w",
        check_interval_s=lease_s / 2,
        lease_s=lease_s,
    )
    assert config.server_timeout_s - lease_s >= lease_s


def _stack(lease: str) -> str:
    return (
        "components:\n"
        "  execution:\n"
        "    kind: execution\n"
        "    venues: {paper: {kind: paper}}\n"
        f"    leader_lease: {lease}\n"
    )


def test_options_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="lease_s: must be at least twice check_interval_s"):
        plan_from_yaml(
            _stack("{database: {url: 'postgresql://u@h/d'}, name: w, lease_s: 1}"),
            base_dir=tmp_path,
        )
    with pytest.raises(ConfigError, match="name: name the lease"):
        plan_from_yaml(
            _stack("{database: {url: 'postgresql://u@h/d'}, name: ' '}"), base_dir=tmp_path
        )
    with pytest.raises(ConfigError, match="never in the stack file"):
        plan_from_yaml(
            _stack("{database: {url: 'postgresql://u:pw@h/d'}, name: w}"), base_dir=tmp_path
        )


def test_preflight_wants_postgresql(tmp_path: Path) -> None:
    from agbotkit.exec.component import Execution
    from agbotkit.exec.config import ExecutionConfig

    config = ExecutionConfig(
        venues={"paper": {"kind": "paper"}},
        leader_lease=LeaseConfig(database=DatabaseConfig(url="sqlite:///x.db"), name="w"),
    )
    (problem,) = Execution.preflight(config, tmp_path)
    assert problem.field == ("leader_lease", "database", "url")
    assert "postgresql://" in problem.message


def _lease(url: str, tmp_path: Path, holder: str) -> LeaderLease:
    config = LeaseConfig(
        database=DatabaseConfig(url=url),
        name="wallet",
        check_interval_s=0.2,
        lease_s=1.0,
        acquire_interval_s=0.1,
    )
    return LeaderLease(config, tmp_path, "components.execution.leader_lease", holder=holder)


def _session_facts(lease: LeaderLease) -> dict[str, str]:
    with lease.pg.use("test") as conn:
        rows = conn.execute(
            "SELECT name, setting FROM pg_settings WHERE name IN ('tcp_keepalives_idle', "
            "'tcp_keepalives_interval', 'tcp_keepalives_count', 'tcp_user_timeout', "
            "'statement_timeout', 'idle_session_timeout')"
        ).fetchall()
        (pid,) = conn.execute("SELECT pg_backend_pid()").fetchone() or (0,)
    return {**dict(rows), "pid": str(pid)}


async def test_the_lock_session_carries_the_server_side_timeouts(
    lease_db: str, tmp_path: Path
) -> None:
    lease = _lease(lease_db, tmp_path, "first")
    taken, _ = await lease.acquire()
    facts = await trio.to_thread.run_sync(_session_facts, lease)
    assert await lease.release(5)
    assert taken.clean
    config = lease.config
    assert facts["tcp_keepalives_idle"] == str(config.keepalive_idle_s)
    assert facts["tcp_keepalives_interval"] == str(config.keepalive_interval_s)
    assert facts["tcp_keepalives_count"] == str(config.keepalive_count)
    assert facts["tcp_user_timeout"] == str(config.server_timeout_s * 1000)
    assert facts["statement_timeout"] == "1000"
    assert facts["idle_session_timeout"] == "0"


async def test_a_holder_whose_checks_hang_fences_before_anyone_can_take_the_lock(
    lease_db: str, tmp_path: Path
) -> None:
    first, second = _lease(lease_db, tmp_path, "first"), _lease(lease_db, tmp_path, "second")
    _, since = await first.acquire()
    pid = int((await trio.to_thread.run_sync(_session_facts, first))["pid"])
    os.kill(pid, signal.SIGSTOP)  # the holder's backend freezes: checks cannot answer
    try:
        reason = await first.keep(since, lambda _: None)
        # Fenced; the frozen session still holds the lock: nobody else has it yet.
        with trio.move_on_after(1.0) as waited:
            await second.acquire()
    finally:
        os.kill(pid, signal.SIGCONT)
    await first.drop()  # once its stuck check returns, its session is closed
    taken, _ = await second.acquire()
    assert reason == "no check of the lock succeeded within lease_s (1 s)"
    assert waited.cancelled_caught
    assert not taken.clean  # first never released: second must wait lease_s to trade
    assert taken.previous == "first"
    assert await second.release(5)
