"""Which venues would trade real money: ``agbotkit check`` says it, a live start logs it
with the risk limits in force."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
import trio

from agbotkit.exec.config import ExecutionConfig, plan_venues
from agbotkit.exec.modes import trading_modes
from agbotkit.testing import ScriptedExchange

from .stack import running, stack_yaml

RunCli = Callable[..., tuple[int, str, str]]

VENUES = {
    "paper": {"kind": "paper"},
    "fake_money": {"kind": "scripted", "real_money": False},
    "real": {"kind": "scripted", "real_money": True},
    "pm_dry": {"kind": "polymarket"},
    "pm_live": {"kind": "polymarket", "dry_run": False},
}


def modes(live_trading: bool, environ: dict[str, str]) -> dict[str, tuple[bool, str]]:
    config = ExecutionConfig(venues=VENUES, live_trading=live_trading, default_venue="paper")
    plans, problems = plan_venues(config, Path("."))
    assert [p.field for p in problems] == [("venues", "pm_live", "private_key_file")] or all(
        p.field[1] == "pm_live" for p in problems
    )  # only the live Polymarket venue wants credentials, which this machine lacks
    return {m.venue: (m.live, m.text) for m in trading_modes(config, plans, environ)}


@pytest.mark.parametrize(
    ("live_trading", "environ", "live"),
    [
        (False, {}, False),
        (False, {"AGBOTKIT_LIVE_TRADING": "1"}, False),
        (True, {}, False),
        (True, {"AGBOTKIT_LIVE_TRADING": "true"}, False),
        (True, {"AGBOTKIT_LIVE_TRADING": "1"}, True),
    ],
)
def test_only_real_money_venues_with_both_switches_on_are_live(
    live_trading: bool, environ: dict[str, str], live: bool
) -> None:
    found = modes(live_trading, environ)
    assert found["real"][0] is live
    assert found["pm_live"][0] is live
    for never in ("paper", "fake_money", "pm_dry"):
        assert found[never][0] is False
        assert "no real money" in found[never][1]
    assert "dry_run: true" in found["pm_dry"][1]
    word = "LIVE" if live else "DRY RUN"
    assert found["real"][1].startswith(f"venue real: {word}")
    if not live:
        expected = "AGBOTKIT_LIVE_TRADING is not 1" if live_trading else "live_trading is off"
        assert expected in found["real"][1]


def test_check_says_which_mode_each_venue_would_trade_in(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AGBOTKIT_LIVE_TRADING", raising=False)
    stack = tmp_path / "stack.yaml"
    stack.write_text(
        "components:\n"
        "  execution:\n"
        "    kind: execution\n"
        "    live_trading: true\n"
        "    default_venue: paper\n"
        "    venues:\n"
        "      paper: {kind: paper}\n"
        "      real: {kind: scripted, real_money: true}\n"
    )
    code, out, _ = run_cli("check", str(stack))
    assert code == 0
    lines = out.splitlines()
    assert "  execution: venue paper: no real money: paper trading" in "\n".join(lines)
    assert any(
        line.startswith("  execution: venue real: DRY RUN: live_trading is true but")
        for line in lines
    )
    monkeypatch.setenv("AGBOTKIT_LIVE_TRADING", "1")
    code, out, _ = run_cli("check", str(stack))
    assert "  execution: venue real: LIVE: real orders are sent" in out


POLICIES = """\
policies:
  - type: PositionLimit
    max_size: 250
  - type: MaxOrderSize
    max_size: 40
    market_id: "0xabc"
"""


async def test_a_live_start_logs_the_risk_limits_in_force(
    autojump_clock: trio.abc.Clock,
    exchange: ScriptedExchange,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AGBOTKIT_LIVE_TRADING", "1")
    (tmp_path / "policies.yaml").write_text(POLICIES)
    venues = f"real: {{kind: scripted, exchange: {exchange.name}, real_money: true}}"
    text = stack_yaml(exchange.name, "live_trading: true\nneeds: [risk]", venues=venues)
    text += "\n  risk: {kind: risk, policy_file: policies.yaml}\n"
    caplog.set_level(logging.INFO)
    async with running(text, tmp_path):
        pass
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(m.startswith("venue real: LIVE") for m in warnings), warnings
    limits = [m for m in warnings if m.startswith("LIVE TRADING under risk component risk")]
    assert len(limits) == 1, warnings
    assert "PositionLimit (global): max_size=250" in limits[0]
    assert "MaxOrderSize (market 0xabc): max_size=40" in limits[0]


async def test_a_live_start_without_a_risk_component_says_no_limits_are_in_force(
    autojump_clock: trio.abc.Clock,
    exchange: ScriptedExchange,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AGBOTKIT_LIVE_TRADING", "1")
    venues = f"real: {{kind: scripted, exchange: {exchange.name}, real_money: true}}"
    text = stack_yaml(exchange.name, "live_trading: true", venues=venues)
    caplog.set_level(logging.INFO)
    async with running(text, tmp_path):
        pass
    assert "no risk limits in force" in caplog.text


async def test_a_dry_run_start_logs_no_limits(
    autojump_clock: trio.abc.Clock,
    exchange: ScriptedExchange,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AGBOTKIT_LIVE_TRADING", raising=False)
    venues = f"real: {{kind: scripted, exchange: {exchange.name}, real_money: true}}"
    text = stack_yaml(exchange.name, "live_trading: true", venues=venues)
    caplog.set_level(logging.INFO)
    async with running(text, tmp_path):
        pass
    assert "venue real: DRY RUN" in caplog.text
    assert "LIVE TRADING" not in caplog.text


def test_operational_commands_work_without_the_bots_credentials(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A kill switch must work from a shell that lacks the trading credentials: the commands
    # that only read a stack's settings skip the components' preflight checks.
    for name in ("POLYMARKET_PRIVATE_KEY", "POLYMARKET_API_KEY", "POLYMARKET_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "policies.yaml").write_text(POLICIES)
    stack = tmp_path / "stack.yaml"
    stack.write_text(
        "components:\n"
        "  risk: {kind: risk, policy_file: policies.yaml}\n"
        "  storage: {kind: storage, url: 'sqlite:///.agbotkit/x.db'}\n"
        "  execution:\n"
        "    kind: execution\n"
        "    live_trading: true\n"
        "    venues:\n"
        "      pm: {kind: polymarket, dry_run: false}\n"
    )
    code, _, err = run_cli("check", str(stack))
    assert code != 0
    assert "no private key" in err
    code, out, err = run_cli("risk", "kill", "--stack", str(stack), "--reason", "test")
    assert (code, err) == (0, "")
    assert "risk" in out
    code, _, err = run_cli("db", "status", "--stack", str(stack))
    assert "no private key" not in err
