"""Execution components under one leader lease, trading one wallet on one fake CLOB.

Each :class:`Node` is a whole stack under its own supervisor (its own bus), as two
processes would be; they share only the database (the lease) and the venue (the fake
CLOB), which is all two processes share.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import psycopg
import trio

from agbotkit.bus.bus import Bus
from agbotkit.bus.subscription import Subscription
from agbotkit.bus.topic import Overflow
from agbotkit.exec.lease.key import lease_key, lock_ids
from agbotkit.model.execution import OrderStatus, OrderStatusChanged
from agbotkit.model.metrics import Metric
from agbotkit.model.orders import OrderIntent, OrderType, Side
from agbotkit.model.risk import OrderApproved
from agbotkit.supervisor.runner import Supervisor
from agbotkit.testing import FakeClob
from agbotkit.testing.fake_clob.accounts import FakeAccount
from agbotkit.testing.stacks import plan_from_yaml
from agbotkit.topics import METRICS, ORDER_DECISIONS, ORDER_UPDATES

HARDHAT_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
API_KEY = "3e2c94ca-8124-c4c1-c7ea-be1ea21b71fe"
SECRET = base64.urlsafe_b64encode(bytes(range(200, 232))).decode()
PASSPHRASE = "f4d2b3465-passphrase-9e8bc07a"
ENV = {
    "POLYMARKET_PRIVATE_KEY": HARDHAT_KEY,
    "POLYMARKET_API_KEY": API_KEY,
    "POLYMARKET_API_SECRET": SECRET,
    "POLYMARKET_API_PASSPHRASE": PASSPHRASE,
    "AGBOTKIT_LIVE_TRADING": "1",
}
TOKEN = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
MARKET = "0x" + "11" * 32
#: The lease: the wallet's address.
LEASE = ADDRESS.lower()
STANDBY = f"standby: another process holds the leader lease {LEASE}"
#: Short times, so that the tests are quick (real time: the database runs in threads);
#: lease_s is not shorter, as a stack starting in the same process (imports, a dashboard)
#: can hold the event loop for a second, and a holder whose checks are late fences itself.
TIMES = {"check_interval_s": 0.5, "lease_s": 3.0, "acquire_interval_s": 0.1}


@asynccontextmanager
async def fake_clob() -> AsyncIterator[FakeClob]:
    """The fake CLOB with the wallet's account and one book."""
    fake = FakeClob(accounts=[FakeAccount(ADDRESS, API_KEY, SECRET, PASSPHRASE)])
    fake.set_book(TOKEN, bids=[("0.48", 100)], asks=[("0.52", 10), ("0.54", 100)], market=MARKET)
    async with fake:
        yield fake


def stack(
    fake: FakeClob,
    db_url: str,
    component: str,
    *,
    cancel_on_stop: bool = False,
    dashboard_port: int = 0,
    **times: float,
) -> str:
    """A stack of one ``execution`` component under the lease, trading on ``fake`` (and a
    dashboard on ``dashboard_port``, if given)."""
    lease = {**TIMES, **times}
    options = ", ".join(f"{key}: {value}" for key, value in lease.items())
    venue = (
        f'{{kind: polymarket, dry_run: false, clob_url: "{fake.url}", '
        f'user_ws_url: "{fake.ws_url}", timeout_s: 2}}'
    )
    lines = [
        "stack: {shutdown_grace_s: 10}",
        "components:",
        f"  {component}:",
        "    kind: execution",
        "    live_trading: true",
        f"    cancel_on_stop: {str(cancel_on_stop).lower()}",
        "    submit_timeout_s: 3",
        "    unknown_grace_s: 5",
        "    metrics_interval_s: 0.2",
        f'    leader_lease: {{database: {{url: "{db_url}"}}, name: "{LEASE}", {options}}}',
        f"    venues: {{pm: {venue}}}",
    ]
    if dashboard_port:
        lines.append(f"  dashboard: {{kind: dashboard, port: {dashboard_port}}}")
    return "\n".join(lines) + "\n"


class Node:
    """One stack's view: its order updates and its ``exec.leader`` gauge."""

    def __init__(self, supervisor: Supervisor) -> None:
        self.supervisor = supervisor
        self.bus: Bus = supervisor.bus
        self._updates: Subscription[OrderStatusChanged] = self.bus.subscribe(
            ORDER_UPDATES, buffer=100_000, overflow=Overflow.BLOCK
        )
        self._metrics: Subscription[Metric] = self.bus.subscribe(METRICS, buffer=100_000)
        self.seen: list[OrderStatusChanged] = []
        self.leader: float | None = None
        self.changes: dict[str, float] = {}

    def _take_metrics(self, sample: Metric) -> None:
        labels = dict(sample.labels)
        if sample.name == "exec.leader":
            self.leader = sample.value
        elif sample.name == "exec.leader_changes":
            self.changes[labels["change"]] = sample.value

    async def until_leader(self, value: float, timeout_s: float = 30) -> None:
        """Wait until the gauge ``exec.leader`` says ``value``."""
        with trio.fail_after(timeout_s):
            while self.leader != value:
                self._take_metrics(await self._metrics.receive())

    async def until(
        self, matches: Callable[[OrderStatusChanged], bool], timeout_s: float = 30
    ) -> OrderStatusChanged:
        """The first order change that ``matches``, waiting for it if need be."""
        for change in self.seen:
            if matches(change):
                return change
        with trio.move_on_after(timeout_s):
            while True:
                change = await self._updates.receive()
                self.seen.append(change)
                if matches(change):
                    return change
        seen = [(c.client_order_id, str(c.status), c.reason) for c in self.seen]
        raise AssertionError(f"no such change within {timeout_s:g} s; seen: {seen}")

    async def status(self, cid: str, status: OrderStatus) -> OrderStatusChanged:
        """The first change of order ``cid`` to ``status``."""
        return await self.until(lambda c: c.client_order_id == cid and c.status is status)

    async def approve(self, cid: str, price: str = "0.45", size: str = "10") -> None:
        """An approved order, as the risk component would publish it."""
        intent = OrderIntent(
            market_id=MARKET, token_id=TOKEN, side=Side.BUY, price=price, size=size,
            client_order_id=cid, order_type=OrderType.GTC,
        )  # fmt: skip
        await self.bus.publish(ORDER_DECISIONS, OrderApproved(intent))


@asynccontextmanager
async def node(text: str, tmp_path: Path) -> AsyncIterator[Node]:
    """The stack running under its own supervisor until the block ends (then stopped)."""
    supervisor = Supervisor(plan_from_yaml(text, base_dir=tmp_path))
    async with trio.open_nursery() as nursery:
        watched = Node(supervisor)
        await nursery.start(supervisor.run)
        yield watched
        supervisor.request_stop()


def terminate_holder(db_url: str) -> int:
    """End the lock's session on the server (as an operator or a failover would);
    how many sessions were ended."""
    classid, objid = lock_ids(lease_key(LEASE))
    with psycopg.connect(db_url, autocommit=True) as conn:
        rows = conn.execute(
            """SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'
                 AND granted AND classid = %s AND objid = %s AND objsubid = 1""",
            (classid, objid),
        ).fetchall()
    return len(rows)


def lease_row(db_url: str) -> tuple[Any, ...] | None:
    """The lease's row: (state, holder, term)."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        return conn.execute(
            "SELECT state, holder, term FROM agbotkit_leader_leases WHERE name = %s", (LEASE,)
        ).fetchone()
