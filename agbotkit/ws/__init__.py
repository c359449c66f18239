"""The WebSocket layer: a lean client and server on trio streams, built on wsproto (sans-IO).

Why not trio-websocket: it costs about 45 µs per received message (a task and a channel hop
per message), which caps a feed near 20k msgs/s per core. Here one ``receive_some`` of up to
64 KiB is cut into frames and *every* complete message in it is handed back at once, so the
caller decodes a whole batch inline.

wsproto does the handshakes, the close and ping logic, fragments, masking and all validation.
The one frame market data is made of (a server's unmasked, unfragmented text frame) is
decoded by the reader itself, because wsproto's general parser costs 12-20 µs per frame,
more than everything else on the path together; the writer of a server frames text itself
for the same reason. ``benchmarks/bench_ws.py`` measures both.

Semantics shared by both ends:

* :meth:`~agbotkit.ws.connection.WsConnection.receive` returns a batch of text messages;
  binary messages are decoded as UTF-8 (bad bytes replaced); a message over
  ``max_message_bytes`` (counted in bytes, UTF-8 for text; exactly the limit passes) is
  dropped without being joined and reported as :class:`~agbotkit.ws.frames.Oversize`;
  protocol pings are answered automatically.
* A close frame from the peer is answered and surfaces as :class:`~agbotkit.errors.WsClosed`
  with its code; a lost connection (EOF, reset) as ``WsClosed`` with ``code=None``.
* ``aclose`` sends a close frame (bounded by ``CLOSE_TIMEOUT_S``) and closes the stream
  without waiting for the peer's answer.

The parts: :mod:`.frames` (the frame reader), :mod:`.connection`
(:class:`~agbotkit.ws.connection.WsConnection`), :mod:`.client` (``ws_connect``),
:mod:`.server` (``serve_ws``) and :mod:`.session` (:class:`~agbotkit.ws.session.WsSession`,
a client connection kept up: bounded connects, backoff, bounded closes).
"""
