"""Which requests may reach the dashboard at all: the ``Host``, ``Origin`` and
``Content-Type`` rules that keep other web pages away from it.

A browser lets any web page send requests to ``http://127.0.0.1:8080``: a form or a
``fetch`` with ``Content-Type: text/plain`` needs no CORS preflight, and a WebSocket has no
same-origin rule at all. A loopback address is not a defence either: a page whose domain
later resolves to ``127.0.0.1`` (DNS rebinding) is, for the browser, same-origin with it. So,
chosen once here, before any route runs:

* **Host.** On a loopback address the ``Host`` header must name this machine by a
  loopback literal (``127.0.0.1``, ``[::1]``...) or ``localhost``, with the port the
  dashboard listens on, or be one of ``allowed_hosts``. Elsewhere it is checked only when
  ``allowed_hosts`` is set (then it must be one of them).
* **Origin.** A request that carries an ``Origin`` header (every browser sends one with a
  WebSocket handshake and with any ``POST``) must come from the dashboard's own origin
  (the scheme-less ``host:port`` of the ``Origin`` equals the ``Host`` header) or from one
  of ``allowed_origins``. This applies to every WebSocket (``/dashboard`` and
  ``/metrics``) and to every state-changing method (``POST``...).
* **Sec-Fetch-Site.** On a state-changing request a browser's ``Sec-Fetch-Site`` must be
  ``same-origin`` or ``none`` (typed by the user), unless the ``Origin`` is in
  ``allowed_origins``. (``same-site`` is refused: a page on another port of the same host
  is same-site.)
* **Content-Type.** A state-changing request must say ``application/json``: a browser can
  send that to another origin only after a CORS preflight, which the dashboard never
  grants.

Clients that are not browsers (the metrics emitter, ``curl``, scripts) send no ``Origin``
and keep working; they still need the token where one is configured
(:mod:`agbotkit.dashboard.auth`). A refusal is a 403 with a JSON body saying why, counted
in ``agbotkit.dashboard.refused_requests`` (label ``reason``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

import attrs

from agbotkit.dashboard.auth import is_loopback

__all__ = ["SAFE_METHODS", "Refusal", "RequestGuard", "origin_key"]

#: Methods that change nothing: no Origin, Sec-Fetch-Site or Content-Type rule applies.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


@attrs.frozen
class Refusal:
    """Why a request is refused.

    Attributes:
        reason: the short reason, the ``reason`` label of the refusal counter (``host``,
            ``origin``, ``fetch-site``, ``content-type``).
        message: the sentence for the JSON body.
    """

    reason: str
    message: str


def _split_host(value: str, default_port: int) -> tuple[str, int] | None:
    """``host[:port]`` (``[v6]:port`` for IPv6) as a lower-case name and a port."""
    value = value.strip().lower()
    if not value:
        return None
    if value.startswith("["):
        host, sep, rest = value[1:].partition("]")
        if not sep:
            return None
        port_text = rest.removeprefix(":") if rest.startswith(":") else ""
        if rest and not rest.startswith(":"):
            return None
    else:
        host, _, port_text = value.partition(":")
    if not port_text:
        return host, default_port
    if not port_text.isdigit():
        return None
    return host, int(port_text)


def _is_loopback_literal(host: str) -> bool:
    # An address written as such cannot be rebound by DNS; "localhost" resolves locally.
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def origin_key(origin: str) -> tuple[str, str, int] | None:
    """An origin (``scheme://host[:port]``) as (scheme, host, port), or ``None`` when
    it is not one (``null``, a path, an unknown scheme)."""
    try:
        parts = urlsplit(origin.strip().lower())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/"):
        return None
    return parts.scheme, parts.hostname, port or _DEFAULT_PORTS[parts.scheme]


@attrs.frozen
class RequestGuard:
    """The Host, Origin and Content-Type rules of one dashboard (see the module).

    Attributes:
        loopback: whether the dashboard listens on a loopback address (the Host rule is
            then always on).
        port: the port it listens on.
        allowed_hosts: further ``Host`` values, ``name`` (any port) or ``name:port``.
        allowed_origins: further origins browsers may come from, ``scheme://host[:port]``.
    """

    loopback: bool
    port: int
    allowed_hosts: frozenset[str] = frozenset()
    allowed_origins: frozenset[tuple[str, str, int]] = frozenset()

    @classmethod
    def build(
        cls, host: str, port: int, allowed_hosts: Iterable[str], allowed_origins: Iterable[str]
    ) -> RequestGuard:
        """The guard of a dashboard listening on ``host:port``.

        Raises:
            ValueError: if an entry of ``allowed_origins`` is not ``scheme://host[:port]``.
        """
        origins = set()
        for origin in allowed_origins:
            key = origin_key(origin)
            if key is None:
                raise ValueError(f"not an origin (scheme://host[:port]): {origin!r}")
            origins.add(key)
        hosts = frozenset(h.strip().lower() for h in allowed_hosts if h.strip())
        return cls(is_loopback(host), port, hosts, frozenset(origins))

    def check(
        self, method: str, headers: Mapping[str, str], *, websocket: bool = False
    ) -> Refusal | None:
        """Whether a request may go on: ``None``, or why not.

        Args:
            method: the HTTP method (``GET`` for a WebSocket handshake).
            headers: the request's headers, names in lower case.
            websocket: whether it is a WebSocket handshake.
        """
        host_header = headers.get("host", "")
        refusal = self._check_host(host_header)
        if refusal is not None:
            return refusal
        changes = websocket or method.upper() not in SAFE_METHODS
        if not changes:
            return None
        origin = headers.get("origin")
        explicitly_allowed = False
        if origin is not None:
            key = origin_key(origin)
            explicitly_allowed = key is not None and key in self.allowed_origins
            if not explicitly_allowed and not self._same_origin(key, host_header):
                return Refusal(
                    "origin",
                    f"cross-origin request refused: Origin {origin[:100]!r} is not this "
                    "dashboard's origin nor in allowed_origins",
                )
        if websocket:
            return None
        site = headers.get("sec-fetch-site")
        if site is not None and site not in ("same-origin", "none") and not explicitly_allowed:
            return Refusal(
                "fetch-site",
                f"cross-site request refused: Sec-Fetch-Site is {site[:40]!r}",
            )
        media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type != "application/json":
            return Refusal(
                "content-type", "this endpoint needs Content-Type: application/json (a JSON body)"
            )
        return None

    def _check_host(self, host_header: str) -> Refusal | None:
        if not self.loopback and not self.allowed_hosts:
            return None
        split = _split_host(host_header, 80)
        if split is not None:
            host, port = split
            if self.loopback and _is_loopback_literal(host) and port == self.port:
                return None
            name = host_header.strip().lower()
            if name in self.allowed_hosts or host in self.allowed_hosts:
                return None
        return Refusal(
            "host",
            f"Host {host_header[:100]!r} is not allowed: use localhost or 127.0.0.1 with "
            "the dashboard's port, or add the name to allowed_hosts",
        )

    @staticmethod
    def _same_origin(origin: tuple[str, str, int] | None, host_header: str) -> bool:
        if origin is None:
            return False  # "null" (a sandboxed frame, a file) or garbage
        scheme, host, port = origin
        split = _split_host(host_header, _DEFAULT_PORTS[scheme])
        return split == (host, port)
