"""The user channel's frame intake, without an event loop: events, data, malformed counts."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from agbotkit.logs import WarningThrottle
from agbotkit.model.venues import VenueOrderUpdate
from agbotkit.venues.polymarket.user_intake import UserIntake
from agbotkit.venues.polymarket.user_translate import UserIdentity

LINES = (
    (Path(__file__).resolve().parents[2] / "data" / "polymarket" / "nautilus_clob_user_ws.jsonl")
    .read_text()
    .splitlines()
)
ME = UserIdentity(api_keys=["3e2c94ca-8124-c4c1-c7ea-be1ea21b71fe"])
NOBODY = UserIdentity(api_keys=["00000000-0000-0000-0000-00000000abcd"])


def intake(me: UserIdentity = ME) -> tuple[UserIntake, list[int]]:
    totals: list[int] = []
    throttle = WarningThrottle(logging.getLogger("test.user_intake"), clock=lambda: 0.0)
    return UserIntake(me, throttle=throttle, on_malformed=totals.append), totals


def test_an_order_frame_is_data_with_its_update() -> None:
    user, totals = intake()
    events, is_data = user.decode(LINES[0])
    assert is_data
    assert [type(event) for event in events] == [VenueOrderUpdate]
    assert totals == []


@pytest.mark.parametrize("frame", ["PONG", "pong\n", "NO NEW ASSETS", "", "  "])
def test_control_words_and_blank_frames_are_no_data(frame: str) -> None:
    user, _ = intake()
    assert user.decode(frame) == ([], False)


def test_a_trade_of_others_is_data_without_events() -> None:
    user, _ = intake(NOBODY)
    assert user.decode(LINES[2]) == ([], True)


def test_invalid_operation_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    user, totals = intake()
    assert user.decode("INVALID OPERATION") == ([], False)
    assert "INVALID OPERATION" in caplog.text
    assert totals == []


def test_malformed_frames_and_elements_are_counted(caplog: pytest.LogCaptureFixture) -> None:
    user, totals = intake()
    assert user.decode("{nope") == ([], False)
    assert user.decode('[{"event_type":"x"},{"id":1}]') == ([], False)  # every element bad
    events, is_data = user.decode(f'[{LINES[0]},{{"event_type":"x"}}]')
    assert is_data
    assert len(events) == 1
    user.oversize(10_000_000)
    assert user.malformed == 5
    assert totals == [1, 3, 4, 5]
    assert "10000000 bytes refused" in caplog.text
