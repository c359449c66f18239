"""What can go wrong with an HTTP request, split by whether the server may have seen it."""

from __future__ import annotations

__all__ = [
    "HttpConnectError",
    "HttpConnectionLostError",
    "HttpError",
    "HttpProtocolError",
]


class HttpError(Exception):
    """An HTTP request failed before a whole answer came."""


class HttpConnectError(HttpError):
    """No connection could be made (refused, TLS failed, proxy refused): nothing was sent,
    so the request may be sent again."""


class HttpConnectionLostError(HttpError):
    """The connection broke after the request started to go out: the server may have
    received and acted on it."""


class HttpProtocolError(HttpError):
    """The answer was not HTTP/1.1, or larger than allowed: the server may have acted on
    the request."""
