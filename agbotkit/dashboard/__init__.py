"""The dashboard: a browser view of the stack, and the monitor other processes send metrics to.

Run it as the ``dashboard`` component of a stack; :func:`create_app` builds the web
application around a :class:`DashboardHub` for those who serve it themselves.
"""

from agbotkit.dashboard.app import DashboardHub as DashboardHub
from agbotkit.dashboard.app import create_app as create_app
from agbotkit.dashboard.broadcast import Broadcaster as Broadcaster
from agbotkit.dashboard.component import Dashboard as Dashboard
from agbotkit.dashboard.component import DashboardConfig as DashboardConfig

__all__ = ["Broadcaster", "Dashboard", "DashboardConfig", "DashboardHub", "create_app"]
