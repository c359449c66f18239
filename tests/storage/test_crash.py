"""A crash during a database outage loses no accepted order or fill.

The storage component runs in a child process (``crash_child.py``); the database is taken
away (SQLite locked by another connection, PostgreSQL killed with ``pg_ctl -m immediate``);
the child publishes orders and fills, says when the component accepted them, and is killed
with SIGKILL. A new storage component on the same spill file, with the database back,
must store every accepted row exactly once.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
import trio

from agbotkit.abc import ComponentContext
from agbotkit.bus.bus import Bus
from agbotkit.db.migrations import upgrade
from agbotkit.db.records import ExecutionQuery
from agbotkit.storage.component import Storage

from .conftest import OpenDb, Outage
from .test_component import NOW, Running, make_config

CHILD = Path(__file__).with_name("crash_child.py")
ALL_TIME = ExecutionQuery(start_ms=0, end_ms=2**62)
COUNT = 200


async def read_line(process: trio.Process, buffer: bytearray) -> str:
    """The child's next line of output (bounded: a child that hangs fails the test)."""
    assert process.stdout is not None
    with trio.fail_after(60):
        while b"\n" not in buffer:
            chunk = await process.stdout.receive_some()
            if not chunk:
                raise AssertionError(f"the child ended early (exit {process.returncode})")
            buffer += chunk
    line, _, rest = bytes(buffer).partition(b"\n")
    buffer[:] = rest
    return line.decode()


@pytest.mark.slow
async def test_a_crash_during_an_outage_loses_no_accepted_order_or_fill(
    outage: Outage,
    open_db: OpenDb,
    tmp_path: Path,
    nursery: trio.Nursery,
    request: pytest.FixtureRequest,
) -> None:
    if "timescaledb" in request.node.name:
        pytest.skip("covered by the postgresql run; this one needs a server of its own")
    upgrade(open_db(outage.url))
    process = await trio.lowlevel.open_process(
        [sys.executable, str(CHILD), outage.url, str(tmp_path), str(COUNT)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        buffer = bytearray()
        assert await read_line(process, buffer) == "ready"
        await trio.to_thread.run_sync(outage.begin)
        assert process.stdin is not None
        await process.stdin.send_all(b"go\n")
        assert await read_line(process, buffer) == f"accepted {2 * COUNT}"
        process.send_signal(signal.SIGKILL)  # no stop, no drain: a crash
        with trio.fail_after(30):
            assert await process.wait() == -signal.SIGKILL
    finally:
        if process.returncode is None:
            process.kill()
    await trio.to_thread.run_sync(outage.end)

    context = ComponentContext(
        "store", Bus(), stack_dir=tmp_path, now_ms=lambda: NOW, stack_name="crash"
    )
    restarted = Running(Storage(make_config(outage.url, "off"), context))
    await nursery.start(restarted.run)  # started: the spill file was written first
    assert restarted.component.writer.pending_execution == 0
    await restarted.stop()
    backend = open_db(outage.url)
    fills = backend.query_fills(ALL_TIME)
    assert sorted(int(f.order_id.split("-")[1]) for f in fills) == list(range(1, COUNT + 1))
    orders = backend.query_orders(ALL_TIME)
    assert sorted(int(o.id.split("-")[1]) for o in orders) == list(range(1, COUNT + 1))
    assert len({o.event_id for o in orders}) == COUNT
