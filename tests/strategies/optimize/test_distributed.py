"""The distributed path: independent workers join one study stored in PostgreSQL."""

from __future__ import annotations

import concurrent.futures
import itertools
import multiprocessing

import optuna
import pytest

from agbotkit.strategies.optimize.objectives import Objective
from agbotkit.strategies.optimize.results import rows_of
from agbotkit.strategies.optimize.space import SearchSpace
from agbotkit.strategies.optimize.study import close_storage, open_storage
from agbotkit.strategies.optimize.worker import StudyJob, run_worker
from agbotkit.testing.postgres import ThrowawayPostgres

from .evaluators import Bowl

pytestmark = pytest.mark.slow


def job(url: str, method: str, trials: int, seed: int | None) -> StudyJob:
    return StudyJob(
        study_name="shared",
        storage=url,
        method=method,
        space=SearchSpace.from_args(["x=0.0:0.6:0.1", "n=2:6"]),
        objective=Objective("pnl"),
        evaluator=Bowl(),
        n_trials=trials,
        seed=seed,
        meta={"strategy": "bowl"},
    )


def run_two_workers(jobs: list[StudyJob]) -> None:
    """Two worker processes started together on an empty database, as two machines
    would be: each creates or joins the study by itself."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as pool:
        futures = [pool.submit(run_worker, j) for j in jobs]
        assert [future.result() for future in futures] == [j.n_trials for j in jobs]


@pytest.mark.parametrize("method", ["grid", "tpe"])
def test_two_workers_share_a_postgresql_study(
    postgres_server: ThrowawayPostgres, method: str
) -> None:
    url = postgres_server.create_database(f"optimize_{method}")
    # The grid has 35 points: each worker takes a share; TPE workers take 12 each.
    shares = [18, 17] if method == "grid" else [12, 12]
    seeds = [3, 3] if method == "grid" else [3, 4]
    run_two_workers([job(url, method, n, s) for n, s in zip(shares, seeds, strict=True)])

    storage = open_storage(url)
    try:
        study = optuna.load_study(study_name="shared", storage=storage)
        rows = rows_of(study)
        attributes = study.user_attrs
    finally:
        close_storage(storage)
    assert len(rows) == sum(shares)
    assert all(row.state == "COMPLETE" for row in rows)
    assert sorted(row.number for row in rows) == list(range(sum(shares)))
    points = [(row.params["x"], row.params["n"]) for row in rows]
    assert len(set(points)) == len(points) or method == "tpe"
    if method == "grid":
        expected = itertools.product([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [2, 3, 4, 5, 6])
        assert sorted(points) == sorted(expected)
        assert dict(rows[0].params) == {"x": 0.3, "n": 4}
    assert attributes["agbotkit"] == {"strategy": "bowl"}
