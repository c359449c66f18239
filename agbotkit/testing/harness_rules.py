"""What the :class:`~agbotkit.testing.strategy_harness.StrategyHarness` checks before a
strategy runs and when it sends: its parameters, and the paper venue's order rules."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agbotkit.exec.liquidity import crosses
from agbotkit.exec.rules import FillRules, book_refusal, order_refusal
from agbotkit.model.books import Side
from agbotkit.model.numbers import to_decimal
from agbotkit.model.orders import Order
from agbotkit.strategies.api import BookView, Strategy
from agbotkit.strategies.loading import structure_params

__all__ = ["harness_params", "venue_refusal"]


def harness_params(strategy_cls: type[Strategy[Any]], params: Any) -> Any:
    """The strategy's ``Config``: the defaults for ``None``, a mapping structured and
    validated as a stack entry's ``params`` are, or the instance given.

    Raises:
        ValueError: the mapping has problems (all of them listed).
    """
    if params is None:
        return strategy_cls.Config()
    if not isinstance(params, Mapping):
        return params
    config, problems = structure_params(strategy_cls, params, base_dir=Path.cwd())
    if problems:
        text = "; ".join(f"{'.'.join(map(str, p.field)) or '$'}: {p.message}" for p in problems)
        raise ValueError(f"invalid params for {strategy_cls.__name__}: {text}")
    return config


def venue_refusal(order: Order, view: BookView | None, rules: FillRules, now_ms: int) -> str | None:
    """Why the paper venue would refuse ``order`` against the book ``view`` (tick grid,
    minimum size, a crossing post-only order, the minimum notional), or ``None``."""
    tick = to_decimal(view.tick_size) if view is not None else rules.default_tick_size
    refusal = order_refusal(order, tick, rules.min_size, now_ms)
    if refusal is not None or view is None:
        return refusal
    best = view.best_ask if order.side is Side.BUY else view.best_bid
    best_price = None if best is None else to_decimal(best)
    crossing = best_price is not None and crosses(order.side, order.price, best_price)
    return book_refusal(order, crossing, best_price, rules.min_notional_usd)
