"""What every component would otherwise write again: clocks, backoff, task loops, clean-up.

* :mod:`.clock`: :func:`~agbotkit.toolkit.clock.wall_clock_ms`, the one wall clock.
* :mod:`.backoff`: :class:`~agbotkit.toolkit.backoff.Backoff`, doubling and jittered.
* :mod:`.tasks`: :func:`~agbotkit.toolkit.tasks.consume`, :func:`~agbotkit.toolkit.tasks.run_every`,
  :func:`~agbotkit.toolkit.tasks.take_waiting`, and the bounded, shielded clean-up
  :func:`~agbotkit.toolkit.tasks.cleanup_within` / :func:`~agbotkit.toolkit.tasks.aclose_within`.

The rate-limited warning is :class:`agbotkit.logs.WarningThrottle`; the reconnecting
WebSocket session is :mod:`agbotkit.ws.session`.
"""
