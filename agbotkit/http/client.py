"""The client: a pool of keep-alive HTTP/1.1 connections to one origin."""

from __future__ import annotations

import base64
import ipaddress
import ssl
import urllib.request
from collections.abc import Mapping
from urllib.parse import unquote, urlencode, urlsplit

import certifi
import h11
import trio

from agbotkit.http.connection import Connection, HttpResponse
from agbotkit.http.errors import HttpConnectError

__all__ = ["HttpClient", "default_ssl_context"]

_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Framing and routing are the client's to say: a caller's value would desynchronise h11.
_OWN_HEADERS = {"host", "content-length", "transfer-encoding", "connection", "upgrade"}


def default_ssl_context() -> ssl.SSLContext:
    """Certificates checked against certifi's roots (as the usual Python clients do, so a
    machine without a system bundle works too), HTTP/1.1 offered by ALPN."""
    context = ssl.create_default_context(cafile=certifi.where())
    context.set_alpn_protocols(["http/1.1"])
    return context


class HttpClient:
    """Requests to one origin (``http://`` or ``https://`` host and port, no path), over
    up to ``max_connections`` kept-alive connections. Use as an async context manager, or
    call :meth:`aclose`.

    Args:
        base_url: the origin, e.g. ``https://clob.polymarket.com``.
        max_connections: requests in flight at once (more wait for a connection).
        keepalive_s: an idle connection older than this is closed rather than reused.
        max_response_bytes: the largest answer accepted.
        ssl_context: TLS settings for ``https://`` (:func:`default_ssl_context` if ``None``).
        proxy: ``http://[user:password@]host:port`` of an HTTPS proxy to tunnel through
            with ``CONNECT``; ``None`` takes ``HTTPS_PROXY`` from the environment (minding
            ``NO_PROXY``); ``""`` uses none. Loopback origins never go through a proxy.
        user_agent: the ``User-Agent`` header.
    """

    def __init__(
        self,
        base_url: str,
        *,
        max_connections: int = 16,
        keepalive_s: float = 30.0,
        max_response_bytes: int = 32 * 1024 * 1024,
        ssl_context: ssl.SSLContext | None = None,
        proxy: str | None = None,
        user_agent: str = "agbotkit",
    ) -> None:
        url = urlsplit(base_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"base_url must be http(s)://host[:port], not {base_url!r}")
        if url.path not in ("", "/") or url.query:
            raise ValueError(f"base_url must be an origin without a path, not {base_url!r}")
        self.base_url = base_url
        self._tls = url.scheme == "https"
        self._host = url.hostname
        self._port = url.port or (443 if self._tls else 80)
        default_port = self._port == (443 if self._tls else 80)
        # An IPv6 address is written in brackets wherever a port may follow it.
        host = f"[{self._host}]" if ":" in self._host else self._host
        self._where = f"{host}:{self._port}"
        self._host_header = host if default_port else self._where
        self._ssl_context = ssl_context if self._tls and ssl_context else None
        if self._tls and self._ssl_context is None:
            self._ssl_context = default_ssl_context()
        self._proxy = _proxy_for(url.scheme, self._host, proxy) if self._tls else None
        self._keepalive_s = keepalive_s
        self._max_response_bytes = max_response_bytes
        self._user_agent = user_agent
        self._slots = trio.Semaphore(max_connections)
        self._idle: list[Connection] = []
        self._closed = False
        self.connections_opened = 0

    def __repr__(self) -> str:
        return f"HttpClient({self.base_url!r})"

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every idle connection; later requests fail with :class:`HttpConnectError`."""
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        """Send ``method path?params`` with ``content`` and return the whole answer.

        Raises:
            HttpConnectError: nothing was sent (no connection could be made).
            HttpConnectionLostError, HttpProtocolError: the request went out (perhaps in
                part) and no whole answer came back.
        """
        request = self._request_event(method, path, params, content, headers)
        async with self._slots:
            connection = await self._checkout()
            try:
                response = await connection.exchange(request, content)
            except BaseException:  # cancelled or broken: never reuse a half-used connection
                await connection.aclose()
                raise
            if connection.reusable() and not self._closed:
                self._idle.append(connection)
            else:
                await connection.aclose()
            return response

    def _request_event(
        self,
        method: str,
        path: str,
        params: Mapping[str, str | int] | None,
        content: bytes | None,
        headers: Mapping[str, str] | None,
    ) -> h11.Request:
        """The request's head, checked by h11 (a ``ValueError`` if it cannot be sent)."""
        if method.upper() == "CONNECT":
            raise ValueError("CONNECT is not a request this client can make")
        target = path
        if params:
            # As httpx spells them: booleans in lower case, '=' in a value as %3D.
            query = urlencode({k: _param(v) for k, v in params.items()})
            target = f"{path}{'&' if '?' in path else '?'}{query}"
        own = {"host": self._host_header, "user-agent": self._user_agent, "accept": "*/*"}
        if content is not None or method in _BODY_METHODS:
            own["content-length"] = str(len(content or b""))
        extra = []
        for name, value in (headers or {}).items():
            key = name.lower()
            if key in ("user-agent", "accept"):
                own.pop(key, None)  # the caller's replaces ours
            if key not in _OWN_HEADERS:
                extra.append((name, value))
        try:
            # Checked here, before a connection is taken: a bad header is the caller's
            # mistake (a ValueError), not a broken connection.
            return h11.Request(method=method, target=target, headers=[*own.items(), *extra])
        except h11.LocalProtocolError as exc:
            raise ValueError(f"cannot send {method} {path}: {exc}") from None

    async def _checkout(self) -> Connection:
        while self._idle:
            connection = self._idle.pop()  # the most recently used: the likeliest alive
            if connection.looks_alive(self._keepalive_s):
                return connection
            await connection.aclose()
        if self._closed:
            raise HttpConnectError(f"{self.base_url}: the client is closed")
        return await self._open()

    async def _open(self) -> Connection:
        where = self._where
        stream: trio.abc.Stream | None = None
        try:
            if self._proxy is None:
                stream = await trio.open_tcp_stream(self._host, self._port)
            else:
                proxy_host, proxy_port, authorization = self._proxy
                where = f"the proxy {proxy_host}:{proxy_port}"  # never its credentials
                stream = await trio.open_tcp_stream(proxy_host, proxy_port)
                where = f"{self._where} through the proxy {proxy_host}:{proxy_port}"
                await _tunnel(stream, self._where, authorization)
            if self._ssl_context is not None:
                stream = trio.SSLStream(
                    stream, self._ssl_context, server_hostname=self._host, https_compatible=True
                )
                await stream.do_handshake()
        except (OSError, trio.BrokenResourceError, trio.ClosedResourceError) as exc:
            if stream is not None:
                await trio.aclose_forcefully(stream)
            reason = exc.__cause__ if isinstance(exc, trio.BrokenResourceError) else exc
            raise HttpConnectError(f"cannot connect to {where}: {reason}") from None
        except BaseException:
            # Cancelled midway (or refused by the proxy): the half-made stream is closed
            # here, as no one else holds it.
            if stream is not None:
                await trio.aclose_forcefully(stream)
            raise
        self.connections_opened += 1
        return Connection(stream, max_response_bytes=self._max_response_bytes)


def _param(value: str | int) -> str | int:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _proxy_for(scheme: str, host: str, proxy: str | None) -> tuple[str, int, str] | None:
    """``(host, port, Proxy-Authorization value or "")`` of the proxy to use, if any."""
    if proxy == "" or _loopback(host):
        return None
    if proxy is None:
        found = urllib.request.getproxies_environment().get(scheme)
        # NO_PROXY as urllib reads it (typeshed leaves this long-standing helper out).
        bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
        if not found or bypass(host):
            return None
        proxy = found
    url = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    if url.scheme != "http" or not url.hostname:
        raise ValueError("the HTTPS proxy must be http://host:port (its address is not shown)")
    authorization = ""
    if url.username is not None:
        user_pass = f"{unquote(url.username)}:{unquote(url.password or '')}"
        authorization = "Basic " + base64.b64encode(user_pass.encode()).decode()
    return url.hostname, url.port or 8080, authorization


def _loopback(host: str) -> bool:
    """Whether ``host`` is this machine (a loopback address, ``localhost``), which no
    proxy can reach on the client's behalf."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name, not an address


async def _tunnel(stream: trio.abc.Stream, where: str, authorization: str) -> None:
    """Ask an HTTP proxy for a tunnel to ``where`` (``CONNECT``); raise unless it agrees."""
    head = f"CONNECT {where} HTTP/1.1\r\nHost: {where}\r\n"
    if authorization:
        head += f"Proxy-Authorization: {authorization}\r\n"
    await stream.send_all(f"{head}\r\n".encode("latin-1"))
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = await stream.receive_some(4096)
        if not chunk:
            raise HttpConnectError(f"the proxy closed the tunnel to {where} unanswered")
        answer += chunk
        if len(answer) > 16384:
            raise HttpConnectError(f"the proxy's answer to a tunnel to {where} is too long")
    answer_head, rest = answer.split(b"\r\n\r\n", 1)
    status_line = answer_head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = status_line.split(" ", 2)
    # Any 2xx opens the tunnel (RFC 9110, 9.3.6).
    if len(parts) < 2 or not (len(parts[1]) == 3 and parts[1].isdigit() and parts[1][0] == "2"):
        raise HttpConnectError(f"the proxy refused a tunnel to {where}: {status_line}")
    if rest:
        # The origin speaks only after the client's TLS hello: bytes before it are not
        # the origin's, and would corrupt the stream.
        raise HttpConnectError(f"the proxy sent bytes of its own in the tunnel to {where}")
