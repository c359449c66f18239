"""The arguments of ``agbotkit backtest`` (the command line itself is :mod:`agbotkit.cli`)."""

from __future__ import annotations

import argparse

__all__ = ["add_backtest_parser"]


def add_backtest_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``backtest STACK --data FILE... [--from T --to T] [--report H] [--json J]``."""
    backtest = commands.add_parser(
        "backtest",
        help="replay recordings through a stack's strategy, risk policies and paper fills",
        description="The stack's strategy component gives the strategy, its markets and "
        "params; its risk component gives the policy file. Times are Unix epoch ms or ISO "
        "8601 (UTC unless an offset is given); --to is exclusive.",
    )
    backtest.add_argument("stack", help="the stack file (YAML)")
    backtest.add_argument(
        "--data", nargs="+", required=True, metavar="FILE", help="recordings (.jsonl.gz)"
    )
    backtest.add_argument("--from", dest="start", help="trade from this time")
    backtest.add_argument("--to", dest="end", help="stop at this time")
    backtest.add_argument("--report", help="write the HTML report here")
    backtest.add_argument("--json", dest="json_out", help="write the JSON result here")
    backtest.add_argument("--component", help="the strategy component, when there are several")
    backtest.add_argument("--latency-ms", type=int, default=0, help="order latency (0)")
    backtest.add_argument("--cash", type=float, default=1000.0, help="starting equity in USD")
    backtest.add_argument("--no-progress", action="store_true", help="no progress bar")
    backtest.set_defaults(handler=("agbotkit.strategies.backtest.command", "run_command"))
