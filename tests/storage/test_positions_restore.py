"""A restarted risk component picks its positions back up from storage (``positions_from``)."""

from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path

import pytest
import trio

from agbotkit.bus.bus import Bus
from agbotkit.bus.topic import Overflow
from agbotkit.db.backend import ExecutionBatch, StorageBackend
from agbotkit.db.migrations import upgrade
from agbotkit.db.records import PositionRecord
from agbotkit.errors import ComponentStartError
from agbotkit.model.orders import OrderIntent, Side
from agbotkit.model.risk import OrderApproved, OrderDecision, OrderDenied
from agbotkit.supervisor.plan import plan_file
from agbotkit.supervisor.runner import Supervisor
from agbotkit.topics import ORDER_DECISIONS, ORDER_INTENTS

from .conftest import OpenDb

T0 = 1_767_225_600_000
YES, NO = "111", "222"


def snapshot(source: str, token: str, size: str, ts: int) -> PositionRecord:
    return PositionRecord(
        timestamp_ms=ts,
        source=source,
        token_id=token,
        market="0xm",
        size=Decimal(size),
        cost_basis_usd=Decimal(size) / 2,
        realised_pnl_usd=Decimal(0),
        fees_usd=Decimal("0.01"),
        mark=Decimal("0.5"),
    )


def store_positions(backend: StorageBackend) -> None:
    upgrade(backend)
    backend.write_execution(
        ExecutionBatch(
            positions=[
                snapshot("risk", YES, "10", T0),
                snapshot("risk", YES, "90", T0 + 60_000),  # the newest: this one counts
                snapshot("risk", NO, "5", T0 + 1000),
                snapshot("other_risk", YES, "500", T0 + 120_000),  # another component's
            ]
        )
    )


def test_latest_positions_are_the_newest_per_token_of_one_source(
    backend: StorageBackend,
) -> None:
    store_positions(backend)
    latest = backend.latest_positions("risk")
    # By token id ("111" before "222"); other_risk's bigger, newer YES is not ours.
    assert [(p.token_id, p.size, p.timestamp_ms) for p in latest] == [
        (YES, Decimal(90), T0 + 60_000),
        (NO, Decimal(5), T0 + 1000),
    ]
    assert latest[0].fees_usd == Decimal("0.01")
    assert backend.latest_positions("nobody") == []


@asynccontextmanager
async def risk_stack(tmp_path: Path, url: str, mode: str) -> AsyncIterator[Bus]:
    (tmp_path / "policies.yaml").write_text(
        "policies:\n  - type: PositionLimit\n    max_size: 100\n"
    )
    stack = tmp_path / "stack.yaml"
    stack.write_text(
        textwrap.dedent(
            f"""
            components:
              risk:
                kind: risk
                policy_file: policies.yaml
                positions_from: {{url: "{url}", timescaledb: {mode}}}
            """
        )
    )
    supervisor = Supervisor(plan_file(stack))
    async with trio.open_nursery() as nursery:
        await nursery.start(supervisor.run)
        yield supervisor.bus
        supervisor.request_stop()


async def judge(bus: Bus, token: str, size: str) -> OrderDecision:
    intent = OrderIntent(market_id="0xm", token_id=token, side=Side.BUY, price="0.5", size=size)
    with bus.subscribe(ORDER_DECISIONS, overflow=Overflow.BLOCK) as decisions:
        await bus.publish(ORDER_INTENTS, intent)
        with trio.fail_after(5):
            return await decisions.receive()


async def test_a_restarted_risk_component_counts_what_it_held(
    tmp_path: Path, storage_url: str, open_db: OpenDb, timescale_mode: str
) -> None:
    store_positions(open_db(storage_url))
    async with risk_stack(tmp_path, storage_url, timescale_mode) as bus:
        # 90 held + 20 > 100: denied; NO holds 5, so 20 more is fine.
        assert isinstance(await judge(bus, YES, "20"), OrderDenied)
        assert isinstance(await judge(bus, NO, "20"), OrderApproved)
        assert isinstance(await judge(bus, YES, "10"), OrderApproved)


async def test_a_database_without_schema_means_starting_flat(
    tmp_path: Path, storage_url: str, timescale_mode: str
) -> None:
    async with risk_stack(tmp_path, storage_url, timescale_mode) as bus:
        assert isinstance(await judge(bus, YES, "99"), OrderApproved)


async def test_an_unreadable_database_fails_the_start(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder.db"
    folder.mkdir()
    with pytest.RaisesGroup(ComponentStartError, flatten_subgroups=True, allow_unwrapped=True):
        async with risk_stack(tmp_path, f"sqlite:///{folder}", "off"):
            pass  # pragma: no cover - the start fails
