"""``agbotkit backtest``: a stack's strategy backtested on recordings.

The stack's ``strategy`` component (``kind: strategy``) gives the strategy, its markets,
params and fee rate; its ``risk`` component (``kind: risk``) the policy file (relative to
the stack file). The result is printed as a summary; ``--json`` and ``--report`` write it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from agbotkit.config.schema import ComponentSpec
from agbotkit.config.stack import load_stack
from agbotkit.db.commands import parse_time
from agbotkit.errors import ConfigError, ConfigIssue
from agbotkit.strategies.backtest.config import BacktestConfig
from agbotkit.strategies.backtest.engine import run_backtest
from agbotkit.strategies.backtest.result import BacktestResult

__all__ = ["config_from_stack", "run_command", "summary_lines"]


def _one(specs: list[ComponentSpec], kind: str, only: str | None, file: str) -> ComponentSpec:
    found = [s for s in specs if s.kind == kind and (only is None or s.name == only)]
    if len(found) != 1:
        what = "no" if not found else f"{len(found)}"
        hint = "" if not found else " (choose one with --component)"
        raise ConfigError(
            [ConfigIssue(file, None, "$.components", f"{what} {kind} component{hint}")]
        )
    return found[0]


def config_from_stack(
    stack: str,
    data: list[str],
    *,
    start_ms: int | None = None,
    end_ms: int | None = None,
    component: str | None = None,
    latency_ms: int = 0,
    initial_cash_usd: float = 1000.0,
) -> BacktestConfig:
    """The backtest of ``stack``'s strategy component on ``data``.

    Raises:
        ConfigError: the stack has no (or several) strategy components, or is invalid.
    """
    stack_file = load_stack(stack)
    specs = list(stack_file.components)
    spec = _one(specs, "strategy", component, stack)
    options: dict[str, Any] = spec.options
    policy_file = None
    risks = [s for s in specs if s.kind == "risk"]
    if risks:
        policy = risks[0].options.get("policy_file")
        if policy:
            policy_file = str((Path(stack).parent / str(policy)).resolve())
    return BacktestConfig(
        strategy=options["strategy"],
        params=options.get("params") or {},
        markets=tuple(options.get("markets") or ()),
        data=tuple(data),
        start_ms=start_ms,
        end_ms=end_ms,
        policy_file=policy_file,
        latency_ms=latency_ms,
        fee_rate=options.get("fee_rate", 0),
        initial_cash_usd=initial_cash_usd,
        strategy_id=spec.name,
    )


def summary_lines(result: BacktestResult) -> list[str]:
    """A short summary of ``result`` for the terminal."""
    lines = [
        f"events replayed: {result.events:,} ({result.book_events:,} book updates)",
        f"orders: {result.orders_submitted:,} sent, rejected: "
        + (", ".join(f"{k} {v}" for k, v in sorted(result.rejections.items())) or "none"),
        f"fills: {len(result.fills):,}",
        f"PnL: {result.total_pnl_usd:+.4f} USD",
    ]
    lines += [f"  {market}: {pnl:+.4f} USD" for market, pnl in result.pnl_by_market.items()]
    if result.performance is not None:
        perf = result.performance
        lines.append(
            f"sharpe {perf.sharpe_ratio:.3f}, sortino {perf.sortino_ratio:.3f}, "
            f"max drawdown {perf.max_drawdown:.4%}, total return {perf.total_return:.4%}"
        )
    return lines


def config_from_args(args: argparse.Namespace) -> BacktestConfig:
    """The backtest the options shared by ``backtest`` and ``optimize`` describe (stack,
    ``--data``, ``--from``/``--to``, ``--component``, ``--latency-ms``, ``--cash``).

    Raises:
        ConfigError, ValueError: the stack or an option is invalid.
    """
    return config_from_stack(
        args.stack,
        list(args.data),
        start_ms=None if args.start is None else parse_time(args.start),
        end_ms=None if args.end is None else parse_time(args.end),
        component=args.component,
        latency_ms=args.latency_ms,
        initial_cash_usd=args.cash,
    )


def run_command(args: argparse.Namespace) -> int:
    """``agbotkit backtest``; the exit code (2: bad arguments or configuration)."""
    try:
        config = config_from_args(args)
    except (ConfigError, ValueError) as exc:
        print(f"agbotkit: {exc}", file=sys.stderr)
        return 2
    result = run_backtest(config, progress=not args.no_progress)
    for line in summary_lines(result):
        print(line)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result.to_json(), indent=1) + "\n")
        print(f"JSON result: {args.json_out}")
    if args.report:
        from agbotkit.strategies.backtest.report.html import write_report

        write_report(result, args.report, title=f"Backtest of {config.strategy_id}")
        print(f"HTML report: {args.report}")
    return 0
