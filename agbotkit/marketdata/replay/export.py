"""``agbotkit db export-frames``: the storage component's raw frames as a recording.

The storage component keeps every frame the market-data component received (table
``raw_frames``: feed, receive time, text). Written out in the recording format (see
:mod:`agbotkit.marketdata.replay.recording`), they replay through the replay component
and the backtester like a file that ``agbotkit record`` wrote.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from agbotkit.db.backend import StorageBackend
from agbotkit.db.commands import parse_time
from agbotkit.marketdata.replay.recording import RecordingWriter
from agbotkit.toolkit.clock import wall_clock_ms

__all__ = ["export_frames"]

#: Frames read from the database per query.
PAGE = 50_000


def export_frames(
    backend: StorageBackend,
    output: str | Path,
    *,
    start_ms: int,
    end_ms: int,
    feed: str | None = None,
    page: int = PAGE,
) -> int:
    """Write the frames received in ``[start_ms, end_ms]`` to a new recording at
    ``output`` (blocking I/O); returns how many were written.

    The frames are read a page at a time, oldest first; a page that ends inside a
    millisecond is continued from that millisecond, skipping the frames already written.
    """
    note = f"exported from a storage database, frames received {start_ms}..{end_ms}"
    written = 0
    with RecordingWriter(output, created_ms=wall_clock_ms(), note=note) as writer:
        since = start_ms
        skip = 0  # frames at ``since`` already written (a page ended inside that ms)
        while True:
            frames = backend.query_frames(since, end_ms, feed, limit=page + skip)
            fresh = frames[skip:]
            writer.write_frames(fresh)
            written += len(fresh)
            if len(frames) < page + skip or not fresh:
                return written
            last = frames[-1].received_ms
            skip = sum(1 for frame in frames if frame.received_ms == last)
            since = last


def export_lines(backend: StorageBackend, args: argparse.Namespace) -> list[str]:
    """``agbotkit db export-frames``: what it prints.

    Raises:
        ValueError: a time that cannot be read.
    """
    start = parse_time(args.since)
    end = parse_time(args.until) if args.until else wall_clock_ms()
    count = export_frames(backend, args.out, start_ms=start, end_ms=end, feed=args.feed)
    return [f"{count} frames written to {args.out}"]
