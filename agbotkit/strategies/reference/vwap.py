"""``vwap``: a parent order sliced in proportion to a volume profile: given, or learned
from the token's trades in the period of the same length just before the start (slice
``k``'s weight is the volume traded in the ``k``-th part of that period; uniform when no
trade was seen). Run the strategy from at least ``duration_s`` before ``start_ms`` to
learn a profile."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from agbotkit.config.checks import (
    FieldValueError,
    at_least,
    between,
    greater_than,
    non_empty,
    one_of,
    report,
)
from agbotkit.model.markets import Trade
from agbotkit.strategies.api import StrategyMetadata
from agbotkit.strategies.reference.slicing import SlicedExecution

__all__ = ["Vwap", "VwapConfig"]


def _profile(instance: Any, attribute: Any, value: tuple[float, ...]) -> None:
    if value and (len(value) != instance.slices or min(value) < 0 or sum(value) <= 0):
        message = f"expected {instance.slices} weights >= 0 with a positive sum, got {value!r}"
        report(instance, FieldValueError(attribute.name, message))


@attrs.frozen(kw_only=True)
class VwapConfig:
    """Parameters of ``vwap`` (docs/strategies/vwap.md): the parent order (as ``twap``'s)
    and the volume profile.

    Attributes:
        token_id: the token to trade.
        side: ``BUY`` or ``SELL``.
        total_size: the parent's size, in shares.
        limit_price: the worst price a child may trade at.
        duration_s: from start to the last slice, in seconds.
        slices: how many child orders.
        start_ms: when to start, Unix ms (0: when the strategy starts; no profile can
            then be learned).
        min_size: the fewest shares a child order carries.
        profile: one weight per slice; empty: learned from the trades before the start.
    """

    token_id: str = attrs.field(validator=non_empty())
    side: str = attrs.field(validator=one_of("BUY", "SELL"))
    total_size: float = attrs.field(validator=greater_than(0))
    limit_price: float = attrs.field(validator=between(0, 1))
    duration_s: float = attrs.field(default=600.0, validator=greater_than(0))
    slices: int = attrs.field(default=10, validator=at_least(1))
    start_ms: int = attrs.field(default=0, validator=at_least(0))
    min_size: float = attrs.field(default=0.0, validator=at_least(0))
    profile: tuple[float, ...] = attrs.field(default=(), validator=_profile)


class Vwap(SlicedExecution):
    """Volume-weighted execution: slices in proportion to a volume profile."""

    Config = VwapConfig

    def __init__(self, config: VwapConfig, context: Any) -> None:
        super().__init__(config, context)
        self.learned = [0.0] * config.slices
        self._frozen: list[float] | None = None

    @classmethod
    def metadata(cls) -> StrategyMetadata:
        """``vwap``."""
        return StrategyMetadata(
            name="vwap",
            version="1",
            description="Executes a parent order in slices weighted by a volume profile.",
            markets_per_instance=1,
        )

    def on_trade(self, trade: Trade) -> None:
        """Before the start: count the trade's volume in its part of the learning period."""
        config = self.config
        if config.profile or trade.asset_id != config.token_id or not config.start_ms:
            return
        length_ms = config.duration_s * 1000
        offset = trade.timestamp_ms - (config.start_ms - length_ms)
        if 0 <= offset < length_ms:
            self.learned[int(offset * config.slices // length_ms)] += float(trade.size)

    def weights(self) -> Sequence[float]:
        """The given profile, else the learned one (fixed at the first slice), else
        uniform."""
        profile: tuple[float, ...] = self.config.profile
        if profile:
            return profile
        if self._frozen is None:
            learned = list(self.learned)
            self._frozen = learned if sum(learned) > 0 else [1.0] * self.config.slices
        return self._frozen
