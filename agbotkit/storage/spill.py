"""The spill file: execution rows the database could not take yet, kept on local disk.

Orders, fills and positions are never dropped. While the database cannot take them they are
appended here as they arrive (and, while it is slower than the feed, those past the
component's ``execution_memory_rows``), one JSON object per line, flushed and fsync'd
before anything else happens. The next
time the database answers, and at the next start, the file is written to the database first
(the rows' unique keys make that safe to repeat) and then emptied.

A line that cannot be read back (a torn last line after a crash) is logged and skipped; the
others are kept.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import cattrs

from agbotkit.db.records import FillRecord, OrderRecord, PositionRecord

__all__ = ["ExecutionRecord", "SpillFile"]

LOGGER = logging.getLogger(__name__)

ExecutionRecord = OrderRecord | FillRecord | PositionRecord

_KINDS: dict[str, type[ExecutionRecord]] = {
    "order": OrderRecord,
    "fill": FillRecord,
    "position": PositionRecord,
}
_KIND_OF = {cls: kind for kind, cls in _KINDS.items()}

# The journal's own format (not config): Decimals travel as strings, exactly.
_CONVERTER = cattrs.Converter()
_CONVERTER.register_unstructure_hook(Decimal, str)
_CONVERTER.register_structure_hook(Decimal, lambda value, _: Decimal(value))


@attrs.define
class SpillFile:
    """An append-only JSON Lines journal of execution rows at ``path``."""

    path: Path
    rows: int = attrs.field(default=0, init=False)

    def __attrs_post_init__(self) -> None:
        self.rows = sum(1 for _ in self._lines()) if self.path.exists() else 0

    def append(self, records: Iterable[ExecutionRecord]) -> int:
        """Append ``records`` durably (flush + fsync); return how many.

        Raises:
            OSError: the file cannot be written (the caller keeps the records).
        """
        lines = [
            json.dumps({"kind": _KIND_OF[type(r)], **_CONVERTER.unstructure(r)}) for r in records
        ]
        if not lines:
            return 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")
            out.flush()
            os.fsync(out.fileno())
        self.rows += len(lines)
        return len(lines)

    def load(self, start: int = 0, stop: int | None = None) -> list[ExecutionRecord]:
        """The records of rows ``start`` to ``stop`` (all by default), oldest first;
        unreadable lines are logged and skipped.

        Rows are counted as :attr:`rows` counts them (non-blank lines), so a caller may read
        what was appended up to now while more is being appended.
        """
        if not self.path.exists():
            return []
        records: list[ExecutionRecord] = []
        for number, line in itertools.islice(self._lines(), start, stop):
            try:
                data: dict[str, Any] = json.loads(line)
                cls = _KINDS[data.pop("kind")]
                records.append(_CONVERTER.structure(data, cls))
            except (ValueError, KeyError, TypeError, cattrs.BaseValidationError) as exc:
                LOGGER.error("%s:%d: unreadable spilled row skipped: %s", self.path, number, exc)
        return records

    def clear(self) -> None:
        """Empty the file (after its rows reached the database)."""
        if self.path.exists():
            self.path.unlink()
        self.rows = 0

    def _lines(self) -> Iterable[tuple[int, str]]:
        with self.path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if line.strip():
                    yield number, line
