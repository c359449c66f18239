"""Planning and supervising a stack."""

from agbotkit.supervisor.plan import PlannedComponent as PlannedComponent
from agbotkit.supervisor.plan import StackPlan as StackPlan
from agbotkit.supervisor.plan import plan_file as plan_file
from agbotkit.supervisor.plan import plan_stack as plan_stack
from agbotkit.supervisor.runner import Supervisor as Supervisor
