"""Running checkov for the deployment tests: it lives in a virtual environment of its own
(its dependency pins clash with agbotkit's test dependencies), which `nox -s tests` makes
and names in ``AGBOTKIT_CHECKOV``; else a ``checkov`` on PATH is used."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

CHECKOV_MISSING = (
    "checkov is not installed: `nox -s tests` puts it in a virtual environment of its own "
    "and names it in AGBOTKIT_CHECKOV (its pins clash with agbotkit's test dependencies)"
)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "deployment-kubernetes.md"


def scan(framework: str, *targets: str) -> dict[str, list[dict[str, Any]]]:
    """checkov's passed, failed and skipped checks on ``targets`` (``-f file`` or ``-d
    folder`` arguments); skips the test when checkov is not installed."""
    tool = os.environ.get("AGBOTKIT_CHECKOV") or shutil.which("checkov")
    if tool is None:
        pytest.skip(CHECKOV_MISSING)
    done = subprocess.run(
        [tool, *targets, "--framework", framework, "--skip-download", "--compact", "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    report = json.loads(done.stdout)
    merged: dict[str, list[dict[str, Any]]] = {
        "passed_checks": [],
        "failed_checks": [],
        "skipped_checks": [],
    }
    for one in report if isinstance(report, list) else [report]:
        for key, checks in merged.items():
            checks.extend(one["results"][key])
    return merged


def assert_clean_or_justified(results: dict[str, list[dict[str, Any]]]) -> None:
    """No failed check; every skipped one carries its reason inline and is listed in the
    deployment docs."""
    failed = [(c["check_id"], c["resource"]) for c in results["failed_checks"]]
    assert failed == [], f"checkov: {failed}"
    assert results["passed_checks"], "checkov checked nothing"
    docs = DOCS.read_text(encoding="utf-8")
    for check in results["skipped_checks"]:
        justification = check["check_result"].get("suppress_comment", "")
        assert len(justification) > 30, f"{check['check_id']} skipped without a reason"
        assert check["check_id"] in docs, f"{check['check_id']} is not listed in {DOCS.name}"
