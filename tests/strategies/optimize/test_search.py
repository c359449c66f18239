"""Grid, random and TPE searches on a known objective, in one process and in two."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from agbotkit.strategies.optimize.objectives import Objective
from agbotkit.strategies.optimize.optimizer import OptimizeOutcome, OptimizeSettings, optimize
from agbotkit.strategies.optimize.space import SearchSpace
from agbotkit.strategies.optimize.study import StudyMismatchError

from .evaluators import Bowl, Failing

SPACE = SearchSpace.from_args(["x=0.0:0.6:0.1", "n=2:6"])


def settings(method: str, **kw: object) -> OptimizeSettings:
    values: dict[str, object] = {
        "study_name": "t",
        "storage": None,
        "method": method,
        "space": SPACE,
        "objective": Objective("pnl"),
        "evaluator": Bowl(),
        "seed": 7,
    }
    values.update(kw)
    return OptimizeSettings(**values)  # type: ignore[arg-type]


def tried(outcome: OptimizeOutcome) -> list[tuple[float, int]]:
    return sorted((r.params["x"], r.params["n"]) for r in outcome.rows)


def test_grid_covers_the_grid_exactly() -> None:
    outcome = optimize(settings("grid"))
    expected = sorted(itertools.product([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [2, 3, 4, 5, 6]))
    assert tried(outcome) == expected
    assert outcome.best is not None
    assert dict(outcome.best.params) == {"x": 0.3, "n": 4}
    assert outcome.best.value == pytest.approx(0.0)
    values = [r.value for r in outcome.rows]
    assert values == sorted(values, reverse=True)  # best first


@pytest.mark.parametrize("method", ["random", "tpe"])
def test_seeded_searches_repeat_themselves(method: str) -> None:
    first = optimize(settings(method, trials=15))
    again = optimize(settings(method, trials=15))
    other = optimize(settings(method, trials=15, seed=8))
    assert [r.params for r in first.rows] == [r.params for r in again.rows]
    assert [r.params for r in first.rows] != [r.params for r in other.rows]
    assert len(first.rows) == 15


def test_tpe_finds_the_optimum() -> None:
    outcome = optimize(settings("tpe", trials=40))
    assert outcome.best is not None
    assert outcome.best.params["x"] == pytest.approx(0.3)  # Optuna's steps: 0.30000000000000004
    assert outcome.best.params["n"] == 4


@pytest.mark.parametrize(
    ("objective", "value"),
    [
        (Objective("pnl"), 0.0),
        (Objective("sharpe"), 0.0),
        # pnl - 0.2 x drawdown: the Bowl's drawdown is |x|, so the best x moves to 0.2.
        (Objective("drawdown_penalised", drawdown_weight=0.2), -(0.1**2) - 0.2 * 0.2),
    ],
)
def test_objectives_choose_the_winner(objective: Objective, value: float) -> None:
    outcome = optimize(settings("grid", objective=objective))
    assert outcome.best is not None
    assert outcome.best.value == pytest.approx(value)


def test_failed_trials_are_kept_with_their_error() -> None:
    outcome = optimize(
        settings("grid", space=SearchSpace.from_args(["x=0.0:1.0:0.25"]), evaluator=Failing())
    )
    states = {r.params["x"]: r.state for r in outcome.rows}
    assert states == {0.0: "COMPLETE", 0.25: "COMPLETE", 0.5: "COMPLETE", 0.75: "FAIL", 1.0: "FAIL"}
    assert outcome.rows[-1].error == "RuntimeError: x 1.0 too large"
    assert outcome.best is not None
    assert outcome.best.params["x"] == 0.5


@pytest.mark.slow
def test_two_local_processes_share_one_study_and_find_the_optimum() -> None:
    outcome = optimize(settings("grid", jobs=2))
    assert outcome.jobs == 2
    assert len(outcome.rows) == 35
    assert len(set(tried(outcome))) == 35  # the grid once: no point twice
    assert outcome.best is not None
    assert dict(outcome.best.params) == {"x": 0.3, "n": 4}
    tpe = optimize(settings("tpe", jobs=2, trials=30))
    assert sorted(r.number for r in tpe.rows) == list(range(30))
    assert tpe.best is not None
    assert tpe.best.value is not None
    assert tpe.best.value > -0.05


def test_a_study_that_searches_something_else_is_refused(tmp_path: Path) -> None:
    storage = str(tmp_path / "study.journal")
    optimize(settings("random", storage=storage, trials=2, meta={"objective": "pnl"}))
    with pytest.raises(StudyMismatchError, match="study 't' already searches something else"):
        optimize(settings("random", storage=storage, trials=2, meta={"objective": "sharpe"}))
    resumed = optimize(settings("random", storage=storage, trials=3, meta={"objective": "pnl"}))
    assert len(resumed.rows) == 5  # the second run added to the first one's trials
