"""An optimisation from start to end: its study (or one per walk-forward fold), the trials
on this machine's worker processes, and what came out."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import optuna

from agbotkit.strategies.optimize.evaluate import Evaluator, Window
from agbotkit.strategies.optimize.objectives import Objective, TrialMetrics
from agbotkit.strategies.optimize.results import TrialRow, rows_of
from agbotkit.strategies.optimize.space import SearchSpace
from agbotkit.strategies.optimize.walkforward import FoldResult, split_folds, summary
from agbotkit.strategies.optimize.worker import StudyJob, optimize_study, run_local

__all__ = ["OptimizeOutcome", "OptimizeSettings", "optimize"]


@attrs.frozen
class OptimizeSettings:
    """An optimisation.

    Attributes:
        study_name: the study (walk-forward: ``NAME-fold0``, ``NAME-fold1``, ...).
        storage: its storage (see :mod:`.study`); ``None``: in memory for one process, a
            journal file in a temporary folder for several.
        method: ``grid``, ``random`` or ``tpe``.
        space: what is searched.
        objective: what is maximised.
        evaluator: runs one trial.
        trials: trials this command runs (per fold), shared by its processes; ``None``:
            the grid's size for a grid, else 50.
        jobs: worker processes on this machine.
        seed: the samplers' seed (``None``: random).
        grid_points: values per range without a step, for a grid.
        window: the data's window (``start_ms``/``end_ms`` must be set for walk-forward).
        walk_forward: folds (0: none, one study over the whole window).
        anchored: walk-forward in-sample windows all start at the data's start.
        meta: what the study searches (recorded in it, compared by joining workers).
    """

    study_name: str
    storage: str | None
    method: str
    space: SearchSpace
    objective: Objective
    evaluator: Evaluator
    trials: int | None = None
    jobs: int = 1
    seed: int | None = None
    grid_points: int = 5
    window: Window = attrs.field(factory=Window)
    walk_forward: int = 0
    anchored: bool = False
    meta: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def trial_count(self) -> int:
        """Trials this command runs per study."""
        if self.trials is not None:
            return self.trials
        return self.space.grid_size(self.grid_points) if self.method == "grid" else 50


@attrs.frozen(eq=False)
class OptimizeOutcome:
    """What an optimisation found.

    Attributes:
        rows: every trial of the study (walk-forward: of the last fold), best first.
        folds: walk-forward results, one per fold (empty without walk-forward).
        studies: the studies (for plots), one per fold with walk-forward.
        jobs: worker processes used.
        elapsed_s: wall time.
    """

    rows: tuple[TrialRow, ...]
    folds: tuple[FoldResult, ...]
    studies: tuple[optuna.Study, ...]
    jobs: int
    elapsed_s: float

    @property
    def best(self) -> TrialRow | None:
        """The best complete trial."""
        return self.rows[0] if self.rows and self.rows[0].value is not None else None

    def to_json(self) -> dict[str, Any]:
        """Plain data (trials best first, walk-forward folds and their summary)."""
        completed = sum(1 for row in self.rows if row.state == "COMPLETE")
        out: dict[str, Any] = {
            "jobs": self.jobs,
            "elapsed_s": round(self.elapsed_s, 3),
            "trials_completed": completed,
            "best": None if self.best is None else self.best.to_json(),
            "trials": [row.to_json() for row in self.rows],
        }
        if self.folds:
            out["walk_forward"] = {
                "folds": [fold.to_json() for fold in self.folds],
                "summary": summary(self.folds),
            }
        return out


@contextmanager
def _shared_storage(settings: OptimizeSettings) -> Iterator[str | None]:
    """The storage to use: the given one; none for one in-memory process; else a journal
    file in a temporary folder (deleted afterwards) that the processes share."""
    if settings.storage is not None or settings.jobs <= 1:
        yield settings.storage
        return
    with tempfile.TemporaryDirectory(prefix="agbotkit-optimize-") as folder:
        yield str(Path(folder, "study.journal"))


def _run_study(
    settings: OptimizeSettings, storage: str | None, name: str, window: Window
) -> optuna.Study:
    job = StudyJob(
        study_name=name,
        storage=storage,
        method=settings.method,
        space=settings.space,
        objective=settings.objective,
        evaluator=settings.evaluator,
        window=window,
        n_trials=settings.trial_count,
        seed=settings.seed,
        grid_points=settings.grid_points,
        meta={**settings.meta, "window": window.to_json()},
    )
    if storage is None:
        with job.opened() as study:  # in memory: this process runs every trial
            optimize_study(study, job)
            return study
    run_local(job, settings.jobs)
    with job.opened() as study:
        return _in_memory(study)


def _in_memory(study: optuna.Study) -> optuna.Study:
    """A copy of ``study`` in memory: it outlives a temporary storage, and plots of it do
    not query a database."""
    copy = optuna.create_study(study_name=study.study_name, direction="maximize")
    copy.add_trials(study.get_trials(deepcopy=False))
    return copy


def optimize(settings: OptimizeSettings) -> OptimizeOutcome:
    """Run the optimisation ``settings`` describe on this machine; what it found.

    Raises:
        ValueError: walk-forward without the data's start and end.
        StudyMismatchError: the named study searches something else.
    """
    started = time.perf_counter()
    with _shared_storage(settings) as storage:
        if settings.walk_forward <= 0:
            study = _run_study(settings, storage, settings.study_name, settings.window)
            return OptimizeOutcome(
                tuple(rows_of(study)), (), (study,), settings.jobs, time.perf_counter() - started
            )
        start, end = settings.window.start_ms, settings.window.end_ms
        if start is None or end is None:
            raise ValueError("walk-forward needs the data's time range")
        folds, studies = [], []
        for fold in split_folds(start, end, settings.walk_forward, anchored=settings.anchored):
            name = f"{settings.study_name}-fold{fold.index}"
            study = _run_study(settings, storage, name, fold.train)
            studies.append(study)
            folds.append(_fold_result(settings, study, fold))
        rows = tuple(rows_of(studies[-1]))
    return OptimizeOutcome(
        rows, tuple(folds), tuple(studies), settings.jobs, time.perf_counter() - started
    )


def _fold_result(settings: OptimizeSettings, study: optuna.Study, fold: Any) -> FoldResult:
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if not complete:
        raise ValueError(f"walk-forward fold {fold.index}: no trial completed in sample")
    best = study.best_trial
    in_sample = TrialMetrics.from_json(best.user_attrs)
    out_of_sample = settings.evaluator(best.params, fold.test)
    return FoldResult(
        fold=fold,
        trials=len(complete),
        best_params=dict(best.params),
        in_sample_value=float(best.value if best.value is not None else float("nan")),
        out_of_sample_value=settings.objective.value(out_of_sample),
        in_sample=in_sample,
        out_of_sample=out_of_sample,
    )
