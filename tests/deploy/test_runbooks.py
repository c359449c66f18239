"""The runbooks in infra/ops/: each has its sections, names the alerts that link to it,
and every ``agbotkit ...`` command in them is one the real command line accepts."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from agbotkit.cli import build_parser

from .catalogue import ROOT

OPS = ROOT / "infra" / "ops"
RUNBOOKS = sorted(
    path for path in OPS.glob("*.md") if path.name not in ("README.md", "disaster-recovery.md")
)
DOCUMENTS = sorted(OPS.glob("*.md"))
REQUIRED = {
    "feed-down.md",
    "kill-switch-tripped.md",
    "stuck-orders.md",
    "database-full.md",
    "leader-flapping.md",
    "rotating-keys.md",
}
_CODE = re.compile(r"`(agbotkit [^`]+)`")


def commands(text: str) -> list[str]:
    """Every inline ``agbotkit ...`` command (a span may wrap over lines)."""
    return [" ".join(found.split()) for found in _CODE.findall(text)]


def test_the_runbooks_the_issue_names_exist() -> None:
    assert {path.name for path in RUNBOOKS} >= REQUIRED
    assert (OPS / "disaster-recovery.md").is_file()


@pytest.mark.parametrize("path", RUNBOOKS, ids=lambda path: path.name)
def test_runbook_sections(path: Path) -> None:
    headings = re.findall(r"^## (.+)$", path.read_text(), re.MULTILINE)
    for section in ("Symptoms", "Checks", "Actions", "Verification"):
        assert any(heading.startswith(section) for heading in headings), (path.name, section)
    if path.name != "rotating-keys.md":  # planned work, no alert
        assert any(heading.startswith("Alert") for heading in headings), path.name


def test_every_alert_is_described_in_the_runbook_it_links() -> None:
    rules = yaml.safe_load((ROOT / "infra/monitoring/prometheus/rules/agbotkit.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            runbook = OPS / rule["annotations"]["runbook_url"].rsplit("/", 1)[1]
            assert f"**{rule['alert']}**" in runbook.read_text(), (rule["alert"], runbook.name)


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.name)
def test_every_agbotkit_command_parses(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    found = commands(path.read_text())
    parser = build_parser()
    for command in found:
        if "..." in command:
            continue  # `agbotkit db ...`: any command of a group
        words = shlex.split(command)[1:]
        if not any(word.startswith(("-", "$")) for word in words):
            # A command named in prose (`agbotkit risk kill`): it must exist.
            words.append("--help")
        try:
            parser.parse_args(words)
        except SystemExit as exc:
            if exc.code != 0 or "--help" not in words:
                pytest.fail(f"{path.name}: `{command}` is refused: {capsys.readouterr().err}")


def test_the_command_check_can_fail() -> None:
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(shlex.split("risk trip --stack s.yaml"))
    assert commands("see `agbotkit orders\n   list --stack $STACK` here") == [
        "agbotkit orders list --stack $STACK"
    ]


def test_the_runbooks_use_the_commands() -> None:
    """The operator commands the runbooks are built on appear somewhere."""
    used = {" ".join(c.split()[:3]) for path in DOCUMENTS for c in commands(path.read_text())}
    expected = {
        "agbotkit risk kill",
        "agbotkit risk reset",
        "agbotkit risk status",
        "agbotkit orders list",
        "agbotkit orders cancel-all",
        "agbotkit orders cancel",
        "agbotkit db status",
        "agbotkit db orders",
        "agbotkit db fills",
        "agbotkit keys derive",
    }
    assert expected <= used, expected - used
