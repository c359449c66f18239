"""The Kubernetes manifests (deploy/k8s): every overlay renders, every manifest is valid
against the Kubernetes API schemas, checkov's policy scan is clean (each skipped check
justified in the manifest and in the docs), and what the deployment promises holds in
the rendered output: one gateway, hardened pods, probes, limits, no secret values."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .checkov_scan import assert_clean_or_justified, scan
from .k8s_manifests import (
    K8S,
    KUBECTL_MISSING,
    OVERLAYS,
    Manifest,
    containers,
    environment,
    kubectl,
    mounted_files,
    named,
    pod_spec,
    render,
    required_env,
    workloads,
)

kubernetes_validate = pytest.importorskip(
    "kubernetes_validate", reason="kubernetes-validate is not installed (agbotkit[infra-checks])"
)

#: The Kubernetes versions the manifests are validated against: the oldest the docs claim
#: and the newest kubernetes-validate ships schemas for.
KUBERNETES_VERSIONS = ("1.32.0", "1.37.0")
IMAGE = "ghcr.io/agbotkit/agbotkit"

pytestmark = pytest.mark.skipif(kubectl() is None, reason=KUBECTL_MISSING)


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[Manifest]]:
    """Every overlay's manifests, by overlay name."""
    return {overlay.name: render(overlay) for overlay in OVERLAYS}


def agbotkit_workloads(manifests: list[Manifest]) -> list[Manifest]:
    return [
        w
        for w in workloads(manifests)
        if w["metadata"]["labels"]["app.kubernetes.io/name"] == "agbotkit"
    ]


def test_the_overlays_are_there(rendered: dict[str, list[Manifest]]) -> None:
    assert {"production", "external-db"} <= set(rendered)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_manifest_is_valid_against_the_kubernetes_schemas(
    rendered: dict[str, list[Manifest]], version: str
) -> None:
    checked = 0
    for manifests in rendered.values():
        for manifest in manifests:
            # strict: a misspelt or misplaced field is an error, not ignored.
            kubernetes_validate.validate(manifest, version, strict=True)
            checked += 1
    assert checked >= 40


def test_the_schema_validation_rejects_a_broken_manifest(
    rendered: dict[str, list[Manifest]],
) -> None:
    gateway = copy.deepcopy(named(rendered["production"], "StatefulSet", "agbotkit-gateway"))
    gateway["spec"]["template"]["spec"]["containers"][0]["livenessprobe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(gateway, KUBERNETES_VERSIONS[0], strict=True)


def test_checkov_finds_nothing_unjustified(
    rendered: dict[str, list[Manifest]], tmp_path: Path
) -> None:
    targets: list[str] = []
    for name, manifests in rendered.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump_all(manifests), encoding="utf-8")
        targets += ["-f", str(path)]
    assert_clean_or_justified(scan("kubernetes", *targets))


def test_the_gateway_is_one_statefulset_replica(rendered: dict[str, list[Manifest]]) -> None:
    for manifests in rendered.values():
        gateway = named(manifests, "StatefulSet", "agbotkit-gateway")
        assert gateway["spec"]["replicas"] == 1
        stacks = [
            w
            for w in workloads(manifests)
            if "/etc/agbotkit/gateway.yaml" in containers(w)[0].get("args", [])
        ]
        assert stacks == [gateway], "the gateway stack runs in one workload only"
        # Nothing scales it: an autoscaler on the gateway would start a second trader.
        targets = [
            h["spec"]["scaleTargetRef"]["name"]
            for h in manifests
            if h["kind"] == "HorizontalPodAutoscaler"
        ]
        assert "agbotkit-gateway" not in targets
        # The spill file and the risk state outlive the pod.
        claims = [c["metadata"]["name"] for c in gateway["spec"]["volumeClaimTemplates"]]
        assert claims == ["data"]


def test_the_stateless_dashboard_scales_on_cpu(rendered: dict[str, list[Manifest]]) -> None:
    for manifests in rendered.values():
        hpa = named(manifests, "HorizontalPodAutoscaler", "agbotkit-dashboard")
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": "agbotkit-dashboard",
        }
        assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
        assert hpa["spec"]["minReplicas"] >= 2
        named(manifests, "PodDisruptionBudget", "agbotkit-dashboard")
        dashboard = named(manifests, "Deployment", "agbotkit-dashboard")
        files = mounted_files(manifests, dashboard, "/etc/agbotkit")
        # What makes it stateless: no component that keeps state or writes the database.

        kinds = {c["kind"] for c in yaml.safe_load(files["dashboard.yaml"])["components"].values()}
        assert kinds == {"dashboard"}


def test_every_container_is_probed_limited_and_hardened(
    rendered: dict[str, list[Manifest]],
) -> None:
    for manifests in rendered.values():
        for workload in workloads(manifests):
            spec = pod_spec(workload)
            where = workload["metadata"]["name"]
            assert spec["automountServiceAccountToken"] is False, where
            assert spec["securityContext"]["runAsNonRoot"] is True, where
            assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, where
            for container in containers(workload):
                assert {"livenessProbe", "readinessProbe"} <= set(container), where
                resources = container["resources"]
                for bound in ("requests", "limits"):
                    assert set(resources[bound]) >= {"cpu", "memory"}, f"{where} {bound}"
                context = container["securityContext"]
                assert context["runAsNonRoot"] is True, where
                assert context["readOnlyRootFilesystem"] is True, where
                assert context["allowPrivilegeEscalation"] is False, where
                assert context["capabilities"] == {"drop": ["ALL"]}, where
                assert context["seccompProfile"] == {"type": "RuntimeDefault"}, where
                mounts = {m["mountPath"] for m in container["volumeMounts"]}
                assert "/tmp" in mounts, f"{where}: a read-only root needs a writable /tmp"


def test_agbotkit_pods_run_the_pinned_image_as_its_user(
    rendered: dict[str, list[Manifest]],
) -> None:
    for manifests in rendered.values():
        found = agbotkit_workloads(manifests)
        assert len(found) == 4
        for workload in found:
            (container,) = containers(workload)
            image, _, tag = container["image"].partition(":")
            assert image == IMAGE, container["image"]
            assert tag not in ("", "latest"), container["image"]
            assert container["securityContext"]["runAsUser"] == 10001
            assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
            assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
            assert container["ports"] == [
                {"name": "http", "containerPort": 8080, "protocol": "TCP"}
            ]
            assert container["args"][-2:] == ["--log-format", "json"]


def test_no_secret_values_are_rendered_or_committed(rendered: dict[str, list[Manifest]]) -> None:
    for manifests in rendered.values():
        assert [m["metadata"]["name"] for m in manifests if m["kind"] == "Secret"] == []
        for workload in workloads(manifests):
            for container in containers(workload):
                for item in container.get("env", []):
                    # A secret name in a plain value would be a secret in a ConfigMap-like place.
                    assert (
                        not any(
                            word in item["name"]
                            for word in ("PASSWORD", "TOKEN", "KEY", "SECRET", "PASSPHRASE")
                        )
                        or "valueFrom" in item
                    ), item["name"]

    example = list(yaml.safe_load_all((K8S / "secrets.example.yaml").read_text(encoding="utf-8")))
    assert {doc["kind"] for doc in example} == {"Secret"}
    values = [value for doc in example for value in doc["stringData"].values()]
    assert len(values) == 6
    assert set(values) == {"REPLACE_ME"}
    for kustomization in K8S.rglob("kustomization.yaml"):
        # Its fields, not its comments (which say how to use the template).
        fields = yaml.safe_load(kustomization.read_text(encoding="utf-8"))
        assert "secrets.example" not in json.dumps(fields), kustomization


def test_only_the_gateway_reads_the_wallet(rendered: dict[str, list[Manifest]]) -> None:
    for manifests in rendered.values():
        readers = {
            w["metadata"]["name"]
            for w in workloads(manifests)
            for c in containers(w)
            for item in c.get("env", [])
            if item.get("valueFrom", {}).get("secretKeyRef", {}).get("name") == "agbotkit-wallet"
        }
        assert readers == {"agbotkit-gateway"}


def test_the_network_is_denied_unless_allowed(rendered: dict[str, list[Manifest]]) -> None:
    for manifests in rendered.values():
        deny = named(manifests, "NetworkPolicy", "default-deny")
        assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        internet = named(manifests, "NetworkPolicy", "allow-polymarket-egress")
        (roles,) = internet["spec"]["podSelector"]["matchExpressions"]
        assert set(roles["values"]) == {"gateway", "bot", "monitor"}  # not dashboard, database
        assert internet["spec"]["egress"][0]["ports"] == [{"protocol": "TCP", "port": 443}]
        scrape = named(manifests, "NetworkPolicy", "allow-prometheus-scrape")
        (source,) = scrape["spec"]["ingress"][0]["from"]
        assert source["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "prometheus"}
    database = named(rendered["production"], "NetworkPolicy", "allow-database-ingress")
    assert database["spec"]["ingress"][0]["from"] == [
        {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "agbotkit"}}}
    ]


def test_the_in_cluster_database_keeps_its_data(rendered: dict[str, list[Manifest]]) -> None:
    database = named(rendered["production"], "StatefulSet", "agbotkit-db")
    assert database["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data"
    external = rendered["external-db"]
    assert [m for m in external if m["metadata"]["name"] == "agbotkit-db"] == []
    url = environment(external, containers(named(external, "StatefulSet", "agbotkit-gateway"))[0])[
        "AGBOTKIT_DATABASE_URL"
    ]
    assert "sslmode=require" in url


def test_every_stack_gets_the_files_and_environment_it_needs(
    rendered: dict[str, list[Manifest]], tmp_path: Path
) -> None:
    """Each pod's mounted stack, with its policy files where the stack names them and the
    environment the pod gets, passes `agbotkit check` (secrets stand-ins)."""
    agbotkit = Path(sys.executable).with_name("agbotkit")
    for overlay, manifests in rendered.items():
        for workload in agbotkit_workloads(manifests):
            (container,) = containers(workload)
            stack = Path(container["args"][1])
            files = mounted_files(manifests, workload, str(stack.parent))
            folder = tmp_path / overlay / workload["metadata"]["name"]
            for relative, text in files.items():
                (folder / relative).parent.mkdir(parents=True, exist_ok=True)
                (folder / relative).write_text(text, encoding="utf-8")
            env = environment(manifests, container)
            missing = required_env(files[stack.name]) - set(env)
            assert missing == set(), f"{overlay}/{stack.name} needs {missing}"
            stand_ins = {
                name: "x" * 32
                for name, value in env.items()
                if value == "<secret>" and not name.startswith("POLYMARKET_")
            }
            run_env = {
                "PATH": os.environ["PATH"],
                **{k: v for k, v in env.items() if v != "<secret>"},
                **stand_ins,
            }
            done = subprocess.run(
                [str(agbotkit), "check", str(folder / stack.name)],
                capture_output=True,
                text=True,
                env=run_env,
                check=False,
                timeout=60,
            )
            assert done.returncode == 0, f"{overlay}/{stack.name}:\n{done.stdout}{done.stderr}"
