"""The ``storage`` component: writes the bus's metrics, orders, fills, positions and
(optionally) raw market-data frames to a database through :mod:`agbotkit.db`.

:mod:`.component` is the component (its options, start and stop, the flush and retention
loops, its own metrics), :mod:`.ingest` its intake (bus subscriptions to rows),
:mod:`.writer` its batching writer (worker thread, reconnects, drains) and :mod:`.spill` the
local journal of execution rows the database could not take yet.
"""
