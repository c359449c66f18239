"""A lean HTTP/1.1 client for the latency-critical requests (the CLOB's order endpoints).

A general client spends about a millisecond of CPU on every request; placing an order
should not. :class:`HttpClient` keeps connections alive (TCP_NODELAY, TLS with the certifi
roots, an HTTPS proxy through ``CONNECT`` when the environment names one) and lets h11 do
the protocol. It has no deadline of its own: callers bound each request with trio's
cancel scopes, and a cancelled request's connection is closed, never reused.
"""

from agbotkit.http.client import HttpClient as HttpClient
from agbotkit.http.connection import HttpResponse as HttpResponse
from agbotkit.http.errors import HttpConnectError as HttpConnectError
from agbotkit.http.errors import HttpConnectionLostError as HttpConnectionLostError
from agbotkit.http.errors import HttpError as HttpError
from agbotkit.http.errors import HttpProtocolError as HttpProtocolError
