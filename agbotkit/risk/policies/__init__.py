"""The built-in risk policies, one module each.

They are registered in agbotkit's ``pyproject.toml`` under ``agbotkit.risk_policies`` and
loaded through :class:`agbotkit.plugins.PluginRegistry` like any third-party policy; this
package exports nothing so that nothing imports them around that path.
"""
