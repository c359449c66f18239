"""Plugin discovery through entry points: built-ins, third parties, duplicates, broken ones."""

from __future__ import annotations

import importlib
import importlib.metadata as metadata
import inspect
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import pytest
import trio

from agbotkit.abc import Component, ComponentContext, VenueAdapter, VenueContext
from agbotkit.builtins.heartbeat import Heartbeat
from agbotkit.builtins.metrics_log import MetricsLog
from agbotkit.config.stack import load_stack
from agbotkit.errors import ConfigError, PluginError
from agbotkit.model.execution import OrderStatus
from agbotkit.model.venues import VenueCapabilities
from agbotkit.plugins import GROUPS, PluginInfo, PluginRegistry
from agbotkit.risk.policy import RiskPolicy
from agbotkit.strategies.api import Strategy
from agbotkit.supervisor.plan import plan_file, plan_stack

COMPONENTS = "agbotkit.components"
README = Path(__file__).parent.parent / "README.md"
DOCS = Path(__file__).parent.parent / "docs"
AGBOTKIT_VERSION = metadata.version("agbotkit")

#: The ``run_cli`` fixture (conftest.py): argv -> (exit code, stdout, stderr).
RunCli = Callable[..., tuple[int, str, str]]
#: ``fake_dist(name, entry_points, modules={"mod": "source"})`` installs a distribution.
FakeDist = Callable[..., Path]


@pytest.fixture
def fake_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDist]:
    """Make fake installed distributions (a ``*.dist-info`` folder) visible on ``sys.path``."""
    monkeypatch.syspath_prepend(str(tmp_path))
    modules: list[str] = []

    def install(name: str, entry_points: str, files: dict[str, str] | None = None) -> Path:
        info = tmp_path / f"{name.replace('-', '_')}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(textwrap.dedent(entry_points))
        for module, source in (files or {}).items():
            (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
            modules.append(module)
        importlib.invalidate_caches()
        return info

    yield install
    for module in modules:
        sys.modules.pop(module, None)


# Groups and contracts ------------------------------------------------------------------------


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_every_group_is_documented(group: str) -> None:
    assert GROUPS[group].strip()
    assert f"`{group}`" in README.read_text(encoding="utf-8")


def test_groups_agbotkit_offers_plugins_in_are_known() -> None:
    groups = {ep.group for ep in metadata.distribution("agbotkit").entry_points}
    assert {group for group in groups if group.startswith("agbotkit.")} <= set(GROUPS)
    assert COMPONENTS in groups


@pytest.mark.parametrize(
    "member",
    [
        Component,
        Component.run,
        ComponentContext,
        ComponentContext.metric,
        ComponentContext.draining,
        ComponentContext.cancel_drains,
        PluginRegistry.discover,
        PluginRegistry.register,
        PluginRegistry.load,
        PluginRegistry.names,
        PluginRegistry.infos,
        VenueContext,
        VenueContext.report,
        VenueAdapter,
        *(
            member
            for name, member in inspect.getmembers(VenueAdapter)
            if not name.startswith("_") and callable(member) and not inspect.isclass(member)
        ),
    ],
    ids=lambda member: member.__qualname__,
)
def test_contract_is_documented(member: object) -> None:
    assert inspect.getdoc(member)


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_every_group_is_in_the_plugin_docs(group: str) -> None:
    assert f"| `{group}` |" in (DOCS / "plugins.md").read_text(encoding="utf-8")


VENUE_METHODS = sorted(
    name
    for name, member in inspect.getmembers(VenueAdapter)
    if not name.startswith("_") and callable(member) and not inspect.isclass(member)
)


def test_the_venue_contract_has_the_methods_the_docs_walk_through() -> None:
    # So that the parametrized check below cannot pass by checking nothing.
    assert {"submit", "submit_batch", "cancel_all", "open_orders", "run"} <= set(VENUE_METHODS)


@pytest.mark.parametrize("method", VENUE_METHODS)
def test_every_venue_method_is_documented_in_venues_md(method: str) -> None:
    text = (DOCS / "venues.md").read_text(encoding="utf-8")
    assert f"### `{method}(" in text or f"`{method}(" in text, method


@pytest.mark.parametrize(
    "name",
    [field.name for field in attrs.fields(VenueCapabilities)]
    + [status.value for status in OrderStatus],
)
def test_every_capability_and_status_is_documented_in_venues_md(name: str) -> None:
    assert f"| `{name}` |" in (DOCS / "venues.md").read_text(encoding="utf-8")


# The built-ins and the example go through the entry points -----------------------------------


@pytest.mark.parametrize(
    ("name", "value", "distribution", "cls"),
    [
        ("heartbeat", "agbotkit.builtins.heartbeat:Heartbeat", "agbotkit", Heartbeat),
        ("metrics_log", "agbotkit.builtins.metrics_log:MetricsLog", "agbotkit", MetricsLog),
    ],
)
def test_builtins_are_discovered_through_entry_points(
    name: str, value: str, distribution: str, cls: type
) -> None:
    registry = PluginRegistry()
    assert registry.discover()[COMPONENTS][name] == PluginInfo(
        COMPONENTS, name, value, distribution, AGBOTKIT_VERSION
    )
    assert registry.load(COMPONENTS, name) is cls
    [entry] = metadata.entry_points(group=COMPONENTS, name=name)
    assert (entry.value, entry.dist.name if entry.dist else None) == (value, distribution)


def test_example_plugin_is_discovered_from_its_own_distribution() -> None:
    registry = PluginRegistry()
    info = registry.discover()[COMPONENTS]["random_walk"]
    assert info == PluginInfo(
        COMPONENTS,
        "random_walk",
        "agbotkit_example.random_walk:RandomWalk",
        "agbotkit-example",
        metadata.version("agbotkit-example"),
    )
    cls = registry.load(COMPONENTS, "random_walk")
    assert issubclass(cls, Component)
    assert cls.__module__ == "agbotkit_example.random_walk"


#: The class each group's plugins must subclass (groups without a contract yet are absent).
CONTRACTS: dict[str, type] = {
    COMPONENTS: Component,
    "agbotkit.risk_policies": RiskPolicy,
    "agbotkit.venues": VenueAdapter,
    "agbotkit.strategies": Strategy,
}

INSTALLED = [(info.group, info.name) for info in PluginRegistry().infos()]


@pytest.mark.parametrize(("group", "name"), INSTALLED, ids=[f"{g}:{n}" for g, n in INSTALLED])
def test_every_installed_plugin_loads_and_documents_its_options(group: str, name: str) -> None:
    cls = PluginRegistry().load(group, name)
    assert isinstance(cls, type)
    assert issubclass(cls, CONTRACTS.get(group, object))
    assert inspect.getdoc(cls)
    config = getattr(cls, "Config", None)
    if config is not None:
        assert attrs.has(config)
        # An option inherited from a base options class is documented on that base.
        doc = "\n".join(inspect.getdoc(base) or "" for base in config.__mro__)
        for field in attrs.fields(config):
            assert f"{field.name}:" in doc, f"{name}: option {field.name!r} is not documented"


def test_importing_agbotkit_imports_no_plugin() -> None:
    code = (
        "import sys, agbotkit.cli; "
        "print(sorted(m for m in sys.modules if m.startswith(('agbotkit.builtins', "
        "'agbotkit_example'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=20, check=True
    )
    assert result.stdout == "[]\n"


def test_discovery_happens_once_and_loading_is_cached() -> None:
    registry = PluginRegistry()
    assert registry.discover() is registry.discover()
    assert registry.load(COMPONENTS, "heartbeat") is registry.load(COMPONENTS, "heartbeat")


def test_infos_are_sorted_by_group_then_name() -> None:
    infos = list(PluginRegistry().infos())
    assert infos == sorted(infos, key=lambda info: (info.group, info.name))
    assert {(i.group, i.name) for i in infos} >= {
        (COMPONENTS, "heartbeat"),
        (COMPONENTS, "random_walk"),
    }


# Duplicates and broken plugins ---------------------------------------------------------------


def test_same_name_from_two_distributions_is_refused(fake_dist: FakeDist) -> None:
    fake_dist("fake-dist", "[agbotkit.components]\nheartbeat = fake_mod:Thing\n")
    with pytest.raises(PluginError) as caught:
        PluginRegistry().discover()
    assert (caught.value.group, caught.value.name) == (COMPONENTS, "heartbeat")
    assert str(caught.value) == (
        "agbotkit.components 'heartbeat': offered by two distributions: "
        f"fake-dist 1.0 (fake_mod:Thing) and agbotkit {AGBOTKIT_VERSION} "
        "(agbotkit.builtins.heartbeat:Heartbeat)"
    )


def test_same_name_in_another_group_is_not_a_duplicate(fake_dist: FakeDist) -> None:
    fake_dist("fake-dist", "[agbotkit.strategies]\nheartbeat = fake_mod:Thing\n")
    found = PluginRegistry().discover()
    assert found["agbotkit.strategies"]["heartbeat"].distribution == "fake-dist"
    assert found[COMPONENTS]["heartbeat"].distribution == "agbotkit"


def test_one_distribution_seen_twice_is_not_a_duplicate(fake_dist: FakeDist) -> None:
    # An editable install can leave agbotkit's metadata on sys.path twice.
    fake_dist(
        "agbotkit", "[agbotkit.components]\nheartbeat = agbotkit.builtins.heartbeat:Heartbeat\n"
    )
    registry = PluginRegistry()
    assert registry.discover()[COMPONENTS]["heartbeat"].distribution == "agbotkit"
    assert registry.load(COMPONENTS, "heartbeat") is Heartbeat


def test_other_groups_are_ignored(fake_dist: FakeDist) -> None:
    fake_dist("fake-dist", "[console_scripts]\nheartbeat = fake_mod:main\n")
    assert "fake-dist" not in {info.distribution for info in PluginRegistry().infos()}


@pytest.mark.parametrize(
    ("value", "files", "error"),
    [
        pytest.param(
            "broken_mod:Thing",
            {"broken_mod": "raise ImportError('missing_dependency is not installed')\n"},
            "ImportError: missing_dependency is not installed",
            id="module-raises-import-error",
        ),
        pytest.param(
            "broken_mod:Thing",
            {"broken_mod": "raise RuntimeError('no API key at import time')\n"},
            "RuntimeError: no API key at import time",
            id="module-raises-other-error",
        ),
        pytest.param(
            "not_there_mod:Thing",
            {},
            "ModuleNotFoundError: No module named 'not_there_mod'",
            id="module-missing",
        ),
        pytest.param(
            "attr_mod:Missing",
            {"attr_mod": "class Thing: pass\n"},
            "AttributeError: module 'attr_mod' has no attribute 'Missing'",
            id="attribute-missing",
        ),
    ],
)
def test_broken_plugin_names_distribution_module_and_error(
    fake_dist: FakeDist, value: str, files: dict[str, str], error: str
) -> None:
    fake_dist("broken-dist", f"[agbotkit.components]\nbroken = {value}\n", files)
    registry = PluginRegistry()
    assert registry.names(COMPONENTS).count("broken") == 1  # discovery does not import
    with pytest.raises(PluginError) as caught:
        registry.load(COMPONENTS, "broken")
    assert str(caught.value) == (
        f"agbotkit.components 'broken': failed to import {value} from broken-dist 1.0: {error}"
    )
    assert (caught.value.group, caught.value.name) == (COMPONENTS, "broken")
    assert isinstance(caught.value.__cause__, Exception)


def test_broken_plugin_in_a_stack_is_a_config_error(
    fake_dist: FakeDist, write_yaml: Callable[..., Path]
) -> None:
    fake_dist(
        "broken-dist",
        "[agbotkit.components]\nbroken = broken_mod:Thing\n",
        {"broken_mod": "raise ImportError('missing_dependency is not installed')\n"},
    )
    stack = write_yaml("components:\n  beat:\n    kind: heartbeat\n  bad:\n    kind: broken\n")
    with pytest.raises(ConfigError) as caught:
        plan_file(stack)
    assert str(caught.value) == (
        f"{stack}:5: components.bad.kind: agbotkit.components 'broken': failed to import "
        "broken_mod:Thing from broken-dist 1.0: ImportError: missing_dependency is not installed"
    )


def test_third_party_component_runs_through_its_entry_point(
    fake_dist: FakeDist, write_yaml: Callable[..., Path]
) -> None:
    fake_dist(
        "fake-dist",
        "[agbotkit.components]\nfake_beat = fake_component:FakeBeat\n",
        {
            "fake_component": """\
            import attrs
            from agbotkit.abc import Component

            @attrs.frozen
            class FakeBeatConfig:
                rate: int = 1

            class FakeBeat(Component[FakeBeatConfig]):
                Config = FakeBeatConfig

                async def run(self, *, task_status):
                    task_status.started()
            """
        },
    )
    plan = plan_file(write_yaml("components:\n  f:\n    kind: fake_beat\n    rate: 3\n"))
    [planned] = plan.components
    assert planned.component_class.__module__ == "fake_component"
    assert attrs.asdict(planned.config) == {"rate": 3}


# register() ----------------------------------------------------------------------------------


class Custom(Component[object]):
    """A component offered without a distribution."""

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()


CUSTOM_VALUE = f"{Custom.__module__}:{Custom.__qualname__}"


def test_register_offers_a_plugin(write_yaml: Callable[..., Path]) -> None:
    registry = PluginRegistry()
    registry.register(COMPONENTS, "custom", Custom)
    assert registry.load(COMPONENTS, "custom") is Custom
    assert registry.discover()[COMPONENTS]["custom"] == PluginInfo(
        COMPONENTS, "custom", CUSTOM_VALUE, "<registered>", ""
    )
    assert "custom" in registry.names(COMPONENTS)
    assert "custom" not in PluginRegistry().names(COMPONENTS)  # per registry, not global
    stack = write_yaml("components:\n  mine:\n    kind: custom\n")
    [planned] = plan_stack(load_stack(stack), registry).components
    assert planned.component_class is Custom


def test_register_under_a_distribution_name() -> None:
    registry = PluginRegistry()
    registry.register(COMPONENTS, "custom", Custom, distribution="my-bot")
    assert registry.discover()[COMPONENTS]["custom"].distribution == "my-bot"


def test_register_refuses_an_installed_name() -> None:
    registry = PluginRegistry()
    with pytest.raises(PluginError) as caught:
        registry.register(COMPONENTS, "heartbeat", Custom)
    assert str(caught.value) == (
        f"agbotkit.components 'heartbeat': already offered by agbotkit {AGBOTKIT_VERSION} "
        "(agbotkit.builtins.heartbeat:Heartbeat)"
    )
    assert registry.load(COMPONENTS, "heartbeat") is Heartbeat


def test_register_refuses_a_registered_name() -> None:
    registry = PluginRegistry()
    registry.register(COMPONENTS, "custom", Custom)
    with pytest.raises(PluginError, match=r"^agbotkit\.components 'custom': already offered by "):
        registry.register(COMPONENTS, "custom", Heartbeat)
    assert registry.load(COMPONENTS, "custom") is Custom


def test_register_duplicate_message_of_a_registered_plugin() -> None:
    registry = PluginRegistry()
    registry.register(COMPONENTS, "custom", Custom)
    with pytest.raises(PluginError) as caught:
        registry.register(COMPONENTS, "custom", Heartbeat)
    assert str(caught.value) == (
        f"agbotkit.components 'custom': already offered by <registered> ({CUSTOM_VALUE})"
    )


def test_register_refuses_an_unknown_group() -> None:
    with pytest.raises(PluginError) as caught:
        PluginRegistry().register("agbotkit.widgets", "custom", Custom)
    assert str(caught.value) == (
        f"agbotkit.widgets 'custom': unknown group (known: {', '.join(GROUPS)})"
    )


def test_non_component_plugin_is_refused_by_the_plan(write_yaml: Callable[..., Path]) -> None:
    registry = PluginRegistry()
    registry.register(COMPONENTS, "plain", dict)
    stack = write_yaml("components:\n  p:\n    kind: plain\n")
    with pytest.raises(ConfigError) as caught:
        plan_stack(load_stack(stack), registry)
    assert str(caught.value) == (
        f"{stack}:3: components.p.kind: plugin 'plain' is not a subclass of agbotkit.abc.Component"
    )


@pytest.mark.parametrize("group", [COMPONENTS, "agbotkit.venues"])
def test_unknown_name_lists_the_known_ones(group: str) -> None:
    registry = PluginRegistry()
    known = ", ".join(registry.names(group)) or "none installed"
    with pytest.raises(PluginError) as caught:
        registry.load(group, "nope")
    assert str(caught.value) == f"{group} 'nope': no such plugin (known: {known})"
    if group == COMPONENTS:
        assert {"heartbeat", "metrics_log"} <= set(known.split(", "))


# The `agbotkit plugins` command --------------------------------------------------------------


def test_plugins_command_lists_group_name_distribution_version(run_cli: RunCli) -> None:
    code, out, err = run_cli("plugins")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["GROUP", "NAME", "DISTRIBUTION", "VERSION"]
    rows = [line.split() for line in lines[1:]]
    assert [COMPONENTS, "heartbeat", "agbotkit", AGBOTKIT_VERSION] in rows
    assert [COMPONENTS, "metrics_log", "agbotkit", AGBOTKIT_VERSION] in rows
    example = metadata.version("agbotkit-example")
    assert [COMPONENTS, "random_walk", "agbotkit-example", example] in rows
    assert len(rows) == len(list(PluginRegistry().infos()))
    # Columns line up: every row's name starts where the header's NAME does.
    column = lines[0].index("NAME")
    assert all(line[column - 2 : column] == "  " and line[column] != " " for line in lines)


def test_plugins_command_reports_duplicates(run_cli: RunCli, fake_dist: FakeDist) -> None:
    fake_dist("fake-dist", "[agbotkit.components]\nheartbeat = fake_mod:Thing\n")
    code, out, err = run_cli("plugins")
    assert (code, out) == (1, "")
    assert err == (
        "agbotkit: agbotkit.components 'heartbeat': offered by two distributions: "
        f"fake-dist 1.0 (fake_mod:Thing) and agbotkit {AGBOTKIT_VERSION} "
        "(agbotkit.builtins.heartbeat:Heartbeat)\n"
    )
