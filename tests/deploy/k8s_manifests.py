"""Rendering and reading the Kubernetes manifests of ``deploy/k8s`` for the tests: each
overlay through ``kubectl kustomize``, and what a pod template says (containers, the
environment it gets, the files it mounts)."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = sorted(path.parent for path in (K8S / "overlays").glob("*/kustomization.yaml"))
KUBECTL_MISSING = "kubectl is not installed: the kustomize overlays cannot be rendered here"
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")

Manifest = dict[str, Any]

#: ``${NAME}`` with no default (``${NAME:-x}`` has one; ``$${NAME}`` is a literal).
_REQUIRED_ENV = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def kubectl() -> str | None:
    """The kubectl on PATH, if any."""
    return shutil.which("kubectl")


def render(overlay: Path) -> list[Manifest]:
    """The manifests of one overlay, as ``kubectl kustomize`` renders them (the stack and
    policy files come from deploy/stacks/, hence the lifted load restrictor)."""
    command = [str(kubectl()), "kustomize", "--load-restrictor", "LoadRestrictionsNone"]
    done = subprocess.run(
        [*command, str(overlay)], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, f"kubectl kustomize {overlay} failed:\n{done.stderr}"
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def named(manifests: list[Manifest], kind: str, name: str) -> Manifest:
    """The one manifest of ``kind`` called ``name``."""
    found = [m for m in manifests if m["kind"] == kind and m["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def workloads(manifests: list[Manifest]) -> Iterator[Manifest]:
    """Every manifest that runs pods."""
    return (m for m in manifests if m["kind"] in WORKLOAD_KINDS)


def pod_spec(workload: Manifest) -> dict[str, Any]:
    """The pod template's spec of a workload."""
    spec: dict[str, Any] = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return dict(spec["template"]["spec"])


def containers(workload: Manifest) -> list[dict[str, Any]]:
    """The containers of a workload's pods, init containers included."""
    spec = pod_spec(workload)
    return [*spec.get("initContainers", []), *spec["containers"]]


def config_maps(manifests: list[Manifest]) -> dict[str, dict[str, str]]:
    """Every ConfigMap's data by name."""
    return {m["metadata"]["name"]: m.get("data", {}) for m in manifests if m["kind"] == "ConfigMap"}


def environment(manifests: list[Manifest], container: dict[str, Any]) -> dict[str, str]:
    """The variables a container gets: its ``env`` (values from Secrets as ``<secret>``)
    over the ConfigMaps of its ``envFrom``."""
    maps = config_maps(manifests)
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(maps[source["configMapRef"]["name"]])
    for item in container.get("env", []):
        env[item["name"]] = item.get("value", "<secret>")
    return env


def mounted_files(manifests: list[Manifest], workload: Manifest, mount_path: str) -> dict[str, str]:
    """The files a workload's projected or ConfigMap volume mounted at ``mount_path``
    holds: relative path -> content."""
    maps = config_maps(manifests)
    mount = next(
        m for c in containers(workload) for m in c["volumeMounts"] if m["mountPath"] == mount_path
    )
    volume = next(v for v in pod_spec(workload)["volumes"] if v["name"] == mount["name"])
    sources = (
        [s["configMap"] for s in volume["projected"]["sources"]]
        if "projected" in volume
        else [volume["configMap"]]
    )
    files: dict[str, str] = {}
    for source in sources:
        data = maps[source["name"]]
        items = source.get("items") or [{"key": key, "path": key} for key in data]
        files.update({item["path"]: data[item["key"]] for item in items})
    return files


def required_env(stack_text: str) -> set[str]:
    """The variables a stack file needs set: ``${NAME}`` references without a default in
    its values (comments are not values)."""
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, str):
            found.update(_REQUIRED_ENV.findall(value))
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(yaml.safe_load(stack_text))
    return found
