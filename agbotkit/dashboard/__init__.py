"""The dashboard: a browser view of the stack, and the monitor other processes send metrics to.

Run it as the ``dashboard`` component of a stack (:mod:`.component`);
:func:`agbotkit.dashboard.app.create_app` builds the web application around a
:class:`~agbotkit.dashboard.hub.DashboardHub` for those who serve it themselves.
"""
