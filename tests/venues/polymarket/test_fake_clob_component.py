"""``fake_clob`` in a stack: its books follow the stack's, and the polymarket venue trades
against it with real signed orders."""

from __future__ import annotations

import socket
import textwrap
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import trio

from agbotkit.bus.topic import Overflow
from agbotkit.model.books import PriceLevel
from agbotkit.model.execution import OrderStatus
from agbotkit.model.feeds import BookTop
from agbotkit.model.orders import OrderIntent, Side
from agbotkit.model.risk import OrderApproved
from agbotkit.supervisor.runner import Supervisor
from agbotkit.testing.stacks import plan_from_yaml
from agbotkit.topics import BOOKS, ORDER_DECISIONS, ORDER_UPDATES

from .conftest import API_KEY, PASSPHRASE, SECRET

TOKEN = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
MARKET = "0x" + "33" * 32


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "POLYMARKET_PRIVATE_KEY",
        "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    )
    monkeypatch.setenv("POLYMARKET_API_KEY", API_KEY)
    monkeypatch.setenv("POLYMARKET_API_SECRET", SECRET)
    monkeypatch.setenv("POLYMARKET_API_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("AGBOTKIT_LIVE_TRADING", "1")


async def test_the_fake_follows_the_books_and_takes_the_venues_signed_orders(
    tmp_path: Path,
) -> None:
    port, ws_port = free_port(), free_port()
    text = textwrap.dedent(f"""
        stack: {{shutdown_grace_s: 5}}
        components:
          fake:
            kind: fake_clob
            port: {port}
            ws_port: {ws_port}
          execution:
            kind: execution
            needs: [fake]
            live_trading: true
            venues:
              pm:
                kind: polymarket
                dry_run: false
                clob_url: http://127.0.0.1:{port}
                user_ws_url: ws://127.0.0.1:{ws_port}/ws/user
        """)
    supervisor = Supervisor(plan_from_yaml(text, base_dir=tmp_path))
    async with trio.open_nursery() as nursery:
        await nursery.start(supervisor.run)
        bus = supervisor.bus
        top = BookTop(
            TOKEN, MARKET, 1, 1,
            (PriceLevel(Decimal("0.48"), Decimal(100)),),
            (PriceLevel(Decimal("0.52"), Decimal(40)),),
        )  # fmt: skip
        bus.publish_nowait(BOOKS, top)
        await trio.sleep(0.2)
        async with httpx.AsyncClient() as client:
            book = (await client.get(f"http://127.0.0.1:{port}/book?token_id={TOKEN}")).json()
        assert [level["price"] for level in book["asks"]] == ["0.52"]
        with bus.subscribe(ORDER_UPDATES, buffer=100, overflow=Overflow.BLOCK) as updates:
            intent = OrderIntent(
                market_id=MARKET, token_id=TOKEN, side=Side.BUY, price="0.47", size="5",
                client_order_id="demo-1",
            )  # fmt: skip
            await bus.publish(ORDER_DECISIONS, OrderApproved(intent))
            with trio.fail_after(10):
                async for change in updates:
                    if change.status is OrderStatus.ACCEPTED:
                        break
        assert change.venue_order_id.startswith("0x")
        supervisor.request_stop()
