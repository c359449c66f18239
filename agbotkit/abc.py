"""Plugin contracts: what a component and a venue adapter must provide.

A plugin is a class registered under an entry-point group (see :mod:`agbotkit.plugins`).
The built-in components are registered and loaded exactly the same way.
"""

from __future__ import annotations

import abc
import contextlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

import attrs
import trio

from agbotkit.bus.bus import Bus
from agbotkit.model.metrics import Metric, MetricType, labels_key
from agbotkit.model.orders import Order
from agbotkit.model.venues import CancelResult, OrderAck, VenueCapabilities, VenueEvent, VenueOrder
from agbotkit.toolkit.clock import wall_clock_ms
from agbotkit.toolkit.ratelimit import RateLimits
from agbotkit.topics import METRICS

__all__ = [
    "Component",
    "ComponentContext",
    "NoOptions",
    "Problem",
    "VenueAdapter",
    "VenueContext",
]


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
        rate_limits: the process's rate-limit budgets, shared by every component (see
            :mod:`agbotkit.toolkit.ratelimit`).
    """

    name: str
    bus: Bus
    stack_dir: Path = attrs.field(factory=Path.cwd)
    now_ms: Callable[[], int] = wall_clock_ms
    stack_name: str = "agbotkit"
    on_degraded: Callable[[str], None] | None = attrs.field(
        default=None, kw_only=True, eq=False, repr=False
    )
    rate_limits: RateLimits = attrs.field(factory=RateLimits, kw_only=True, eq=False, repr=False)
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

    @classmethod
    def describe(cls, config: ConfigT, stack_dir: Path) -> Sequence[str]:
        """What a user must know about this component before running it, one line each
        (``agbotkit check`` prints them; the execution component says which venues
        would trade real money). Look, don't act, as in :meth:`preflight`. The default
        says nothing.
        """
        return ()

    @abc.abstractmethod
    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Run until cancelled; call ``task_status.started()`` once really ready.

        Stopping is cancellation: a component that must flush does it in a shielded
        ``finally`` bounded by its own deadline. Raising means failure; the supervisor
        applies the restart policy.
        """


@attrs.frozen
class VenueContext:
    """What the execution component hands each venue adapter it runs.

    Attributes:
        name: the venue's name in the stack (a key of the execution component's ``venues``).
        component: the execution component's context (bus, clock, rate limits, logger).
        events: where :meth:`report` sends order updates and fills.
    """

    name: str
    component: ComponentContext
    events: trio.MemorySendChannel[VenueEvent] = attrs.field(eq=False, repr=False)

    async def report(self, event: VenueEvent) -> None:
        """Tell the execution layer an order changed or filled (waits while it is busy:
        no update is ever dropped)."""
        await self.events.send(event)

    def now_ms(self) -> int:
        """The wall clock, Unix epoch milliseconds."""
        return self.component.now_ms()

    @property
    def rate_limits(self) -> RateLimits:
        """The process's shared rate-limit budgets."""
        return self.component.rate_limits

    @property
    def logger(self) -> logging.Logger:
        """A logger named after the venue."""
        return logging.getLogger(f"agbotkit.venue.{self.name}")


class VenueAdapter(abc.ABC, Generic[ConfigT]):
    """A venue that takes orders (entry-point group ``agbotkit.venues``).

    The execution component makes one adapter per entry of its ``venues`` option (the
    entry's ``kind`` names the plugin, its other keys are structured into :attr:`Config`),
    starts :meth:`run` in its own nursery and calls the other methods from its tasks, at
    most one submit per order and never a submit again for an order it sent.

    Every method raises :class:`~agbotkit.errors.VenueError` for a request that failed and
    did nothing, and a submit raises :class:`~agbotkit.errors.OrderOutcomeUnknownError`
    when the order may have reached the venue but the answer was lost: the execution
    layer then looks the order up (:meth:`get_order` with :meth:`order_id_for`'s id, else
    :meth:`find_order`) and never resends it. Waits are bounded by the caller's timeouts;
    an adapter bounds its own network waits too. Rate limits: take budgets from
    ``context.rate_limits`` (see :mod:`agbotkit.toolkit.ratelimit`).

    Attributes:
        Config: the options class.
        capabilities: what the venue supports (set in ``__init__`` or as a class attribute).
        config: the validated options.
        context: name, event channel, clock and rate limits.
    """

    Config: ClassVar[type[Any]] = NoOptions
    capabilities: VenueCapabilities = VenueCapabilities()

    def __init__(self, config: ConfigT, context: VenueContext) -> None:
        self.config = config
        self.context = context
        self.name = context.name

    @classmethod
    def preflight(cls, config: ConfigT, stack_dir: Path) -> Sequence[Problem]:
        """What would make this venue fail at start, found without starting it (missing
        credentials files, say). Look, don't act; the default finds nothing."""
        return ()

    @classmethod
    def no_money_reason(cls, config: ConfigT) -> str | None:
        """Why orders on this configuration can never reach a real exchange (``"dry_run:
        true: orders are signed and logged, never sent"``), or ``None`` when they would
        once live trading is switched on. ``agbotkit check`` says it. The default reads
        class-level :attr:`capabilities`: ``None`` (real money) unless they say otherwise.
        """
        if not cls.capabilities.real_money:
            return "this venue trades no real money"
        return None

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Connect and keep the venue's streams going; ``task_status.started()`` once
        orders can be sent. Report every order update and fill with
        ``await self.context.report(...)``. Runs until cancelled; the default has nothing
        to run."""
        task_status.started()
        await trio.sleep_forever()

    @abc.abstractmethod
    async def submit(self, order: Order) -> OrderAck:
        """Send one order; return the venue's answer (``REJECTED`` with a reason when it
        refused it). Fills that happen at once are reported as events, not here."""

    async def submit_batch(self, orders: Sequence[Order]) -> list[OrderAck]:
        """Send at most ``capabilities.max_batch`` orders in one request; one answer per
        order, in order. The default sends them one by one."""
        return [await self.submit(order) for order in orders]

    async def prepare(self, orders: Sequence[Order]) -> None:
        """Called just before ``orders`` are sent (before :meth:`order_id_for`): fetch what
        computing their ids needs (Polymarket: each token's tick size and neg-risk flag).
        A :class:`~agbotkit.errors.VenueError` here refuses the orders, nothing sent. The
        default does nothing."""

    def order_id_for(self, order: Order) -> str:
        """The venue's id ``order`` will get, when the venue makes it from the order
        itself (Polymarket: the order's hash); ``""`` when it cannot be known before the
        answer. Set ``capabilities.computes_order_id`` when this returns ids."""
        return ""

    @abc.abstractmethod
    async def cancel(self, venue_order_id: str) -> CancelResult:
        """Cancel one order by the venue's id."""

    async def cancel_many(self, venue_order_ids: Sequence[str]) -> CancelResult:
        """Cancel several orders; the default cancels them one by one."""
        canceled: list[str] = []
        not_canceled: dict[str, str] = {}
        for venue_order_id in venue_order_ids:
            result = await self.cancel(venue_order_id)
            canceled.extend(result.canceled)
            not_canceled.update(result.not_canceled)
        return CancelResult(canceled=tuple(canceled), not_canceled=not_canceled)

    @abc.abstractmethod
    async def cancel_all(self, market_id: str | None = None) -> CancelResult:
        """Cancel every open order of this account, or of one market only."""

    @abc.abstractmethod
    async def open_orders(self, market_id: str | None = None) -> list[VenueOrder]:
        """Every order of this account still open on the venue (or of one market), all
        pages of them."""

    @abc.abstractmethod
    async def get_order(self, venue_order_id: str) -> VenueOrder | None:
        """One order by the venue's id, whatever its status; ``None`` when the venue does
        not know it (it never arrived)."""

    async def find_order(self, client_order_id: str) -> VenueOrder | None:
        """One order by our id, for venues that keep it; the default searches the open
        orders (a closed order is then not found: return it if your venue can)."""
        for order in await self.open_orders():
            if order.client_order_id == client_order_id:
                return order
        return None

    async def tick_size(self, token_id: str) -> Decimal:
        """The price increment of ``token_id`` (the default: the capabilities' default)."""
        return self.capabilities.default_tick_size

    async def aclose(self) -> None:
        """Release what the adapter holds (connection pools), once the execution component
        is done with it: after :meth:`run` ended and the stop's cancels were sent. The
        default has nothing to release."""
