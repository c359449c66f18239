"""History older than the ring buffers, from the storage database.

``/api/series`` answers from the dashboard's ring buffers, which hold only the newest
``capacity_per_series`` points. When the dashboard has a ``history`` database (the one the
``storage`` component writes) and ``since`` reaches further back, the older part of each
series comes from the database and the newer part from the ring buffers, joined without
overlap and thinned to ``max_points`` (the newest point of each of ``max_points`` equal time
buckets, the rule the database's own downsampling follows).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from agbotkit.db.reader import StorageReader
from agbotkit.db.records import MetricsQuery
from agbotkit.errors import StorageError

__all__ = ["merge_history", "thin"]

LOGGER = logging.getLogger(__name__)

Point = tuple[int, float]


def thin(points: list[Point], max_points: int) -> list[Point]:
    """At most ``max_points`` of ``points`` (oldest first): the newest of each time bucket."""
    if len(points) <= max_points:
        return points
    start, span = points[0][0], points[-1][0] - points[0][0] + 1
    kept: dict[int, Point] = {}
    for point in points:  # oldest first: a later point of a bucket replaces an earlier one
        kept[(point[0] - start) * max_points // span] = point
    return list(kept.values())


async def merge_history(
    reader: StorageReader,
    live: list[dict[str, Any]],
    *,
    name: str,
    labels: Mapping[str, str],
    since: int,
    until: int,
    max_points: int,
) -> tuple[list[dict[str, Any]], str | None]:
    """``live`` (the ring buffers' answer) with each series' older points from storage.

    Returns:
        The series, and why storage could not be read (``None`` when it could).
    """
    if since > until:
        return live, None
    query = MetricsQuery(name, since, until, dict(labels), max_points)
    try:
        stored = await reader.metrics(query)
    except StorageError as exc:
        LOGGER.warning("history unavailable: %s", exc)
        return live, str(exc)
    by_key = {(s["name"], tuple(sorted(s["labels"].items()))): s for s in live}
    merged = list(live)
    for series in stored:
        key = (series.name, series.labels)
        current = by_key.get(key)
        first_live = current["points"][0][0] if current and current["points"] else until + 1
        older = [
            (ts, value)
            for ts, value in zip(series.timestamps, series.values, strict=True)
            if ts < first_live
        ]
        if not older:
            continue
        if current is None:
            current = {
                "name": series.name,
                "labels": dict(series.labels),
                "metric_type": None,
                "points": [],
            }
            merged.append(current)
        current["points"] = thin(older + [tuple(p) for p in current["points"]], max_points)
    return merged, None
