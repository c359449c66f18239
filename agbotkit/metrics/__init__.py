"""Metrics across processes: the wire protocol (:mod:`.protocol`), the monitor's store
(:mod:`.store`) and Prometheus exposition (:mod:`.prometheus`).

A bot's ``metrics_emitter`` component (:mod:`agbotkit.builtins.metrics_emitter`) sends the
protocol to a monitor, which keeps what it receives in a
:class:`~agbotkit.metrics.store.MetricsStore`.
"""
