"""The kill state file: round trip, atomic replacement, fail-closed loading."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from agbotkit.model.risk import KillState
from agbotkit.risk.killstate import clear_kill_state, load_kill_state, save_kill_state

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def test_round_trip_and_format(tmp_path: Path) -> None:
    path = tmp_path / "kill.json"
    state = KillState(True, "manual: desk halt", T0 + 250)
    save_kill_state(path, state)
    assert load_kill_state(path) == state
    assert json.loads(path.read_text()) == {
        "version": 1,
        "triggered": True,
        "reason": "manual: desk halt",
        "since_ms": T0 + 250,
        "since": "2026-01-01T00:00:00.250Z",
    }
    assert [p.name for p in tmp_path.iterdir()] == ["kill.json"]  # no temporary file left
    clear_kill_state(path)
    assert load_kill_state(path) == KillState()


def test_missing_file_is_not_triggered(tmp_path: Path) -> None:
    assert load_kill_state(tmp_path / "none.json") == KillState()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param(
            '{"triggered": tru', "invalid JSON: Expecting value at line 1", id="truncated"
        ),
        pytest.param("[]", "expected a JSON object", id="not-an-object"),
        pytest.param(
            '{"triggered": "yes"}', "'triggered' must be true or false", id="triggered-type"
        ),
        pytest.param(
            '{"triggered": true, "reason": 5}', "'reason' must be a string", id="reason-type"
        ),
        pytest.param(
            '{"triggered": false, "since_ms": 1.5}', "'since_ms' must be an integer", id="since"
        ),
    ],
)
def test_unusable_file_fails_closed(
    tmp_path: Path, text: str, problem: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "kill.json"
    path.write_text(text)
    state = load_kill_state(path)
    assert state.triggered
    assert str(path) in state.reason
    assert problem in state.reason
    assert "staying triggered" in caplog.text


def test_unreadable_path_fails_closed(tmp_path: Path) -> None:
    assert load_kill_state(tmp_path).triggered  # a folder cannot be read as a file


def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "kill.json"
    save_kill_state(path, KillState(True, "first", T0))

    def refuse(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="No space left"):
        save_kill_state(path, KillState())
    monkeypatch.undo()
    assert load_kill_state(path) == KillState(True, "first", T0)
    assert [p.name for p in tmp_path.iterdir()] == ["kill.json"]


def test_untriggered_state_drops_stale_fields(tmp_path: Path) -> None:
    path = tmp_path / "kill.json"
    path.write_text('{"triggered": false, "reason": "old", "since_ms": 5}')
    assert load_kill_state(path) == KillState()
