"""Plugin contracts: what a component (and later a venue, policy, strategy) must provide.

A plugin is a class registered under an entry-point group (see :mod:`agbotkit.plugins`).
The built-in components are registered and loaded exactly the same way.
"""

from __future__ import annotations

import abc
import contextlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

import attrs
import trio

from agbotkit.bus.bus import Bus
from agbotkit.model.metrics import Metric, MetricType, labels_key
from agbotkit.toolkit.clock import wall_clock_ms
from agbotkit.topics import METRICS

__all__ = ["Component", "ComponentContext", "NoOptions", "Problem"]


@attrs.frozen
class Problem:
    """Something ``agbotkit run`` would refuse, found by :meth:`Component.preflight`.

    Attributes:
        field: where in the component's options, e.g. ``("policy_file",)`` or
            ``("history", "url")``; empty for the component as a whole.
        message: what is wrong and what to do, in one line.
    """

    field: tuple[str | int, ...]
    message: str


@attrs.frozen
class NoOptions:
    """The options class of a component that takes none."""


@attrs.define
class _Drains:
    """The clean-ups in progress, and whether a forced stop cut them."""

    scopes: set[trio.CancelScope] = attrs.field(factory=set)
    cut: bool = False


@attrs.frozen
class ComponentContext:
    """What the supervisor hands every component.

    Attributes:
        name: the component's name in the stack.
        bus: the process's bus; the only way components talk to each other.
        stack_dir: the stack file's folder (relative paths already resolve against it).
        now_ms: the wall clock, as Unix epoch milliseconds (replaceable in tests).
        stack_name: the stack's name (``stack.name`` in the stack file).
        on_degraded: where :meth:`report_degraded` goes (the supervisor's; ``None``: only
            logged).
    """

    name: str
    bus: Bus
    stack_dir: Path = attrs.field(factory=Path.cwd)
    now_ms: Callable[[], int] = wall_clock_ms
    stack_name: str = "agbotkit"
    on_degraded: Callable[[str], None] | None = attrs.field(
        default=None, kw_only=True, eq=False, repr=False
    )
    _drains: _Drains = attrs.field(factory=lambda: _Drains(), init=False, eq=False, repr=False)

    @contextlib.contextmanager
    def draining(self, timeout_s: float) -> Iterator[trio.CancelScope]:
        """Shield clean-up (a final flush) from the stop, for at most ``timeout_s``.

        Use it in a ``finally`` or cancellation handler. The supervisor cancels the scope
        when the stack's grace period runs out or a second signal forces the stop.
        """
        scope = trio.CancelScope(shield=True, deadline=trio.current_time() + timeout_s)
        if self._drains.cut:
            # The forced stop came before this clean-up began: it gets no time at all.
            scope.cancel()
        self._drains.scopes.add(scope)
        try:
            with scope:
                yield scope
        finally:
            self._drains.scopes.discard(scope)

    def report_degraded(self, problem: str) -> None:
        """Say the component runs but not as asked (``""``: healthy again).

        For what keeps a ready component from doing part of its job and that retrying will
        not fix, such as a subscription the server refused. The supervisor publishes it as
        the ``degraded`` of the component's ready state and as ``agbotkit.component.degraded``.
        """
        if self.on_degraded is not None:
            self.on_degraded(problem)
        elif problem:
            self.logger.warning("degraded: %s", problem)

    def cancel_drains(self) -> None:
        """Cut every clean-up started with :meth:`draining` short (forced stop), and every
        one started from now on."""
        self._drains.cut = True
        for scope in list(self._drains.scopes):
            scope.cancel()

    @property
    def logger(self) -> logging.Logger:
        """A logger named after the component."""
        return logging.getLogger(f"agbotkit.component.{self.name}")

    def metric(
        self,
        name: str,
        value: float,
        metric_type: MetricType = MetricType.GAUGE,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        """Publish one metric sample now (lossy topic: never blocks the caller)."""
        if self.bus.closed:
            return  # the stack is stopping; samples after that have nowhere to go
        sample = Metric(self.now_ms(), metric_type, name, value, labels_key(labels))
        self.bus.publish_nowait(METRICS, sample)


ConfigT = TypeVar("ConfigT")


class Component(abc.ABC, Generic[ConfigT]):
    """A long-running part of a stack (entry-point group ``agbotkit.components``).

    Subclasses set :attr:`Config` to an attrs class describing their options; the stack
    file's keys for the component are structured into it, extra keys refused.

    Attributes:
        Config: the options class.
        name: the component's name in the stack.
        config: the validated options.
        context: bus, clock and paths from the supervisor.
    """

    Config: ClassVar[type[Any]] = NoOptions

    def __init__(self, config: ConfigT, context: ComponentContext) -> None:
        self.config = config
        self.context = context
        self.name = context.name

    @classmethod
    def preflight(cls, config: ConfigT, stack_dir: Path) -> Sequence[Problem]:
        """What would make this component fail at start, found without starting it.

        ``agbotkit check`` and ``agbotkit run`` call it after the options validated and
        before any component starts, and report every problem of a stack at once. Look,
        don't act: read files and the environment, never open sockets, connect or write.
        The default finds nothing.

        Args:
            config: the validated options.
            stack_dir: the stack file's folder.
        """
        return ()

    @abc.abstractmethod
    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Run until cancelled; call ``task_status.started()`` once really ready.

        Stopping is cancellation: a component that must flush does it in a shielded
        ``finally`` bounded by its own deadline. Raising means failure; the supervisor
        applies the restart policy.
        """
