"""The reference strategies agbotkit ships, each registered under the
``agbotkit.strategies`` entry points: ``market_maker``, ``parity_arbitrage``, ``trend``,
``mean_reversion``, ``twap`` and ``vwap`` (docs/strategies/<name>.md)."""
