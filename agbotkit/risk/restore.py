"""Positions read back from storage when a risk component starts (``positions_from``).

The ``storage`` component keeps the risk component's position snapshots (topic
``POSITIONS``). A restarted risk component takes the newest snapshot of each token it held
as its books, so its limits keep counting what it already holds instead of starting flat.
"""

from __future__ import annotations

import trio

from agbotkit.abc import ComponentContext
from agbotkit.db.backend import StorageBackend
from agbotkit.db.convert import position_from_record
from agbotkit.db.database import DatabaseConfig
from agbotkit.db.migrations import schema_status
from agbotkit.errors import StorageError
from agbotkit.model.positions import Position

__all__ = ["load_positions"]


async def load_positions(
    database: DatabaseConfig, context: ComponentContext, source: str
) -> list[Position]:
    """The newest stored position of each token ``source`` held (none when the database
    has no schema yet).

    Raises:
        StorageError: the database cannot be read (the start fails: judging orders on
            positions that may be wrong is worse than not starting).
    """
    backend = database.open(context.stack_dir, f"components.{source}.positions_from")
    try:
        positions = await trio.to_thread.run_sync(_latest, backend, source)
    except StorageError as exc:
        raise StorageError(f"cannot restore positions from the database: {exc}") from exc
    finally:
        await trio.to_thread.run_sync(backend.close)
    context.logger.info("restored %d positions from %s", len(positions), backend.description)
    return positions


def _latest(backend: StorageBackend, source: str) -> list[Position]:
    if schema_status(backend).current == 0:
        return []
    return [position_from_record(record) for record in backend.latest_positions(source)]
