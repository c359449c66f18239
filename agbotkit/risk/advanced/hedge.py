"""The hedge that moves a portfolio's Greeks to a target (the seed's ``suggest_hedge``).

Each hedge instrument contributes its per-unit Greeks times the quantity bought, so the
quantities ``q`` solve the linear system ``A q = b``: ``A[i, j]`` is Greek ``i`` of one
unit of instrument ``j`` and ``b[i] = target[i] - current[i]``. With as many independent
instruments as Greeks the system is square and solved exactly; otherwise it is solved in
the least-squares sense (``numpy.linalg.lstsq``: the smallest-norm ``q`` among those that
minimise the weighted squared residual), and the residual says what is left unhedged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import reduce
from typing import TYPE_CHECKING, Literal, TypeAlias

import attrs
import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    # Only for annotations: greeks.py imports this module for GreeksEngine.suggest_hedge,
    # and everything done here with a Greeks goes through its own methods.
    from agbotkit.risk.advanced.greeks import Greeks

__all__ = ["GREEK_NAMES", "GreekName", "HedgeSuggestion", "suggest_hedge"]

GreekName: TypeAlias = Literal["delta", "gamma", "vega", "theta", "rho"]
#: The Greeks a hedge can target.
GREEK_NAMES: tuple[GreekName, ...] = ("delta", "gamma", "vega", "theta", "rho")


@attrs.frozen(slots=True, kw_only=True)
class HedgeSuggestion:
    """Quantities of hedge instruments and what they leave.

    Attributes:
        instruments: the instruments' names, in the order of ``quantities``.
        quantities: units of each instrument to trade (signed: + buy, - sell).
        greeks: the Greeks that were targeted, in the order of ``residual``.
        residual: for each targeted Greek, the hedged portfolio's value minus the target,
            in that Greek's units (zeros, up to rounding, when the target is reachable).
        resulting: all Greeks of the hedged portfolio (current plus the hedge).
        method: ``"solve"`` (square and full rank: exact) or ``"lstsq"`` (least squares).
        rank: the rank of the instruments' Greek matrix (fewer independent instruments
            than targeted Greeks leaves a residual).
    """

    instruments: tuple[str, ...]
    quantities: tuple[float, ...]
    greeks: tuple[GreekName, ...]
    residual: tuple[float, ...]
    resulting: Greeks
    method: Literal["solve", "lstsq"]
    rank: int

    def quantity(self, instrument: str) -> float:
        """The quantity of one instrument, by name.

        Raises:
            KeyError: no instrument of that name was offered.
        """
        try:
            return self.quantities[self.instruments.index(instrument)]
        except ValueError:
            raise KeyError(instrument) from None


def _check_greeks(greeks: Sequence[str]) -> tuple[GreekName, ...]:
    if not greeks:
        raise ValueError("greeks must name at least one Greek to hedge")
    chosen: list[GreekName] = []
    for name in greeks:
        if name not in GREEK_NAMES:
            raise ValueError(f"greeks: {name!r} is not one of {', '.join(GREEK_NAMES)}")
        if name in chosen:
            raise ValueError(f"greeks: {name!r} is named twice")
        chosen.append(name)
    return tuple(chosen)


def _vector(what: str, greeks: Greeks, names: tuple[GreekName, ...]) -> NDArray[np.float64]:
    values = np.array([getattr(greeks, name) for name in names], dtype=np.float64)
    if not np.isfinite(values).all():
        raise ValueError(f"{what} must hold finite Greeks, got {greeks!r}")
    return values


def suggest_hedge(
    current: Greeks,
    target: Greeks,
    instruments: Mapping[str, Greeks],
    *,
    greeks: Sequence[GreekName] = ("delta", "gamma", "vega"),
    weights: Mapping[GreekName, float] | None = None,
) -> HedgeSuggestion:
    """Quantities of ``instruments`` that bring the chosen ``greeks`` of ``current`` to
    ``target``.

    Args:
        current: the portfolio's Greeks now.
        target: the Greeks wanted (``Greeks()`` for flat); only ``greeks`` are read.
        instruments: the hedge instruments by name, each with its per-unit Greeks.
        greeks: which Greeks to bring to target (default delta, gamma, vega).
        weights: for least squares, a weight per Greek (default 1 each). The Greeks have
            different units (delta in underlying units, vega per 1.00 of volatility), so
            an unweighted least-squares fit favours whichever is numerically largest;
            weights say how much a unit of each residual costs. An exact solve ignores
            them.

    Returns:
        The quantities, the residual per targeted Greek and the hedged Greeks.

    Raises:
        ValueError: no instruments, an unknown or repeated Greek, a non-finite Greek, or a
            weight that is not finite and > 0; the message names the argument.
    """
    if not instruments:
        raise ValueError("instruments must offer at least one hedge instrument")
    names = _check_greeks(greeks)
    weight = np.ones(len(names))
    for name, value in (weights or {}).items():
        if name not in names:
            raise ValueError(f"weights: {name!r} is not among the hedged greeks {names}")
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"weights: {name!r} must be a finite number > 0, got {value!r}")
        weight[names.index(name)] = value

    labels = tuple(instruments)
    matrix = np.column_stack(
        [_vector(f"instruments[{label!r}]", instruments[label], names) for label in labels]
    )
    wanted = _vector("target", target, names) - _vector("current", current, names)
    rank = int(np.linalg.matrix_rank(matrix))
    method: Literal["solve", "lstsq"]
    if matrix.shape[0] == matrix.shape[1] and rank == len(labels):
        method, solution = "solve", np.linalg.solve(matrix, wanted)
    else:
        # Weighting rows by sqrt(w) minimises sum(w_i * residual_i^2).
        root = np.sqrt(weight)[:, None]
        solution = np.linalg.lstsq(matrix * root, wanted * root[:, 0], rcond=None)[0]
        method = "lstsq"
    residual = matrix @ solution - wanted
    quantities = tuple(float(q) for q in solution)
    resulting = reduce(
        lambda total, pair: total + instruments[pair[0]].scaled(pair[1]),
        zip(labels, quantities, strict=True),
        current,
    )
    return HedgeSuggestion(
        instruments=labels,
        quantities=quantities,
        greeks=names,
        residual=tuple(float(r) for r in residual),
        resulting=resulting,
        method=method,
        rank=rank,
    )
