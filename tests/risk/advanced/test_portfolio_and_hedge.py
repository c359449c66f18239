"""Portfolio Greeks as quantity-weighted sums, and suggest_hedge's solutions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agbotkit.risk.advanced.greeks import Greeks, GreeksEngine, black_scholes, digital
from agbotkit.risk.advanced.greeks_positions import OptionBook, OptionPosition

ENGINE = GreeksEngine()
FIELDS = ("price", "delta", "gamma", "vega", "theta", "rho")

positions = st.builds(
    OptionPosition,
    payoff=st.sampled_from(["vanilla", "digital"]),
    option=st.sampled_from(["call", "put"]),
    spot=st.floats(50.0, 150.0),
    strike=st.floats(50.0, 150.0),
    years=st.floats(0.01, 2.0),
    volatility=st.floats(0.05, 1.5),
    quantity=st.floats(-1e4, 1e4),
    rate=st.floats(0.0, 0.08),
    payout=st.floats(0.5, 10.0),
)


@settings(max_examples=100, deadline=None)
@given(book=st.lists(positions, max_size=20))
def test_portfolio_is_the_quantity_weighted_sum_of_the_closed_forms(
    book: list[OptionPosition],
) -> None:
    expected = Greeks()
    for p in book:
        if p.payoff == "digital":
            unit = digital(p.option, p.spot, p.strike, p.years, p.volatility, p.rate, p.payout)
        else:
            unit = black_scholes(p.option, p.spot, p.strike, p.years, p.volatility, p.rate)
        expected += unit.scaled(p.quantity)
        assert ENGINE.position(p) == unit.scaled(p.quantity)
    total = ENGINE.portfolio(book)
    assert total == ENGINE.portfolio(OptionBook.from_positions(book))
    magnitude = sum(abs(p.quantity) for p in book) * 200.0
    for name in FIELDS:
        assert getattr(total, name) == pytest.approx(
            getattr(expected, name), rel=1e-9, abs=1e-12 * magnitude
        )


def test_empty_portfolio_is_zero() -> None:
    assert ENGINE.portfolio([]) == Greeks()


def test_position_refuses_bad_fields_by_name() -> None:
    fields = {
        "payoff": "digital",
        "option": "call",
        "spot": 100.0,
        "strike": 100.0,
        "years": 0.1,
        "volatility": 0.5,
        "quantity": 1.0,
    }
    for name, value in [
        ("payoff", "barrier"),
        ("volatility", -1.0),
        ("quantity", float("nan")),
        ("payout", 0.0),
    ]:
        with pytest.raises(ValueError, match=f"^{name} must"):
            OptionPosition(**{**fields, name: value})  # type: ignore[arg-type]


def test_book_arrays_must_share_a_shape() -> None:
    book = OptionBook.from_positions([])
    with pytest.raises(ValueError, match="share one shape"):
        OptionBook(
            **{
                **{f: getattr(book, f) for f in book.__slots__ if f != "__weakref__"},
                "spot": np.ones(2),
            }
        )


PORTFOLIO = Greeks(price=120.0, delta=35.0, gamma=-0.8, vega=-150.0, theta=40.0, rho=12.0)
FUTURE = Greeks(delta=1.0)
CALL = black_scholes("call", 100.0, 100.0, 0.25, 0.5)
PUT = black_scholes("put", 100.0, 90.0, 0.5, 0.55)


def test_square_system_is_solved_exactly_to_target() -> None:
    hedge = ENGINE.suggest_hedge(PORTFOLIO, Greeks(), {"future": FUTURE, "call": CALL, "put": PUT})
    assert hedge.method == "solve"
    assert hedge.rank == 3
    matrix = np.array(
        [
            [FUTURE.delta, CALL.delta, PUT.delta],
            [FUTURE.gamma, CALL.gamma, PUT.gamma],
            [FUTURE.vega, CALL.vega, PUT.vega],
        ]
    )
    np.testing.assert_allclose(matrix @ np.array(hedge.quantities), [-35.0, 0.8, 150.0], rtol=1e-12)
    for name in ("delta", "gamma", "vega"):
        assert getattr(hedge.resulting, name) == pytest.approx(0.0, abs=1e-10)
    assert hedge.resulting.theta == pytest.approx(
        PORTFOLIO.theta
        + sum(q * g.theta for q, g in zip(hedge.quantities, (FUTURE, CALL, PUT), strict=True))
    )


def test_target_other_than_flat() -> None:
    target = Greeks(delta=10.0, gamma=0.1)
    hedge = ENGINE.suggest_hedge(
        PORTFOLIO, target, {"future": FUTURE, "call": CALL}, greeks=("delta", "gamma")
    )
    assert hedge.resulting.delta == pytest.approx(10.0)
    assert hedge.resulting.gamma == pytest.approx(0.1)
    assert hedge.quantity("call") == pytest.approx((0.1 + 0.8) / CALL.gamma)
    with pytest.raises(KeyError):
        hedge.quantity("put")


def test_too_few_instruments_leave_the_least_squares_residual() -> None:
    hedge = ENGINE.suggest_hedge(
        PORTFOLIO, Greeks(), {"call": CALL}, greeks=("delta", "vega"), weights={"vega": 0.01}
    )
    assert hedge.method == "lstsq"
    a = np.array([CALL.delta, CALL.vega])
    w = np.array([1.0, 0.01])
    b = np.array([-35.0, 150.0])
    # The weighted normal equation, solved by hand for one instrument.
    assert hedge.quantities[0] == pytest.approx((a * w) @ b / ((a * w) @ a), rel=1e-12)
    np.testing.assert_allclose(hedge.residual, a * hedge.quantities[0] - b, rtol=1e-12)


def test_too_many_instruments_take_the_smallest_quantities() -> None:
    twin = {"future": FUTURE, "other_future": FUTURE}
    hedge = ENGINE.suggest_hedge(PORTFOLIO, Greeks(), twin, greeks=("delta",))
    assert hedge.rank == 1
    assert hedge.quantities == pytest.approx((-17.5, -17.5))
    assert hedge.residual == pytest.approx((0.0,), abs=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"instruments": {}}, "instruments must offer"),
        ({"greeks": ()}, "greeks must name"),
        ({"greeks": ("delta", "charm")}, "greeks: 'charm'"),
        ({"greeks": ("delta", "delta")}, "named twice"),
        ({"weights": {"delta": 0.0}}, "weights: 'delta' must"),
        ({"weights": {"rho": 1.0}}, "weights: 'rho' is not among"),
        ({"current": Greeks(delta=float("nan"))}, "current must hold finite"),
    ],
)
def test_bad_hedge_input(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {
        "current": PORTFOLIO,
        "target": Greeks(),
        "instruments": {"future": FUTURE},
        **kwargs,
    }
    with pytest.raises(ValueError, match=message):
        ENGINE.suggest_hedge(**arguments)  # type: ignore[arg-type]
