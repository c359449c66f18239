"""A client WebSocket that stays connected: connect, serve, close, pause, connect again.

Every long-lived client socket of agbotkit (the market-data feeds, the metrics emitter)
lives the same way, and :class:`WsSession` is that life, written once. What differs
between them is given to it:

* ``serve(conn)``: what to do with a connection that is up, until it fails (a feed's read
  loop, pings and silence watchdog; the emitter's send pump);
* ``greet(conn)``: what to send on every (re)connect before the connection counts as up
  (a feed's subscribe frames);
* ``failures``: the user's own exceptions that end a connection, each with the reason it
  gives (a silent feed, a send that took too long). A lost or closed connection
  (:class:`~agbotkit.errors.WsError`, ``OSError``, ``trio.BrokenResourceError``) always
  ends one; anything else propagates;
* ``retry``: the pause before the next attempt, a fixed number of seconds or a
  :class:`~agbotkit.toolkit.backoff.Backoff`, which is reset once a connection was up;
* ``on_up``, ``on_down``, ``on_retry``: what the user tells the world (status events,
  metrics, log lines).

Every connect is bounded by ``connect_timeout_s``. Every close is shielded and bounded by
``close_timeout_s``: a stop cannot leave a socket open, and a peer that never answers
cannot hold the stop.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence

import attrs
import trio

from agbotkit.errors import WsError
from agbotkit.toolkit.backoff import Backoff
from agbotkit.toolkit.tasks import aclose_within
from agbotkit.ws.client import ws_connect
from agbotkit.ws.connection import CLOSE_TIMEOUT_S, DEFAULT_MAX_MESSAGE_BYTES, WsConnection

__all__ = ["Outage", "WsSession"]

#: What ends a connection whatever the user: it was closed, lost or broken.
_LOST = (WsError, OSError, trio.BrokenResourceError)
#: The reason of a connection that ended without an error (``serve`` returned).
_CLOSED = "connection closed"


@attrs.frozen
class Outage:
    """A connection, or an attempt to make one, ended; the session will try again.

    Attributes:
        reason: what happened, for a log line (``"connect timed out after 5 s"``,
            ``"WebSocket closed with code 1001: going away"``).
        was_up: whether the connection had been up (connected and greeted); False for a
            failed connect or greeting.
        retry_in_s: the pause before the next attempt.
    """

    reason: str
    was_up: bool
    retry_in_s: float


class WsSession:
    """Keeps one client WebSocket connected until cancelled; see the module docstring.

    Reports ready (``task_status.started()``) once the first connection is up. The
    connection that is up, if any, is :attr:`connection`.
    """

    def __init__(
        self,
        url: str,
        serve: Callable[[WsConnection], Awaitable[object]],
        *,
        connect_timeout_s: float,
        retry: float | Backoff,
        greet: Callable[[WsConnection], Awaitable[object]] | None = None,
        failures: Mapping[type[Exception], str] | None = None,
        on_up: Callable[[WsConnection], object] | None = None,
        on_down: Callable[[str, bool], object] | None = None,
        on_retry: Callable[[Outage], object] | None = None,
        headers: Sequence[tuple[str, str]] = (),
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        close_timeout_s: float = CLOSE_TIMEOUT_S,
        keep_open_on_stop: bool = False,
    ) -> None:
        """Set the session up; it connects once :meth:`run` is started.

        Args:
            url: the ``ws://`` or ``wss://`` URL.
            serve: serves a connection that is up; returns or raises when it is over.
            connect_timeout_s: bound on one connect (TCP, TLS and the WebSocket handshake).
            retry: the pause after a failure: fixed seconds, or a :class:`Backoff`.
            greet: sends what a new connection needs first; a failure here is a failed
                connection that never was up.
            failures: the user's exceptions that end a connection (raised by ``serve``),
                with the reason each gives.
            on_up: called with a connection that is now up (before ``serve``).
            on_down: called with the reason and whether it was up when a connection ends,
                before it is closed (also when a stop ends it, with ``"connection closed"``).
            on_retry: called after every failure, connect or connection, before the pause.
            headers: extra HTTP headers of the handshake (a bearer token).
            max_message_bytes: larger messages are reported as
                :class:`~agbotkit.ws.frames.Oversize`.
            close_timeout_s: bound on closing a connection.
            keep_open_on_stop: when the session is cancelled while a connection is up,
                leave it open (no ``on_down``) for the owner to use once more and close;
                see :meth:`detach`.
        """
        self.url = url
        self._serve = serve
        self._connect_timeout_s = connect_timeout_s
        self._retry = retry
        self._greet = greet
        self._failures = dict(failures or {})
        self._ends: tuple[type[Exception], ...] = (*self._failures, *_LOST)
        self._on_up = on_up
        self._on_down = on_down
        self._on_retry = on_retry
        self._headers = list(headers)
        self._max_message_bytes = max_message_bytes
        self._close_timeout_s = close_timeout_s
        self._keep_open_on_stop = keep_open_on_stop
        self._conn: WsConnection | None = None

    @property
    def connection(self) -> WsConnection | None:
        """The connection that is up now (connected and greeted), or ``None``."""
        return self._conn

    def detach(self) -> WsConnection | None:
        """Take the connection a stop left open (``keep_open_on_stop``): the caller closes it."""
        conn, self._conn = self._conn, None
        return conn

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Connect, serve, close, pause, connect again: forever, until cancelled."""
        status: trio.TaskStatus[None] | None = task_status
        while True:
            conn = await self.connect()
            if isinstance(conn, str):
                reason, was_up = conn, False
            else:
                reason, was_up = await self._live(conn, status)
                if was_up:
                    status = None  # ready was reported: once is all
            delay = self._pause(was_up)
            if self._on_retry is not None:
                self._on_retry(Outage(reason, was_up, delay))
            await trio.sleep(delay)

    async def connect(self) -> WsConnection | str:
        """One connect, bounded by ``connect_timeout_s``: the connection, or why it failed
        (``"connect timed out after 5 s"``, ``"connect failed: ..."``).

        :meth:`run` connects with it; an owner may too (one last flush at a stop).
        """
        try:
            with trio.fail_after(self._connect_timeout_s):
                return await ws_connect(
                    self.url, max_message_bytes=self._max_message_bytes, headers=self._headers
                )
        except trio.TooSlowError:
            return f"connect timed out after {self._connect_timeout_s:g} s"
        except _LOST as exc:
            return f"connect failed: {exc}"

    async def _live(
        self, conn: WsConnection, status: trio.TaskStatus[None] | None
    ) -> tuple[str, bool]:
        """One connection's life after its handshake; returns why it ended, and whether it
        was up. Closes it, unless a stop should leave it open (``keep_open_on_stop``)."""
        reason = _CLOSED
        try:
            try:
                if self._greet is not None:
                    await self._greet(conn)
                self._conn = conn
                if self._on_up is not None:
                    self._on_up(conn)
                if status is not None:
                    status.started()
                await self._serve(conn)
            except* self._ends as group:
                reason = self._explain(group)
        except BaseException:
            if self._keep_open_on_stop and self._conn is conn:
                raise  # left open (and up) for the owner: see detach()
            await self._end(conn, reason)
            raise
        return reason, await self._end(conn, reason)

    async def _end(self, conn: WsConnection, reason: str) -> bool:
        """Forget ``conn``, tell ``on_down``, close it within the deadline; True if it was up."""
        was_up = self._conn is conn
        if was_up:
            self._conn = None
        try:
            if self._on_down is not None:
                self._on_down(reason, was_up)
        finally:
            await aclose_within(conn, self._close_timeout_s)
        return was_up

    def _explain(self, group: BaseExceptionGroup[BaseException]) -> str:
        exc: BaseException = group
        while isinstance(exc, BaseExceptionGroup):
            exc = exc.exceptions[0]
        for kind, reason in self._failures.items():
            if isinstance(exc, kind):
                return reason
        return str(exc)

    def _pause(self, was_up: bool) -> float:
        retry = self._retry
        if not isinstance(retry, Backoff):
            return retry
        if was_up:
            retry.reset()
        return retry.next_delay()
