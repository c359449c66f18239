"""Quantitative risk: Value at Risk with its backtests, Greeks, portfolio analytics, stress
tests and performance metrics.

Pure numpy/scipy: no trio, no I/O (import-linter's pure contract). Conventions, pinned
because libraries disagree: simple daily returns, 252 periods a year, risk-free rate 0,
sample standard deviation (ddof = 1); VaR and ES are positive USD losses; Greeks in
QuantLib's units (vega and rho per 1.00, theta per year, T = days / 365).
"""
