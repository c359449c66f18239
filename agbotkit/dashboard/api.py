"""The dashboard's HTTP API: history, health, Prometheus scrape, kill-switch buttons.

* ``GET /api/series?name=...&label=k:v&since=ms&max_points=n``: history from the ring
  buffers, ``{"series": [{"name", "labels", "metric_type", "points": [[ts, v], ...]}]}``,
  points oldest first. ``label`` may repeat (all must match); ``name`` may hold ``*``
  wildcards (``polymarket.*.lag_ms``: every feed), so a page can backfill charts whose
  series it does not know yet. With a ``history`` database configured, what ``since``
  asks for beyond the ring buffers comes from storage (:mod:`agbotkit.dashboard.history`);
  ``"history_error"`` says why when the database could not be read.
* ``GET /healthz``: 200 while the process serves. ``GET /readyz``: 200 when every component
  the supervisor announced is ``ready``, else 503 naming the others; with an execution
  component under a leader lease, ``"leader_leases": {name: "leader" | "standby"}`` too
  (a standby is ready: it stays 200).
* ``GET /metrics``: Prometheus text exposition of the latest values.
* ``GET /api/markets``: ``{"markets": {condition_id: {"question", "slug", "outcomes",
  "token_ids"}}}``, the markets seen on ``MARKETS`` (the page names markets with it).
* ``POST /api/risk/kill`` and ``POST /api/risk/reset`` (``Content-Type:
  application/json``, body ``{}`` or ``{"reason": ..., "component": ...}``; from a browser
  only from the dashboard's own origin, see :mod:`agbotkit.dashboard.guard`): publish a
  :class:`~agbotkit.model.risk.KillSwitchCommand` with a fresh ``command_id`` on
  ``RISK_COMMANDS``; the risk component answers with the state carrying that id (changed
  or not). 202 with the state (``"answered": false`` when no
  answer came within ``kill_wait_s``), 409 when no risk component listens.
"""

from __future__ import annotations

import fnmatch
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs
import msgspec
import trio
from quart import Response, request
from quart_trio import QuartTrio

from agbotkit.dashboard.history import merge_history
from agbotkit.dashboard.hub import DashboardHub
from agbotkit.errors import TimeSeriesError
from agbotkit.metrics.prometheus import CONTENT_TYPE, render_prometheus
from agbotkit.model.risk import KillSwitchAction, KillSwitchChanged, KillSwitchCommand
from agbotkit.topics import RISK_COMMANDS, RISK_STATE

if TYPE_CHECKING:  # the hub's module builds the app around this one
    from agbotkit.dashboard.hub import DashboardHub

__all__ = ["MAX_POINTS_LIMIT", "register_api"]

#: The most points per series ``/api/series`` returns.
MAX_POINTS_LIMIT = 10_000

_ENCODER = msgspec.json.Encoder()


class _BadRequest(Exception):
    """A query parameter or body field is invalid; its text is the message."""


def _json(data: object, status: int = 200) -> Response:
    return Response(_ENCODER.encode(data), status, content_type="application/json")


def register_api(
    app: QuartTrio,
    hub: DashboardHub,
    allowed: Callable[[], bool],
    unauthorized: Callable[[], Response],
) -> None:
    """Add the API routes to ``app``.

    Args:
        app: the dashboard application.
        hub: the state the routes read and the bus they publish on.
        allowed: whether the current request carries an acceptable token.
        unauthorized: the 401 response.
    """

    @app.errorhandler(_BadRequest)
    async def bad_request(error: _BadRequest) -> Response:
        return _json({"error": str(error)}, 400)

    @app.get("/healthz")
    async def healthz() -> Response:
        return _json({"status": "ok"})

    @app.get("/readyz")
    async def readyz() -> Response:
        ready, waiting = hub.readiness()
        components = {name: event.state.value for name, event in hub.components.items()}
        body: dict[str, Any] = {"ready": ready, "not_ready": waiting, "components": components}
        leases = hub.leader_leases()
        if leases:  # a standby is ready too (200): it waits for the lease, as it should
            body["leader_leases"] = leases
        return _json(body, 200 if ready else 503)

    @app.get("/metrics")
    async def prometheus() -> Response:
        if not allowed():
            return unauthorized()
        return Response(render_prometheus(hub.store), 200, content_type=CONTENT_TYPE)

    @app.get("/api/markets")
    async def markets() -> Response:
        if not allowed():
            return unauthorized()
        return _json({"markets": hub.markets})

    @app.get("/api/series")
    async def series() -> Response:
        if not allowed():
            return unauthorized()
        query = _SeriesQuery.parse(request.args)
        found = _query(hub, query)
        if hub.history is None or query.since is None:
            return _json({"series": found})
        series, error = await merge_history(
            hub.history,
            found,
            name=query.name,
            labels=query.labels,
            since=query.since,
            until=hub.context.now_ms(),
            max_points=query.max_points,
        )
        body: dict[str, Any] = {"series": series}
        if error is not None:
            body["history_error"] = error
        return _json(body)

    @app.post("/api/risk/kill")
    async def kill() -> Response:
        return await _risk_command(hub, "trigger", allowed, unauthorized)

    @app.post("/api/risk/reset")
    async def reset() -> Response:
        return await _risk_command(hub, "reset", allowed, unauthorized)


@attrs.frozen
class _SeriesQuery:
    """The query parameters of ``/api/series``, checked."""

    name: str
    labels: dict[str, str]
    since: int | None
    max_points: int

    @classmethod
    def parse(cls, args: Any) -> _SeriesQuery:
        name = args.get("name", "")
        if not name:
            raise _BadRequest("the query parameter 'name' is required")
        max_points = _int_arg(args, "max_points", 2000)
        if max_points is None or not 1 <= max_points <= MAX_POINTS_LIMIT:
            raise _BadRequest(f"max_points must be between 1 and {MAX_POINTS_LIMIT}")
        return cls(name, _label_filter(args), _int_arg(args, "since", None), max_points)


def _query(hub: DashboardHub, query: _SeriesQuery) -> list[dict[str, Any]]:
    name = query.name
    names = fnmatch.filter(hub.store.names(), name) if "*" in name else [name]
    out = []
    for metric_name in names:
        try:
            found = hub.store.query(metric_name, query.labels, query.since, query.max_points)
        except TimeSeriesError as exc:  # pragma: no cover - arguments are checked above
            raise _BadRequest(str(exc)) from exc
        for labels, points in found:
            latest = hub.store.latest_value(metric_name, labels)
            out.append(
                {
                    "name": metric_name,
                    "labels": dict(labels),
                    "metric_type": None if latest is None else latest.metric_type.value,
                    "points": list(
                        zip(points.timestamps.tolist(), points.values.tolist(), strict=True)
                    ),
                }
            )
    return out


def _label_filter(args: Any) -> dict[str, str]:
    label_filter: dict[str, str] = {}
    for label in args.getlist("label"):
        key, sep, value = label.partition(":")
        if not sep or not key:
            raise _BadRequest(f"label must be key:value, got {label!r}")
        label_filter[key] = value
    return label_filter


def _int_arg(args: Any, name: str, default: int | None) -> int | None:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise _BadRequest(f"{name} must be an integer, got {raw!r}") from None


async def _risk_command(
    hub: DashboardHub,
    action: KillSwitchAction,
    allowed: Callable[[], bool],
    unauthorized: Callable[[], Response],
) -> Response:
    if not allowed():
        return unauthorized()
    body = await request.get_json(force=True, silent=True)
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise _BadRequest("the body must be a JSON object")
    reason, component = body.get("reason", ""), body.get("component")
    if not isinstance(reason, str) or not (component is None or isinstance(component, str)):
        raise _BadRequest("'reason' and 'component' must be strings")
    bus = hub.context.bus
    if bus.closed or bus.subscriber_count(RISK_COMMANDS) == 0:
        return _json(
            {
                "error": "no risk component in this stack: the kill switch needs a component "
                "of kind 'risk' (with a policy file) to trigger or reset it"
            },
            409,
        )
    command_id = uuid.uuid4().hex
    command = KillSwitchCommand(action, reason, "dashboard", component, command_id=command_id)
    before = dict(hub.kill_switches)  # now: the hub's consumer may take the answer first
    published = False
    answer: KillSwitchChanged | None = None
    with bus.subscribe(RISK_STATE, buffer=64) as states:
        with trio.move_on_after(hub.kill_wait_s):
            await bus.publish(RISK_COMMANDS, command)
            published = True
            async for state in states:  # retained states come first: they carry no id
                if state.command_id == command_id:
                    answer = state
                    break
    if not published:
        return _json({"error": "the risk component did not take the command in time"}, 503)
    changed = False
    if answer is not None:
        previous = before.get(answer.component)
        changed = previous is None or _kill_key(previous) != _kill_key(answer)
        hub.kill_switch_changed(answer)
    hub.context.logger.warning(
        "kill switch %s requested from the dashboard%s", action, f": {reason}" if reason else ""
    )
    body_out = {
        "accepted": True,
        "command": {
            "action": action,
            "reason": reason,
            "component": component,
            "command_id": command_id,
        },
        "answered": answer is not None,
        "changed": changed,
        "kill_switch": hub.kill_switch(),
    }
    return _json(body_out, 202)


def _kill_key(state: KillSwitchChanged) -> tuple[bool, str, int | None]:
    return state.active, state.reason, state.since_ms
