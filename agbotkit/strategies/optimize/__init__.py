"""Optimising a strategy's parameters over backtests: grid, random and Optuna's TPE
searches, parallel on the cores of one machine and across machines through an Optuna study
stored in PostgreSQL, with walk-forward validation (``agbotkit optimize``; see
``docs/strategies/optimize.md``)."""
