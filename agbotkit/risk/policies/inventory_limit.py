"""``InventoryLimit``: the largest total inventory value, in USD."""

from __future__ import annotations

import attrs

from agbotkit.config.checks import at_least
from agbotkit.model.risk import TOLERANCE, RiskContext
from agbotkit.risk.policy import RiskPolicy, format_usd

__all__ = ["InventoryLimit", "InventoryLimitConfig"]


@attrs.frozen(kw_only=True)
class InventoryLimitConfig:
    """Options of ``InventoryLimit`` (one entry, for the whole book).

    Attributes:
        max_value_usd: the largest value of everything held after the order, in USD. At
            the limit is allowed. A policy file may call it ``max_inventory_usd`` (its
            alias).
    """

    max_value_usd: float = attrs.field(validator=at_least(0))


class InventoryLimit(RiskPolicy[InventoryLimitConfig]):
    """Denies an order that would take the inventory's value above the limit.

    The inventory after the order is ``inventory_value_usd`` plus the exposure the order
    adds, ``(|new position| - |current position|) * price`` at the order's price (or the
    mid when the order has none). With neither known, the order's addition cannot be
    valued and only the current inventory is checked. An order that only reduces a
    position is always allowed: it lowers the inventory.
    """

    Config = InventoryLimitConfig
    aliases = {"max_inventory_usd": "max_value_usd"}

    def __init__(self, config: InventoryLimitConfig, *, name: str | None = None) -> None:
        super().__init__(config, name=name)
        self._limit = config.max_value_usd + TOLERANCE

    def check(self, context: RiskContext) -> str | None:
        inventory = context.inventory_value_usd
        price = context.price if context.price is not None else context.mid
        if price is not None:
            current = context.current_position
            added = (abs(current + context.proposed_size) - abs(current)) * price
            if added <= 0:
                return None  # the order does not add exposure
            inventory += added
        if inventory <= self._limit or context.reduces_position:
            return None
        return (
            f"inventory {format_usd(inventory)} would exceed max_value_usd "
            f"{format_usd(self.config.max_value_usd)}"
        )
