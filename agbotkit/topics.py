"""The bus topics components share. Components talk only through these."""

from __future__ import annotations

from agbotkit.bus import Topic
from agbotkit.model.components import ComponentStateChanged
from agbotkit.model.metrics import Metric

__all__ = ["COMPONENT_STATES", "METRICS"]

METRICS: Topic[Metric] = Topic("metrics", "every metric sample of this process")
COMPONENT_STATES: Topic[ComponentStateChanged] = Topic(
    "component_states", "component lifecycle changes, from the supervisor"
)
