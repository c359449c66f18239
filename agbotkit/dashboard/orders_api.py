"""The dashboard's execution API: open orders, recent fills, PnL, and cancel requests.

* ``GET /api/orders``: ``{"count": n, "orders": [...]}``, every open order (the latest
  status change of each order not yet filled, canceled, rejected or expired), most
  recently changed first; see :func:`agbotkit.dashboard.execution.order_json`.
* ``GET /api/fills?limit=N``: ``{"fills": [...]}``, the newest fills first (at most
  ``limit``, at most the component's ``recent_fills``).
* ``GET /api/pnl``: ``{"markets": [{"market_id", "realised_usd", "unrealised_usd",
  "total_usd", "positions"}], "total": {...}}`` from the latest position snapshots.
* ``POST /api/orders/cancel-all`` (body ``{}`` or ``{"venue", "market_id", "reason"}``,
  each optional) and ``POST /api/orders/<client_order_id>/cancel`` (body ``{}`` or
  ``{"reason"}``): publish a :class:`~agbotkit.model.execution.CancelAll` or
  :class:`~agbotkit.model.execution.CancelOrder` with ``source: "api"`` on
  ``CANCEL_REQUESTS`` and answer 202 with what was asked (``"open"`` says whether the
  dashboard saw the order open); the execution component's answer is the orders' status
  changes on ``ORDER_UPDATES``. 409 when no execution component listens; 503 when it did
  not take the request within ``kill_wait_s``.

Every route needs the access token when one is configured. The POSTs are state-changing
requests, so the :mod:`agbotkit.dashboard.guard` rules apply to them as to the kill
switch's: ``Content-Type: application/json``, and from a browser only the dashboard's own
origin.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
import trio
from quart import Response, request
from quart_trio import QuartTrio

from agbotkit.dashboard.hub import DashboardHub
from agbotkit.model.execution import CancelAll, CancelOrder, CancelRequest
from agbotkit.topics import CANCEL_REQUESTS

__all__ = ["SOURCE", "register_orders_api"]

#: The ``source`` of the cancel requests the dashboard publishes.
SOURCE = "api"

_ENCODER = msgspec.json.Encoder()


def _json(data: object, status: int = 200) -> Response:
    return Response(_ENCODER.encode(data), status, content_type="application/json")


class _BadBody(Exception):
    """The request's body or a parameter is invalid; its text says why."""


def register_orders_api(
    app: QuartTrio,
    hub: DashboardHub,
    allowed: Callable[[], bool],
    unauthorized: Callable[[], Response],
) -> None:
    """Add the execution routes to ``app`` (arguments as
    :func:`agbotkit.dashboard.api.register_api`)."""

    @app.errorhandler(_BadBody)
    async def bad_body(error: _BadBody) -> Response:
        return _json({"error": str(error)}, 400)

    @app.get("/api/orders")
    async def orders() -> Response:
        if not allowed():
            return unauthorized()
        return _json(hub.execution.open_orders())

    @app.get("/api/fills")
    async def fills() -> Response:
        if not allowed():
            return unauthorized()
        raw = request.args.get("limit", "")
        try:
            limit = int(raw) if raw else None
        except ValueError:
            raise _BadBody(f"limit must be an integer, got {raw!r}") from None
        if limit is not None and limit < 1:
            raise _BadBody(f"limit must be at least 1, got {limit}")
        return _json({"fills": hub.execution.fills(limit)})

    @app.get("/api/pnl")
    async def pnl() -> Response:
        if not allowed():
            return unauthorized()
        return _json(hub.execution.pnl())

    @app.post("/api/orders/cancel-all")
    async def cancel_all() -> Response:
        if not allowed():
            return unauthorized()
        body = await _body(("venue", "market_id", "reason"))
        cancel = CancelAll(
            venue=body.get("venue") or None,
            market_id=body.get("market_id") or None,
            reason=body.get("reason") or "",
            source=SOURCE,
        )
        return await _publish(hub, cancel, {})

    @app.post("/api/orders/<client_order_id>/cancel")
    async def cancel_one(client_order_id: str) -> Response:
        if not allowed():
            return unauthorized()
        body = await _body(("reason",))
        cancel = CancelOrder(
            client_order_id=client_order_id, reason=body.get("reason") or "", source=SOURCE
        )
        return await _publish(hub, cancel, {"open": hub.execution.is_open(client_order_id)})


async def _body(fields: tuple[str, ...]) -> dict[str, Any]:
    """The JSON object of the request (``{}`` when empty): only ``fields``, strings or
    null."""
    body = await request.get_json(force=True, silent=True)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise _BadBody("the body must be a JSON object")
    unknown = sorted(set(body) - set(fields))
    if unknown:
        raise _BadBody(f"unknown field(s) {unknown}: expected {list(fields)}")
    for name, value in body.items():
        if not (value is None or isinstance(value, str)):
            raise _BadBody(f"{name!r} must be a string")
    return body


async def _publish(hub: DashboardHub, cancel: CancelRequest, extra: dict[str, Any]) -> Response:
    bus = hub.context.bus
    if bus.closed or bus.subscriber_count(CANCEL_REQUESTS) == 0:
        return _json(
            {
                "error": "no execution component in this stack: cancels need a component of "
                "kind 'execution' to send them to the venue"
            },
            409,
        )
    with trio.move_on_after(hub.kill_wait_s):
        await bus.publish(CANCEL_REQUESTS, cancel)
        hub.context.logger.warning("%s requested from the dashboard API", _describe(cancel))
        return _json({"accepted": True, "request": _request_json(cancel), **extra}, 202)
    return _json({"error": "the execution component did not take the request in time"}, 503)


def _request_json(cancel: CancelRequest) -> dict[str, Any]:
    if isinstance(cancel, CancelAll):
        return {
            "type": "cancel_all",
            "venue": cancel.venue,
            "market_id": cancel.market_id,
            "reason": cancel.reason,
            "source": cancel.source,
        }
    return {
        "type": "cancel_order",
        "client_order_id": cancel.client_order_id,
        "reason": cancel.reason,
        "source": cancel.source,
    }


def _describe(cancel: CancelRequest) -> str:
    if isinstance(cancel, CancelOrder):
        what = f"cancel of order {cancel.client_order_id}"
    else:
        scope = [f"venue {cancel.venue}"] if cancel.venue else []
        scope += [f"market {cancel.market_id}"] if cancel.market_id else []
        what = "cancel of every open order" + (f" of {', '.join(scope)}" if scope else "")
    return what + (f" ({cancel.reason})" if cancel.reason else "")
