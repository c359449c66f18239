"""Which order status may follow which: the order manager's transition table.

Pure values and functions, no state. :data:`ALLOWED` is the table the order manager
(:mod:`agbotkit.exec.oms`) checks every status change against; a change it does not list is
*illegal* (a stale or contradictory report): the order manager logs and counts it and leaves
the order as it was.

Two moves do not go through the table, on purpose: a fill is a fact, so a late fill that
completes a ``CANCELED``, ``EXPIRED`` or ``REJECTED`` order makes it ``FILLED`` (terminal to
terminal), and an order is only ever made ``NEW`` by being added.
"""

from __future__ import annotations

from collections.abc import Mapping

from agbotkit.model.execution import OrderStatus
from agbotkit.model.members import (
    ACCEPTED,
    CANCEL_PENDING,
    CANCELED,
    EXPIRED,
    FILLED,
    NEW,
    PARTIALLY_FILLED,
    REJECTED,
    SUBMITTING,
    UNKNOWN,
)

__all__ = ["ALLOWED", "OPEN", "TERMINAL", "allowed", "never_accepted", "progress"]


# What a venue may answer about an order it was sent (or one whose answer was lost).
_ANSWERS = frozenset({ACCEPTED, PARTIALLY_FILLED, FILLED, CANCELED, REJECTED, EXPIRED})

#: The statuses an order may move to from each status (a same-status "move" is listed
#: where it means something: more fills on a partly filled order).
ALLOWED: Mapping[OrderStatus, frozenset[OrderStatus]] = {
    NEW: frozenset({SUBMITTING, REJECTED}),
    SUBMITTING: _ANSWERS | {UNKNOWN},
    UNKNOWN: _ANSWERS | {CANCEL_PENDING},
    ACCEPTED: frozenset({PARTIALLY_FILLED, FILLED, CANCEL_PENDING, CANCELED, EXPIRED}),
    PARTIALLY_FILLED: frozenset({PARTIALLY_FILLED, FILLED, CANCEL_PENDING, CANCELED, EXPIRED}),
    # Back to ACCEPTED, PARTIALLY_FILLED or UNKNOWN when the venue refuses the cancel (the
    # status the order had before it); REJECTED because a cancel may be asked for an
    # UNKNOWN order that then turns out never to have reached the venue (only then: see
    # allowed()).
    CANCEL_PENDING: frozenset(
        {
            CANCELED,
            FILLED,
            EXPIRED,
            REJECTED,
            ACCEPTED,
            PARTIALLY_FILLED,
            UNKNOWN,
        }
    ),
    FILLED: frozenset(),
    CANCELED: frozenset(),
    REJECTED: frozenset(),
    EXPIRED: frozenset(),
}

#: Statuses after which nothing more happens to the order's status.
TERMINAL = frozenset(status for status in OrderStatus if status.terminal)
#: Statuses in which the order may rest on a venue (sent, not terminal).
OPEN = frozenset(status for status in OrderStatus if status.open)

# How far along a live order is, for telling a late report from news: the venue saying
# ACCEPTED about an order that has already traded is an old report, not a step back.
_PROGRESS = {
    NEW: 0,
    SUBMITTING: 1,
    UNKNOWN: 1,
    ACCEPTED: 2,
    PARTIALLY_FILLED: 3,
    CANCEL_PENDING: 3,
}


def allowed(
    current: OrderStatus, new: OrderStatus, status_before_cancel: OrderStatus | None = None
) -> bool:
    """Whether an order in ``current`` may move to ``new`` (``status_before_cancel``: what
    a ``CANCEL_PENDING`` order was before, since only one cancelled while ``UNKNOWN`` may
    turn out ``REJECTED``)."""
    if new is REJECTED and current is CANCEL_PENDING:
        return status_before_cancel is UNKNOWN
    return new in ALLOWED[current]


def progress(status: OrderStatus) -> int:
    """How far along an order in ``status`` is: 0 (NEW) to 4 (any terminal status)."""
    return _PROGRESS.get(status, 4)


def never_accepted(status: OrderStatus, status_before_cancel: OrderStatus | None) -> bool:
    """Whether nothing the venue said ever showed the order on the venue (an order in
    ``CANCEL_PENDING`` counts as it was before the cancel)."""
    if status is CANCEL_PENDING:
        status = status_before_cancel or ACCEPTED
    return status in (NEW, SUBMITTING, UNKNOWN)
