"""The engine: every violation listed, scopes resolved, plugins, atomic replacement."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
import pytest

from agbotkit.config.checks import at_least
from agbotkit.errors import ConfigError
from agbotkit.model.orders import OrderIntent, Side
from agbotkit.model.risk import ALLOWED, PolicyViolation, RiskContext, RiskDecision
from agbotkit.plugins import PluginInfo, PluginRegistry
from agbotkit.risk import engine as engine_module
from agbotkit.risk.engine import RiskEngine
from agbotkit.risk.loading import engine_from_file, parse_policies_yaml, reload_policy_file
from agbotkit.risk.policies.inventory_limit import InventoryLimit, InventoryLimitConfig
from agbotkit.risk.policies.kill_switch import KillSwitch, KillSwitchConfig
from agbotkit.risk.policies.position_limit import PositionLimit, PositionLimitConfig
from agbotkit.risk.policy import RiskPolicy

SEED = """\
policies:
  - type: PositionLimit
    max_size: 100
  - type: InventoryLimit
    max_value_usd: 1000
  - type: KillSwitch
    enabled: false
"""


def ctx(**fields: Any) -> RiskContext:
    values: dict[str, Any] = {
        "market_id": "m1",
        "current_position": 0.0,
        "proposed_size": 0.0,
        "inventory_value_usd": 0.0,
    }
    values.update(fields)
    return RiskContext(**values)


def test_seed_api_allows_with_the_shared_decision() -> None:
    engine = RiskEngine(parse_policies_yaml(SEED))
    decision = engine.evaluate(
        RiskContext(market_id="m1", current_position=10, proposed_size=5, inventory_value_usd=100)
    )
    assert decision is ALLOWED
    assert decision.allowed
    assert decision.violated_policies == ()


def test_every_violation_is_listed_in_policy_order() -> None:
    engine = RiskEngine(parse_policies_yaml(SEED))
    engine.trigger_kill_switch("manual: test")
    decision = engine.evaluate(ctx(proposed_size=150, inventory_value_usd=2000))
    assert not decision.allowed
    assert decision.denied
    assert decision.violated_policies == (
        PolicyViolation("PositionLimit", "position 150 would exceed max_size 100"),
        PolicyViolation(
            "InventoryLimit", "inventory $2,000.00 would exceed max_value_usd $1,000.00"
        ),
        PolicyViolation("KillSwitch", "kill switch triggered: manual: test"),
    )
    assert decision.reasons[0] == "PositionLimit: position 150 would exceed max_size 100"


def test_denial_is_a_value_even_for_nonsense_orders() -> None:
    engine = engine_from_file("policies/desk.yaml")
    decision = engine.evaluate(ctx(proposed_size=-1e12, price=7.0))
    assert {v.policy for v in decision.violated_policies} == {
        "PositionLimit",
        "InventoryLimit",
        "MaxOrderSize",
        "PriceBand",
        "NoTradeBeforeResolution",
    }


def test_the_engine_always_has_a_kill_switch() -> None:
    engine = RiskEngine([PositionLimit(PositionLimitConfig(max_size=5))])
    assert [p.name for p in engine.policies] == ["KillSwitch", "PositionLimit"]
    assert engine.evaluate(ctx(proposed_size=1)).allowed
    engine.trigger_kill_switch("manual")
    assert engine.evaluate(ctx(proposed_size=1)).violated_policies == (
        PolicyViolation("KillSwitch", "kill switch triggered: manual"),
    )


def test_empty_policy_list_is_valid() -> None:
    engine = RiskEngine(parse_policies_yaml("policies: []\n"))
    assert engine.evaluate(ctx(proposed_size=1e9)).allowed


def test_duplicates_in_code_are_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        RiskEngine([InventoryLimit(InventoryLimitConfig(max_value_usd=1))] * 2)
    assert str(caught.value) == (
        "<policies>: policies[1]: duplicate InventoryLimit for every market (global) "
        "(first at policies[0])"
    )
    with pytest.raises(ConfigError, match=r"expected a RiskPolicy, got 'nope'"):
        RiskEngine(["nope"])  # type: ignore[list-item]  # the mistake under test


def test_replace_policies_is_atomic_and_keeps_the_kill_switch() -> None:
    engine = RiskEngine(parse_policies_yaml(SEED))
    engine.trigger_kill_switch("manual: before reload")
    before = engine.policies
    with pytest.raises(ConfigError):
        engine.replace_policies([PositionLimit(PositionLimitConfig(max_size=1))] * 2)
    assert engine.policies is before  # the old policies stay in force
    engine.replace_policies([PositionLimit(PositionLimitConfig(max_size=1))])
    assert engine.kill_state.reason == "manual: before reload"
    engine.reset_kill_switch()
    assert not engine.evaluate(ctx(proposed_size=2)).allowed
    assert engine.evaluate(ctx(proposed_size=1)).allowed


def test_reloading_a_file_with_errors_keeps_old_policies(tmp_path: Any) -> None:
    good = tmp_path / "p.yaml"
    good.write_text(SEED)
    engine = engine_from_file(good)
    good.write_text(SEED.replace("max_size: 100", "max_size: -1"))
    with pytest.raises(ConfigError, match=r"p.yaml:3: policies\[0\].max_size"):
        reload_policy_file(engine, good)
    assert engine.evaluate(ctx(proposed_size=100)).allowed
    good.write_text(SEED.replace("max_size: 100", "max_size: 10"))
    reload_policy_file(engine, good)
    assert not engine.evaluate(ctx(proposed_size=100)).allowed


def test_resolution_cache_follows_replacement() -> None:
    engine = RiskEngine([PositionLimit(PositionLimitConfig(max_size=10, market_id="m1"))])
    assert not engine.evaluate(ctx(proposed_size=11)).allowed  # fills the cache for m1
    engine.replace_policies([PositionLimit(PositionLimitConfig(max_size=20, market_id="m1"))])
    assert engine.evaluate(ctx(proposed_size=11)).allowed


@attrs.frozen(kw_only=True)
class MaxSpreadConfig:
    max_spread: float = attrs.field(validator=at_least(0))
    market_id: str | None = None


class MaxSpread(RiskPolicy[MaxSpreadConfig]):
    """A third-party policy: the order's price may be at most max_spread from the mid."""

    Config = MaxSpreadConfig

    def check(self, context: RiskContext) -> str | None:
        if context.price is None or context.mid is None:
            return "needs price and mid"
        if abs(context.price - context.mid) > self.config.max_spread:
            return "too far"
        return None


class Broken(RiskPolicy[MaxSpreadConfig]):
    Config = MaxSpreadConfig

    def check(self, context: RiskContext) -> str | None:
        raise ZeroDivisionError("oops")


def test_third_party_policy_by_entry_point_name() -> None:
    registry = PluginRegistry()
    registry.register("agbotkit.risk_policies", "MaxSpread", MaxSpread)
    text = "policies:\n  - type: MaxSpread\n    max_spread: 0.1\n    market_id: m1\n"
    engine = RiskEngine(parse_policies_yaml(text, registry=registry))
    assert engine.evaluate(ctx(price=0.5, mid=0.45)).allowed
    assert engine.evaluate(ctx(price=0.5, mid=0.3)).violated_policies == (
        PolicyViolation("MaxSpread", "too far"),
    )
    assert engine.evaluate(ctx(market_id="m2", price=0.5, mid=0.3)).allowed  # scoped to m1
    with pytest.raises(ConfigError) as caught:
        RiskEngine(parse_policies_yaml(text + "  - type: Nope\n", registry=registry, file="p.yaml"))
    # Whatever else is installed (the example plugin adds TradingHours) is listed too.
    installed = ", ".join(registry.names("agbotkit.risk_policies"))
    assert "MaxSpread" in installed
    assert "PriceBand" in installed
    assert str(caught.value) == (
        f"p.yaml:5: policies[1].type: unknown policy type 'Nope' (installed policies: {installed})"
    )


def test_an_entry_point_that_is_not_a_policy_is_refused() -> None:
    registry = PluginRegistry()
    registry.register("agbotkit.risk_policies", "NotAPolicy", dict)
    with pytest.raises(ConfigError, match=r"<string>:2: policies\[0\].type: 'NotAPolicy' is not"):
        RiskEngine(parse_policies_yaml("policies:\n  - type: NotAPolicy\n", registry=registry))


def test_a_policy_that_raises_denies(caplog: pytest.LogCaptureFixture) -> None:
    engine = RiskEngine([Broken(MaxSpreadConfig(max_spread=1))])
    decision = engine.evaluate(ctx(proposed_size=1))
    assert decision.violated_policies == (
        PolicyViolation("Broken", "policy check failed: ZeroDivisionError: oops"),
    )
    assert "risk policy Broken failed" in caplog.text


def test_builtins_load_through_their_entry_points() -> None:
    registry = PluginRegistry()
    for name in (
        "PositionLimit",
        "InventoryLimit",
        "KillSwitch",
        "MaxOrderSize",
        "PriceBand",
        "NoTradeBeforeResolution",
    ):
        cls = registry.load("agbotkit.risk_policies", name)
        assert issubclass(cls, RiskPolicy)
        assert cls.__name__ == name
        assert attrs.has(cls.Config)
        assert cls.__doc__
        assert cls.Config.__doc__


def test_context_from_intent_converts_once() -> None:
    intent = OrderIntent(market_id="m1", token_id="t1", side=Side.SELL, price="0.42", size=10)
    assert intent.signed_size == Decimal(-10)
    assert intent.notional_usd == Decimal("4.20")
    context = RiskContext.from_intent(
        intent, current_position=30, inventory_value_usd=12.5, now_ms=5
    )
    assert context == RiskContext(
        market_id="m1",
        token_id="t1",
        current_position=30,
        proposed_size=-10.0,
        inventory_value_usd=12.5,
        price=0.42,
        now_ms=5,
    )
    assert context.reduces_position
    assert context.new_position == 20


@pytest.mark.parametrize(
    ("current", "proposed", "reduces"),
    [
        (10, -10, True),
        (10, -11, False),
        (10, 1, False),
        (-10, 10, True),
        (-10, 11, False),
        (0, 1, False),
        (0, -1, False),
        (10, 0, False),
    ],
)
def test_reduces_position(current: float, proposed: float, reduces: bool) -> None:
    assert ctx(current_position=current, proposed_size=proposed).reduces_position is reduces


def test_order_values_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="price must lie in"):
        OrderIntent(market_id="m", token_id="t", side=Side.BUY, price="1.5", size=1)
    with pytest.raises(ValueError, match="size must be > 0"):
        OrderIntent(market_id="m", token_id="t", side=Side.BUY, price="0.5", size=0)
    with pytest.raises(ValueError, match="expected a finite number"):
        OrderIntent(market_id="m", token_id="t", side=Side.BUY, price="NaN", size=1)
    with pytest.raises(ValueError, match="a denial needs"):
        RiskDecision.deny()
    assert RiskDecision.deny(PolicyViolation("X", "y")).denied


def test_kill_switch_config_default_in_code() -> None:
    engine = RiskEngine([KillSwitch(KillSwitchConfig(enabled=True))])
    assert engine.kill_switch_active
    assert engine.evaluate(ctx(proposed_size=1)).reasons == (
        "KillSwitch: kill switch triggered: enabled in the policy file",
    )


def test_an_installed_policy_that_fails_to_import_is_reported() -> None:
    registry = PluginRegistry()
    # An entry point whose module does not exist, as a broken distribution would offer.
    registry.discover()["agbotkit.risk_policies"]["Ghost"] = PluginInfo(
        "agbotkit.risk_policies", "Ghost", "agbotkit_no_such_module:Ghost", "ghost-dist", "1.0"
    )
    with pytest.raises(ConfigError) as caught:
        RiskEngine(
            parse_policies_yaml("policies:\n  - type: Ghost\n", registry=registry, file="p.yaml")
        )
    message = str(caught.value)
    assert message.startswith("p.yaml:2: policies[0].type: agbotkit.risk_policies 'Ghost': ")
    assert "failed to import agbotkit_no_such_module:Ghost from ghost-dist 1.0" in message


def test_type_must_be_a_name() -> None:
    with pytest.raises(
        ConfigError, match=r"<string>:2: policies\[0\].type: expected a policy name"
    ):
        RiskEngine(parse_policies_yaml("policies:\n  - type: 5\n"))


def test_resolution_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "_CACHE_LIMIT", 2)
    engine = RiskEngine([PositionLimit(PositionLimitConfig(max_size=10, market_id="m1"))])
    for market in ("m1", "m2", "m3", "m1"):
        assert engine.evaluate(ctx(market_id=market, proposed_size=5)).allowed
    assert not engine.evaluate(ctx(market_id="m1", proposed_size=11)).allowed


def test_policy_repr_and_scope() -> None:
    policy = PositionLimit(PositionLimitConfig(max_size=1, token_id="t7"))
    assert repr(policy) == (
        "PositionLimit(PositionLimitConfig(market_id=None, token_id='t7', max_size=1))"
    )
    assert policy.scope == (None, "t7")
    assert policy.scope_text == "token t7"
