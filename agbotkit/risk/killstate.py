"""The kill switch's state file: a triggered switch stays triggered across restarts.

The file is small JSON::

    {"version": 1, "triggered": true, "reason": "manual: desk halt",
     "since_ms": 1767225600000, "since": "2026-01-01T00:00:00Z"}

(``since`` is for people; ``since_ms`` is what is read back.) Typical use::

    engine = engine_from_file("policies.yaml", kill_state=load_kill_state(STATE))
    if engine.trigger_kill_switch("manual: desk halt"):
        save_kill_state(STATE, engine.kill_state)

Writes are atomic (a temporary file in the same folder, flushed and fsynced, then
``os.replace``), so a crash leaves the old state or the new one, never half a file.
Loading fails closed: a file that exists but cannot be read or understood loads as
TRIGGERED, with a reason that says so, rather than letting orders through.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agbotkit.model.risk import NOT_TRIGGERED, KillState

__all__ = ["KillState", "clear_kill_state", "load_kill_state", "save_kill_state"]

LOGGER = logging.getLogger(__name__)

_VERSION = 1


def save_kill_state(path: str | Path, state: KillState) -> None:
    """Write ``state`` to ``path`` atomically (the folder must exist).

    Raises:
        OSError: the file could not be written; the previous file, if any, is intact.
    """
    path = Path(path)
    document: dict[str, Any] = {
        "version": _VERSION,
        "triggered": state.triggered,
        "reason": state.reason,
        "since_ms": state.since_ms,
    }
    if state.since_ms is not None:
        since = datetime.fromtimestamp(state.since_ms / 1000, UTC)
        document["since"] = since.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    data = (json.dumps(document, indent=2) + "\n").encode("utf-8")
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    # The rename is durable only once the folder's entry is on disk (POSIX); some
    # platforms (Windows) cannot open a folder, and there os.replace is enough.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load_kill_state(path: str | Path) -> KillState:
    """The state saved at ``path``; not triggered when there is no file.

    A file that exists but is unreadable or malformed loads as triggered (fail closed),
    its reason naming the file and the problem; a warning is logged.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return NOT_TRIGGERED
    except OSError as exc:
        return _unreadable(path, exc.strerror or str(exc))
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        return _unreadable(path, f"invalid JSON: {exc.msg} at line {exc.lineno}")
    if not isinstance(document, dict):
        return _unreadable(path, "expected a JSON object")
    triggered = document.get("triggered")
    reason = document.get("reason", "")
    since_ms = document.get("since_ms")
    if not isinstance(triggered, bool):
        return _unreadable(path, "'triggered' must be true or false")
    if not isinstance(reason, str):
        return _unreadable(path, "'reason' must be a string")
    if since_ms is not None and (isinstance(since_ms, bool) or not isinstance(since_ms, int)):
        return _unreadable(path, "'since_ms' must be an integer or null")
    if not triggered:
        return NOT_TRIGGERED
    return KillState(True, reason, since_ms)


def clear_kill_state(path: str | Path) -> None:
    """Record a reset at ``path`` (writes a not-triggered state, atomically)."""
    save_kill_state(path, NOT_TRIGGERED)


def _unreadable(path: Path, problem: str) -> KillState:
    LOGGER.warning("kill switch state file %s is unusable (%s): staying triggered", path, problem)
    return KillState(True, f"kill state file {path} is unusable ({problem}); reset to clear", None)
