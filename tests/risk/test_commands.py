"""``agbotkit risk kill|reset|status``: the state files they write and what they print."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from agbotkit.model.risk import KillState
from agbotkit.risk import commands
from agbotkit.risk.killstate import load_kill_state, save_kill_state

#: The ``run_cli`` fixture (conftest.py): argv -> (exit code, stdout, stderr).
RunCli = Callable[..., tuple[int, str, str]]

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

STACK = """
components:
  risk:
    kind: risk
    policy_file: policies.yaml
  desk:
    kind: risk
    policy_file: policies.yaml
    state_file: state/desk.json
    watch_interval_s: 0.5
  beat:
    kind: heartbeat
"""


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    (tmp_path / "policies.yaml").write_text("policies:\n  - type: KillSwitch\n")
    path = tmp_path / "stack.yaml"
    path.write_text(textwrap.dedent(STACK))
    return path


def test_status_of_a_fresh_stack(stack: Path, run_cli: RunCli) -> None:
    code, out, err = run_cli("risk", "status", "--stack", str(stack))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"risk: not triggered [state file {stack.parent / 'risk-state.json'}]",
        f"desk: not triggered [state file {stack.parent / 'state' / 'desk.json'}]",
    ]


def test_kill_writes_every_state_file_and_keeps_the_first_reason(
    stack: Path, run_cli: RunCli
) -> None:
    code, out, _ = run_cli("risk", "kill", "--stack", str(stack), "--reason", "desk halt")
    assert code == 0
    assert out.splitlines() == [
        "risk: kill switch TRIGGERED (manual (cli): desk halt); a running stack denies every "
        "new order within 1 s",
        "desk: kill switch TRIGGERED (manual (cli): desk halt); a running stack denies every "
        "new order within 0.5 s",
    ]
    first = load_kill_state(stack.parent / "risk-state.json")
    assert (first.triggered, first.reason) == (True, "manual (cli): desk halt")
    assert load_kill_state(stack.parent / "state" / "desk.json") == first
    code, out, _ = run_cli("risk", "kill", "--stack", str(stack), "--component", "risk")
    assert code == 0
    assert out.startswith("risk: already TRIGGERED since ")
    assert out.endswith(": manual (cli): desk halt; nothing changed\n")
    assert load_kill_state(stack.parent / "risk-state.json") == first


def test_component_option_picks_one(stack: Path, run_cli: RunCli) -> None:
    code, out, _ = run_cli("risk", "kill", "--stack", str(stack), "--component", "desk")
    assert code == 0
    assert out.startswith("desk: kill switch TRIGGERED (manual (cli))")
    assert load_kill_state(stack.parent / "state" / "desk.json").triggered
    assert not (stack.parent / "risk-state.json").exists()


def test_status_and_reset_of_a_triggered_stack(stack: Path, run_cli: RunCli) -> None:
    save_kill_state(stack.parent / "risk-state.json", KillState(True, "auto: drawdown", T0))
    code, out, _ = run_cli("risk", "status", "--stack", str(stack), "--component", "risk")
    assert (code, out) == (
        0,
        "risk: TRIGGERED since 2026-01-01T00:00:00Z: auto: drawdown "
        f"[state file {stack.parent / 'risk-state.json'}]\n",
    )
    code, out, _ = run_cli("risk", "reset", "--stack", str(stack))
    assert code == 0
    assert out.splitlines() == [
        "risk: kill switch reset; a running stack accepts orders again within 1 s",
        "desk: kill switch was not triggered",
    ]
    assert load_kill_state(stack.parent / "risk-state.json") == KillState()
    assert load_kill_state(stack.parent / "state" / "desk.json") == KillState()


def test_status_of_an_unusable_state_file_is_triggered(stack: Path, run_cli: RunCli) -> None:
    (stack.parent / "risk-state.json").write_text("{")
    _, out, _ = run_cli("risk", "status", "--stack", str(stack), "--component", "risk")
    assert out.startswith("risk: TRIGGERED: kill state file ")
    assert "is unusable (invalid JSON" in out


def test_a_policy_file_that_enables_the_switch_is_mentioned(stack: Path, run_cli: RunCli) -> None:
    (stack.parent / "policies.yaml").write_text(
        "policies:\n  - type: KillSwitch\n    enabled: true\n"
    )
    _, out, _ = run_cli("risk", "status", "--stack", str(stack), "--component", "risk")
    assert "not triggered (and the policy file sets enabled: true: orders are denied)" in out
    _, out, _ = run_cli("risk", "reset", "--stack", str(stack), "--component", "risk")
    assert out.splitlines()[1] == (
        f"risk: note: {stack.parent / 'policies.yaml'} sets the KillSwitch's enabled: true; "
        "orders stay denied until that is edited"
    )


def test_stack_without_risk_component_is_a_config_error(tmp_path: Path, run_cli: RunCli) -> None:
    stack = tmp_path / "stack.yaml"
    stack.write_text("components:\n  beat: {kind: heartbeat}\n")
    code, out, err = run_cli("risk", "kill", "--stack", str(stack))
    assert (code, out) == (2, "")
    assert err == (
        "agbotkit: invalid stack:\n"
        f"{stack}: components: the stack has no risk component (a component with kind: risk)\n"
    )


def test_unknown_component_name_is_a_config_error(stack: Path, run_cli: RunCli) -> None:
    code, _, err = run_cli("risk", "status", "--stack", str(stack), "--component", "nope")
    assert code == 2
    assert "the stack has no risk component called 'nope'" in err


def test_invalid_stack_is_a_config_error(tmp_path: Path, run_cli: RunCli) -> None:
    stack = tmp_path / "stack.yaml"
    stack.write_text("components:\n  risk: {kind: risk}\n")
    code, _, err = run_cli("risk", "status", "--stack", str(stack))
    assert code == 2
    assert f"{stack}:2: components.risk.policy_file: required field is missing" in err


def test_unwritable_state_file_fails(stack: Path, run_cli: RunCli) -> None:
    (stack.parent / "state").write_text("a file where a folder should be")
    # Unreadable, so it loads as triggered (fail closed); and a reset cannot be written.
    _, out, _ = run_cli("risk", "kill", "--stack", str(stack), "--component", "desk")
    assert out.startswith("desk: already TRIGGERED: kill state file ")
    code, out, err = run_cli("risk", "reset", "--stack", str(stack), "--component", "desk")
    assert (code, out) == (1, "")
    folder = stack.parent / "state"
    assert err.endswith(
        f"agbotkit: cannot write the kill state: [Errno 17] File exists: '{folder}'\n"
    )


def test_run_refuses_an_unknown_action() -> None:
    with pytest.raises(ValueError, match="unknown action 'pause'"):
        commands.run("pause", [])


def test_reason_and_time_of_a_kill(tmp_path: Path) -> None:
    target = commands.RiskTarget("risk", tmp_path / "kill.json", tmp_path / "p.yaml", 1.0)
    commands.kill([target], "manual halt", now_ms=T0)
    assert load_kill_state(target.state_file) == KillState(True, "manual (cli): manual halt", T0)


def test_risk_example_passes_check(run_cli: RunCli) -> None:
    code, out, err = run_cli("check", str(EXAMPLES / "risk.yaml"))
    assert (code, err) == (0, "")
    assert out == f"{EXAMPLES / 'risk.yaml'}: ok: 2 components: risk (risk), log (metrics_log)\n"
