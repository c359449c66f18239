"""The arguments of ``agbotkit optimize`` (the command line itself is :mod:`agbotkit.cli`)."""

from __future__ import annotations

import argparse
import os

__all__ = ["add_optimize_parser", "default_jobs"]


def default_jobs() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {text}")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text}")
    return value


def add_optimize_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``optimize STACK --data FILE... --param NAME=SPEC... [options]``."""
    optimize = commands.add_parser(
        "optimize",
        help="search a stack strategy's parameters over backtests (grid, random, TPE)",
        description="Each trial backtests the stack's strategy (as `agbotkit backtest` "
        "does) with parameters drawn from the search space; the best come first. SPEC is "
        "LOW:HIGH, LOW:HIGH:STEP, LOW:HIGH:log, A,B,C or VALUE (integers when the numbers "
        "are). Workers on other machines join a study with the same --storage and --study. "
        "Needs: pip install 'agbotkit[optimize]' (and [postgresql] for a PostgreSQL storage).",
    )
    optimize.add_argument("stack", help="the stack file (YAML) with a strategy component")
    optimize.add_argument(
        "--data", nargs="+", required=True, metavar="FILE", help="recordings (.jsonl.gz)"
    )
    optimize.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=SPEC",
        help="a parameter to vary (repeatable)",
    )
    optimize.add_argument("--space", metavar="FILE", help="the search space in a YAML file")
    optimize.add_argument("--method", choices=["grid", "random", "tpe"], default="tpe")
    optimize.add_argument(
        "--trials",
        type=_count,
        help="trials this command runs (per walk-forward fold), shared by its processes "
        "(default: the grid's size for grid, else 50)",
    )
    optimize.add_argument(
        "--objective", choices=["sharpe", "pnl", "drawdown_penalised"], default="sharpe"
    )
    optimize.add_argument(
        "--drawdown-weight",
        type=float,
        default=1.0,
        metavar="LAMBDA",
        help="drawdown_penalised = pnl - LAMBDA x max drawdown in USD (default: 1)",
    )
    optimize.add_argument(
        "--jobs",
        type=_positive,
        default=default_jobs(),
        help=f"worker processes on this machine (default: all {default_jobs()} cores)",
    )
    optimize.add_argument(
        "--storage",
        help="the study's storage: postgresql://user:pass@host/db to share it between "
        "machines, sqlite:///FILE, or a journal FILE (default: in memory, or a temporary "
        "journal file for several processes)",
    )
    optimize.add_argument("--study", help="the study's name (default: STRATEGY-METHOD-OBJECTIVE)")
    optimize.add_argument("--seed", type=int, help="the samplers' seed (default: random)")
    optimize.add_argument(
        "--grid-points",
        type=_positive,
        default=5,
        help="grid values of a float range without a step (default: 5)",
    )
    optimize.add_argument(
        "--walk-forward",
        type=_count,
        default=0,
        metavar="K",
        help="cut the data into K+1 windows; optimise on each, test on the next",
    )
    optimize.add_argument(
        "--anchored", action="store_true", help="walk-forward in-sample windows grow from the start"
    )
    optimize.add_argument("--from", dest="start", help="use data from this time (ms or ISO 8601)")
    optimize.add_argument("--to", dest="end", help="use data until this time (exclusive)")
    optimize.add_argument("--component", help="the strategy component, when there are several")
    optimize.add_argument("--latency-ms", type=int, default=0, help="order latency (0)")
    optimize.add_argument("--cash", type=float, default=1000.0, help="starting equity in USD")
    optimize.add_argument("--top", type=int, default=20, help="rows of the table (20)")
    optimize.add_argument("--report", help="write the HTML plot here")
    optimize.add_argument("--json", dest="json_out", help="write the JSON result here")
    optimize.set_defaults(handler=("agbotkit.strategies.optimize.command", "run_command"))
