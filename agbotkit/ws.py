"""A lean WebSocket client and server on trio streams, built on wsproto (sans-IO).

Why not trio-websocket: it costs about 45 µs per received message (a task and a channel hop per
message), which caps a feed near 20k msgs/s per core. Here one ``receive_some`` of up to 64 KiB
is cut into frames and *every* complete message in it is handed back at once, so the caller
decodes a whole batch inline (see ``STACK-NOTES.md``).

wsproto does the handshakes, the close and ping logic, fragments, masking and all validation.
The one frame market data is made of (a server's unmasked, unfragmented text frame) is decoded
by the reader itself, because wsproto's general parser costs 12-20 µs per frame, more than
everything else on the path together; the writer of a server frames text itself for the same
reason. ``benchmarks/bench_ws.py`` measures both.

Semantics shared by both ends:

* :meth:`WsConnection.receive` returns a batch of text messages; binary messages are decoded
  as UTF-8 (bad bytes replaced); a message over ``max_message_bytes`` is dropped without being
  joined and reported as :class:`Oversize`; protocol pings are answered automatically.
* A close frame from the peer is answered and surfaces as :class:`WsClosed` with its code;
  a lost connection (EOF, reset) as :class:`WsClosed` with ``code=None``.
* :meth:`WsConnection.aclose` sends a close frame (bounded by :data:`CLOSE_TIMEOUT_S`) and
  closes the stream without waiting for the peer's answer.

The parts, each its own module (this one only re-exports them):
:mod:`agbotkit.ws_frames` (the frame reader, :class:`Oversize`), :mod:`agbotkit.ws_connection`
(:class:`WsConnection` and its errors), :mod:`agbotkit.ws_client` (:func:`ws_connect`) and
:mod:`agbotkit.ws_server` (:func:`serve_ws`).
"""

from __future__ import annotations

from agbotkit.ws_client import WsHandshakeError as WsHandshakeError
from agbotkit.ws_client import ws_connect as ws_connect
from agbotkit.ws_connection import CLOSE_TIMEOUT_S as CLOSE_TIMEOUT_S
from agbotkit.ws_connection import DEFAULT_MAX_MESSAGE_BYTES as DEFAULT_MAX_MESSAGE_BYTES
from agbotkit.ws_connection import MAX_HEAD_BYTES as MAX_HEAD_BYTES
from agbotkit.ws_connection import READ_SIZE as READ_SIZE
from agbotkit.ws_connection import WsClosed as WsClosed
from agbotkit.ws_connection import WsConnection as WsConnection
from agbotkit.ws_connection import WsError as WsError
from agbotkit.ws_frames import Oversize as Oversize
from agbotkit.ws_server import HANDSHAKE_TIMEOUT_S as HANDSHAKE_TIMEOUT_S
from agbotkit.ws_server import LOGGER as LOGGER
from agbotkit.ws_server import Handler as Handler
from agbotkit.ws_server import RequestCheck as RequestCheck
from agbotkit.ws_server import serve_ws as serve_ws

__all__ = [
    "CLOSE_TIMEOUT_S",
    "HANDSHAKE_TIMEOUT_S",
    "Oversize",
    "WsClosed",
    "WsConnection",
    "WsError",
    "WsHandshakeError",
    "serve_ws",
    "ws_connect",
]
