"""Optuna studies: where they are stored, which sampler searches, and joining one safely.

Storage (``--storage``):

* none: in memory, for a single process;
* a file path: Optuna's journal file storage, which several processes of one machine
  share (the default for a local multi-process run: a file in a temporary folder);
* ``postgresql://user:pass@host/db``: Optuna's RDB storage on PostgreSQL, through psycopg 3
  (``agbotkit[postgresql]``): any number of ``agbotkit optimize`` commands, on any number
  of machines, join the same study (``--study NAME``) and share its trials. Stale trials of
  a worker that died (no heartbeat for 2 minutes) are failed and run again once;
* any other SQLAlchemy URL (``sqlite:///study.db``, ``mysql+pymysql://...``): RDB storage.

Every worker of a study must search the same thing: the first one records the study's
strategy, method, objective and search space as study attributes, and a worker whose
differ is refused (:class:`StudyMismatchError`).
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import optuna
import sqlalchemy.exc
from optuna.storages import (
    BaseStorage,
    JournalStorage,
    RDBStorage,
    RetryHeartbeatStaleTrialCallback,
)
from optuna.storages.journal import JournalFileBackend

from agbotkit.errors import AgbotkitError
from agbotkit.strategies.optimize.space import SearchSpace

__all__ = [
    "METHODS",
    "StudyMismatchError",
    "close_storage",
    "make_sampler",
    "open_storage",
    "open_study",
    "storage_url",
]

LOGGER = logging.getLogger(__name__)

#: The search methods ``--method`` accepts.
METHODS = ("grid", "random", "tpe")

#: How often a worker on RDB storage says its trial is alive, and how long without a
#: heartbeat before another worker fails it (and runs it again once).
HEARTBEAT_S = 30
GRACE_S = 120
#: Tries at opening an RDB storage whose tables another worker may be creating.
CREATE_ATTEMPTS = 3

_META_KEY = "agbotkit"


class StudyMismatchError(AgbotkitError):
    """Raised when a worker joins a study that searches something else (another strategy,
    method, objective or search space)."""


def storage_url(url: str) -> str:
    """``url`` with PostgreSQL going through psycopg 3 (SQLAlchemy's default driver for
    ``postgresql://`` is psycopg2, which agbotkit does not install)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def open_storage(url: str | None) -> BaseStorage | None:
    """The Optuna storage ``url`` names (see the module docstring); ``None`` in memory.

    Raises:
        AgbotkitError: a PostgreSQL URL without the psycopg driver installed.
    """
    if url is None:
        return None
    if "://" not in url:
        path = Path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        return JournalStorage(JournalFileBackend(str(path)))
    url = storage_url(url)
    if url.startswith("postgresql+psycopg://"):
        try:
            import psycopg  # noqa: F401  (checked here to name the package to install)
        except ImportError:
            raise AgbotkitError(
                "a postgresql:// study storage needs psycopg 3: pip install 'agbotkit[postgresql]'"
            ) from None
    # Workers that start together on an empty database race to create Optuna's tables:
    # the losers' CREATE TABLE or version row fails on a unique index. Once one has won,
    # the tables exist and opening again succeeds.
    for attempt in range(CREATE_ATTEMPTS):
        try:
            return _rdb_storage(url)
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError):
            if attempt == CREATE_ATTEMPTS - 1:
                raise
            LOGGER.info("the study storage's tables were being created by another worker: again")
    raise AssertionError("unreachable")  # pragma: no cover


def _rdb_storage(url: str) -> RDBStorage:
    # Optuna marks its heartbeat "experimental" (since 2.8); it is what fails and retries
    # the trials of a worker that died, so it stays, without the warning.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return RDBStorage(
            url,
            engine_kwargs={"pool_pre_ping": True},
            heartbeat_interval=HEARTBEAT_S,
            grace_period=GRACE_S,
            heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(max_retry=1),
        )


def close_storage(storage: BaseStorage | None) -> None:
    """Close ``storage``'s database connections (RDB storage keeps a pool open)."""
    if isinstance(storage, RDBStorage):
        storage.remove_session()
        storage.engine.dispose()


def make_sampler(
    method: str, space: SearchSpace, *, seed: int | None, grid_points: int = 5
) -> optuna.samplers.BaseSampler:
    """The sampler of ``method`` (``grid``, ``random`` or ``tpe``) seeded with ``seed``.

    Grid workers of one study must share one seed: Optuna's grid sampler gives trial
    number ``n`` the ``n``-th point of a grid shuffled by the seed, which is what keeps
    concurrent workers from evaluating a point twice.
    """
    if method == "grid":
        return optuna.samplers.GridSampler(space.grid(grid_points), seed=seed or 0)
    if method == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if method == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    raise ValueError(f"unknown method {method!r} (known: {', '.join(METHODS)})")


def open_study(
    name: str,
    storage: BaseStorage | None,
    sampler: optuna.samplers.BaseSampler,
    meta: Mapping[str, Any],
) -> optuna.Study:
    """Create the study ``name`` or join it; every objective here is maximised.

    Args:
        name: the study's name.
        storage: where it lives (``None``: in memory).
        sampler: this worker's sampler.
        meta: what the study searches (strategy, method, objective, space: plain data);
            recorded by the first worker, compared by the others.

    Raises:
        StudyMismatchError: the stored study searches something else.
    """
    study = optuna.create_study(
        study_name=name,
        storage=storage,
        sampler=sampler,
        direction="maximize",
        load_if_exists=True,
    )
    wanted = json.loads(json.dumps(dict(meta), sort_keys=True, default=str))
    stored = study.user_attrs.get(_META_KEY)
    if stored is None:
        try:
            study.set_user_attr(_META_KEY, wanted)
        except sqlalchemy.exc.IntegrityError:
            # Another worker recorded it at the same moment: compare with what it wrote.
            stored = study.user_attrs.get(_META_KEY)
    if stored is not None and stored != wanted:
        differ = sorted(k for k in set(stored) | set(wanted) if stored.get(k) != wanted.get(k))
        raise StudyMismatchError(
            f"study {name!r} already searches something else ({', '.join(differ)} differ: "
            f"stored {_pick(stored, differ)}, this run {_pick(wanted, differ)}); "
            "use another --study name"
        )
    return study


def _pick(data: Mapping[str, Any], keys: list[str]) -> str:
    return json.dumps({key: data.get(key) for key in keys}, sort_keys=True)
