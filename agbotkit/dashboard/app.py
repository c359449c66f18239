"""The dashboard's web application: :func:`create_app` builds it around a :class:`DashboardHub`.

Endpoints (one port):

* ``GET /``: the page; ``GET /static/...``: its assets (uPlot under ``/static/vendor/``).
* ``WS /metrics``: ingest from other agbotkit processes (the metrics protocol, see
  :mod:`agbotkit.metrics.protocol`); ``GET /metrics``: Prometheus text exposition.
* ``WS /dashboard``: the live stream to browsers (a ``hello`` frame, then ``batch`` frames
  every ``push_interval_s``; see :mod:`agbotkit.dashboard.broadcast`).
* ``GET /api/series``, ``GET /healthz``, ``GET /readyz``, ``POST /api/risk/kill|reset``:
  see :mod:`agbotkit.dashboard.api`.
* ``GET /api/orders``, ``GET /api/fills``, ``GET /api/pnl``, ``POST
  /api/orders/cancel-all``, ``POST /api/orders/<client_order_id>/cancel``: see
  :mod:`agbotkit.dashboard.orders_api`.

Every WebSocket handler watches :attr:`DashboardHub.closing` and closes with 1001 when it is
set: hypercorn itself would keep them open for its whole graceful timeout.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any, NoReturn, cast
from urllib.parse import parse_qs

import msgspec
import trio
from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable, Scope
from quart import Response, jsonify, request, send_from_directory, websocket
from quart_trio import QuartTrio

from agbotkit.dashboard.api import register_api
from agbotkit.dashboard.auth import request_token, token_matches
from agbotkit.dashboard.hub import DashboardHub
from agbotkit.dashboard.orders_api import register_orders_api

__all__ = ["UPLOT_FILES", "create_app", "default_web_dir"]

LOGGER = logging.getLogger(__name__)

#: The only files of uPlot the dashboard serves (and the wheel ships).
UPLOT_FILES = ("uPlot.iife.min.js", "uPlot.min.css")

_ENCODER = msgspec.json.Encoder()
_Receive = Callable[[], Awaitable[dict[str, Any]]]
_Send = Callable[[dict[str, Any]], Awaitable[None]]
_UNAUTHORIZED = b'{"error":"an access token is required: Authorization: Bearer <token> or ?token="}'

# WebSocket close codes (RFC 6455).
_GOING_AWAY = 1001
_POLICY_VIOLATION = 1008
_TOO_BIG = 1009


def default_web_dir() -> Path:
    """Where the page's files are: ``agbotkit/_web`` in a wheel, else ``<repo>/web``."""
    package = Path(__file__).resolve().parent.parent
    bundled = package / "_web"
    return bundled if bundled.is_dir() else package.parent / "web"


def _vendor_dirs(web_dir: Path) -> tuple[Path, ...]:
    # web/vendor/ is filled by web/build.py (and shipped in the wheel); in a source tree
    # where only `npm ci` ran, uPlot's own dist/ folder serves the same two files.
    return (web_dir / "vendor", web_dir / "node_modules" / "uplot" / "dist")


class _Close(Exception):
    """Ends a WebSocket handler's loop with a close code and reason."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def create_app(hub: DashboardHub, *, web_dir: Path | None = None) -> QuartTrio:
    """The dashboard's Quart-Trio application, serving ``hub``'s data.

    Args:
        hub: the shared state (store, fan-out, stack state, limits).
        web_dir: the page's files; :func:`default_web_dir` when ``None``.
    """
    web = default_web_dir() if web_dir is None else web_dir
    app = QuartTrio(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024  # kill-switch and cancel requests are tiny

    def unauthorized() -> Response:
        response = jsonify(
            {"error": "an access token is required: Authorization: Bearer <token> or ?token="}
        )
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="agbotkit"'
        return response

    def http_allowed() -> bool:
        return token_matches(
            hub.token,
            request_token(request.headers.get("Authorization"), request.args.get("token")),
        )

    def ws_allowed() -> bool:
        return token_matches(
            hub.token,
            request_token(websocket.headers.get("Authorization"), websocket.args.get("token")),
        )

    register_api(app, hub, http_allowed, unauthorized)
    register_orders_api(app, hub, http_allowed, unauthorized)

    @app.get("/")
    async def index() -> Any:
        if not http_allowed():
            return unauthorized()
        response = await send_from_directory(web, "index.html")
        response.cache_control.no_cache = True
        return response

    @app.get("/static/<path:filename>")
    async def static(filename: str) -> Any:
        if filename.startswith("vendor/"):
            name = filename.removeprefix("vendor/")
            if name not in UPLOT_FILES:
                return Response("not found", 404)
            for folder in _vendor_dirs(web):
                if (folder / name).is_file():
                    return await send_from_directory(folder, name)
            LOGGER.error("uPlot is missing: run `npm ci` and `python web/build.py` in %s", web)
            return Response("uPlot is not installed (npm ci; python web/build.py)", 404)
        if filename.startswith(("node_modules/", "vendor")) or filename.endswith(".json"):
            return Response("not found", 404)
        response = await send_from_directory(web, filename)
        response.cache_control.no_cache = True  # revalidate (ETag): a new version shows at once
        return response

    @app.websocket("/dashboard")
    async def stream() -> Any:
        if not ws_allowed():
            return unauthorized()
        await websocket.accept()
        with hub.broadcaster.subscribe() as queue:
            await websocket.send(hub.hello_frame())

            async def send_batches() -> NoReturn:
                while True:
                    batch = await queue.get()
                    await websocket.send(batch.text())

            async def until_evicted() -> NoReturn:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(send_batches)
                    nursery.start_soon(_discard_incoming)
                    await queue.evicted.wait()
                    raise _Close(_POLICY_VIOLATION, queue.evicted_reason)

            await _serve_until_closed(hub, until_evicted)
        return None

    # WS /metrics is the hot path: served as a bare ASGI endpoint, not through Quart's
    # per-message machinery (a task hop, a channel and a signal per message).
    quart_asgi = app.asgi_app

    async def asgi_app(scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        if scope["type"] in ("http", "websocket"):
            # Every request passes the guard first (Host, Origin, Content-Type).
            plain = cast(dict[str, Any], scope)
            websocket = scope["type"] == "websocket"
            refusal = hub.guard.check(
                plain.get("method", "GET"), _headers(plain), websocket=websocket
            )
            if refusal is not None:
                hub.refused(refusal, scope["path"])
                body = _ENCODER.encode({"error": refusal.message, "reason": refusal.reason})
                await _refuse(cast(_Receive, receive), cast(_Send, send), websocket, body)
                return
        if scope["type"] == "websocket" and scope["path"] == "/metrics":
            # Plain dicts inside: the ASGI TypedDicts add nothing to a handful of events.
            await _ingest(hub, dict(scope), cast(_Receive, receive), cast(_Send, send))
        else:
            await quart_asgi(scope, receive, send)

    app.asgi_app = asgi_app  # type: ignore[method-assign]  # Quart's documented middleware hook
    return app


def _headers(scope: dict[str, Any]) -> dict[str, str]:
    """A request's headers by lower-case name (the first of repeated ones)."""
    headers: dict[str, str] = {}
    for key, value in scope["headers"]:
        headers.setdefault(key.decode("latin-1").lower(), value.decode("latin-1"))
    return headers


async def _refuse(receive: _Receive, send: _Send, websocket: bool, body: bytes) -> None:
    """Answer 403 with ``body`` (JSON), on a WebSocket handshake or a plain request."""
    prefix = "websocket.http.response" if websocket else "http.response"
    if websocket:
        await receive()  # websocket.connect
    await send(
        {
            "type": f"{prefix}.start",
            "status": 403,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": f"{prefix}.body", "body": body, "more_body": False})


async def _run_until_closed(
    hub: DashboardHub, body: Callable[[], Awaitable[object]]
) -> tuple[int, str] | None:
    """Run ``body`` until it returns, raises :class:`_Close` or the hub closes.

    Returns:
        ``None`` when ``body`` returned (the peer left); else the close code and reason to
        send: the :class:`_Close`'s, or 1001 "going away" when the dashboard stops.
    """
    closing: tuple[int, str] | None = (_GOING_AWAY, "the dashboard is shutting down")
    try:
        async with trio.open_nursery() as nursery:

            async def watch_closing() -> None:
                await hub.closing.wait()
                nursery.cancel_scope.cancel()

            nursery.start_soon(watch_closing)
            await body()
            closing = None
            nursery.cancel_scope.cancel()
    except* _Close as group:
        close = group.exceptions[0]
        assert isinstance(close, _Close)  # for mypy: except* keeps the type loosely
        closing = close.code, close.reason
    return closing


async def _serve_until_closed(hub: DashboardHub, body: Callable[[], Awaitable[object]]) -> None:
    """Run ``body`` until it raises :class:`_Close` or the hub closes; then close the socket."""
    code, reason = await _run_until_closed(hub, body) or (
        _GOING_AWAY,
        "the dashboard is shutting down",
    )
    # A peer that stopped reading may never take the close frame: do not wait for it.
    with trio.move_on_after(1.0):
        await websocket.close(code, reason)


async def _discard_incoming() -> NoReturn:
    # Browsers send nothing we use; read anyway so the connection's buffers never fill.
    while True:
        await websocket.receive()


async def _ingest(hub: DashboardHub, scope: dict[str, Any], receive: _Receive, send: _Send) -> None:
    """``WS /metrics``: read metric messages until the peer leaves, breaks a limit or the
    dashboard stops (ASGI, see :func:`create_app`)."""
    await receive()  # websocket.connect
    headers = {key.lower(): value for key, value in scope["headers"]}
    query = parse_qs(scope["query_string"].decode("latin-1"))
    authorization = headers.get(b"authorization", b"").decode("latin-1")
    given = request_token(authorization, query.get("token", [None])[0])
    if not token_matches(hub.token, given):
        await send(
            {
                "type": "websocket.http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"www-authenticate", b'Bearer realm="agbotkit"'),
                ],
            }
        )
        await send(
            {"type": "websocket.http.response.body", "body": _UNAUTHORIZED, "more_body": False}
        )
        return
    await send({"type": "websocket.accept"})
    sender = _sender_name(scope)
    try:
        closing = await _run_until_closed(hub, partial(_read_metrics, hub, receive, sender))
    finally:
        hub.store.forget_sender(sender)
    if closing is None:
        return  # the peer left: nothing to close
    code, reason = closing
    with trio.move_on_after(1.0):
        await send({"type": "websocket.close", "code": code, "reason": reason})


def _sender_name(scope: dict[str, Any]) -> str:
    """The name a ``WS /metrics`` connection's series are charged to: the peer's address
    and port (one connection, one sender)."""
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else f"connection-{id(scope):x}"


async def _read_metrics(hub: DashboardHub, receive: _Receive, sender: str) -> None:
    """Ingest messages until the peer disconnects; raise :class:`_Close` on a broken limit."""
    limit = hub.max_messages_per_second
    max_bytes = hub.max_frame_bytes
    ingest = hub.ingest_text
    window_start = trio.current_time()
    count = 0
    while True:
        event = await receive()
        if event["type"] != "websocket.receive":
            return  # websocket.disconnect
        message: str | bytes | None = event.get("text")
        if message is None:
            message = event.get("bytes") or b""
        now = trio.current_time()
        if now - window_start >= 1.0:
            window_start, count = now, 0
        count += 1
        if count > limit:
            hub.count("agbotkit.dashboard.rate_limited")
            raise _Close(_POLICY_VIOLATION, f"more than {limit:g} messages per second")
        # Characters <= bytes, so only a long message needs the exact (copying) count.
        size = len(message)
        if size * 4 > max_bytes and isinstance(message, str):
            size = len(message.encode())
        if size > max_bytes:
            hub.count("agbotkit.dashboard.oversize_frames")
            raise _Close(_TOO_BIG, f"frame of {size} bytes exceeds {max_bytes}")
        if isinstance(message, bytes):
            try:
                message = message.decode()
            except UnicodeDecodeError:
                hub.malformed(["the frame is not UTF-8"])
                continue
        ingest(message, sender)
