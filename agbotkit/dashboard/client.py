"""``agbotkit orders list|cancel ID|cancel-all``: a running stack's orders, from a shell.

The commands talk to the stack's ``dashboard`` component over HTTP (its execution API,
:mod:`agbotkit.dashboard.orders_api`), with the access token the dashboard itself reads
(``token_env`` or ``token_file``, :func:`agbotkit.dashboard.auth.load_token`). So they
need the stack to be running; the dashboard forwards cancels to the execution component.

A dashboard listening on every address (``0.0.0.0``, ``::``) is reached on loopback. The
caller plans the stack file and hands its components in: this module sits below the
supervisor and does not import it. Functions return the lines to print; errors are
raised as :class:`OrdersCommandError` (or :class:`~agbotkit.errors.ConfigError` for the
stack file).
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs
import httpx

from agbotkit.config.schema import PlannedComponentLike
from agbotkit.dashboard.auth import load_token
from agbotkit.dashboard.component import DashboardConfig
from agbotkit.errors import AgbotkitError, ConfigError, ConfigIssue, TokenError

__all__ = ["ACTIONS", "DashboardTarget", "OrdersCommandError", "dashboard_target", "run"]

#: The sub-commands.
ACTIONS = ("list", "cancel", "cancel-all")
#: Seconds an HTTP request to the dashboard may take.
TIMEOUT_S = 10.0
_ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


class OrdersCommandError(AgbotkitError):
    """The dashboard could not be reached, or refused or failed the request."""


@attrs.frozen
class DashboardTarget:
    """Where a stack's dashboard answers.

    Attributes:
        name: the component's name in the stack.
        url: its base URL (``http://127.0.0.1:8080``).
        token: the access token it requires (``None``: none).
    """

    name: str
    url: str
    token: str | None = attrs.field(repr=False)


def dashboard_target(
    components: Iterable[PlannedComponentLike],
    *,
    stack_file: str = "<stack>",
    only: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> DashboardTarget:
    """The dashboard among a planned stack's ``components``.

    Raises:
        ConfigError: the stack has no dashboard (or none named ``only``), several and
            ``only`` is not given, one listening on port 0 (no fixed address), or its token
            cannot be read.
    """
    found = [
        c
        for c in components
        if isinstance(c.config, DashboardConfig) and (only is None or c.name == only)
    ]
    if len(found) != 1:
        what = (
            f"no dashboard component named {only!r}"
            if only is not None
            else "no dashboard component: `agbotkit orders` talks to the stack through its "
            "dashboard (a component of kind 'dashboard')"
            if not found
            else f"several dashboard components ({', '.join(c.name for c in found)}): "
            "choose one with --component"
        )
        raise ConfigError([ConfigIssue(stack_file, None, "components", what)])
    component = found[0]
    config: DashboardConfig = component.config
    path = f"components.{component.name}"
    if config.port == 0:
        message = "port 0 (any free port): the command cannot know where it listens"
        raise ConfigError([ConfigIssue(stack_file, None, f"{path}.port", message)])
    try:
        token = load_token(
            host=config.host,
            token_env=config.token_env,
            token_file=config.token_file,
            insecure=True,  # the dashboard refused to start without one; here, just read it
            environ=environ,
        )
    except TokenError as exc:
        raise ConfigError([ConfigIssue(stack_file, None, path, str(exc))]) from None
    host = config.host.strip("[]")
    host = _ANY_ADDRESS.get(host, host)
    netloc = f"[{host}]" if ":" in host else host
    return DashboardTarget(component.name, f"http://{netloc}:{config.port}", token)


def run(
    action: str,
    target: DashboardTarget,
    *,
    order_id: str | None = None,
    venue: str | None = None,
    market: str | None = None,
    reason: str = "",
    transport: httpx.BaseTransport | None = None,
) -> list[str]:
    """Run one sub-command against the dashboard at ``target``; the lines to print.

    Raises:
        OrdersCommandError: the dashboard is not running, refused (no token, no execution
            component) or failed.
        ValueError: ``cancel`` without ``order_id``.
    """
    # httpx logs every request at INFO: the command's own output says what happened.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    headers = {"Authorization": f"Bearer {target.token}"} if target.token else {}
    with httpx.Client(
        base_url=target.url, headers=headers, timeout=TIMEOUT_S, transport=transport
    ) as client:
        if action == "list":
            return _order_lines(_call(client, target, "GET", "/api/orders")["orders"])
        if action == "cancel":
            if not order_id:
                raise ValueError("cancel needs the client order id of the order")
            path = f"/api/orders/{urllib.parse.quote(order_id, safe='')}/cancel"
            answer = _call(client, target, "POST", path, {"reason": reason})
            note = "" if answer.get("open") else " (the dashboard does not show it open)"
            return [f"cancel of {order_id} sent{note}"]
        body = {"venue": venue, "market_id": market, "reason": reason}
        _call(client, target, "POST", "/api/orders/cancel-all", body)
        scope = [f"venue {venue}"] if venue else []
        scope += [f"market {market}"] if market else []
        return [f"cancel of every open order{' of ' + ', '.join(scope) if scope else ''} sent"]


def _call(
    client: httpx.Client,
    target: DashboardTarget,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    try:
        response = client.request(method, path, json=body)
    except httpx.TransportError as exc:
        raise OrdersCommandError(
            f"cannot reach the dashboard {target.name!r} at {target.url} ({exc}): "
            "is the stack running?"
        ) from None
    try:
        answer: dict[str, Any] = response.json()
    except ValueError:
        answer = {}
    if response.status_code >= 400:
        reason = answer.get("error") or response.text[:200] or response.reason_phrase
        raise OrdersCommandError(
            f"the dashboard {target.name!r} answered {response.status_code}: {reason}"
        )
    return answer


#: The columns of ``orders list``: (title, field).
_COLUMNS = (
    ("CLIENT_ORDER_ID", "client_order_id"),
    ("STATUS", "status"),
    ("VENUE", "venue"),
    ("SIDE", "side"),
    ("PRICE", "price"),
    ("SIZE", "size"),
    ("FILLED", "filled_size"),
    ("TYPE", "order_type"),
    ("MARKET", "market_id"),
    ("TOKEN", "token_id"),
    ("CHANGED", "timestamp_ms"),
)


def _order_lines(orders: list[dict[str, Any]]) -> list[str]:
    if not orders:
        return ["no open orders"]
    rows = [[title for title, _ in _COLUMNS]]
    rows += [[_cell(field, order.get(field)) for _, field in _COLUMNS] for order in orders]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]


def _cell(field: str, value: Any) -> str:
    if value is None:
        return ""
    if field == "timestamp_ms":
        return datetime.fromtimestamp(value / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    text = str(value)
    # Condition and token ids run to 66-77 characters; the client order id is shown whole
    # (it is what `agbotkit orders cancel` takes).
    if field in ("market_id", "token_id") and len(text) > 12:
        return text[:11] + "…"
    return text
