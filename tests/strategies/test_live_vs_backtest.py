"""One strategy, one recording, two runners: live on the replayed demo recording (replay
server -> CLOB client -> BOOKS -> the strategy component) and in the backtester. It must
send the same orders in the same order: the backtester feeds a strategy what live
trading would have."""

from __future__ import annotations

import socket
import textwrap
from pathlib import Path

import pytest
import trio

import agbotkit
from agbotkit.bus.topic import Overflow
from agbotkit.strategies.backtest.config import BacktestConfig
from agbotkit.strategies.backtest.data import load_data
from agbotkit.strategies.backtest.engine import Backtest, structure_params
from agbotkit.supervisor.plan import plan_file
from agbotkit.supervisor.runner import Supervisor
from agbotkit.testing.book_echo import BookEcho
from agbotkit.topics import ORDER_INTENTS

pytestmark = pytest.mark.slow

RECORDING = Path(agbotkit.__file__).parent / "data" / "demo-recording.jsonl.gz"
ORDERS = 15


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def first_token() -> str:
    """The YES token of the recording's first market (by condition id)."""
    data = load_data([str(RECORDING)])
    market = data.markets[sorted(data.markets)[0]]
    return market.token_ids[0]


def in_the_backtester(token: str) -> list[tuple[str, str, str, str]]:
    params = {"token_id": token, "max_orders": ORDERS}
    config = BacktestConfig(strategy=BookEcho, params=params, data=(str(RECORDING),))
    run = Backtest(
        config, load_data([str(RECORDING)]), BookEcho, structure_params(BookEcho, params)
    )
    run.run()
    strategy = run.strategy
    assert isinstance(strategy, BookEcho)
    return [(t, side.value, price, size) for t, side, price, size in strategy.sent]


async def live(token: str, folder: Path) -> list[tuple[str, str, str, str]]:
    port = free_port()
    (folder / "policy.yaml").write_text(
        "policies:\n  - type: PositionLimit\n    max_size: 1000000\n"
    )
    stack = folder / "stack.yaml"
    stack.write_text(
        textwrap.dedent(f"""\
        stack: {{shutdown_grace_s: 10}}
        components:
          replay: {{kind: replay, speed: 0, loop: false, clob_port: {port}, rtds_port: 0,
                   wait_for_client: true}}
          risk: {{kind: risk, policy_file: policy.yaml, state_file: risk-state.json}}
          execution:
            kind: execution
            needs: [risk]
            venues: {{paper: {{kind: paper}}}}
          echo:
            kind: strategy
            needs: [risk, execution]
            strategy: agbotkit.testing.book_echo:BookEcho
            venue: paper
            buffer: 1000000
            params: {{token_id: "{token}", max_orders: {ORDERS}}}
          clob:                       # after the strategy: it sees the first book
            kind: clob_market
            needs: [replay, echo]
            url: ws://127.0.0.1:{port}/ws/market
            follow_markets: true
        """)
    )
    supervisor = Supervisor(plan_file(stack))
    sent: list[tuple[str, str, str, str]] = []
    async with trio.open_nursery() as nursery:
        with supervisor.bus.subscribe(
            ORDER_INTENTS, buffer=10_000, overflow=Overflow.BLOCK
        ) as intents:
            await nursery.start(supervisor.run)
            with trio.fail_after(60):
                async for intent in intents:
                    if intent.client_order_id.startswith("echo-"):
                        sent.append(
                            (
                                intent.token_id,
                                intent.side.value,
                                str(intent.price),
                                str(intent.size),
                            )
                        )
                    if len(sent) == ORDERS:
                        break
        supervisor.request_stop()
    return sent


async def test_the_same_strategy_sends_the_same_orders_live_and_in_the_backtester(
    tmp_path: Path,
) -> None:
    token = first_token()
    expected = in_the_backtester(token)
    assert len(expected) == ORDERS  # the recording moves the best bid often enough
    assert await live(token, tmp_path) == expected
