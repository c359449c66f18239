"""The demo with Polymarket's order path (``./dev demo -- --fake-clob``): minibot's orders
are signed in the V2 format and accepted by the fake CLOB, which recovers each signer."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import pytest
import trio

from agbotkit.bus.topic import Overflow
from agbotkit.model.execution import OrderStatus
from agbotkit.supervisor.plan import plan_file
from agbotkit.supervisor.runner import Supervisor
from agbotkit.topics import ORDER_UPDATES

from .conftest import EXAMPLES, POLICIES, demo_env, free_port

pytestmark = pytest.mark.slow


def copy_stack(folder: Path) -> Path:
    """examples/demo-polymarket.yaml in ``folder`` (what it writes lands there too)."""
    (folder / "policy.yaml").write_text((POLICIES / "demo.yaml").read_text())
    text = (EXAMPLES / "demo-polymarket.yaml").read_text()
    assert "policy_file: ../policies/demo.yaml" in text
    stack = folder / "demo-polymarket.yaml"
    stack.write_text(text.replace("policy_file: ../policies/demo.yaml", "policy_file: policy.yaml"))
    return stack


async def test_the_demo_sends_signed_orders_to_the_fake_clob(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env, _ = demo_env(speed=0)
    env |= {
        "AGBOTKIT_FAKE_CLOB_PORT": str(free_port()),
        "AGBOTKIT_FAKE_CLOB_WS_PORT": str(free_port()),
        "AGBOTKIT_DEMO_DB": str(tmp_path / "demo.db"),
        # What the demo's --fake-clob flag makes: a throwaway wallet and API credentials.
        "POLYMARKET_PRIVATE_KEY": secrets.token_hex(32),
        "POLYMARKET_API_KEY": "00000000-0000-4000-8000-000000000001",
        "POLYMARKET_API_SECRET": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "POLYMARKET_API_PASSPHRASE": secrets.token_hex(16),
        "AGBOTKIT_LIVE_TRADING": "1",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    supervisor = Supervisor(plan_file(copy_stack(tmp_path)))
    accepted: set[str] = set()
    async with trio.open_nursery() as nursery:
        with supervisor.bus.subscribe(
            ORDER_UPDATES, buffer=10_000, overflow=Overflow.BLOCK
        ) as updates:
            await nursery.start(supervisor.run)
            with trio.fail_after(60):
                async for change in updates:
                    if change.status is OrderStatus.ACCEPTED:
                        # The id is the order's EIP-712 hash, known before sending.
                        assert change.venue_order_id.startswith("0x")
                        assert len(change.venue_order_id) == 66
                        accepted.add(change.client_order_id)
                    elif change.status is OrderStatus.REJECTED:
                        # A signature or HMAC the fake refused would show here.
                        assert "dry run" not in change.reason, change.reason
                        assert "signature" not in change.reason.lower(), change.reason
                    if len(accepted) >= 3:
                        break
        supervisor.request_stop()
    assert len(accepted) >= 3
