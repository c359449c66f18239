"""The example plugin's strategy live on the demo replay: replay -> CLOB client -> strategy
-> risk -> execution -> paper venue -> fills back to the strategy, under the real
supervisor on real loopback sockets."""

from __future__ import annotations

import socket
import textwrap
from pathlib import Path
from typing import Any

import pytest
import trio

from agbotkit.bus.topic import Overflow
from agbotkit.model.execution import OrderStatus
from agbotkit.model.risk import OrderApproved
from agbotkit.supervisor.plan import plan_file
from agbotkit.supervisor.runner import Supervisor
from agbotkit.topics import FILLS, ORDER_DECISIONS, ORDER_INTENTS, ORDER_UPDATES

pytestmark = pytest.mark.slow

#: The longest the run may take to show an order's whole path (replay at full speed).
DEADLINE_S = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def stack_text(clob_port: int) -> str:
    return textwrap.dedent(f"""\
        stack: {{name: strategy-demo, shutdown_grace_s: 10}}
        components:
          replay: {{kind: replay, speed: 0, loop: true, clob_port: {clob_port}, rtds_port: 0}}
          clob:
            kind: clob_market
            needs: [replay, execution]
            url: ws://127.0.0.1:{clob_port}/ws/market
            follow_markets: true
          risk: {{kind: risk, policy_file: policy.yaml, state_file: risk-state.json}}
          execution:
            kind: execution
            needs: [risk]
            venues:
              paper: {{kind: paper, submit_latency_ms: 5, cancel_latency_ms: 5, fee_rate: 0.02}}
          quoter:
            kind: strategy
            needs: [clob, risk, execution]
            strategy: example_quoter
            venue: paper
            params: {{size: 5, max_position: 20}}
            metrics_interval_s: 0.5
        """)


async def test_the_example_quoter_trades_on_paper_on_the_demo_replay(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text("policies:\n  - {type: MaxOrderSize, max_size: 50}\n")
    (tmp_path / "stack.yaml").write_text(stack_text(free_port()))
    supervisor = Supervisor(plan_file(tmp_path / "stack.yaml"))
    bus = supervisor.bus
    block = Overflow.BLOCK
    intents = bus.subscribe(ORDER_INTENTS, buffer=1_000_000, overflow=block)
    decisions = bus.subscribe(ORDER_DECISIONS, buffer=1_000_000, overflow=block)
    updates = bus.subscribe(ORDER_UPDATES, buffer=1_000_000, overflow=block)
    fills = bus.subscribe(FILLS, buffer=1_000_000, overflow=block)
    seen_fills = []
    async with trio.open_nursery() as nursery:
        await nursery.start(supervisor.run)
        with trio.fail_after(DEADLINE_S):
            async for fill in fills:
                seen_fills.append(fill)
                break
        supervisor.request_stop()
    sent = _drain(intents)
    approved = [d for d in _drain(decisions) if isinstance(d, OrderApproved)]
    statuses = {u.status for u in _drain(updates) if u.order.strategy == "quoter"}
    assert sent, "the strategy submitted nothing"
    assert all(i.strategy == "quoter" and i.venue == "paper" for i in sent)
    assert all(i.client_order_id.startswith("quoter-") for i in sent)
    assert {d.intent.client_order_id for d in approved} <= {i.client_order_id for i in sent}
    assert approved, "risk approved none of its orders"
    assert OrderStatus.ACCEPTED in statuses
    assert OrderStatus.CANCELED in statuses  # the quotes it moved, and the stop's cancels
    (fill,) = seen_fills
    assert fill.client_order_id.startswith("quoter-")


def _drain(subscription: Any) -> list[Any]:
    out: list[Any] = []
    while True:
        try:
            out.append(subscription.receive_nowait())
        except (trio.WouldBlock, trio.EndOfChannel, trio.ClosedResourceError):
            return out
