"""Benchmark of the optimiser: trials per minute on all cores of this machine.

Run ``python benchmarks/bench_optimize.py`` (``--trials N`` per case, ``--seconds S`` of
synthetic data, ``--method``). It prints one line per case; it measures, it does not judge.

Each trial is a full backtest (books, risk, order manager, fill simulator) of a plain
quoter with two parameters (how many ticks under the best bid it quotes, every how many
book events it requotes) on a small synthetic recording, made once and cached in the temp
dir. Cases: one process, then one worker process per core (processes are spawned and each
decodes the recording once, so the figure includes their start-up). Trials share a study
in a journal file, as ``agbotkit optimize --jobs N`` runs them.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import attrs

from agbotkit.marketdata.replay.synthetic import generate
from agbotkit.model.books import Side
from agbotkit.strategies.api import BookView, Strategy
from agbotkit.strategies.backtest.config import BacktestConfig
from agbotkit.strategies.optimize.evaluate import BacktestEvaluator
from agbotkit.strategies.optimize.objectives import Objective
from agbotkit.strategies.optimize.optimizer import OptimizeSettings, optimize
from agbotkit.strategies.optimize.parser import default_jobs
from agbotkit.strategies.optimize.space import SearchSpace


@attrs.frozen
class QuoterConfig:
    """The quoter's parameters."""

    offset: int = 0
    every: int = 10
    size: float = 10.0


class Quoter(Strategy[QuoterConfig]):
    """Every ``every`` book events: cancel both orders, bid YES ``offset`` ticks under the
    best bid and NO as far under one minus the best YES ask."""

    Config = QuoterConfig

    def on_start(self) -> None:
        self.count = 0
        self.orders: tuple[str, ...] = ()
        self.yes, self.no = self.context.tokens(self.context.markets[0])[:2]

    def on_book(self, book: BookView) -> None:
        self.count += 1
        if self.count % self.config.every:
            return
        view = self.context.book(self.yes)
        if view is None or view.best_bid is None or view.best_ask is None:
            return
        for order in self.orders:
            self.context.cancel_order(order)
        below = self.config.offset * view.tick_size
        size = self.config.size
        self.orders = (
            self.context.submit_order(self.yes, Side.BUY, round(view.best_bid - below, 2), size),
            self.context.submit_order(self.no, Side.BUY, round(1 - view.best_ask - below, 2), size),
        )


def recording(seconds: int) -> Path:
    """The synthetic recording of ``seconds`` (made once)."""
    path = Path(tempfile.gettempdir(), f"agbotkit-bench-optimize-{seconds}s.jsonl.gz")
    if not path.exists():
        generate(path, seed=11, duration_s=seconds)
    return path


def run_case(data: Path, jobs: int, trials: int, method: str) -> tuple[float, Any]:
    """Trials per minute with ``jobs`` processes, and the outcome."""
    base = BacktestConfig(strategy=Quoter, data=(str(data),))
    settings = OptimizeSettings(
        study_name="bench",
        storage=None,
        method=method,
        space=SearchSpace.from_args(["offset=0:4", "every=5:40"]),
        objective=Objective("pnl"),
        evaluator=BacktestEvaluator(base),
        trials=trials,
        jobs=jobs,
        seed=1,
    )
    started = time.perf_counter()
    outcome = optimize(settings)
    elapsed = time.perf_counter() - started
    return 60 * trials / elapsed, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=0, help="per case (default: 30 per core)")
    parser.add_argument("--seconds", type=int, default=600, help="of synthetic data (600)")
    parser.add_argument("--method", choices=["random", "tpe", "grid"], default="random")
    args = parser.parse_args()
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    cores = default_jobs()
    trials = args.trials or 30 * cores
    data = recording(args.seconds)
    from agbotkit.strategies.backtest.data import load_data

    events = load_data([str(data)]).book_events
    print(
        f"optimiser: {args.method} search, {trials} trials per case, each a backtest of a "
        f"plain quoter on {args.seconds} s of synthetic data ({events:,} book events)"
    )
    single, _ = run_case(data, 1, trials, args.method)
    print(f"optimiser trials/min, 1 process: {single:,.0f} ({60 / single:.3f} s per trial)")
    if cores > 1:
        rate, outcome = run_case(data, cores, trials, args.method)
        print(
            f"optimiser trials/min on all cores: {rate:,.0f} with {cores} worker processes "
            f"({cores} cores; {rate / single:.2f}x one process; best pnl "
            f"{outcome.best.value if outcome.best else float('nan'):+.4f} USD)"
        )
    else:
        print("optimiser trials/min on all cores: the same (this machine has 1 core)")


if __name__ == "__main__":
    main()
