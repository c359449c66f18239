"""Policy reloads: the policy file is put in force again on SIGHUP and when it changes.

A file that fails validation is refused (logged at ERROR with file and line) and the
policies in force stay; each reload is counted in ``polymarket.risk.policy_reloads``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from agbotkit.abc import ComponentContext
from agbotkit.errors import ConfigError
from agbotkit.model.metrics import MetricType
from agbotkit.risk.engine import RiskEngine
from agbotkit.risk.keeper import KillSwitchKeeper
from agbotkit.risk.limits import publish_limits
from agbotkit.risk.loading import reload_policy_file
from agbotkit.risk.watch import FileChanges

__all__ = ["METRIC_POLICY_RELOADS", "PolicyReloader"]

#: Policy reloads (counter); label ``outcome``: ``ok`` or ``refused``.
METRIC_POLICY_RELOADS = "polymarket.risk.policy_reloads"


class PolicyReloader:
    """Reloads one engine's policy file.

    Args:
        engine: the engine whose policies are replaced.
        path: the policy file.
        changes: the file's watch, made before the engine was loaded (so no edit is missed).
        keeper: the kill switch's keeper (``enabled:`` of the file's ``KillSwitch`` entry
            may change with a reload).
        context: the component's context (its logger and metrics).
    """

    def __init__(
        self,
        engine: RiskEngine,
        path: Path,
        changes: FileChanges,
        keeper: KillSwitchKeeper,
        context: ComponentContext,
    ) -> None:
        self._engine = engine
        self._path = path
        self._changes = changes
        self._keeper = keeper
        self._context = context
        self._log = context.logger
        self._counts = {"ok": 0, "refused": 0}

    def reload(self, why: str) -> bool:
        """Put the policy file's policies in force; keep the old ones if it is invalid.

        Args:
            why: what asked for the reload, for the log.

        Returns:
            Whether the file was put in force.
        """
        try:
            reload_policy_file(self._engine, self._path)
        except ConfigError as exc:
            outcome, ok = "refused", False
            self._log.error(
                "policy file %s refused (%s); the policies in force stay:\n%s", self._path, why, exc
            )
        else:
            outcome, ok = "ok", True
            self._log.info("policy file %s reloaded (%s)", self._path, why)
        self._counts[outcome] += 1
        self._context.metric(
            METRIC_POLICY_RELOADS, self._counts[outcome], MetricType.COUNTER, {"outcome": outcome}
        )
        if ok:
            self._keeper.sync("policy-file")  # `enabled:` of the KillSwitch entry may have changed
            publish_limits(self._engine, self._path, self._context)
        return ok

    def poll(self) -> None:
        """Reload when the file's contents changed since the last look."""
        if self._changes.changed():
            self.reload("the file changed")

    async def reload_on(self, hangups: AsyncIterator[int]) -> None:
        """Reload on every signal of ``hangups`` (SIGHUP), until it ends."""
        async for _ in hangups:
            self._changes.changed()  # this reload covers the file watch's next look
            self.reload("SIGHUP")
