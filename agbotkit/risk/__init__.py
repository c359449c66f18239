"""Pre-trade risk: the policy engine, its policies, a position simulator, the kill state.

``from agbotkit.risk import RiskEngine, RiskContext, RiskDecision`` is the whole everyday API;
policies come from policy files through the ``agbotkit.risk_policies`` entry points
(``engine_from_file(path)``, or ``RiskEngine(parse_policies_yaml(text))``).
"""

from agbotkit.model.risk import KillState as KillState
from agbotkit.model.risk import PolicyViolation as PolicyViolation
from agbotkit.model.risk import RiskContext as RiskContext
from agbotkit.model.risk import RiskDecision as RiskDecision
from agbotkit.risk.engine import RiskEngine as RiskEngine
from agbotkit.risk.killstate import load_kill_state as load_kill_state
from agbotkit.risk.killstate import save_kill_state as save_kill_state
from agbotkit.risk.loading import engine_from_file as engine_from_file
from agbotkit.risk.loading import load_policy_file as load_policy_file
from agbotkit.risk.loading import parse_policies_yaml as parse_policies_yaml
from agbotkit.risk.loading import reload_policy_file as reload_policy_file
from agbotkit.risk.policy import RiskPolicy as RiskPolicy
from agbotkit.risk.simulator import InsufficientPositionError as InsufficientPositionError
from agbotkit.risk.simulator import PolymarketSimulator as PolymarketSimulator
