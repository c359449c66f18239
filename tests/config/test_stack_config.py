"""Stack files: every mistake names file, line, field path and what was expected."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest

from agbotkit.builtins.heartbeat import HeartbeatConfig
from agbotkit.builtins.metrics_log import MetricsLogConfig
from agbotkit.config.checks import FieldValueError, at_least, between, greater_than, non_empty
from agbotkit.config.converter import structure
from agbotkit.config.document import YamlDocument
from agbotkit.config.schema import ComponentSpec, RestartConfig, RestartPolicy, StackSettings
from agbotkit.config.stack import load_stack
from agbotkit.errors import ConfigError
from agbotkit.plugins import PluginRegistry
from agbotkit.supervisor.plan import plan_file

UNSET = "AGBOTKIT_TEST_UNSET_VARIABLE"

BAD_STACKS = [
    pytest.param(
        """\
        components:
          feed:
        \tkind: heartbeat
        """,
        ["stack.yaml:3: YAML syntax error: found character '\\t' that cannot start any token"],
        id="yaml-syntax-error-tab",
    ),
    pytest.param(
        """\
        components:
          feed:
            kind: heartbeat
            interval_s: 1: 2
        """,
        ["stack.yaml:4: YAML syntax error: mapping values are not allowed here"],
        id="yaml-syntax-error-colon",
    ),
    pytest.param(
        """\
        components:
          feed:
            kind: heartbeat
          feed:
            kind: metrics_log
        """,
        [
            'stack.yaml:4: YAML syntax error: found duplicate key "feed" with value '
            "\"{'kind': 'metrics_log'}\" (original value: \"{'kind': 'heartbeat'}\")"
        ],
        id="duplicate-key",
    ),
    pytest.param(
        """\
        - heartbeat
        - metrics_log
        """,
        ["stack.yaml:1: a stack file must be a mapping with 'components:'"],
        id="top-level-list",
    ),
    pytest.param(
        "just some text\n",
        ["stack.yaml: a stack file must be a mapping with 'components:'"],
        id="top-level-scalar-has-no-line",
    ),
    pytest.param(
        "",
        ["stack.yaml: a stack file must be a mapping with 'components:'"],
        id="empty-file",
    ),
    pytest.param(
        """\
        components:
          feed:
            kind: heartbeat
        strategies: {}
        """,
        ["stack.yaml:4: strategies: unknown section (allowed: stack, components)"],
        id="unknown-top-level-section",
    ),
    pytest.param(
        """\
        stack:
          name: lonely
        """,
        [
            "stack.yaml:1: components: expected a mapping of component name to its settings, "
            "with at least one component"
        ],
        id="no-components-section",
    ),
    pytest.param(
        """\
        stack:
          name: lonely
        components: {}
        """,
        [
            "stack.yaml:3: components: expected a mapping of component name to its settings, "
            "with at least one component"
        ],
        id="empty-components",
    ),
    pytest.param(
        """\
        components:
          - heartbeat
        """,
        [
            "stack.yaml:1: components: expected a mapping of component name to its settings, "
            "with at least one component"
        ],
        id="components-is-a-list",
    ),
    pytest.param(
        """\
        components:
          feed: heartbeat
        """,
        ["stack.yaml:2: components.feed: expected a mapping with at least 'kind:'"],
        id="component-not-a-mapping",
    ),
    pytest.param(
        """\
        components:
          feed:
        """,
        ["stack.yaml:2: components.feed: expected a mapping with at least 'kind:'"],
        id="component-empty",
    ),
    pytest.param(
        """\
        components:
          feed:
            interval_s: 1
        """,
        ["stack.yaml:2: components.feed.kind: required field is missing"],
        id="missing-kind",
    ),
    pytest.param(
        """\
        components:
          feed:
            kind: 5
        """,
        ["stack.yaml:3: components.feed.kind: expected a string, got 5"],
        id="kind-wrong-type",
    ),
    pytest.param(
        """\
        components:
          feed:
            kind:
        """,
        ["stack.yaml:3: components.feed.kind: expected a string, got nothing (null)"],
        id="kind-null",
    ),
    pytest.param(
        """\
        components:
          feed:
            kind: heartbeat
          risk:
            kind: risk_engine
        """,
        [
            "stack.yaml:5: components.risk.kind: unknown component kind 'risk_engine' "
            "(installed: <installed>)"
        ],
        id="unknown-kind-lists-installed",
    ),
    pytest.param(
        """\
        components:
          beat:
            kind: heartbeat
            interval: 1
        """,
        [
            "stack.yaml:4: components.beat.interval: unknown field 'interval' "
            "(allowed: fail_after_beats, interval_s)"
        ],
        id="unknown-option",
    ),
    pytest.param(
        """\
        components:
          log:
            kind: metrics_log
            buffer: 10
            prefixes: [agbotkit]
            colour: red
        """,
        [
            "stack.yaml:6: components.log.colour: unknown field 'colour' "
            "(allowed: buffer, interval_s, prefixes)"
        ],
        id="unknown-option-metrics-log",
    ),
    pytest.param(
        """\
        components:
          beat:
            kind: heartbeat
            interval: 1
            beats: 3
        """,
        [
            "stack.yaml:5: components.beat.beats: unknown fields 'beats', 'interval' "
            "(allowed: fail_after_beats, interval_s)"
        ],
        id="two-unknown-options",
    ),
    pytest.param(
        """\
        stack:
          name: demo
        components:
          beat:
            kind: heartbeat
            interval_s: ten
        """,
        ["stack.yaml:6: components.beat.interval_s: expected a number, got 'ten'"],
        id="number-given-text",
    ),
    pytest.param(
        """\
        components:
          beat:
            kind: heartbeat
            interval_s: "1.5"
        """,
        ["stack.yaml:4: components.beat.interval_s: expected a number, got '1.5'"],
        id="number-given-quoted-number",
    ),
    pytest.param(
        """\
        components:
          beat:
            kind: heartbeat
            interval_s:
        """,
        ["stack.yaml:4: components.beat.interval_s: expected a number, got nothing (null)"],
        id="number-given-null",
    ),
    pytest.param(
        """\
        components:
          beat:
            kind: heartbeat
            interval_s: .nan
        """,
        ["stack.yaml:4: components.beat.interval_s: expected a number, got NaN"],
        id="number-given-nan",
    ),
    pytest.param(
        """\
        components:
          beat:
            kind: heartbeat
            interval_s: {every: 1}
        """,
        ["stack.yaml:4: components.beat.interval_s: expected a number, got a mapping"],
        id="number-given-mapping",
    ),
    pytest.param(
        """\
        components:
          beat:
            kind: heartbeat
            interval_s: -1
        """,
        ["stack.yaml:4: components.beat.interval_s: expected a value > 0, got -1.0"],
        id="negative-where-positive-needed",
    ),
    pytest.param(
        """\
        components:
          log:
            kind: metrics_log
            buffer: 0
        """,
        ["stack.yaml:4: components.log.buffer: expected a value > 0, got 0"],
        id="zero-where-positive-needed",
    ),
    pytest.param(
        """\
        components:
          beat:
            kind: heartbeat
            fail_after_beats: -3
        """,
        ["stack.yaml:4: components.beat.fail_after_beats: expected a value >= 0, got -3"],
        id="negative-where-at-least-zero",
    ),
    pytest.param(
        """\
        components:
          beat:
            kind: heartbeat
            start_timeout_s: 0
        """,
        ["stack.yaml:4: components.beat.start_timeout_s: expected a value > 0, got 0.0"],
        id="component-start-timeout-zero",
    ),
    pytest.param(
        """\
        components:
          beat:
            kind: heartbeat
            critical: "yes"
        """,
        ["stack.yaml:4: components.beat.critical: expected true or false, got 'yes'"],
        id="bool-given-yes",
    ),
    pytest.param(
        """\
        components:
          beat:
            kind: heartbeat
            critical: on
        """,
        ["stack.yaml:4: components.beat.critical: expected true or false, got 'on'"],
        id="bool-given-yaml11-on",
    ),
    pytest.param(
        """\
        components:
          beat:
            kind: heartbeat
            critical: 1
        """,
        ["stack.yaml:4: components.beat.critical: expected true or false, got 1"],
        id="bool-given-1",
    ),
    pytest.param(
        """\
        components:
          beat:
            kind: heartbeat
            fail_after_beats: 1.5
        """,
        ["stack.yaml:4: components.beat.fail_after_beats: expected an integer, got 1.5"],
        id="int-given-float",
    ),
    pytest.param(
        """\
        components:
          beat:
            kind: heartbeat
            fail_after_beats: true
        """,
        ["stack.yaml:4: components.beat.fail_after_beats: expected an integer, got True"],
        id="int-given-bool",
    ),
    pytest.param(
        """\
        components:
          log:
            kind: metrics_log
            prefixes: agbotkit
        """,
        ["stack.yaml:4: components.log.prefixes: expected a list, got 'agbotkit'"],
        id="list-given-string",
    ),
    pytest.param(
        """\
        components:
          log:
            kind: metrics_log
            prefixes:
              - agbotkit
              - 5
        """,
        ["stack.yaml:6: components.log.prefixes[1]: expected a string, got 5"],
        id="list-item-wrong-type",
    ),
    pytest.param(
        """\
        components:
          beat:
            kind: heartbeat
          log:
            kind: metrics_log
            needs: beat
        """,
        ["stack.yaml:6: components.log.needs: expected a list, got 'beat'"],
        id="needs-given-string",
    ),
    pytest.param(
        """\
        components:
          beat:
            kind: heartbeat
            restart:
              policy: always
        """,
        [
            "stack.yaml:5: components.beat.restart.policy: expected one of 'never', "
            "'on-failure', got 'always'"
        ],
        id="enum-value-not-allowed",
    ),
    pytest.param(
        """\
        components:
          beat:
            kind: heartbeat
            restart:
              policy: on-failure
              retries: 3
        """,
        [
            "stack.yaml:6: components.beat.restart.retries: unknown field 'retries' "
            "(allowed: backoff_initial_s, backoff_max_s, max_restarts, policy, window_s)"
        ],
        id="restart-unknown-key",
    ),
    pytest.param(
        """\
        components:
          beat:
            kind: heartbeat
            restart:
              max_restarts: 1.5
        """,
        ["stack.yaml:5: components.beat.restart.max_restarts: expected an integer, got 1.5"],
        id="restart-int-given-float",
    ),
    pytest.param(
        """\
        components:
          beat:
            kind: heartbeat
            restart:
              window_s: 0
        """,
        ["stack.yaml:5: components.beat.restart.window_s: expected a value > 0, got 0.0"],
        id="restart-window-zero",
    ),
    pytest.param(
        """\
        components:
          beat:
            kind: heartbeat
          log:
            kind: metrics_log
            needs:
              - beat
              - ghost
        """,
        ["stack.yaml:8: components.log.needs[1]: unknown component 'ghost'"],
        id="needs-unknown-component-names-list-item-line",
    ),
    pytest.param(
        """\
        components:
          beat:
            kind: heartbeat
            needs: [beat]
        """,
        ["stack.yaml:4: components.beat.needs: dependency cycle: beat -> beat"],
        id="needs-itself",
    ),
    pytest.param(
        """\
        components:
          a:
            kind: heartbeat
            needs: [c]
          b:
            kind: heartbeat
            needs: [a]
          c:
            kind: heartbeat
            needs: [b]
        """,
        ["stack.yaml:4: components.a.needs: dependency cycle: a -> c -> b -> a"],
        id="dependency-cycle",
    ),
    pytest.param(
        f"""\
        components:
          beat:
            kind: heartbeat
            interval_s: ${{{UNSET}}}
        """,
        [
            f"stack.yaml:4: components.beat.interval_s: environment variable '{UNSET}' is not "
            f"set (write ${{{UNSET}:-default}} to give a default)"
        ],
        id="missing-environment-variable",
    ),
    pytest.param(
        """\
        stack:
          shutdown_grace_s: soon
        components:
          beat:
            kind: heartbeat
        """,
        ["stack.yaml:2: stack.shutdown_grace_s: expected a number, got 'soon'"],
        id="shutdown-grace-wrong-type",
    ),
    pytest.param(
        """\
        stack:
          shutdown_grace_s: 0
        components:
          beat:
            kind: heartbeat
        """,
        ["stack.yaml:2: stack.shutdown_grace_s: expected a value > 0, got 0.0"],
        id="shutdown-grace-zero",
    ),
    pytest.param(
        """\
        stack:
          name: demo
          colour: red
        components:
          beat:
            kind: heartbeat
        """,
        [
            "stack.yaml:3: stack.colour: unknown field 'colour' "
            "(allowed: freeze_gc, name, shutdown_grace_s, start_timeout_s)"
        ],
        id="stack-unknown-setting",
    ),
]


@pytest.fixture(scope="module")
def registry() -> PluginRegistry:
    """One registry for the module: discovery parses every installed METADATA (slow)."""
    return PluginRegistry()


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in ``tmp_path``, so error messages name ``stack.yaml`` as a user would type it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(UNSET, raising=False)
    return tmp_path


def _issues(text: str, registry: PluginRegistry) -> list[str]:
    (Path.cwd() / "stack.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        plan_file("stack.yaml", registry)
    assert str(caught.value) == "\n".join(str(issue) for issue in caught.value.issues)
    return [str(issue) for issue in caught.value.issues]


@pytest.mark.usefixtures("in_tmp")
@pytest.mark.parametrize(("text", "expected"), BAD_STACKS)
def test_bad_stack_names_file_line_field_and_expectation(
    text: str, expected: list[str], registry: PluginRegistry
) -> None:
    installed = ", ".join(registry.names("agbotkit.components"))
    assert {"heartbeat", "metrics_log"} <= set(registry.names("agbotkit.components"))
    assert _issues(text, registry) == [line.replace("<installed>", installed) for line in expected]


@pytest.mark.usefixtures("in_tmp")
def test_issue_attributes_carry_file_line_path_and_message(registry: PluginRegistry) -> None:
    (Path.cwd() / "stack.yaml").write_text(
        "components:\n  risk:\n    kind: heartbeat\n    interval_s: ten\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        plan_file("stack.yaml", registry)
    [issue] = caught.value.issues
    assert (issue.file, issue.line, issue.path, issue.message) == (
        "stack.yaml",
        4,
        "components.risk.interval_s",
        "expected a number, got 'ten'",
    )
    assert caught.value.path == "components.risk.interval_s"
    assert isinstance(caught.value, ValueError)


def test_absolute_stack_path_is_named_as_given(tmp_path: Path, registry: PluginRegistry) -> None:
    stack = tmp_path / "stack.yaml"
    stack.write_text("components:\n  beat:\n    kind: heartbeat\n    interval_s: ten\n")
    with pytest.raises(ConfigError) as caught:
        plan_file(stack, registry)
    assert (
        str(caught.value) == f"{stack}:4: components.beat.interval_s: expected a number, got 'ten'"
    )


@pytest.mark.usefixtures("in_tmp")
def test_several_stack_file_errors_are_all_reported(registry: PluginRegistry) -> None:
    assert _issues(
        """\
        stack:
          shutdown_grace_s: soon
        components:
          beat:
            kind: heartbeat
            critical: 1
          log: metrics_log
          feed:
            kind: heartbeat
            needs: [beat]
            restart:
              policy: sometimes
        extras: true
        """,
        registry,
    ) == [  # in file order, as a user reads and fixes them
        "stack.yaml:2: stack.shutdown_grace_s: expected a number, got 'soon'",
        "stack.yaml:6: components.beat.critical: expected true or false, got 1",
        "stack.yaml:7: components.log: expected a mapping with at least 'kind:'",
        "stack.yaml:12: components.feed.restart.policy: expected one of 'never', 'on-failure', "
        "got 'sometimes'",
        "stack.yaml:13: extras: unknown section (allowed: stack, components)",
    ]


@pytest.mark.usefixtures("in_tmp")
def test_errors_in_several_components_options_are_all_reported(registry: PluginRegistry) -> None:
    installed = ", ".join(registry.names("agbotkit.components"))
    assert _issues(
        """\
        components:
          beat:
            kind: heartbeat
            interval_s: ten
          log:
            kind: metrics_log
            needs: [beat]
            prefixes: agbotkit
            buffer: 0.5
          risk:
            kind: risk_engine
          other:
            kind: heartbeat
            fail_after_beats: -1
        """,
        registry,
    ) == [
        "stack.yaml:4: components.beat.interval_s: expected a number, got 'ten'",
        "stack.yaml:8: components.log.prefixes: expected a list, got 'agbotkit'",
        "stack.yaml:9: components.log.buffer: expected an integer, got 0.5",
        f"stack.yaml:11: components.risk.kind: unknown component kind 'risk_engine' "
        f"(installed: {installed})",
        "stack.yaml:14: components.other.fail_after_beats: expected a value >= 0, got -1",
    ]


@pytest.mark.usefixtures("in_tmp")
def test_every_missing_environment_variable_is_reported(registry: PluginRegistry) -> None:
    assert _issues(
        f"""\
        stack:
          name: ${{{UNSET}}}
        components:
          beat:
            kind: heartbeat
            interval_s: ${{{UNSET}_TOO}}
        """,
        registry,
    ) == [
        f"stack.yaml:2: stack.name: environment variable '{UNSET}' is not set "
        f"(write ${{{UNSET}:-default}} to give a default)",
        f"stack.yaml:6: components.beat.interval_s: environment variable '{UNSET}_TOO' is not "
        f"set (write ${{{UNSET}_TOO:-default}} to give a default)",
    ]


@pytest.mark.usefixtures("in_tmp")
def test_every_unknown_need_is_reported(registry: PluginRegistry) -> None:
    assert _issues(
        """\
        components:
          beat:
            kind: heartbeat
            needs: [ghost]
          log:
            kind: metrics_log
            needs:
              - beat
              - phantom
        """,
        registry,
    ) == [
        "stack.yaml:4: components.beat.needs[0]: unknown component 'ghost'",
        "stack.yaml:9: components.log.needs[1]: unknown component 'phantom'",
    ]


@pytest.mark.usefixtures("in_tmp")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "stack: 5\ncomponents:\n  beat:\n    kind: heartbeat\n",
            "stack.yaml:1: stack: expected a mapping, got 5",
            id="stack-section-scalar",
        ),
        pytest.param(
            "components:\n  beat:\n    kind: heartbeat\n    restart: never\n",
            "stack.yaml:4: components.beat.restart: expected a mapping, got 'never'",
            id="restart-scalar",
        ),
    ],
)
def test_scalar_given_for_a_section_says_a_mapping_was_expected(
    text: str, expected: str, registry: PluginRegistry
) -> None:
    assert _issues(text, registry) == [expected]


@pytest.mark.usefixtures("in_tmp")
def test_every_out_of_range_value_of_one_section_is_reported(registry: PluginRegistry) -> None:
    assert _issues(
        """\
        components:
          beat:
            kind: heartbeat
            restart:
              max_restarts: -1
              window_s: 0
        """,
        registry,
    ) == [
        "stack.yaml:5: components.beat.restart.max_restarts: expected a value >= 0, got -1",
        "stack.yaml:6: components.beat.restart.window_s: expected a value > 0, got 0.0",
    ]


@pytest.mark.usefixtures("in_tmp")
def test_error_in_an_option_merged_from_an_anchor_is_a_config_error(
    registry: PluginRegistry,
) -> None:
    assert _issues(
        """\
        components:
          beat: &beat
            kind: heartbeat
            interval_s: ten
          beat2:
            <<: *beat
        """,
        registry,
    ) == [
        "stack.yaml:4: components.beat.interval_s: expected a number, got 'ten'",
        "stack.yaml:6: components.beat2.interval_s: expected a number, got 'ten'",
    ]


@pytest.mark.usefixtures("in_tmp")
def test_error_deeper_in_a_merged_section_is_placed_at_the_merge(
    registry: PluginRegistry,
) -> None:
    assert _issues(
        """\
        components:
          beat:
            kind: heartbeat
            restart: &restart
              max_restarts: -1
          beat2:
            kind: heartbeat
            restart:
              policy: on-failure
              <<: *restart
        """,
        registry,
    ) == [
        "stack.yaml:5: components.beat.restart.max_restarts: expected a value >= 0, got -1",
        "stack.yaml:10: components.beat2.restart.max_restarts: expected a value >= 0, got -1",
    ]


@attrs.frozen
class _Limits:
    low: int = attrs.field(default=0, validator=at_least(0))
    high: int = attrs.field(default=1, validator=at_least(1))


@attrs.frozen
class _Checked:
    name: str = attrs.field(default="x", validator=non_empty())
    size: float = attrs.field(default=10.0, validator=[greater_than(0), at_least(5)])
    limits: _Limits = _Limits()
    labels: dict[str, int] = attrs.field(factory=dict)
    ratio: float = attrs.field(default=0.5, validator=between(0, 1))

    def __attrs_post_init__(self) -> None:
        if self.ratio * self.size > 100:
            raise FieldValueError("ratio", "ratio * size must stay under 100")


def _structure_issues(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        structure(YamlDocument(text, "c.yaml"), _Checked, ("c",))
    return [str(issue) for issue in caught.value.issues]


def test_every_refused_value_of_a_class_and_of_its_nested_classes_is_reported() -> None:
    assert _structure_issues(
        "c:\n  name: ''\n  size: -1\n  limits:\n    low: -1\n    high: 0\n  ratio: 2\n"
    ) == [
        "c.yaml:5: c.limits.low: expected a value >= 0, got -1",
        "c.yaml:6: c.limits.high: expected a value >= 1, got 0",
        "c.yaml:2: c.name: expected a non-empty value, got ''",
        # A field with two failed checks is reported once, for the first.
        "c.yaml:3: c.size: expected a value > 0, got -1.0",
        "c.yaml:7: c.ratio: expected a value between 0 and 1, got 2.0",
    ]


def test_a_check_of_post_init_is_reported_with_the_refused_values() -> None:
    assert _structure_issues("c:\n  name: ''\n  size: 1000\n  ratio: 0.5\n") == [
        "c.yaml:2: c.name: expected a non-empty value, got ''",
        "c.yaml:4: c.ratio: ratio * size must stay under 100",
    ]
    assert _structure_issues("c:\n  size: 1000\n  ratio: 0.5\n") == [
        "c.yaml:3: c.ratio: ratio * size must stay under 100"
    ]


def test_values_are_only_collected_while_the_converter_builds() -> None:
    with pytest.raises(FieldValueError, match=r"^low: expected a value >= 0, got -1$"):
        _Limits(low=-1, high=0)  # built directly: the first refused value raises


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("c: 5\n", "c: expected a mapping, got 5", id="class"),
        pytest.param(
            "c:\n  limits: [1]\n", "c.limits: expected a mapping, got a list", id="nested"
        ),
        pytest.param("c:\n  labels: x\n", "c.labels: expected a mapping, got 'x'", id="dict"),
        pytest.param(
            "c:\n  labels:\n", "c.labels: expected a mapping, got nothing (null)", id="null"
        ),
    ],
)
def test_a_scalar_or_list_where_a_mapping_belongs(text: str, expected: str) -> None:
    line = 1 if text.startswith("c: ") else 2
    assert _structure_issues(text) == [f"c.yaml:{line}: {expected}"]


def test_a_dict_field_is_structured() -> None:
    checked = structure(YamlDocument("c:\n  labels: {a: 1}\n"), _Checked, ("c",))
    assert checked.labels == {"a": 1}


# Good stacks ---------------------------------------------------------------------------------


def test_defaults_are_applied(write_yaml: Callable[..., Path], registry: PluginRegistry) -> None:
    plan = plan_file(write_yaml("components:\n  beat:\n    kind: heartbeat\n"), registry)
    assert plan.stack.settings == StackSettings(
        name="agbotkit", shutdown_grace_s=10.0, start_timeout_s=30.0
    )
    [beat] = plan.components
    assert beat.spec == ComponentSpec(
        name="beat",
        kind="heartbeat",
        needs=(),
        restart=RestartConfig(
            policy=RestartPolicy.NEVER,
            max_restarts=5,
            window_s=60.0,
            backoff_initial_s=0.5,
            backoff_max_s=30.0,
        ),
        critical=False,
        start_timeout_s=None,
        options={},
    )
    assert beat.config == HeartbeatConfig(interval_s=1.0, fail_after_beats=0)
    assert beat.start_timeout_s == 30.0


def test_every_field_is_structured(
    write_yaml: Callable[..., Path], registry: PluginRegistry
) -> None:
    stack = write_yaml(
        """\
        stack:
          name: full
          shutdown_grace_s: 3
          start_timeout_s: 7
        components:
          beat:
            kind: heartbeat
            interval_s: 2
            fail_after_beats: 4
            critical: true
            start_timeout_s: 1.5
            restart:
              policy: on-failure
              max_restarts: 2
              window_s: 10
              backoff_initial_s: 0
              backoff_max_s: 1
          log:
            kind: metrics_log
            needs: [beat]
            buffer: 16
            prefixes: [agbotkit.heartbeat, agbotkit.component]
        """
    )
    plan = plan_file(stack, registry)
    assert plan.stack.settings == StackSettings(
        name="full", shutdown_grace_s=3.0, start_timeout_s=7.0
    )
    assert plan.stack_dir == stack.resolve().parent
    beat, log = plan.components
    assert beat.spec == ComponentSpec(
        name="beat",
        kind="heartbeat",
        critical=True,
        start_timeout_s=1.5,
        restart=RestartConfig(RestartPolicy.ON_FAILURE, 2, 10.0, 0.0, 1.0),
        options={"interval_s": 2, "fail_after_beats": 4},
    )
    assert beat.config == HeartbeatConfig(interval_s=2.0, fail_after_beats=4)
    assert beat.start_timeout_s == 1.5
    assert log.spec.needs == ("beat",)
    assert log.config == MetricsLogConfig(
        interval_s=10.0, buffer=16, prefixes=("agbotkit.heartbeat", "agbotkit.component")
    )
    assert log.start_timeout_s == 7.0


@pytest.mark.parametrize(
    ("text", "order"),
    [
        pytest.param(
            """\
            components:
              zulu: {kind: heartbeat}
              yankee: {kind: heartbeat}
              xray: {kind: heartbeat}
            """,
            ["zulu", "yankee", "xray"],
            id="no-needs-keeps-file-order",
        ),
        pytest.param(
            """\
            components:
              c: {kind: heartbeat, needs: [a]}
              a: {kind: heartbeat, needs: [b]}
              d: {kind: heartbeat}
              b: {kind: heartbeat}
            """,
            ["b", "a", "c", "d"],
            id="chain",
        ),
        pytest.param(
            """\
            components:
              top: {kind: heartbeat, needs: [left, right]}
              right: {kind: heartbeat, needs: [base]}
              left: {kind: heartbeat, needs: [base]}
              base: {kind: heartbeat}
            """,
            ["base", "left", "right", "top"],
            id="diamond-follows-needs-order",
        ),
    ],
)
def test_start_order_follows_needs(
    write_yaml: Callable[..., Path], registry: PluginRegistry, text: str, order: list[str]
) -> None:
    stack = write_yaml(text)
    assert [spec.name for spec in load_stack(stack).components] == order
    assert [planned.name for planned in plan_file(stack, registry).components] == order


def test_environment_references_are_resolved(write_yaml: Callable[..., Path]) -> None:
    stack = write_yaml(
        """\
        stack:
          name: bot-${STACK_NAME:-dev}
          shutdown_grace_s: ${GRACE:-5}
        components:
          beat:
            kind: heartbeat
            interval_s: ${INTERVAL}
            note: $${NOT_A_VARIABLE}
        """
    )
    defaults = load_stack(stack, environ={"INTERVAL": "0.25"})
    assert defaults.settings == StackSettings(name="bot-dev", shutdown_grace_s=5.0)
    assert defaults.components[0].options == {"interval_s": 0.25, "note": "${NOT_A_VARIABLE}"}

    given = load_stack(stack, environ={"INTERVAL": "2", "STACK_NAME": "prod", "GRACE": "7.5"})
    assert given.settings == StackSettings(name="bot-prod", shutdown_grace_s=7.5)
    assert given.components[0].options == {"interval_s": 2, "note": "${NOT_A_VARIABLE}"}


def test_plan_file_reads_the_process_environment(
    write_yaml: Callable[..., Path], registry: PluginRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGBOTKIT_TEST_INTERVAL", "0.5")
    stack = write_yaml(
        "components:\n  beat:\n    kind: heartbeat\n    interval_s: ${AGBOTKIT_TEST_INTERVAL}\n"
    )
    assert plan_file(stack, registry).components[0].config == HeartbeatConfig(interval_s=0.5)


def test_whole_value_reference_takes_the_yaml_type() -> None:
    document = YamlDocument(
        "port: ${PORT:-8080}\nratio: ${RATIO}\nflag: ${FLAG}\nlabel: port-${PORT:-8080}\n",
        environ={"RATIO": "0.5", "FLAG": "true"},
    )
    assert document.data == {"port": 8080, "ratio": 0.5, "flag": True, "label": "port-8080"}


@attrs.frozen
class _Files:
    data: Path
    archive: Path
    home: Path


FILES_YAML = """\
files:
  data: data/ticks.csv
  archive: /var/archive
  home: ~/notes.txt
"""


def test_relative_paths_resolve_against_the_stack_files_folder(
    write_yaml: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a different folder than the file's, to tell them apart
    document = YamlDocument.from_file(write_yaml(FILES_YAML, "conf/stack.yaml"))
    assert structure(document, _Files, ("files",)) == _Files(
        data=(tmp_path / "conf").resolve() / "data/ticks.csv",
        archive=Path("/var/archive"),
        home=Path.home() / "notes.txt",
    )


def test_relative_paths_of_a_string_document_resolve_against_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    files = structure(YamlDocument(FILES_YAML), _Files, ("files",))
    assert files.data == tmp_path / "data/ticks.csv"


def test_empty_path_is_refused(write_yaml: Callable[..., Path]) -> None:
    document = YamlDocument.from_file(
        write_yaml("files:\n  data: ''\n  archive: a\n  home: b\n", "paths.yaml")
    )
    with pytest.raises(ConfigError) as caught:
        structure(document, _Files, ("files",))
    assert str(caught.value) == f"{document.file}:2: files.data: expected a file path, got ''"
