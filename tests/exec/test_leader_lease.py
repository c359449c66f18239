"""Exactly one trader per wallet: two execution components on one wallet and one fake
CLOB, under a leader lease on the real PostgreSQL; only the holder trades, a standby
rejects, and a takeover (the holder's session killed, or a clean stop) neither sends an
order twice nor loses one."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import trio

from agbotkit.model.execution import OrderStatus
from agbotkit.testing.postgres import free_port

from .lease_process import TRADING, leader_process
from .lease_stack import (
    ENV,
    LEASE,
    STANDBY,
    TIMES,
    fake_clob,
    lease_row,
    node,
    stack,
    terminate_holder,
)

ADOPTED = "adopted from the venue"


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)


async def _readyz_with_leases(url: str) -> httpx.Response:
    """``/readyz`` once the dashboard has seen the lease's gauge (published every
    ``metrics_interval_s``)."""
    async with httpx.AsyncClient(base_url=url) as client:
        with trio.fail_after(30):
            response = await client.get("/readyz")
            while "leader_leases" not in response.json():  # polls a server over HTTP
                await trio.sleep(0.1)
                response = await client.get("/readyz")
    return response


async def test_only_the_holder_trades_and_a_standby_rejects_with_the_reason(
    lease_db: str, tmp_path: Path
) -> None:
    port = free_port()
    async with fake_clob() as fake, node(stack(fake, lease_db, "exec_a"), tmp_path) as a:
        await a.until_leader(1)
        b_stack = stack(fake, lease_db, "exec_b", dashboard_port=port)
        async with node(b_stack, tmp_path) as b:
            await b.until_leader(0)
            await b.approve("b1")
            refused = await b.status("b1", OrderStatus.REJECTED)
            await a.approve("a1")
            await a.status("a1", OrderStatus.ACCEPTED)
            assert b.leader == 0
            ready = await _readyz_with_leases(f"http://127.0.0.1:{port}")
    assert refused.reason == STANDBY
    # A standby is ready (a rolling update goes on) and says that it is a standby.
    assert ready.status_code == 200
    assert ready.json()["leader_leases"] == {LEASE: "standby"}
    assert len(fake.orders) == 1  # a1 only: b1 never reached the venue
    assert [o.status for o in b.seen if o.client_order_id == "b1"] == [
        OrderStatus.NEW,
        OrderStatus.REJECTED,
    ]


async def test_killing_the_holders_session_hands_over_without_loss_or_resend(
    lease_db: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with fake_clob() as fake, node(stack(fake, lease_db, "exec_a"), tmp_path) as a:
        await a.until_leader(1)
        async with node(stack(fake, lease_db, "exec_b"), tmp_path) as b:
            await b.until_leader(0)
            await a.approve("rests")
            placed = await a.status("rests", OrderStatus.ACCEPTED)
            fake.faults.hang_orders = 1  # placed on the book, the answer never comes
            await a.approve("lost")
            await a.status("lost", OrderStatus.SUBMITTING)
            assert terminate_holder(lease_db) == 1
            await a.until_leader(0)  # fenced: a send in flight abandoned
            await b.until_leader(1)
            adopted = await b.until(lambda c: c.venue_order_id == placed.venue_order_id)
            in_doubt = await b.until(lambda c: c.reason == ADOPTED and c != adopted)
            await a.approve("late")
            late = await a.status("late", OrderStatus.REJECTED)
            await b.approve("next")
            await b.status("next", OrderStatus.ACCEPTED)
    assert adopted.reason == ADOPTED
    assert adopted.status is OrderStatus.ACCEPTED
    assert in_doubt.status is OrderStatus.ACCEPTED  # the lost answer: found, not resent
    assert late.reason == STANDBY
    # rests, lost, next: each reached the venue once.
    assert len(fake.orders) == 3
    assert len(fake.exchange.orders) == 3
    messages = [r.getMessage() for r in caplog.records]
    fenced = next(i for i, m in enumerate(messages) if "lost (" in m)
    trading = [i for i, m in enumerate(messages) if m.endswith("reconciled; trading")]
    assert len(trading) == 2
    assert trading[0] < fenced < trading[1]  # the old holder stopped before the new began
    assert f"not released: waiting {TIMES['lease_s']:g} s" in caplog.text


async def test_a_clean_stop_releases_the_lease_and_the_standby_adopts_the_orders(
    lease_db: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with fake_clob() as fake, node(stack(fake, lease_db, "exec_b"), tmp_path) as b:
        await b.until_leader(1)  # b leads before a starts
        async with node(stack(fake, lease_db, "exec_a"), tmp_path) as a:
            await a.until_leader(0)
            await b.approve("kept")
            placed = await b.status("kept", OrderStatus.ACCEPTED)
            b.supervisor.request_stop()  # a deploy: SIGTERM
            await a.until_leader(1)
            adopted = await a.until(lambda c: c.venue_order_id == placed.venue_order_id)
    assert adopted.reason == ADOPTED
    assert "released cleanly" in caplog.text
    assert "not released" not in caplog.text
    assert len(fake.orders) == 1
    assert lease_row(lease_db) is not None


async def test_a_holder_cut_off_from_the_database_stops_trading_by_itself(
    lease_db: str, tmp_path: Path, lease_postgres: object
) -> None:
    """The server goes away: no check can succeed, and the holder fences itself within
    ``lease_s`` (nothing else could tell it)."""
    async with fake_clob() as fake, node(stack(fake, lease_db, "exec_a"), tmp_path) as a:
        await a.until_leader(1)
        await trio.to_thread.run_sync(lease_postgres.stop)  # type: ignore[attr-defined]
        try:
            await a.until_leader(0)
            await a.approve("after")
            refused = await a.status("after", OrderStatus.REJECTED)
        finally:
            await trio.to_thread.run_sync(lease_postgres.start)  # type: ignore[attr-defined]
        await a.until_leader(1)  # the database is back: it leads again
    assert refused.reason == STANDBY
    assert fake.orders == []


async def test_a_standby_takes_over_from_a_leader_process_killed_outright(
    lease_db: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with fake_clob() as fake:
        stack_file = tmp_path / "leader.yaml"
        stack_file.write_text(stack(fake, lease_db, "execution"), encoding="utf-8")
        with leader_process(stack_file) as leader:
            await leader.until_output(TRADING)
            async with node(stack(fake, lease_db, "execution"), tmp_path) as b:
                await b.until_leader(0)
                await b.approve("while_standby")
                await b.status("while_standby", OrderStatus.REJECTED)
                row = lease_row(lease_db)
                leader.kill()
                # The killed process's connection closed with it: the lock is free at once;
                # its predecessor never released, so the standby waits lease_s, then trades.
                await b.until_leader(1, timeout_s=TIMES["lease_s"] + 20)
                await b.approve("after")
                await b.status("after", OrderStatus.ACCEPTED)
    assert row is not None
    assert row[0] == "held"
    assert row[1].endswith(f":{leader.process.pid}:execution")
    assert f"not released: waiting {TIMES['lease_s']:g} s" in caplog.text
    assert len(fake.orders) == 1


async def test_a_leader_paused_past_its_lease_fences_when_it_resumes(
    lease_db: str, tmp_path: Path
) -> None:
    """While frozen, its session lives and keeps the lock: nobody else trades. Once it
    resumes past its lease it stops trading and lets go; the standby then takes over."""
    async with fake_clob() as fake:
        stack_file = tmp_path / "leader.yaml"
        stack_file.write_text(stack(fake, lease_db, "execution"), encoding="utf-8")
        with leader_process(stack_file) as leader:
            await leader.until_output(TRADING)
            async with node(stack(fake, lease_db, "execution"), tmp_path) as b:
                await b.until_leader(0)
                leader.pause()
                try:
                    await trio.sleep(TIMES["lease_s"] + 1)  # the lease runs out, frozen
                    row_while_paused = lease_row(lease_db)  # b took nothing
                finally:
                    leader.resume()
                await leader.until_output("lost (no check of the lock succeeded")
                await b.until_leader(1)
    assert row_while_paused is not None
    assert row_while_paused[1].endswith(f":{leader.process.pid}:execution")
    assert row_while_paused[2] == 1  # the first term still
    assert fake.orders == []
