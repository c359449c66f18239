"""The backtester: recorded L2 market data replayed through the real book, risk engine,
order manager and the paper venue's fill logic, on a simulated clock.

Start at :func:`agbotkit.strategies.backtest.engine.run_backtest` with a
:class:`~agbotkit.strategies.backtest.config.BacktestConfig`.
"""
