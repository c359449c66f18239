"""Persistent storage: SQLite embedded by default, PostgreSQL/TimescaleDB at scale.

The ``storage`` component (:mod:`agbotkit.storage.component`) writes the bus's metrics,
orders, fills, positions and (optionally) raw market-data frames; the query API
(:mod:`agbotkit.storage.query`) reads them back for the CLI and the dashboard.
"""
