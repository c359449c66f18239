"""The ``agbotkit`` command: in-process for ``check``/``plugins``, real processes for ``run``."""

from __future__ import annotations

import importlib.metadata as metadata
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest

from agbotkit.cli import build_parser

#: The ``run_cli`` fixture (conftest.py): argv -> (exit code, stdout, stderr).
RunCli = Callable[..., tuple[int, str, str]]

#: Longest a child process may take, start to exit, before the test fails.
PROCESS_TIMEOUT_S = 20.0

STACK = """\
stack:
  name: clitest
  shutdown_grace_s: 5
components:
  beat:
    kind: heartbeat
    interval_s: 0.1
  log:
    kind: metrics_log
    needs: [beat]
    interval_s: 0.2
"""

BAD_STACK = """\
components:
  beat:
    kind: heartbeat
    interval_s: ten
"""

FAILING_STACK = """\
components:
  beat:
    kind: heartbeat
    interval_s: 0.1
    fail_after_beats: 2
    critical: true
    restart:
      policy: never
  log:
    kind: metrics_log
    interval_s: 0.2
"""

# Components for the signal tests, installed as a fake distribution the child process finds
# through PYTHONPATH: the same entry-point path a real plugin takes.
SIGNAL_PLUGIN = """\
import os
import signal
import sys
import threading
import time

import trio

from agbotkit.abc import Component


class SlowStop(Component):
    \"\"\"Its clean-up takes a minute: only a second signal stops it.\"\"\"

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED):
        task_status.started()
        try:
            await trio.sleep_forever()
        finally:
            with self.context.draining(60):
                await trio.sleep(60)


class LateSignal(Component):
    \"\"\"Presses Ctrl-C again the moment the supervisor stops watching for signals.\"\"\"

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED):
        watching = signal.getsignal(signal.SIGINT)

        def press_again():
            while signal.getsignal(signal.SIGINT) is watching:
                time.sleep(0.0001)
            os.kill(os.getpid(), signal.SIGINT)

        sys.setswitchinterval(1e-6)
        threading.Thread(target=press_again, daemon=True).start()
        task_status.started()
        await trio.sleep_forever()
"""


class Agbotkit:
    """``python -m agbotkit ARGS`` in a child process, its stderr read line by line."""

    def __init__(self, *args: str, cwd: Path, env: dict[str, str] | None = None) -> None:
        self.deadline = time.monotonic() + PROCESS_TIMEOUT_S
        self.process = subprocess.Popen(
            [sys.executable, "-m", "agbotkit", *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: list[str] = []
        self._stdout: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(self.process.stderr, True), daemon=True),
            threading.Thread(target=self._read, args=(self.process.stdout, False), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, stream: IO[str], is_stderr: bool) -> None:
        for line in stream:
            (self._stderr if is_stderr else self._stdout).append(line)
            if is_stderr:
                self._lines.put(line)
        if is_stderr:
            self._lines.put(None)

    def _remaining(self) -> float:
        return self.deadline - time.monotonic()

    def wait_for(self, text: str) -> str:
        """The first new stderr line containing ``text``; fails the test on exit or timeout."""
        while (remaining := self._remaining()) > 0:
            try:
                line = self._lines.get(timeout=remaining)
            except queue.Empty:
                break
            if line is None:
                self.process.wait(timeout=max(self._remaining(), 0.1))
                pytest.fail(
                    f"agbotkit exited ({self.process.returncode}) before printing {text!r}:\n"
                    + self.stderr
                )
            if text in line:
                return line
        self.kill()
        pytest.fail(f"no {text!r} on stderr within {PROCESS_TIMEOUT_S} s:\n{self.stderr}")

    def send(self, signum: signal.Signals) -> None:
        self.process.send_signal(signum)

    def finish(self, within_s: float = PROCESS_TIMEOUT_S) -> int:
        """Wait for the exit (at most ``within_s``) and return the exit code."""
        try:
            code = self.process.wait(timeout=max(min(within_s, self._remaining()), 0.1))
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"agbotkit did not exit within {within_s} s:\n{self.stderr}")
        for reader in self._readers:
            reader.join(timeout=5)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def close(self) -> None:
        """Kill the process if it still runs, then release its pipes and reader threads."""
        self.kill()
        for reader in self._readers:
            reader.join(timeout=5)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    @property
    def stderr(self) -> str:
        return "".join(self._stderr)

    @property
    def stdout(self) -> str:
        return "".join(self._stdout)


@pytest.fixture
def agbotkit(tmp_path: Path) -> Iterator[Callable[..., Agbotkit]]:
    """Start ``agbotkit`` child processes; any still running at the end is killed."""
    started: list[Agbotkit] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Agbotkit:
        child = Agbotkit(*args, cwd=tmp_path, env=env)
        started.append(child)
        return child

    yield start
    for child in started:
        child.close()


@pytest.fixture
def signal_plugin_env(tmp_path: Path) -> dict[str, str]:
    """An environment whose PYTHONPATH holds the fake ``signal-plugins`` distribution."""
    folder = tmp_path / "site"
    info = folder / "signal_plugins-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: signal-plugins\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[agbotkit.components]\n"
        "slow_stop = signal_plugins:SlowStop\n"
        "late_signal = signal_plugins:LateSignal\n"
    )
    (folder / "signal_plugins.py").write_text(SIGNAL_PLUGIN)
    return {**os.environ, "PYTHONPATH": str(folder)}


def _no_traceback(child: Agbotkit) -> None:
    assert "Traceback" not in child.stderr + child.stdout, child.stderr


# In-process commands -------------------------------------------------------------------------


def test_version(run_cli: RunCli, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        run_cli("--version")
    assert caught.value.code == 0
    assert capsys.readouterr().out == f"agbotkit {metadata.version('agbotkit')}\n"


def test_no_command_is_a_usage_error(run_cli: RunCli, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        run_cli()
    assert caught.value.code == 2
    assert capsys.readouterr().err.startswith("usage: agbotkit ")


def test_check_valid_stack(run_cli: RunCli, write_yaml: Callable[..., Path]) -> None:
    stack = write_yaml(STACK)
    assert run_cli("check", str(stack)) == (
        0,
        f"{stack}: ok: 2 components: beat (heartbeat), log (metrics_log)\n",
        "",
    )


def test_check_invalid_stack(run_cli: RunCli, write_yaml: Callable[..., Path]) -> None:
    stack = write_yaml(BAD_STACK)
    assert run_cli("check", str(stack)) == (
        2,
        "",
        f"{stack}: invalid\n{stack}:4: components.beat.interval_s: expected a number, got 'ten'\n",
    )


FOUR_MISTAKES = """\
stack:
  shutdown_grace_s: soon
components:
  beat:
    kind: heartbeat
    interval_s: ten
  ghost:
    kind: no_such_kind
  risk:
    kind: risk
    policy_file: missing-policies.yaml
  log:
    kind: metrics_log
    needs: [nobody]
"""


def test_check_reports_every_problem_of_a_file_in_one_run(
    run_cli: RunCli, write_yaml: Callable[..., Path]
) -> None:
    stack = write_yaml(FOUR_MISTAKES)
    code, out, err = run_cli("check", str(stack))
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert lines[0] == f"{stack}: invalid"
    # In file order: the stack's setting, a bad option, an unknown kind, a policy file that
    # is not there (found by the risk component's preflight) and an unknown need.
    assert [line.split(": ")[1] for line in lines[1:]] == [
        "stack.shutdown_grace_s",
        "components.beat.interval_s",
        "components.ghost.kind",
        "components.risk.policy_file",
        "components.log.needs[0]",
    ]
    assert f"{stack}:11: components.risk.policy_file: policy file refused: " in err
    assert "missing-policies.yaml" in err


def test_check_refuses_a_policy_file_that_does_not_validate(
    run_cli: RunCli, write_yaml: Callable[..., Path], tmp_path: Path
) -> None:
    (tmp_path / "policies.yaml").write_text("policies:\n  - type: PositionLimit\n")
    stack = write_yaml("components:\n  risk:\n    kind: risk\n    policy_file: policies.yaml\n")
    code, _, err = run_cli("check", str(stack))
    assert code == 2
    assert f"{stack}:4: components.risk.policy_file: policy file refused: " in err
    assert "policies[0].max_size" in err


def test_run_with_an_invalid_policy_file_exits_2_naming_it_before_starting_anything(
    run_cli: RunCli, write_yaml: Callable[..., Path], tmp_path: Path
) -> None:
    (tmp_path / "policies.yaml").write_text("policies:\n  - type: PositionLimit\n")
    stack = write_yaml("components:\n  risk:\n    kind: risk\n    policy_file: policies.yaml\n")
    code, out, err = run_cli("run", str(stack))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "agbotkit: invalid stack:",
        f"{stack}:4: components.risk.policy_file: policy file refused: "
        f"{tmp_path / 'policies.yaml'}:2: policies[0].max_size: required field is missing",
    ]


def test_check_refuses_a_public_dashboard_without_a_token(
    run_cli: RunCli, write_yaml: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AGBOTKIT_TEST_UNSET_TOKEN", raising=False)
    public = write_yaml("components:\n  dash:\n    kind: dashboard\n    host: 0.0.0.0\n", "a.yaml")
    code, _, err = run_cli("check", str(public))
    assert code == 2
    assert f"{public}:4: components.dash.host: " in err
    assert "needs an access token" in err
    unset = write_yaml(
        "components:\n  dash:\n    kind: dashboard\n    token_env: AGBOTKIT_TEST_UNSET_TOKEN\n",
        "b.yaml",
    )
    code, _, err = run_cli("check", str(unset))
    assert code == 2
    assert f"{unset}:4: components.dash.token_env: " in err
    # Said out loud, serving without a token is allowed.
    insecure = write_yaml(
        "components:\n  dash:\n    kind: dashboard\n    host: 0.0.0.0\n    insecure: true\n",
        "c.yaml",
    )
    assert run_cli("check", str(insecure))[0] == 0


def test_check_names_a_missing_postgresql_driver_and_password(
    write_yaml: Callable[..., Path],
) -> None:
    stack = write_yaml(
        "components:\n"
        "  store:\n"
        "    kind: storage\n"
        "    url: postgresql://bot@db.example/bot\n"
        "    password_env: AGBOTKIT_TEST_UNSET_PASSWORD\n"
    )
    # A child process without psycopg, as after a plain `pip install agbotkit`.
    blocked = "import sys; sys.modules['psycopg'] = None; from agbotkit.cli import main; "
    child = subprocess.run(
        [sys.executable, "-c", blocked + f"sys.exit(main(['check', {str(stack)!r}]))"],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k != "AGBOTKIT_TEST_UNSET_PASSWORD"},
    )
    assert child.returncode == 2, child.stderr
    assert f"{stack}:4: components.store.url: " in child.stderr
    assert "pip install 'agbotkit[postgresql]'" in child.stderr
    assert f"{stack}:5: components.store.password_env: " in child.stderr
    assert "AGBOTKIT_TEST_UNSET_PASSWORD" in child.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["--log-level", "warning", "check", "{stack}"],
        ["check", "{stack}", "--log-level", "warning"],
        ["check", "--log-format", "json", "{stack}", "-v"],
    ],
)
def test_global_options_go_before_or_after_the_command(
    run_cli: RunCli, write_yaml: Callable[..., Path], argv: list[str]
) -> None:
    stack = write_yaml(STACK)
    code, out, err = run_cli(*(arg.format(stack=stack) for arg in argv))
    assert (code, err) == (0, "")
    assert out.startswith(f"{stack}: ok: ")


def test_an_option_after_the_command_wins_over_the_same_before_it() -> None:
    args = build_parser().parse_args(["--log-level", "error", "run", "x.yaml", "-v"])
    assert (args.log_level, args.log_format) == ("DEBUG", "text")
    args = build_parser().parse_args(["-v", "run", "x.yaml"])
    assert args.log_level == "DEBUG"
    args = build_parser().parse_args(["run", "x.yaml"])
    assert (args.log_level, args.log_format) == ("INFO", "text")


def test_check_several_stacks_reports_each(
    run_cli: RunCli, write_yaml: Callable[..., Path], tmp_path: Path
) -> None:
    good, bad, missing = (
        write_yaml(STACK, "good.yaml"),
        write_yaml(BAD_STACK, "bad.yaml"),
        tmp_path / "nope.yaml",
    )
    code, out, err = run_cli("check", str(bad), str(good), str(missing))
    assert code == 2
    assert out == f"{good}: ok: 2 components: beat (heartbeat), log (metrics_log)\n"
    assert err == (
        f"{bad}: invalid\n{bad}:4: components.beat.interval_s: expected a number, got 'ten'\n"
        f"{missing}: invalid\n{missing}: cannot read: No such file or directory\n"
    )


def test_plugins(run_cli: RunCli) -> None:
    code, out, err = run_cli("plugins")
    assert (code, err) == (0, "")
    assert re.search(r"^agbotkit\.components +heartbeat +agbotkit +\S+$", out, re.MULTILINE)


def test_run_invalid_stack_exits_2_before_starting(
    run_cli: RunCli, write_yaml: Callable[..., Path]
) -> None:
    stack = write_yaml(BAD_STACK)
    assert run_cli("run", str(stack)) == (
        2,
        "",
        f"agbotkit: invalid stack:\n{stack}:4: components.beat.interval_s: expected a number, "
        "got 'ten'\n",
    )


# `agbotkit run` in a real process ------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_run_stops_cleanly_on_a_signal(
    agbotkit: Callable[..., Agbotkit], write_yaml: Callable[..., Path], signum: signal.Signals
) -> None:
    child = agbotkit("run", str(write_yaml(STACK)))
    assert (
        child.wait_for("ready")
        .rstrip()
        .endswith("INFO    agbotkit.supervisor.runner: stack 'clitest' ready: 2 components")
    )
    # metrics_log reports what heartbeat published: the bus carries samples between them.
    line = child.wait_for("agbotkit.component.log: metrics: ")
    assert re.search(r" agbotkit\.heartbeat\.beats=[1-9]\d* ", line), line
    child.send(signum)
    assert child.finish(within_s=5) == 0  # the stack's shutdown_grace_s
    assert f"{signum.name} received: stopping" in child.stderr
    assert child.stderr.rstrip().endswith("INFO    agbotkit: stopped cleanly")
    _no_traceback(child)


def test_two_signals_back_to_back(
    agbotkit: Callable[..., Agbotkit], write_yaml: Callable[..., Path]
) -> None:
    child = agbotkit("run", str(write_yaml(STACK)))
    child.wait_for("ready")
    child.send(signal.SIGINT)
    child.send(signal.SIGINT)
    code = child.finish(within_s=5)
    assert code in (0, 130)
    if code == 130:
        assert child.stderr.endswith(
            "agbotkit: stopped at once by a second signal, without waiting for components\n"
        )
    _no_traceback(child)


def test_second_signal_stops_at_once_with_130(
    agbotkit: Callable[..., Agbotkit],
    write_yaml: Callable[..., Path],
    signal_plugin_env: dict[str, str],
) -> None:
    stack = write_yaml("components:\n  slow:\n    kind: slow_stop\n")
    child = agbotkit("run", str(stack), env=signal_plugin_env)
    child.wait_for("ready")
    child.send(signal.SIGINT)
    child.wait_for("SIGINT received: stopping")
    child.send(signal.SIGINT)
    # The component's clean-up alone takes 60 s: 15 s proves the stop did not wait for it,
    # with room for a loaded machine.
    assert child.finish(within_s=15) == 130
    assert "second signal: stopping at once" in child.stderr
    assert child.stderr.endswith(
        "agbotkit: stopped at once by a second signal, without waiting for components\n"
    )
    _no_traceback(child)


def test_signal_during_the_end_of_a_graceful_stop_gives_no_traceback(
    agbotkit: Callable[..., Agbotkit],
    write_yaml: Callable[..., Path],
    signal_plugin_env: dict[str, str],
) -> None:
    stack = write_yaml("components:\n  late:\n    kind: late_signal\n")
    child = agbotkit("run", str(stack), env=signal_plugin_env)
    child.wait_for("ready")
    child.send(signal.SIGINT)
    code = child.finish(within_s=5)
    _no_traceback(child)
    assert code in (0, 130)


def test_critical_component_failure_exits_1_with_one_line_reason(
    agbotkit: Callable[..., Agbotkit], write_yaml: Callable[..., Path]
) -> None:
    child = agbotkit("run", str(write_yaml(FAILING_STACK)))
    assert child.finish() == 1
    reason = (
        "critical component 'beat' failed: RuntimeError: heartbeat failing on purpose after 2 beats"
    )
    assert [line for line in child.stderr.splitlines() if line.startswith("agbotkit:")] == [
        f"agbotkit: stopped: {reason}"
    ]
    assert child.stderr.endswith(f"agbotkit: stopped: {reason}\n")
    assert f"ERROR   agbotkit.supervisor.runner: {reason}; stopping the stack" in child.stderr
    _no_traceback(child)


def test_json_log_format(
    agbotkit: Callable[..., Agbotkit], write_yaml: Callable[..., Path]
) -> None:
    child = agbotkit("--log-format", "json", "run", str(write_yaml(STACK)))
    entry = json.loads(child.wait_for("ready"))
    assert set(entry) == {"ts", "level", "logger", "message"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["ts"])
    assert (entry["level"], entry["logger"], entry["message"]) == (
        "info",
        "agbotkit.supervisor.runner",
        "stack 'clitest' ready: 2 components",
    )
    child.send(signal.SIGTERM)
    assert child.finish(within_s=5) == 0
    entries = [json.loads(line) for line in child.stderr.splitlines()]
    assert entries[-1]["message"] == "stopped cleanly"
    assert child.stdout == ""


def test_run_names_the_stack_file_as_given(
    run_cli: RunCli,
    write_yaml: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_yaml(BAD_STACK, "conf/stack.yaml")
    monkeypatch.chdir(tmp_path)
    assert run_cli("run", "conf/stack.yaml") == (
        2,
        "",
        "agbotkit: invalid stack:\n"
        "conf/stack.yaml:4: components.beat.interval_s: expected a number, got 'ten'\n",
    )
