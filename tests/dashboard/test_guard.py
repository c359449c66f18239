"""Requests from other web pages are refused (cross-site POSTs, foreign WebSockets, DNS
rebinding), counted and explained; clients that are not browsers keep working.

Raw requests here (httpx, trio-websocket and raw sockets with forged headers); the same
attacks from a real page on another origin are in ``test_browser.py``.
"""

from __future__ import annotations

import httpx
import pytest
import trio
from trio_websocket import ConnectionRejected, open_websocket_url

from agbotkit.bus.bus import Bus
from agbotkit.config.checks import FieldValueError
from agbotkit.dashboard.component import DashboardConfig
from agbotkit.dashboard.guard import RequestGuard
from agbotkit.metrics.protocol import encode_metrics
from agbotkit.model.metrics import Metric, labels_key
from agbotkit.model.risk import KillSwitchCommand
from agbotkit.topics import METRICS

from .conftest import Running, running_dashboard, wait_for
from .test_app import fake_risk

T0 = 1_700_000_000_000
REFUSED = "agbotkit.dashboard.refused_requests"


def refused(running: Running, reason: str) -> float:
    return running.hub.labelled_counters.get((REFUSED, labels_key({"reason": reason})), 0.0)


def port_of(running: Running) -> int:
    return int(running.url.rsplit(":", 1)[1])


async def raw_request(port: int, head: str, body: bytes = b"") -> tuple[int, bytes]:
    """Send one raw HTTP/1.1 request (any headers, forged ones too); status and body."""
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    async with stream:
        await stream.send_all(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        data = b""
        with trio.fail_after(5):
            while b"\r\n\r\n" not in data:
                data += await stream.receive_some(65536)
            header, _, rest = data.partition(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1])
                for line in header.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            while len(rest) < length:
                rest += await stream.receive_some(65536)
    return int(header.split(b" ")[1]), rest


async def test_cross_site_kill_requests_are_refused_and_change_nothing() -> None:
    bus = Bus()
    received: list[KillSwitchCommand] = []
    async with trio.open_nursery() as nursery:
        await nursery.start(fake_risk, bus, received)
        async with (
            running_dashboard(bus) as running,
            httpx.AsyncClient(base_url=running.url) as client,
        ):
            evil = {"Origin": "http://evil.example", "Content-Type": "text/plain"}
            for path in ("/api/risk/kill", "/api/risk/reset"):
                response = await client.post(path, content=b'{"reason": "x"}', headers=evil)
                assert response.status_code == 403, path
                assert "Origin 'http://evil.example'" in response.json()["error"]
            # Another port of this very host is another origin (and the same site).
            other_port = {"Origin": "http://127.0.0.1:1", "Sec-Fetch-Site": "same-site"}
            response = await client.post("/api/risk/kill", json={}, headers=other_port)
            assert response.status_code == 403
            assert response.json()["reason"] == "origin"
            # A browser request whose Origin was stripped still says where it comes from.
            response = await client.post(
                "/api/risk/kill", json={}, headers={"Sec-Fetch-Site": "cross-site"}
            )
            assert response.status_code == 403
            assert response.json()["reason"] == "fetch-site"
            # A simple request (no preflight in a browser) even from this origin.
            own = f"http://127.0.0.1:{port_of(running)}"
            for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
                headers = {"Origin": own} | ({"Content-Type": content_type} if content_type else {})
                response = await client.post("/api/risk/kill", content=b"{}", headers=headers)
                assert response.status_code == 403, content_type
                assert "Content-Type: application/json" in response.json()["error"]
            assert received == []  # nothing reached the risk component
            assert refused(running, "origin") == 3
            assert refused(running, "fetch-site") == 1
            assert refused(running, "content-type") == 3
            # The page's own request, and a script's (no Origin), go through.
            same = {"Origin": own, "Sec-Fetch-Site": "same-origin"}
            response = await client.post("/api/risk/kill", json={"reason": "ok"}, headers=same)
            assert response.status_code == 202
            assert response.json()["kill_switch"]["active"] is True
            response = await client.post("/api/risk/reset", json={})
            assert response.status_code == 202
            assert [command.action for command in received] == ["trigger", "reset"]
        nursery.cancel_scope.cancel()


async def test_foreign_origins_cannot_open_websockets() -> None:
    async with running_dashboard() as running:
        for path in ("/dashboard", "/metrics"):
            for origin in ("http://evil.example", "null", f"http://localhost:{port_of(running)}"):
                with pytest.raises(ConnectionRejected) as rejected:
                    async with open_websocket_url(
                        running.ws_url + path, extra_headers=[(b"Origin", origin.encode())]
                    ):
                        pass  # pragma: no cover - never reached
                assert rejected.value.status_code == 403, (path, origin)
                assert b"not this dashboard's origin" in (rejected.value.body or b"")
        assert refused(running, "origin") == 6
        # Its own origin, and no Origin at all (the metrics emitter), are fine.
        own = [(b"Origin", running.url.encode())]
        async with open_websocket_url(f"{running.ws_url}/dashboard", extra_headers=own) as page:
            assert b"hello" in (await page.get_message()).encode()
        async with open_websocket_url(f"{running.ws_url}/metrics") as feed:
            await feed.send_message(encode_metrics([Metric.gauge("x", 1.0, T0)]))
        await wait_for(lambda: running.hub.store.series_count > 0)


async def test_a_rebound_host_name_is_refused_on_loopback() -> None:
    async with running_dashboard() as running:
        port = port_of(running)
        for host in ("evil.example", f"evil.example:{port}", "127.0.0.1", "127.0.0.1:1", ""):
            status, body = await raw_request(
                port, f"GET /api/series?name=x HTTP/1.1\nHost: {host}\n"
            )
            assert status == 403, host
            assert b"is not allowed" in body
        for host in (
            f"127.0.0.1:{port}",
            f"localhost:{port}",
            f"[::1]:{port}",
            f"LocalHost:{port}",
        ):
            status, _ = await raw_request(port, f"GET /api/series?name=x HTTP/1.1\nHost: {host}\n")
            assert status == 200, host
        # A rebound page opening the stream: refused before any frame.
        status, _ = await raw_request(
            port,
            f"GET /dashboard HTTP/1.1\nHost: evil.example:{port}\nUpgrade: websocket\n"
            "Connection: Upgrade\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\n"
            f"Sec-WebSocket-Version: 13\nOrigin: http://evil.example:{port}\n",
        )
        assert status == 403
        assert refused(running, "host") == 6
        with running.bus.subscribe(METRICS) as local:
            running.hub.publish_counters()
            published = {}
            while True:
                try:
                    sample = local.receive_nowait()
                except trio.WouldBlock:
                    break
                published[(sample.name, sample.labels)] = sample.value
        key = (REFUSED, labels_key({"reason": "host", "component": "dashboard"}))
        assert published[key] == 6.0


async def test_allowed_hosts_and_origins_for_a_proxy() -> None:
    async with running_dashboard(
        allowed_hosts=("dash.example.com",), allowed_origins=("https://dash.example.com",)
    ) as running:
        port = port_of(running)
        async with httpx.AsyncClient(base_url=running.url) as client:
            # The proxy rewrote Host to the upstream's; the browser's Origin is the proxy's.
            proxied = {"Origin": "https://dash.example.com", "Sec-Fetch-Site": "same-origin"}
            response = await client.post("/api/risk/kill", json={}, headers=proxied)
            assert response.status_code == 409  # through the guard: no risk component here
            response = await client.post(
                "/api/risk/kill", json={}, headers={"Origin": "https://other.example.com"}
            )
            assert response.status_code == 403
        status, _ = await raw_request(port, "GET /healthz HTTP/1.1\nHost: dash.example.com\n")
        assert status == 200
        status, _ = await raw_request(port, "GET /healthz HTTP/1.1\nHost: dash.example.org\n")
        assert status == 403


async def test_off_loopback_the_host_is_checked_only_when_configured() -> None:
    async with running_dashboard(host="0.0.0.0", insecure=True) as running:
        status, _ = await raw_request(
            port_of(running), "GET /healthz HTTP/1.1\nHost: bot.internal:8080\n"
        )
        assert status == 200
    async with running_dashboard(
        host="0.0.0.0", insecure=True, allowed_hosts=("bot.internal:8080",)
    ) as running:
        port = port_of(running)
        status, _ = await raw_request(port, "GET /healthz HTTP/1.1\nHost: bot.internal:8080\n")
        assert status == 200
        status, _ = await raw_request(port, f"GET /healthz HTTP/1.1\nHost: 127.0.0.1:{port}\n")
        assert status == 403


@pytest.mark.parametrize(
    ("method", "headers", "websocket", "reason"),
    [
        ("GET", {"host": "localhost:8080", "origin": "http://evil"}, False, None),
        ("POST", {"host": "localhost:8080", "content-type": "application/json"}, False, None),
        (
            "POST",
            {"host": "localhost:8080", "content-type": "Application/JSON; charset=utf-8"},
            False,
            None,
        ),
        ("POST", {"host": "localhost:8080"}, False, "content-type"),
        ("GET", {"host": "localhost:8080", "origin": "http://localhost:8080"}, True, None),
        ("GET", {"host": "localhost", "origin": "http://localhost"}, True, "host"),
        ("GET", {"host": "localhost:8080", "origin": "http://localhost:8081"}, True, "origin"),
        ("GET", {"host": "localhost:8080", "origin": "garbage"}, True, "origin"),
        ("GET", {"host": "[::1]:8080", "origin": "http://[::1]:8080"}, True, None),
        ("GET", {"host": "[::1:8080"}, False, "host"),
        ("GET", {"host": "localhost:80x"}, False, "host"),
    ],
)
def test_guard_rules(
    method: str, headers: dict[str, str], websocket: bool, reason: str | None
) -> None:
    guard = RequestGuard.build("127.0.0.1", 8080, (), ())
    refusal = guard.check(method, headers, websocket=websocket)
    assert (refusal and refusal.reason) == reason


def test_allowed_origins_must_be_origins() -> None:
    with pytest.raises(FieldValueError, match="allowed_origins"):
        DashboardConfig(allowed_origins=("dash.example.com",))
    with pytest.raises(ValueError, match="not an origin"):
        RequestGuard.build("127.0.0.1", 1, (), ("https://x.example/path",))
