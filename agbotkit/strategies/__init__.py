"""Strategies: the :class:`~agbotkit.strategies.api.Strategy` contract, the ``strategy``
component that runs one live or on paper, the coordinator, signals, the reference
strategies, the backtester and the optimiser."""
