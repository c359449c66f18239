"""What a backtest runs: :class:`BacktestConfig`."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from agbotkit.model.numbers import to_decimal

__all__ = ["BacktestConfig"]


def _paths(value: Any) -> tuple[str, ...]:
    if isinstance(value, str | Path):
        return (str(value),)
    return tuple(str(item) for item in value)


def _mapping(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return dict(value or {})


@attrs.frozen(kw_only=True)
class BacktestConfig:
    """One backtest.

    Attributes:
        strategy: the strategy's entry-point name (group ``agbotkit.strategies``), or a
            :class:`~agbotkit.strategies.api.Strategy` subclass (tests, notebooks).
        params: the strategy's parameters (structured into its ``Config``).
        markets: the markets (condition ids) it trades; empty: every market in the data.
        data: recordings (``.jsonl.gz``, as ``agbotkit record`` and ``agbotkit db
            export-frames`` write them), merged by receive time.
        start_ms: the first moment traded, Unix ms (earlier data only builds the books);
            ``None``: from the start of the data.
        end_ms: the end of the run, Unix ms, exclusive; ``None``: to the end of the data.
        policy_file: a risk policy file judged against the backtest's own positions;
            ``None``: only the kill switch (which never triggers on its own).
        latency_ms: how long an order or cancel takes to reach the venue, in simulated
            time; the venue's answers reach the strategy at once.
        fee_rate: the taker fee rate (fee = shares * fee_rate * p * (1 - p)).
        initial_cash_usd: the equity at the start (the equity curve is this plus PnL).
        seed: the run's seed (reserved for randomised fill models; the engine itself uses
            no randomness, so equal inputs give equal outputs whatever the seed).
        strategy_id: the strategy instance's name (on its orders and metrics).
        min_size: the smallest resting order in shares, when the data does not tell a
            market's own.
    """

    strategy: Any
    params: Mapping[str, Any] = attrs.field(factory=dict, converter=_mapping)
    markets: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    data: tuple[str, ...] = attrs.field(default=(), converter=_paths)
    start_ms: int | None = None
    end_ms: int | None = None
    policy_file: str | None = None
    latency_ms: int = 0
    fee_rate: Decimal = attrs.field(default=Decimal(0), converter=to_decimal)
    initial_cash_usd: float = 1000.0
    seed: int = 0
    strategy_id: str = "backtest"
    min_size: Decimal = attrs.field(default=Decimal(5), converter=to_decimal)

    def __attrs_post_init__(self) -> None:
        if self.latency_ms < 0:
            raise ValueError(f"latency_ms must be >= 0, got {self.latency_ms}")
        if self.initial_cash_usd <= 0:
            raise ValueError(f"initial_cash_usd must be > 0, got {self.initial_cash_usd}")
        if self.start_ms is not None and self.end_ms is not None and self.end_ms <= self.start_ms:
            raise ValueError(f"end_ms {self.end_ms} is not after start_ms {self.start_ms}")
