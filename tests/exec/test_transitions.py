"""The transition table, entry by entry: what may follow what."""

from __future__ import annotations

import pytest

from agbotkit.exec.transitions import ALLOWED, OPEN, TERMINAL, allowed, never_accepted, progress
from agbotkit.model.execution import OrderStatus as S


def test_every_status_has_a_row() -> None:
    assert set(ALLOWED) == set(S)


def test_the_table() -> None:
    assert ALLOWED[S.NEW] == {S.SUBMITTING, S.REJECTED}
    assert ALLOWED[S.SUBMITTING] == {
        S.ACCEPTED,
        S.PARTIALLY_FILLED,
        S.FILLED,
        S.CANCELED,
        S.REJECTED,
        S.EXPIRED,
        S.UNKNOWN,
    }
    assert ALLOWED[S.UNKNOWN] == {
        S.ACCEPTED,
        S.PARTIALLY_FILLED,
        S.FILLED,
        S.CANCELED,
        S.REJECTED,
        S.EXPIRED,
        S.CANCEL_PENDING,
    }
    assert ALLOWED[S.ACCEPTED] == {
        S.PARTIALLY_FILLED,
        S.FILLED,
        S.CANCEL_PENDING,
        S.CANCELED,
        S.EXPIRED,
    }
    assert ALLOWED[S.PARTIALLY_FILLED] == {
        S.PARTIALLY_FILLED,
        S.FILLED,
        S.CANCEL_PENDING,
        S.CANCELED,
        S.EXPIRED,
    }
    assert ALLOWED[S.CANCEL_PENDING] == {
        S.CANCELED,
        S.FILLED,
        S.EXPIRED,
        S.REJECTED,
        S.ACCEPTED,
        S.PARTIALLY_FILLED,
        S.UNKNOWN,
    }


@pytest.mark.parametrize("status", sorted(TERMINAL))
def test_terminal_statuses_go_nowhere(status: S) -> None:
    assert ALLOWED[status] == frozenset()
    assert not any(allowed(status, other) for other in S)


def test_nothing_goes_back_to_new_or_submitting() -> None:
    assert not any(allowed(status, S.NEW) for status in S)
    assert [status for status in S if allowed(status, S.SUBMITTING)] == [S.NEW]


def test_a_pending_cancel_is_rejected_only_if_the_order_was_unknown() -> None:
    assert allowed(S.CANCEL_PENDING, S.REJECTED, S.UNKNOWN)
    assert not allowed(S.CANCEL_PENDING, S.REJECTED, S.ACCEPTED)
    assert not allowed(S.CANCEL_PENDING, S.REJECTED, S.PARTIALLY_FILLED)


def test_open_and_terminal_follow_the_model() -> None:
    assert {s for s in S if s.open} == OPEN
    assert {s for s in S if s.terminal} == TERMINAL
    assert not OPEN & TERMINAL
    assert set(S) - OPEN - TERMINAL == {S.NEW}


def test_progress_orders_the_live_statuses() -> None:
    assert progress(S.NEW) < progress(S.SUBMITTING) == progress(S.UNKNOWN)
    assert progress(S.UNKNOWN) < progress(S.ACCEPTED) < progress(S.PARTIALLY_FILLED)
    assert all(progress(status) == 4 for status in TERMINAL)


def test_never_accepted() -> None:
    assert never_accepted(S.UNKNOWN, None)
    assert never_accepted(S.SUBMITTING, None)
    assert never_accepted(S.CANCEL_PENDING, S.UNKNOWN)
    assert not never_accepted(S.CANCEL_PENDING, S.ACCEPTED)
    assert not never_accepted(S.ACCEPTED, None)
    assert not never_accepted(S.PARTIALLY_FILLED, None)
