"""QuantLib as the independent reference for the Greeks tests (AnalyticEuropeanEngine)."""

from __future__ import annotations

import QuantLib as ql

from agbotkit.risk.advanced.greeks import Greeks

TODAY = ql.Date(15, 1, 2025)


def quantlib_greeks(
    payoff: str,
    option: str,
    spot: float,
    strike: float,
    days: int,
    volatility: float,
    rate: float = 0.0,
    dividend: float = 0.0,
    payout: float = 1.0,
) -> Greeks:
    """Price and Greeks from QuantLib: Actual365Fixed, flat continuous curves, expiry
    ``days`` calendar days after the evaluation date (so T = days / 365 exactly)."""
    ql.Settings.instance().evaluationDate = TODAY
    counter = ql.Actual365Fixed()
    process = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(spot)),
        ql.YieldTermStructureHandle(ql.FlatForward(TODAY, dividend, counter)),
        ql.YieldTermStructureHandle(ql.FlatForward(TODAY, rate, counter)),
        ql.BlackVolTermStructureHandle(
            ql.BlackConstantVol(TODAY, ql.NullCalendar(), volatility, counter)
        ),
    )
    kind = ql.Option.Call if option == "call" else ql.Option.Put
    if payoff == "digital":
        ql_payoff = ql.CashOrNothingPayoff(kind, strike, payout)
    else:
        ql_payoff = ql.PlainVanillaPayoff(kind, strike)
    instrument = ql.VanillaOption(ql_payoff, ql.EuropeanExercise(TODAY + days))
    instrument.setPricingEngine(ql.AnalyticEuropeanEngine(process))
    return Greeks(
        price=instrument.NPV(),
        delta=instrument.delta(),
        gamma=instrument.gamma(),
        vega=instrument.vega(),
        theta=instrument.theta(),
        rho=instrument.rho(),
    )
