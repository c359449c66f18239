"""Pre-trade risk: the policy engine, its policies, the portfolio, the kill switch.

:mod:`.engine` (:class:`~agbotkit.risk.engine.RiskEngine`, pure) judges a
:class:`~agbotkit.model.risk.RiskContext` against the policies a policy file names
(:mod:`.loading`: ``engine_from_file(path)``, or ``RiskEngine(parse_policies_yaml(text))``);
the policies come through the ``agbotkit.risk_policies`` entry points (:mod:`.policies`).
The ``risk`` component (:mod:`.component`) wires the portfolio (:mod:`.portfolio`), the
kill-switch keeper (:mod:`.keeper`), the policy reloader (:mod:`.reloader`) and the judge
(:mod:`.judge`) to the bus.
"""
