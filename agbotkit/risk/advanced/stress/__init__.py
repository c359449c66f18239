"""Stress tests of a Polymarket portfolio: named scenarios, user scenarios from YAML.

- :mod:`.positions`: the positions a stress test values (:class:`StressPosition`,
  :class:`StressPortfolio`);
- :mod:`.scenarios`: scenarios as values and the built-in ones (``all_resolve_against``,
  ``reference_crash``, ``liquidity_vanishes``);
- :mod:`.scenario_file`: scenarios from YAML text, errors with file, line and field;
- :mod:`.engine`: :func:`stress_test`, a scenario applied to a portfolio -> :class:`StressResult`;
- :mod:`.resolutions`: which markets resolve YES, given or worst case (one winner per
  neg-risk event);
- :mod:`.repricing`: digitals re-priced, log-odds shifts, exit prices.

Formulas and the YAML format: ``docs/risk/STRESS_TESTING.md``.
"""
