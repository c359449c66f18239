"""The role stack files of deploy/stacks/: valid (``agbotkit check``), secrets from the
environment only, probes and metrics on :8080, writable state only under the data folder,
and the gateway in a dry run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest

from agbotkit.errors import ConfigError
from agbotkit.exec.config import ExecutionConfig
from agbotkit.supervisor.plan import StackPlan, plan_file

ROOT = Path(__file__).resolve().parents[2]
STACKS = ROOT / "deploy" / "stacks"
ROLES = ("bot", "gateway", "monitor")
#: Dummy values of what the roles need from their environment (no real secret anywhere).
ROLE_ENV = {
    "AGBOTKIT_MARKET": "will-it-rain-tomorrow",
    "AGBOTKIT_DATABASE_URL": "postgresql://agbotkit@postgres:5432/agbotkit",
    "AGBOTKIT_DATABASE_PASSWORD": "dummy-password",
    "AGBOTKIT_DASHBOARD_TOKEN": "dummy-token",
    # The gateway's leader lease: the wallet's address.
    "AGBOTKIT_LEASE_NAME": "0x0000000000000000000000000000000000000001",
}
#: The only folder a role writes to (the image's read-only root has no other).
DATA_DIR = Path("/var/lib/agbotkit")


@pytest.fixture(scope="module")
def checked() -> subprocess.CompletedProcess[str]:
    """``agbotkit check`` on every role's stack file (one run: it takes seconds), in an
    environment holding only the dummy values besides what Python needs."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AGBOTKIT_", "POLYMARKET_"))}
    files = [str(STACKS / f"{role}.yaml") for role in ROLES]
    return subprocess.run(
        [sys.executable, "-m", "agbotkit", "check", *files],
        env={**clean, **ROLE_ENV},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def plan(role: str, monkeypatch: pytest.MonkeyPatch) -> StackPlan:
    for name, value in ROLE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AGBOTKIT_DATA_DIR", raising=False)
    return plan_file(STACKS / f"{role}.yaml", preflight=False)


def component(stack: StackPlan, kind: str) -> Any:
    found = [c.config for c in stack.components if c.spec.kind == kind]
    assert len(found) == 1, f"{stack.name}: expected one {kind} component, found {len(found)}"
    return found[0]


def test_agbotkit_check_passes_on_every_role(checked: subprocess.CompletedProcess[str]) -> None:
    assert checked.returncode == 0, checked.stdout + checked.stderr
    for role in ROLES:
        assert f"{STACKS / role}.yaml: ok:" in checked.stdout


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("missing", ["AGBOTKIT_DASHBOARD_TOKEN", "AGBOTKIT_DATABASE_PASSWORD"])
def test_the_check_fails_without_a_secret_from_the_environment(
    role: str, missing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in ROLE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(missing)
    with pytest.raises(ConfigError, match=missing):
        plan_file(STACKS / f"{role}.yaml")


@pytest.mark.parametrize("role", ROLES)
def test_every_role_serves_probes_and_metrics_on_8080_behind_a_token(
    role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dashboard = component(plan(role, monkeypatch), "dashboard")
    assert (dashboard.host, dashboard.port) == ("0.0.0.0", 8080)
    # Off loopback a token is required; it comes from the environment, never the file.
    assert dashboard.token_env == "AGBOTKIT_DASHBOARD_TOKEN"
    assert dashboard.insecure is False


@pytest.mark.parametrize("role", ROLES)
def test_writable_state_lives_in_the_data_folder(
    role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = plan(role, monkeypatch)
    written: list[Path] = []
    for planned in stack.components:
        config = planned.config
        if planned.spec.kind == "risk":
            written.append(config.state_path(planned.name, stack.stack_dir))
        if planned.spec.kind == "storage":
            # The default spill file sits beside the stack file: read-only in the image.
            assert config.spill_file is not None, f"{planned.name}: set spill_file"
            written.append(config.spill_file)
    assert written
    for path in written:
        assert path.parent == DATA_DIR, path


@pytest.mark.parametrize("role", ROLES)
def test_databases_are_postgresql_with_the_password_from_the_environment(
    role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = plan(role, monkeypatch)
    databases = [component(stack, "storage")]
    history = component(stack, "dashboard").history
    databases += [history] if history is not None else []
    for database in databases:
        assert database.url == ROLE_ENV["AGBOTKIT_DATABASE_URL"]
        assert database.password_env == "AGBOTKIT_DATABASE_PASSWORD"


def test_the_gateway_is_a_dry_run(monkeypatch: pytest.MonkeyPatch) -> None:
    execution = component(plan("gateway", monkeypatch), "execution")
    assert execution.live_trading is False
    assert set(execution.venues) == {"polymarket"}
    venue = execution.venues["polymarket"]
    assert venue["kind"] == "polymarket"
    assert venue["dry_run"] is True
    # No key material in the file: the venue reads it from the environment or a file.
    assert not {"private_key", "api_key", "secret", "passphrase"} & set(venue)


def test_the_bot_trades_on_paper(monkeypatch: pytest.MonkeyPatch) -> None:
    stack = plan("bot", monkeypatch)
    venues = component(stack, "execution").venues
    assert {name: venue["kind"] for name, venue in venues.items()} == {"paper": "paper"}
    assert component(stack, "strategy").venue == "paper"


def test_the_monitor_neither_trades_nor_runs_a_strategy(monkeypatch: pytest.MonkeyPatch) -> None:
    kinds = {c.spec.kind for c in plan("monitor", monkeypatch).components}
    assert kinds == {"clob_market", "storage", "dashboard"}


def test_the_gateway_holds_the_leader_lease(monkeypatch: pytest.MonkeyPatch) -> None:
    fields = {field.name for field in attrs.fields(ExecutionConfig)}
    if "leader_lease" not in fields:
        pytest.skip(
            "the execution component has no leader_lease option in this checkout: the "
            "gateway's lease is a commented placeholder in deploy/stacks/gateway.yaml"
        )
    execution = component(plan("gateway", monkeypatch), "execution")
    lease = execution.leader_lease
    assert lease is not None, "uncomment leader_lease in deploy/stacks/gateway.yaml"
    assert lease.database.url == ROLE_ENV["AGBOTKIT_DATABASE_URL"]
    assert lease.name == f"wallet-{ROLE_ENV['AGBOTKIT_LEASE_NAME']}"
