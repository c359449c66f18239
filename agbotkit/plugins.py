"""Plugin discovery through entry points.

agbotkit's own built-ins are registered in its ``pyproject.toml`` under the same groups a
third-party package uses, and loaded by this module like any other plugin. Nothing is
discovered until asked: importing agbotkit imports no plugin.
"""

from __future__ import annotations

import importlib.metadata as metadata
from collections.abc import Iterator
from typing import Any

import attrs

from agbotkit.errors import PluginError

__all__ = ["GROUPS", "PluginInfo", "PluginRegistry"]

#: Entry-point groups and the contract a plugin of each must fulfil.
GROUPS: dict[str, str] = {
    "agbotkit.components": "a subclass of agbotkit.abc.Component",
    "agbotkit.venues": "a subclass of agbotkit.abc.VenueAdapter",
    "agbotkit.risk_policies": "a risk policy class (see agbotkit.risk)",
    "agbotkit.strategies": "a Strategy class (agbotkit.strategies.api), run by the strategy component",
}


@attrs.frozen
class PluginInfo:
    """One discovered plugin.

    Attributes:
        group: entry-point group.
        name: entry-point name (what a stack file's ``kind:`` or a policy's ``type:`` says).
        value: the ``module:attribute`` it points at.
        distribution: the installed distribution that offers it.
        version: that distribution's version.
    """

    group: str
    name: str
    value: str
    distribution: str
    version: str


class PluginRegistry:
    """Finds plugins by group and name, and loads them once each."""

    def __init__(self) -> None:
        self._found: dict[str, dict[str, PluginInfo]] | None = None
        self._loaded: dict[tuple[str, str], Any] = {}

    def discover(self) -> dict[str, dict[str, PluginInfo]]:
        """Scan installed distributions (once) and return group -> name -> plugin.

        Raises:
            PluginError: two distributions offer the same name in one group.
        """
        if self._found is None:
            self._found = _scan()
        return self._found

    def register(self, group: str, name: str, obj: Any, distribution: str = "<registered>") -> None:
        """Offer ``obj`` as plugin ``name`` of ``group`` without an installed distribution.

        For programs that embed agbotkit and for tests; the same duplicate rule applies.

        Raises:
            PluginError: the group is unknown, or the name is already taken.
        """
        if group not in GROUPS:
            raise PluginError(group, name, f"unknown group (known: {', '.join(GROUPS)})")
        found = self.discover()
        other = found[group].get(name)
        if other is not None:
            raise PluginError(
                group,
                name,
                f"already offered by {_origin(other)} ({other.value})",
            )
        value = f"{getattr(obj, '__module__', '?')}:{getattr(obj, '__qualname__', repr(obj))}"
        found[group][name] = PluginInfo(group, name, value, distribution, "")
        self._loaded[(group, name)] = obj

    def infos(self) -> Iterator[PluginInfo]:
        """Every discovered plugin, by group then name."""
        found = self.discover()
        for group in sorted(found):
            for name in sorted(found[group]):
                yield found[group][name]

    def names(self, group: str) -> list[str]:
        """The plugin names offered in ``group``."""
        return sorted(self.discover().get(group, {}))

    def load(self, group: str, name: str) -> Any:
        """Import and return the object the plugin ``name`` of ``group`` points at.

        Raises:
            PluginError: the name is unknown, or importing it failed.
        """
        key = (group, name)
        if key in self._loaded:
            return self._loaded[key]
        info = self.discover().get(group, {}).get(name)
        if info is None:
            known = ", ".join(self.names(group)) or "none installed"
            raise PluginError(group, name, f"no such plugin (known: {known})")
        try:
            loaded = metadata.EntryPoint(info.name, info.value, info.group).load()
        except Exception as exc:  # any import-time error of third-party code
            raise PluginError(
                group,
                name,
                f"failed to import {info.value} from {_origin(info)}: {type(exc).__name__}: {exc}",
            ) from exc
        self._loaded[key] = loaded
        return loaded


def _origin(info: PluginInfo) -> str:
    """``dist 1.2`` for an installed plugin; just the name when there is no version."""
    return f"{info.distribution} {info.version}" if info.version else info.distribution


def _scan() -> dict[str, dict[str, PluginInfo]]:
    found: dict[str, dict[str, PluginInfo]] = {group: {} for group in GROUPS}
    seen: set[tuple[str, str, str]] = set()
    for dist in metadata.distributions():
        dist_name = dist.metadata["Name"] or "<unknown>"
        for entry in dist.entry_points:
            if entry.group not in GROUPS:
                continue
            # One distribution can be visible twice on sys.path (editable + site-packages).
            identity = (dist_name.lower(), entry.group, entry.name)
            if identity in seen:
                continue
            seen.add(identity)
            info = PluginInfo(entry.group, entry.name, entry.value, dist_name, dist.version)
            other = found[entry.group].get(entry.name)
            if other is not None:
                raise PluginError(
                    entry.group,
                    entry.name,
                    f"offered by two distributions: {_origin(other)} ({other.value}) "
                    f"and {_origin(info)} ({info.value})",
                )
            found[entry.group][entry.name] = info
    return found
