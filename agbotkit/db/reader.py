"""Reading stored metrics from trio code: the backend's query in a worker thread.

The dashboard's history uses it; the CLI, being synchronous, calls the backend directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import trio

from agbotkit.db.backend import StorageBackend
from agbotkit.db.records import MetricsQuery, Series

__all__ = ["StorageReader"]

T = TypeVar("T")


class StorageReader:
    """Async queries on one backend (one query at a time: one connection).

    Args:
        backend: a backend of its own (not the storage component's writer).
    """

    def __init__(self, backend: StorageBackend) -> None:
        self.backend = backend
        self._limiter = trio.CapacityLimiter(1)

    async def _call(self, function: Callable[[], T]) -> T:
        return await trio.to_thread.run_sync(function, limiter=self._limiter)

    async def metrics(self, query: MetricsQuery) -> list[Series]:
        """See :meth:`StorageBackend.query_metrics`."""
        return await self._call(lambda: self.backend.query_metrics(query))

    async def aclose(self) -> None:
        """Close the backend."""
        await self._call(self.backend.close)
