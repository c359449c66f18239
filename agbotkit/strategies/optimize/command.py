"""``agbotkit optimize``: a stack strategy's parameters searched over backtests.

The stack gives the backtest as ``agbotkit backtest`` runs it; the search space gives the
parameters that vary (checked against the strategy's ``Config`` first). Exit codes: 0 with
a best trial, 1 when no trial completed or the run failed, 2 for bad arguments, a bad
configuration or Optuna missing.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from agbotkit.errors import AgbotkitError, ConfigError, PluginError

__all__ = ["run_command"]

LOGGER = logging.getLogger(__name__)

MISSING_OPTUNA = (
    "agbotkit optimize needs Optuna and plotly: pip install 'agbotkit[optimize]' "
    "(add the postgresql extra for a PostgreSQL study storage)"
)


def run_command(args: argparse.Namespace) -> int:
    """``agbotkit optimize``; the exit code."""
    try:
        # An optional dependency: say what to install.
        import optuna
        import plotly  # noqa: F401
    except ImportError:
        print(f"agbotkit: {MISSING_OPTUNA}", file=sys.stderr)
        return 2
    from agbotkit.strategies.optimize.optimizer import optimize
    from agbotkit.strategies.optimize.study import StudyMismatchError

    try:
        settings, strategy = _settings(args)
    except (ConfigError, PluginError, ValueError) as exc:
        print(f"agbotkit: {exc}", file=sys.stderr)
        return 2
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        outcome = optimize(settings)
    except (StudyMismatchError, ValueError) as exc:
        print(f"agbotkit: {exc}", file=sys.stderr)
        return 2
    except AgbotkitError as exc:
        print(f"agbotkit: {exc}", file=sys.stderr)
        return 1
    _print(outcome, settings, args.top)
    if args.json_out:
        data = {"strategy": strategy, "study": settings.study_name, **settings.meta}
        data.update(outcome.to_json())
        Path(args.json_out).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        print(f"JSON result: {args.json_out}")
    if args.report:
        from agbotkit.strategies.optimize.plot import write_plot

        write_plot(outcome, args.report, title=f"Optimisation of {strategy}")
        print(f"HTML plot: {args.report}")
    return 0 if outcome.best is not None else 1


def _settings(args: argparse.Namespace) -> tuple[Any, str]:
    """The optimisation the arguments ask for, checked, and the strategy's name."""
    from agbotkit.strategies.backtest.command import config_from_args
    from agbotkit.strategies.backtest.engine import load_strategy
    from agbotkit.strategies.optimize.evaluate import BacktestEvaluator, Window, data_range
    from agbotkit.strategies.optimize.objectives import Objective
    from agbotkit.strategies.optimize.optimizer import OptimizeSettings
    from agbotkit.strategies.optimize.space import SearchSpace
    from agbotkit.strategies.optimize.spacefile import load_space
    from agbotkit.strategies.optimize.validate import check_space

    base = config_from_args(args)
    space = SearchSpace.from_args(args.param)
    if args.space:
        space = SearchSpace((*load_space(args.space).params, *space.params))
    if not space.params:
        raise ValueError("nothing to search: give --param NAME=SPEC or --space FILE")
    cls = load_strategy(base.strategy)
    grid = space.grid(args.grid_points) if args.method == "grid" else None
    check_space(space, cls.Config, base.params, grid=grid)
    strategy = str(base.strategy)
    window = Window(base.start_ms, base.end_ms)
    if args.walk_forward:
        first, last = data_range(base.data)
        start = first if base.start_ms is None else max(first, base.start_ms)
        end = last if base.end_ms is None else min(last, base.end_ms - 1)
        window = Window(start, end)
    objective = Objective(args.objective, drawdown_weight=args.drawdown_weight)
    meta = {
        "strategy": strategy,
        "markets": list(base.markets),
        "data": [Path(p).name for p in base.data],
        "method": args.method,
        "objective": objective.describe(),
        "space": space.describe(),
    }
    settings = OptimizeSettings(
        study_name=args.study or f"{strategy}-{args.method}-{args.objective}",
        storage=args.storage,
        method=args.method,
        space=space,
        objective=objective,
        evaluator=BacktestEvaluator(base),
        trials=args.trials,
        jobs=args.jobs,
        seed=args.seed,
        grid_points=args.grid_points,
        window=window,
        walk_forward=args.walk_forward,
        anchored=args.anchored,
        meta=meta,
    )
    return settings, strategy


def _print(outcome: Any, settings: Any, top: int) -> None:
    from agbotkit.strategies.optimize.results import table_lines
    from agbotkit.strategies.optimize.walkforward import fold_lines

    completed = sum(1 for row in outcome.rows if row.state == "COMPLETE")
    failed = sum(1 for row in outcome.rows if row.state == "FAIL")
    ran = settings.trial_count * max(1, len(outcome.folds))  # by this command
    rate = 60 * ran / max(outcome.elapsed_s, 1e-9)
    print(
        f"study {settings.study_name}: {completed} trials completed, {failed} failed, on "
        f"{outcome.jobs} process{'es' if outcome.jobs > 1 else ''} in {outcome.elapsed_s:.1f} s ({rate:.0f} trials/min); "
        f"maximising {settings.objective.describe()}"
    )
    for line in table_lines(outcome.rows, settings.space.names, limit=top):
        print(line)
    if outcome.folds:
        print()
        for line in fold_lines(outcome.folds):
            print(line)
