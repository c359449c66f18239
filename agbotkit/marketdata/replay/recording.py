"""Recordings of market-data sessions: gzip-compressed JSON Lines.

Line 1 is a header; every later line is a frame or a market's metadata::

    {"format":"agbotkit-recording","version":1,"created_ms":…,"synthetic":false,"note":"…"}
    {"kind":"market","market":{…MarketInfo…}}
    {"kind":"frame","feed":"clob","received_ms":1764000000123,"text":"{\\"event_type\\":…}"}

Frames are kept exactly as received, so a replay serves the very bytes a live session
saw. Market metadata travels with the frames, so a replay needs no network.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import attrs

from agbotkit.errors import RecordingError
from agbotkit.model.feeds import RawFrame
from agbotkit.model.markets import MarketInfo

__all__ = ["FORMAT", "Recording", "RecordingWriter", "read_recording"]

FORMAT = "agbotkit-recording"
VERSION = 1


@attrs.frozen
class Recording:
    """A recording loaded into memory.

    Attributes:
        header: the header line's fields.
        markets: every market's metadata, by condition id.
        frames: the frames in receive order.
    """

    header: dict[str, Any]
    markets: dict[str, MarketInfo]
    frames: tuple[RawFrame, ...]

    @property
    def duration_ms(self) -> int:
        """From the first frame to the last."""
        if not self.frames:
            return 0
        return self.frames[-1].received_ms - self.frames[0].received_ms


def market_to_wire(info: MarketInfo) -> dict[str, Any]:
    """``info`` as plain JSON data (decimals as strings)."""
    data = attrs.asdict(info, recurse=False)
    for key in ("tick_size", "min_order_size"):
        if data[key] is not None:
            data[key] = str(data[key])
    data["outcomes"] = list(info.outcomes)
    data["token_ids"] = list(info.token_ids)
    return data


def market_from_wire(data: dict[str, Any]) -> MarketInfo:
    """The inverse of :func:`market_to_wire`."""
    fields = dict(data)
    for key in ("tick_size", "min_order_size"):
        if fields.get(key) is not None:
            fields[key] = Decimal(fields[key])
    fields["outcomes"] = tuple(fields["outcomes"])
    fields["token_ids"] = tuple(fields["token_ids"])
    return MarketInfo(**fields)


class RecordingWriter:
    """Appends frames and market metadata to a new recording file (blocking I/O: call it
    from a worker thread in async code)."""

    def __init__(
        self, path: str | Path, *, created_ms: int, synthetic: bool = False, note: str = ""
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.frames_written = 0
        self._file: IO[str] = gzip.open(self.path, "wt", encoding="utf-8", compresslevel=6)  # noqa: SIM115 - open for the writer's life
        header = {
            "format": FORMAT,
            "version": VERSION,
            "created_ms": created_ms,
            "synthetic": synthetic,
            "note": note,
        }
        self._write(header)

    def write_market(self, info: MarketInfo) -> None:
        """Record a market's metadata."""
        self._write({"kind": "market", "market": market_to_wire(info)})

    def write_frames(self, frames: Iterable[RawFrame]) -> None:
        """Record frames, in order."""
        for frame in frames:
            self._write(
                {
                    "kind": "frame",
                    "feed": frame.feed,
                    "received_ms": frame.received_ms,
                    "text": frame.text,
                }
            )
            self.frames_written += 1

    def flush(self) -> None:
        """Push what was written to the file."""
        self._file.flush()

    def close(self) -> None:
        """Finish the file (a gzip stream must be closed to be complete)."""
        self._file.close()

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _write(self, data: dict[str, Any]) -> None:
        self._file.write(json.dumps(data, separators=(",", ":")))
        self._file.write("\n")


def read_recording(path: str | Path) -> Recording:
    """Load a recording (blocking I/O).

    Raises:
        RecordingError: naming the file and line that cannot be read.
    """
    path = Path(path)
    markets: dict[str, MarketInfo] = {}
    frames: list[RawFrame] = []
    try:
        lines = _lines(path)
        header = _header(path, next(lines, None))
        for number, line in lines:
            try:
                entry = json.loads(line)
                kind = entry["kind"]
                if kind == "frame":
                    frames.append(RawFrame(entry["feed"], int(entry["received_ms"]), entry["text"]))
                elif kind == "market":
                    info = market_from_wire(entry["market"])
                    markets[info.condition_id] = info
            except (ValueError, KeyError, TypeError, RecursionError) as exc:
                raise RecordingError(f"{path}:{number}: not a recording line: {exc}") from None
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise RecordingError(f"{path}: cannot read recording: {exc}") from None
    return Recording(header, markets, tuple(frames))


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with gzip.open(path, "rt", encoding="utf-8") as file:
        for number, line in enumerate(file, start=1):
            if line.strip():
                yield number, line


def _header(path: Path, first: tuple[int, str] | None) -> dict[str, Any]:
    if first is None:
        raise RecordingError(f"{path}: empty file, not a recording")
    try:
        header = json.loads(first[1])
    except (ValueError, RecursionError):
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise RecordingError(f"{path}:1: not an agbotkit recording (no {FORMAT!r} header)")
    if header.get("version", 0) > VERSION:
        raise RecordingError(
            f"{path}:1: recording version {header['version']} is newer than "
            f"this agbotkit reads ({VERSION})"
        )
    return header
