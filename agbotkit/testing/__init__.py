"""Public helpers for testing stacks and plugins (for agbotkit's tests and plugin authors).

Example::

    plan = plan_from_yaml(STACK_YAML, components={"my_kind": MyComponent})
    supervisor = Supervisor(plan)
"""

from agbotkit.testing.stacks import plan_from_yaml as plan_from_yaml
