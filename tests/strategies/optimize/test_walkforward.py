"""Walk-forward folds and their in-sample and out-of-sample numbers."""

from __future__ import annotations

import pytest

from agbotkit.strategies.optimize.evaluate import Window
from agbotkit.strategies.optimize.objectives import Objective
from agbotkit.strategies.optimize.optimizer import OptimizeSettings, optimize
from agbotkit.strategies.optimize.space import SearchSpace
from agbotkit.strategies.optimize.walkforward import Fold, split_folds, summary

from .evaluators import Bowl


def test_rolling_folds_cut_the_range_into_k_plus_one_windows() -> None:
    # 0..299 inclusive is 300 ms: four windows of 75.
    assert split_folds(0, 299, 3) == [
        Fold(0, Window(0, 75), Window(75, 150)),
        Fold(1, Window(75, 150), Window(150, 225)),
        Fold(2, Window(150, 225), Window(225, 300)),
    ]


def test_anchored_folds_grow_from_the_start() -> None:
    folds = split_folds(1000, 1299, 2, anchored=True)
    assert [(f.train, f.test) for f in folds] == [
        (Window(1000, 1100), Window(1100, 1200)),
        (Window(1000, 1200), Window(1200, 1300)),
    ]


@pytest.mark.parametrize(("start", "end", "folds"), [(0, 100, 0), (0, 1, 2)])
def test_impossible_splits_are_refused(start: int, end: int, folds: int) -> None:
    with pytest.raises(ValueError, match=r"walk-forward needs at least 1 fold|cannot be cut"):
        split_folds(start, end, folds)


def test_in_sample_beats_out_of_sample_when_the_optimum_drifts() -> None:
    # The best x is 0.1 + start_ms / 1000: 0.1 on [0, 100), 0.2 on [100, 200), 0.3 after.
    outcome = optimize(
        OptimizeSettings(
            study_name="wf",
            storage=None,
            method="grid",
            space=SearchSpace.from_args(["x=0.0:0.5:0.1"]),
            objective=Objective("pnl"),
            evaluator=Bowl(best_x=0.1, drift=0.001),
            window=Window(0, 299),
            walk_forward=2,
        )
    )
    first, second = outcome.folds
    assert (first.fold.train, first.fold.test) == (Window(0, 100), Window(100, 200))
    assert first.best_params == {"x": 0.1}
    assert first.in_sample_value == pytest.approx(0.0)
    assert first.out_of_sample_value == pytest.approx(-(0.1**2))  # 0.1 where 0.2 was best
    assert second.best_params == {"x": 0.2}
    assert second.out_of_sample_value == pytest.approx(-(0.1**2))
    assert first.trials == second.trials == 6
    assert summary(outcome.folds) == {
        "folds": 2,
        "mean_in_sample": pytest.approx(0.0),
        "mean_out_of_sample": pytest.approx(-0.01),
        "efficiency": None,  # the in-sample mean is 0: no ratio
    }
    json = outcome.to_json()["walk_forward"]
    assert [f["best_params"] for f in json["folds"]] == [{"x": 0.1}, {"x": 0.2}]
    assert json["folds"][0]["out_of_sample_window"] == {"start_ms": 100, "end_ms": 200}


def test_walk_forward_needs_the_data_range() -> None:
    settings = OptimizeSettings(
        study_name="wf",
        storage=None,
        method="random",
        space=SearchSpace.from_args(["x=0.0:0.5"]),
        objective=Objective("pnl"),
        evaluator=Bowl(),
        walk_forward=2,
    )
    with pytest.raises(ValueError, match="walk-forward needs the data's time range"):
        optimize(settings)
