"""TLS to a throwaway CA's server, and tunnels through a ``CONNECT`` proxy."""

from __future__ import annotations

import base64
import ssl

import pytest
import trustme

from agbotkit.http import HttpClient, HttpConnectError
from agbotkit.http.client import _proxy_for

from .servers import Answer, Proxy, Received, ok, proxy_handler, serve, serve_app


def _ok(_: Received) -> Answer:
    return ok(b"secret data")


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def trusting(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


async def test_tls_with_a_trusted_ca(ca: trustme.CA, trusting: ssl.SSLContext) -> None:
    async with (
        serve_app(_ok, tls=ca) as server,
        HttpClient(f"https://localhost:{server.port}", ssl_context=trusting) as client,
    ):
        for _ in range(3):
            assert (await client.request("GET", "/")).content == b"secret data"
    assert server.accepted == client.connections_opened == 1
    assert server.requests[0].header("host") == [f"localhost:{server.port}"]


async def test_tls_connection_closed_by_the_server_is_replaced(
    ca: trustme.CA, trusting: ssl.SSLContext
) -> None:
    async with (
        serve_app(_ok, tls=ca, per_connection=1) as server,
        HttpClient(f"https://localhost:{server.port}", ssl_context=trusting) as client,
    ):
        for _ in range(3):
            closed = server.closed
            assert (await client.request("GET", "/")).status_code == 200
            await closed.wait()
    assert server.accepted == client.connections_opened == 3


async def test_tls_with_certifi_refuses_an_unknown_ca(ca: trustme.CA) -> None:
    async with (
        serve_app(_ok, tls=ca) as server,
        HttpClient(f"https://localhost:{server.port}") as client,
    ):
        with pytest.raises(HttpConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await client.request("GET", "/")
    assert server.requests == []
    assert client.connections_opened == 0


async def test_tls_checks_the_host_name(ca: trustme.CA, trusting: ssl.SSLContext) -> None:
    async with (
        serve_app(_ok, tls=ca, names=["other.example"]) as server,
        HttpClient(server.url.replace("http:", "https:"), ssl_context=trusting) as c,
    ):
        with pytest.raises(HttpConnectError, match="match"):
            await c.request("GET", "/")


def _authorization(head: bytes) -> list[str]:
    lines = head.decode("latin-1").split("\r\n")
    return [line.split(": ", 1)[1] for line in lines if line.lower().startswith("proxy-auth")]


def _proxy_url(port: int, password: str = "p%3Aw") -> str:
    """A proxy URL with credentials, percent-encoded as in HTTPS_PROXY."""
    return f"http://us%40er:{password}@127.0.0.1:{port}"


async def test_tunnel_through_a_proxy(ca: trustme.CA, trusting: ssl.SSLContext) -> None:
    # The origin's name need not resolve: the client asks the proxy for it, and the proxy
    # in the test connects to 127.0.0.1 whatever the name.
    seen = Proxy()
    async with serve_app(_ok, tls=ca) as origin, serve(proxy_handler(seen)) as proxy:
        url = f"https://clob.example:{origin.port}"
        proxy_url = _proxy_url(proxy.port)
        async with HttpClient(url, ssl_context=trusting, proxy=proxy_url) as client:
            for _ in range(3):
                assert (await client.request("GET", "/x")).content == b"secret data"
    assert len(seen.heads) == 1  # one tunnel, kept alive
    head = seen.heads[0]
    assert head.startswith(f"CONNECT clob.example:{origin.port} HTTP/1.1\r\n".encode())
    assert f"\r\nHost: clob.example:{origin.port}\r\n".encode() in head
    expected = "Basic " + base64.b64encode(b"us@er:p:w").decode()
    assert _authorization(head) == [expected]
    assert [r.target for r in origin.requests] == ["/x"] * 3
    assert origin.requests[0].header("host") == [f"clob.example:{origin.port}"]


async def test_tunnel_without_credentials(ca: trustme.CA, trusting: ssl.SSLContext) -> None:
    seen = Proxy()
    async with serve_app(_ok, tls=ca) as origin, serve(proxy_handler(seen)) as proxy:
        url = f"https://clob.example:{origin.port}"
        proxy_url = f"http://127.0.0.1:{proxy.port}"
        async with HttpClient(url, ssl_context=trusting, proxy=proxy_url) as client:
            assert (await client.request("GET", "/")).status_code == 200
    assert _authorization(seen.heads[0]) == []


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 502 Bad Gateway\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n\r\nunasked bytes",
        b"HTTP/1.1 200 OK\r\n",  # then closed
        b"HTTP/1.1 2xx OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n" + b"X-Pad: x\r\n" * 2000,  # a head without end
        b"",
    ],
)
async def test_a_refusing_proxy_is_a_connect_error_without_the_password(
    trusting: ssl.SSLContext, answer: bytes
) -> None:
    seen = Proxy()
    async with serve(proxy_handler(seen, refuse=answer)) as proxy:
        proxy_url = _proxy_url(proxy.port, password="hunter2")
        async with HttpClient(
            "https://clob.example", ssl_context=trusting, proxy=proxy_url
        ) as client:
            with pytest.raises(HttpConnectError, match=r"clob\.example:443") as caught:
                await client.request("POST", "/order", content=b"{}")
    assert "hunter2" not in str(caught.value)
    assert len(seen.heads) == 1
    assert client.connections_opened == 0


async def test_a_proxy_not_listening_is_a_connect_error() -> None:
    async with serve(proxy_handler(Proxy())) as gone:
        port = gone.port
    proxy_url = _proxy_url(port, password="hunter2")
    async with HttpClient("https://clob.example", proxy=proxy_url) as client:
        with pytest.raises(HttpConnectError, match=f"the proxy 127.0.0.1:{port}") as caught:
            await client.request("GET", "/")
    assert "hunter2" not in str(caught.value)


def test_loopback_and_empty_proxy_bypass() -> None:
    for host in ("127.0.0.1", "127.0.0.2", "localhost", "::1", "api.localhost"):
        assert _proxy_for("https", host, "http://127.0.0.1:3128") is None
    assert _proxy_for("https", "clob.example", "") is None
    assert _proxy_for("https", "clob.example", "http://127.0.0.1:3128") == (
        "127.0.0.1",
        3128,
        "",
    )
    assert _proxy_for("https", "clob.example", "proxy.internal") == ("proxy.internal", 8080, "")


def test_https_proxy_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert _proxy_for("https", "clob.example", None) is None
    monkeypatch.setenv("HTTPS_PROXY", "http://u:pw@proxy.internal:3128")
    found = _proxy_for("https", "clob.example", None)
    assert found == ("proxy.internal", 3128, "Basic " + base64.b64encode(b"u:pw").decode())
    assert _proxy_for("https", "localhost", None) is None
    monkeypatch.setenv("NO_PROXY", "example,other.org")
    assert _proxy_for("https", "clob.example", None) is None
    assert _proxy_for("https", "clob.polymarket.com", None) is not None
    monkeypatch.setenv("NO_PROXY", "*")
    assert _proxy_for("https", "clob.polymarket.com", None) is None
    # The client takes it for an https origin, not for a plain http one.
    monkeypatch.delenv("NO_PROXY")
    assert HttpClient("https://clob.example")._proxy is not None
    assert HttpClient("http://clob.example")._proxy is None
    assert HttpClient("https://127.0.0.1:8443")._proxy is None


@pytest.mark.parametrize("proxy", ["socks5://127.0.0.1:1080", "https://u:hunter2@p:1", "http://"])
def test_a_proxy_that_is_not_http_is_a_value_error_without_its_address(proxy: str) -> None:
    with pytest.raises(ValueError, match="must be http://host:port") as caught:
        HttpClient("https://clob.example", proxy=proxy)
    assert "hunter2" not in str(caught.value)
