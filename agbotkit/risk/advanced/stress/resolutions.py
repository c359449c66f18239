"""Which markets resolve YES: given outright, or chosen to cost the portfolio most.

Markets are numbered 0..M-1; a market belongs to at most one neg-risk event, in which
exactly one market resolves YES (or, when the event holds markets the portfolio does not
know of, possibly none of the known ones). Markets outside events resolve independently.

The worst case is exact, not a search: standalone markets independently take the cheaper
of their two outcomes; in an event, with ``N_j`` the PnL of market j resolving NO and
``Y_j`` resolving YES, the outcome "j wins" is worth ``sum_i N_i + (Y_j - N_j)``, so the
worst winner is the market of least ``Y_j - N_j`` (or none, when that is not negative and
an unknown market may win).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["FORCED_NO", "FORCED_YES", "FREE", "given_resolution", "worst_resolution"]

#: A market's state before the worst case is chosen: given YES, given NO, or open.
FORCED_YES, FORCED_NO, FREE = 1, -1, 0

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]


def worst_resolution(
    pnl_if_yes: FloatArray,
    pnl_if_no: FloatArray,
    market_event: IntArray,
    event_complete: BoolArray,
    forced: IntArray,
    *,
    event_ids: tuple[str, ...] = (),
) -> BoolArray:
    """For each market, whether it resolves YES in the outcome of least total PnL.

    Args:
        pnl_if_yes: per market, the PnL of its positions if it resolves YES.
        pnl_if_no: per market, the PnL if it resolves NO.
        market_event: per market, its event's number, or -1 outside events.
        event_complete: per event, whether the portfolio knows all its markets (then one
            of them must win).
        forced: per market, ``FORCED_YES``, ``FORCED_NO`` or ``FREE``.
        event_ids: names for error messages.

    Raises:
        ValueError: two markets of one event are forced YES, or every market of a complete
            event is forced NO.
    """
    yes_allowed = forced != FORCED_NO
    no_allowed = forced != FORCED_YES
    # Ties resolve NO: the choice does not change the total.
    yes_wins: BoolArray = yes_allowed & (~no_allowed | (pnl_if_yes < pnl_if_no))
    in_event = np.flatnonzero(market_event >= 0)
    if in_event.size == 0:
        return yes_wins
    events = market_event[in_event]
    forced_yes = np.bincount(events, forced[in_event] == FORCED_YES, minlength=len(event_complete))
    if (forced_yes > 1).any():
        raise _two_winners(event_ids, int(np.flatnonzero(forced_yes > 1)[0]))
    # A market forced YES is its event's only candidate; one forced NO is no candidate.
    candidate = yes_allowed[in_event] & (
        (forced_yes[events] == 0) | (forced[in_event] == FORCED_YES)
    )
    gain = np.where(candidate, pnl_if_yes[in_event] - pnl_if_no[in_event], np.inf)
    order = np.lexsort((gain, events))
    first_events, first = np.unique(events[order], return_index=True)
    best = order[first]  # per event (that has markets), the index into in_event of least gain
    # Outside a complete event an unknown market may win instead, unless one is forced YES.
    none_may_win = ~event_complete[first_events] & (forced_yes[first_events] == 0)
    if (~none_may_win & np.isinf(gain[best])).any():
        event = int(first_events[~none_may_win & np.isinf(gain[best])][0])
        raise ValueError(
            f"resolutions: every market of complete neg-risk event {_name(event_ids, event)} "
            "resolves NO; exactly one must win"
        )
    winner = np.isfinite(gain[best]) & ~(none_may_win & (gain[best] >= 0.0))
    yes_wins[in_event] = False
    yes_wins[in_event[best[winner]]] = True
    return yes_wins


def _name(ids: tuple[str, ...], index: int) -> str:
    return repr(ids[index]) if index < len(ids) else f"#{index}"


def given_resolution(
    market_event: IntArray, n_events: int, forced: IntArray, *, event_ids: tuple[str, ...] = ()
) -> tuple[BoolArray, BoolArray]:
    """The markets that resolve, and which of them YES, from the forced ones alone.

    A market forced YES in a neg-risk event resolves every other market of the event NO.

    Returns:
        ``(resolved, yes_wins)``, per market.

    Raises:
        ValueError: two markets of one event are forced YES.
    """
    yes_wins: BoolArray = forced == FORCED_YES
    resolved: BoolArray = forced != FREE
    in_event = market_event >= 0
    forced_yes = np.bincount(market_event[in_event], yes_wins[in_event], minlength=n_events)
    if (forced_yes > 1).any():
        raise _two_winners(event_ids, int(np.flatnonzero(forced_yes > 1)[0]))
    decided = np.zeros(len(forced), dtype=bool)
    decided[in_event] = forced_yes[market_event[in_event]] > 0
    return resolved | decided, yes_wins


def _two_winners(event_ids: tuple[str, ...], event: int) -> ValueError:
    return ValueError(
        f"resolutions: two markets of neg-risk event {_name(event_ids, event)} resolve YES; "
        "exactly one market of an event wins"
    )
