"""The frame reader of :mod:`agbotkit.ws`: received bytes cut into frames and messages.

The one frame market data is made of (a server's unmasked, unfragmented text frame) is decoded
here, because wsproto's general parser costs 12-20 µs per frame, more than everything else on
the path together; every other frame goes to wsproto, which keeps all of its checks.
:class:`FrameReader` is the receiving half of :class:`~agbotkit.ws.connection.WsConnection`;
the connection feeds it the bytes it reads and answers the control events it returns.
"""

from __future__ import annotations

from typing import cast

import attrs
from wsproto.connection import Connection
from wsproto.events import BytesMessage, CloseConnection, Event, TextMessage

__all__ = ["FrameReader", "Oversize"]


@attrs.frozen
class Oversize:
    """Stands for a message larger than ``max_message_bytes``, dropped unread.

    A message of exactly ``max_message_bytes`` is accepted; the limit counts bytes (a text
    message's UTF-8 bytes, not its characters), at both ends and however it was framed.

    Attributes:
        size: the message's length in bytes.
    """

    size: int


class FrameReader:
    """Buffered bytes of one connection, cut into messages (the base of ``WsConnection``)."""

    def __init__(
        self, proto: Connection, client: bool, limit: int, initial: bytes | bytearray
    ) -> None:
        """Start reading after a completed handshake.

        Args:
            proto: the wsproto connection, past its handshake.
            client: whether this is the client end (only a client gets the fast path).
            limit: larger messages are reported as :class:`Oversize`.
            initial: bytes read after the handshake's HTTP head, not yet given to wsproto.
        """
        self._proto = proto
        self._client = client
        self._limit = limit
        # Received bytes not parsed yet; always starts at a frame boundary.
        self._buf = bytearray(initial)
        # Bytes of a frame too large to buffer that wsproto is still owed.
        self._owed = 0
        # Whether a fragmented data message is in progress (frames go to wsproto meanwhile).
        self._fragmented = False
        # A message being joined by wsproto: its parts, size so far, and whether binary.
        self._parts: list[str | bytes] | None = None
        self._size = 0
        self._binary = False

    def _split(self, out: list[str | Oversize]) -> list[Event]:
        """Cut the buffered bytes into frames; append the messages they complete to ``out``.

        The frame that market data is made of (a server's unmasked, unfragmented text frame,
        whole in the buffer) is decoded right here: wsproto's general parser costs about
        15 µs per frame, this about 1 µs. Every other frame (control frames, fragments,
        binary, anything invalid) is given to wsproto whole, one frame at a time, so
        wsproto's parser always sits on a frame boundary and keeps all of its checks; a
        frame too large to buffer is streamed to it instead.

        Returns:
            the control events (ping, pong, close) met, in order; nothing is parsed after
            a close.
        """
        buf = self._buf
        size = len(buf)
        limit = self._limit
        fast = self._client
        controls: list[Event] = []
        pos = 0
        while pos < size:
            if self._owed:
                take = min(self._owed, size - pos)
                self._owed -= take
                pos += take
                if self._feed(buf[pos - take : pos], out, controls):
                    pos = size  # nothing after a close (or a protocol error) counts
                continue
            if size - pos < 2:
                break
            b0 = buf[pos]
            b1 = buf[pos + 1]
            length = b1 & 0x7F
            head = 2
            if length == 126:
                if size - pos < 4:
                    break
                length = (buf[pos + 2] << 8) | buf[pos + 3]
                head = 4
            elif length == 127:
                if size - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                head = 10
            if b1 & 0x80:
                head += 4
            end = pos + head + length
            # 0x81: FIN, no extension bits, text; b1 < 0x80: not masked.
            if b0 == 0x81 and b1 < 0x80 and fast and not self._fragmented and end <= size:
                if length > limit:
                    out.append(Oversize(length))
                    pos = end
                    continue
                try:
                    out.append(buf[pos + head : end].decode("utf-8"))
                except UnicodeDecodeError:
                    pass  # wsproto turns it into a close with code 1007
                else:
                    pos = end
                    continue
            if b0 & 0x0F < 8:  # a data or continuation frame: track fragmentation
                self._fragmented = not b0 & 0x80
            if end > size:
                if end - pos <= limit + 14:
                    break  # wait for the rest of the frame
                self._owed = end - pos
                continue
            pos = size if self._feed(buf[pos:end], out, controls) else end
        del buf[:pos]
        return controls

    def _feed(self, data: bytearray, out: list[str | Oversize], controls: list[Event]) -> bool:
        """Give wsproto a whole frame (or the next part of a large one) and take its events.

        Returns:
            True when the connection is closing (a close frame, or one wsproto refused).
        """
        proto = self._proto
        proto.receive_data(bytes(data))
        for event in proto.events():
            if isinstance(event, (TextMessage, BytesMessage)):
                self._join(event.data, event.message_finished, out)
            else:
                controls.append(event)
                if isinstance(event, CloseConnection):
                    return True
        return False

    def _join(
        self, data: str | bytes | bytearray, finished: bool, out: list[str | Oversize]
    ) -> None:
        """Add one fragment (or a whole binary message) to the message being joined."""
        if self._parts is None:
            self._parts = []
            self._size = 0
            self._binary = not isinstance(data, str)
        # wsproto hands text over decoded: the limit counts its UTF-8 bytes, as on the fast
        # path (isascii is a flag lookup, so ASCII text costs no encoding).
        if isinstance(data, str) and not data.isascii():
            self._size += len(data.encode("utf-8"))
        else:
            self._size += len(data)
        if self._size <= self._limit:
            self._parts.append(data if isinstance(data, str) else bytes(data))
        elif self._parts:
            self._parts = []  # over the limit: stop holding on to what was joined so far
        if not finished:
            return
        parts, self._parts = self._parts, None
        if self._size > self._limit:
            out.append(Oversize(self._size))
        elif self._binary:
            out.append(b"".join(cast("list[bytes]", parts)).decode("utf-8", errors="replace"))
        else:
            out.append("".join(cast("list[str]", parts)))
