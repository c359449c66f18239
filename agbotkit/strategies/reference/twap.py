"""``twap``: a parent order in equal slices over time (see
:mod:`agbotkit.strategies.reference.slicing`)."""

from __future__ import annotations

from agbotkit.strategies.api import StrategyMetadata
from agbotkit.strategies.reference.slicing import SlicedExecution, SlicingConfig

__all__ = ["Twap", "TwapConfig"]


#: Parameters of ``twap`` (docs/strategies/twap.md): the parent order.
TwapConfig = SlicingConfig


class Twap(SlicedExecution):
    """Time-weighted execution: equal child orders at equal intervals."""

    Config = TwapConfig

    @classmethod
    def metadata(cls) -> StrategyMetadata:
        """``twap``."""
        return StrategyMetadata(
            name="twap",
            version="1",
            description="Executes a parent order in equal slices over time.",
            markets_per_instance=1,
        )
