"""Running trials: one process's ``study.optimize``, and several processes on one machine.

Parallelism is Optuna's own: every worker process opens the same study in a shared storage
and runs ``study.optimize``; the storage hands out trial numbers (and, for a grid, the
points), so nothing here schedules trials. A local run with ``jobs`` processes starts
them with :class:`concurrent.futures.ProcessPoolExecutor` (spawned, not forked: a forked
child would share the parent's database connections).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import multiprocessing
from collections.abc import Iterator, Mapping
from typing import Any

import attrs
import optuna

from agbotkit.strategies.optimize.evaluate import Evaluator, Window
from agbotkit.strategies.optimize.objectives import Objective
from agbotkit.strategies.optimize.space import SearchSpace
from agbotkit.strategies.optimize.study import (
    close_storage,
    make_sampler,
    open_storage,
    open_study,
)

__all__ = ["ERROR_ATTR", "StudyJob", "optimize_study", "run_local", "run_worker", "split_trials"]

LOGGER = logging.getLogger(__name__)

#: The trial user attribute holding a failed trial's error.
ERROR_ATTR = "error"


@attrs.frozen
class StudyJob:
    """Everything a worker needs to run trials of a study (picklable).

    Attributes:
        study_name: the study.
        storage: its storage URL or journal file (``None``: in memory, one process only).
        method: ``grid``, ``random`` or ``tpe``.
        space: what is searched.
        objective: what is maximised.
        evaluator: runs one trial's backtest.
        window: the data window trials are evaluated on.
        n_trials: how many trials this worker runs.
        seed: the sampler's seed (``None``: random).
        grid_points: values per range without a step, for a grid.
        meta: what the study searches, checked when joining (see ``open_study``).
    """

    study_name: str
    storage: str | None
    method: str
    space: SearchSpace
    objective: Objective
    evaluator: Evaluator
    window: Window = attrs.field(factory=Window)
    n_trials: int = 10
    seed: int | None = None
    grid_points: int = 5
    meta: Mapping[str, Any] = attrs.field(factory=dict)

    def sampler(self) -> optuna.samplers.BaseSampler:
        """This worker's sampler."""
        return make_sampler(self.method, self.space, seed=self.seed, grid_points=self.grid_points)

    @contextlib.contextmanager
    def opened(self) -> Iterator[optuna.Study]:
        """The study, created or joined; its storage's connections are closed after."""
        storage = open_storage(self.storage)
        try:
            yield open_study(self.study_name, storage, self.sampler(), self.meta)
        finally:
            close_storage(storage)


def optimize_study(study: optuna.Study, job: StudyJob) -> None:
    """Run ``job.n_trials`` trials of ``study`` in this process.

    A trial whose backtest raises is marked failed (its error kept in the trial's
    ``error`` attribute) and the run goes on.
    """

    def trial_value(trial: optuna.Trial) -> float:
        params = job.space.suggest(trial)
        try:
            metrics = job.evaluator(params, job.window)
        except Exception as exc:
            trial.set_user_attr(ERROR_ATTR, f"{type(exc).__name__}: {exc}")
            raise
        for key, value in attrs.asdict(metrics).items():
            trial.set_user_attr(key, value)
        return job.objective.value(metrics)

    if job.n_trials > 0:
        study.optimize(trial_value, n_trials=job.n_trials, catch=(Exception,))


def run_worker(job: StudyJob) -> int:
    """Open ``job``'s study and run its trials (the body of a worker process); how many."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with job.opened() as study:
        optimize_study(study, job)
    return job.n_trials


def split_trials(total: int, workers: int) -> list[int]:
    """``total`` trials shared by ``workers`` as evenly as can be (the first get one more)."""
    base, extra = divmod(total, workers)
    return [base + (1 if i < extra else 0) for i in range(workers)]


def run_local(job: StudyJob, jobs: int) -> None:
    """Run ``job.n_trials`` trials in ``jobs`` worker processes on this machine.

    Every process joins ``job``'s study (its storage must be shared: a journal file or a
    database); random and TPE workers get seeds ``seed, seed + 1, ...`` so they do not
    propose the same points, grid workers share the seed (see ``make_sampler``).

    Raises:
        ValueError: ``jobs > 1`` with an in-memory study.
    """
    if job.storage is None and jobs > 1:
        raise ValueError("several worker processes need a shared storage, not an in-memory one")
    # The study is created here first: workers that start together would race to create
    # the storage's tables and the study.
    with job.opened():
        pass
    shares = [n for n in split_trials(job.n_trials, jobs) if n > 0]
    if len(shares) <= 1:
        run_worker(job)
        return
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(len(shares), mp_context=context) as pool:
        futures = [
            pool.submit(run_worker, attrs.evolve(job, n_trials=n, seed=_seed(job, index)))
            for index, n in enumerate(shares)
        ]
        for future in concurrent.futures.as_completed(futures):
            future.result()  # a worker's own error (not a trial's) stops the run


def _seed(job: StudyJob, index: int) -> int | None:
    if job.seed is None or job.method == "grid":
        return job.seed
    return job.seed + index
