"""The CLOB REST transport: one bounded, rate-limited, signed HTTP request at a time.

What every request gets, so the endpoint methods (:mod:`.rest`) need not think of it:

* a place in its endpoint's rate-limit budget (:mod:`.limits`), shared by the process;
* L2 headers over the exact body bytes sent (private requests);
* a deadline (``timeout_s``) on the whole exchange;
* the answer mapped to agbotkit's errors, by what is known to have happened:

=====================================  ================================================
what happened                          raised
=====================================  ================================================
429                                    :class:`RateLimitedError`; the budget is closed
                                       for ``Retry-After`` (later calls wait)
503 "cancel-only" / "trading disabled" :class:`CancelOnlyError`
401                                    :class:`VenueError` saying the API key was refused
403 with an HTML page                  :class:`VenueError` saying the request was blocked
other 4xx                              :class:`VenueError` with the venue's ``error``
5xx, connection lost                   a GET is retried (bounded, with backoff); an
                                       order submit raises
                                       :class:`OrderOutcomeUnknownError`; anything else
                                       :class:`VenueError`
no answer within the deadline          order submit: :class:`OrderOutcomeUnknownError`;
                                       anything else: :class:`VenueError`
=====================================  ================================================

An order submit is never sent twice: its caller resolves an unknown outcome by looking the
order up by its hash.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

import attrs
import msgspec
import trio

from agbotkit.errors import (
    CancelOnlyError,
    OrderOutcomeUnknownError,
    RateLimitedError,
    VenueError,
)
from agbotkit.http import (
    HttpClient,
    HttpConnectError,
    HttpError,
    HttpResponse,
)
from agbotkit.toolkit.backoff import Backoff
from agbotkit.toolkit.ratelimit import RateLimiter, RateLimits
from agbotkit.venues.polymarket.credentials import ApiCredentials
from agbotkit.venues.polymarket.hmac import l2_headers
from agbotkit.venues.polymarket.limits import BUDGETS, budget_of
from agbotkit.venues.polymarket.responses import error_text

__all__ = ["ClobTransport", "RestConfig", "encode_body"]

LOGGER = logging.getLogger(__name__)

Params = Mapping[str, str | int]


@attrs.frozen
class RestConfig:
    """How the REST client talks to the CLOB.

    Attributes:
        base_url: the CLOB's address.
        timeout_s: the deadline of every request, connection included.
        get_retries: how many times a GET is retried after a 5xx or a lost connection.
        retry_initial_s: the first retry's delay (it doubles, jittered).
        retry_max_s: the longest delay between retries.
        rate_limit_wait_s: the longest a request may wait for its rate-limit budget.
        default_retry_after_s: how long a 429 without ``Retry-After`` closes the budget.
        heartbeat_path: the heartbeat endpoint (``/v1/heartbeats`` in the venue's clients,
            ``/heartbeats`` in its docs).
        keepalive_s: an idle connection older than this is closed, not reused.
    """

    base_url: str = "https://clob.polymarket.com"
    timeout_s: float = attrs.field(default=10.0, validator=attrs.validators.gt(0))
    get_retries: int = attrs.field(default=2, validator=attrs.validators.ge(0))
    retry_initial_s: float = 0.25
    retry_max_s: float = 2.0
    rate_limit_wait_s: float = 10.0
    default_retry_after_s: float = 1.0
    heartbeat_path: str = "/v1/heartbeats"
    keepalive_s: float = attrs.field(default=30.0, validator=attrs.validators.gt(0))


def encode_body(value: Any) -> bytes:
    """``value`` as compact JSON (no spaces, UTF-8, keys in their order): the bytes both
    signed and sent."""
    return msgspec.json.encode(value)


class _Retry(Exception):
    """A GET may be tried again: ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ClobTransport:
    """Sends requests to the CLOB; see the module docstring. Use as an async context
    manager (it owns an HTTP connection pool).

    Args:
        config: addresses, deadlines and retry settings.
        rate_limits: the process's budgets (a private set when ``None``).
        venue: the venue's name, for errors and the budgets' key.
        address: the wallet sent as ``POLY_ADDRESS`` in private requests.
        credentials: the API credentials; ``None`` allows public requests only.
        wall_clock_s: Unix seconds now (``POLY_TIMESTAMP``); see :attr:`clock_offset_s`.
        http: an HTTP client to use instead of a new one (it is closed with this).

    Attributes:
        clock_offset_s: seconds added to the wall clock for ``POLY_TIMESTAMP`` (set it
            from the server's time to survive a skewed local clock).
    """

    def __init__(
        self,
        config: RestConfig,
        *,
        rate_limits: RateLimits | None = None,
        venue: str = "polymarket",
        address: str = "",
        credentials: ApiCredentials | None = None,
        wall_clock_s: Callable[[], float] = time.time,
        http: HttpClient | None = None,
    ) -> None:
        self.config = config
        self.venue = venue
        self.address = address
        self._credentials = credentials
        self._wall_clock_s = wall_clock_s
        self.clock_offset_s = 0.0
        self._limits = RateLimits() if rate_limits is None else rate_limits
        # The deadline is ours (trio.fail_after, below); a lean client, because a general
        # one spends about a millisecond of CPU on every order (benchmarks/).
        self._http = http or HttpClient(config.base_url, keepalive_s=config.keepalive_s)

    def __repr__(self) -> str:
        return f"ClobTransport({self.config.base_url!r}, address={self.address!r})"

    async def __aenter__(self) -> ClobTransport:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    def limiter(self, budget: str) -> RateLimiter:
        """The process-wide limiter of ``budget`` (see :mod:`.limits`)."""
        return self._limits.limiter(
            self.venue, budget, BUDGETS[budget], max_wait_s=self.config.rate_limit_wait_s
        )

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: bytes = b"",
        private: bool = False,
        order_submit: bool = False,
        not_found_ok: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> bytes | None:
        """Send one request and return the answer's body.

        Args:
            method: ``GET``, ``POST`` or ``DELETE``.
            path: the path without query string (``/data/orders``).
            params: the query string's parameters (not signed).
            body: the exact JSON bytes to send (see :func:`encode_body`).
            private: sign it with the L2 headers.
            order_submit: it places orders (``POST /order(s)``): an answer that is lost or
                late is an unknown outcome, never retried.
            not_found_ok: return ``None`` on a 404 instead of raising.
            headers: headers of its own (an L1 request's wallet signature).

        Raises:
            RateLimitedError, CancelOnlyError, OrderOutcomeUnknownError, VenueError: see
                the module docstring.
        """
        attempts = 1 + self.config.get_retries if method == "GET" else 1
        backoff = Backoff(self.config.retry_initial_s, self.config.retry_max_s)
        for attempt in range(1, attempts + 1):
            try:
                return await self._attempt(
                    method, path, params, body, private, order_submit, not_found_ok, headers
                )
            except _Retry as retry:
                if attempt == attempts:
                    raise VenueError(
                        self.venue, f"{method} {path} failed {attempts} times: {retry.reason}"
                    ) from None
                delay = backoff.next_delay()
                LOGGER.warning(
                    "%s %s failed (%s): try %d of %d in %.2f s",
                    method,
                    path,
                    retry.reason,
                    attempt + 1,
                    attempts,
                    delay,
                )
                await trio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(
        self,
        method: str,
        path: str,
        params: Params | None,
        body: bytes,
        private: bool,
        order_submit: bool,
        not_found_ok: bool,
        extra: Mapping[str, str] | None = None,
    ) -> bytes | None:
        budget = budget_of(method, path)
        await self.limiter(budget).acquire()
        headers = {"Content-Type": "application/json"} if body else {}
        if extra:
            headers.update(extra)
        if private:
            headers.update(self._sign(method, path, body))
        timeout_s = self.config.timeout_s
        started = trio.current_time()
        try:
            with trio.fail_after(timeout_s):
                response = await self._http.request(
                    method, path, params=params, content=body or None, headers=headers
                )
        except trio.TooSlowError:
            if order_submit:
                raise OrderOutcomeUnknownError(
                    self.venue,
                    f"no answer to {method} {path} within {timeout_s:g} s: the orders may have "
                    "been placed (look them up by their hashes; never send them again)",
                ) from None
            raise VenueError(
                self.venue, f"no answer to {method} {path} within {timeout_s:g} s"
            ) from None
        except HttpError as exc:
            raise self._lost(method, path, exc, order_submit) from None
        LOGGER.debug(
            "%s %s -> %d in %.1f ms",
            method,
            path,
            response.status_code,
            (trio.current_time() - started) * 1000,
        )
        status = response.status_code
        if 200 <= status < 300:
            return response.content
        if status == 404 and not_found_ok:
            return None
        raise self._refused(method, path, budget, response, order_submit)

    def _sign(self, method: str, path: str, body: bytes) -> dict[str, str]:
        if self._credentials is None:
            raise VenueError(self.venue, f"{method} {path} needs API credentials; none given")
        timestamp = int(self._wall_clock_s() + self.clock_offset_s)
        return l2_headers(self.address, self._credentials, timestamp, method, path, body)

    def _lost(self, method: str, path: str, exc: HttpError, order_submit: bool) -> Exception:
        """The error of a request whose connection failed (:class:`_Retry`: try again)."""
        reason = f"{type(exc).__name__}"
        if isinstance(exc, HttpConnectError):
            # No connection, so nothing was sent: safe to retry, and no order was placed.
            if method == "GET":
                return _Retry(f"cannot connect ({reason})")
            return VenueError(self.venue, f"{method} {path}: cannot connect ({reason})")
        if order_submit:
            return OrderOutcomeUnknownError(
                self.venue,
                f"{method} {path}: connection lost before the answer ({reason}); the orders "
                "may have been placed (look them up by their hashes)",
            )
        if method == "GET":
            return _Retry(f"connection lost ({reason})")
        return VenueError(self.venue, f"{method} {path}: connection lost ({reason})")

    def _refused(
        self,
        method: str,
        path: str,
        budget: str,
        response: HttpResponse,
        order_submit: bool,
    ) -> Exception:
        """The error of a request the venue answered with an error status."""
        status = response.status_code
        text = error_text(response.content)
        where = f"{method} {path}"
        if status == 429:
            retry_after = self._retry_after(response)
            self.limiter(budget).back_off(retry_after)
            LOGGER.warning(
                "%s: 429 Too Many Requests, budget %r closed for %.3f s", where, budget, retry_after
            )
            return RateLimitedError(self.venue, budget, retry_after)
        lowered = text.lower()
        if status == 503 and ("cancel-only" in lowered or "cancel only" in lowered):
            return CancelOnlyError(self.venue, "cancel-only", f"{where}: {status} {text}")
        if status == 503 and "disabled" in lowered:
            return CancelOnlyError(self.venue, "trading disabled", f"{where}: {status} {text}")
        if status >= 500:
            if method == "GET":
                return _Retry(f"{status} {text}")
            if order_submit:
                return OrderOutcomeUnknownError(
                    self.venue,
                    f"{where}: {status} {text}; the orders may have been placed (look them "
                    "up by their hashes)",
                )
            return VenueError(self.venue, f"{where}: {status} {text}")
        if status == 401:
            return VenueError(
                self.venue,
                f"{where}: 401 {text}: the API key, secret or passphrase was refused (derive "
                "the credentials again, and check POLY_ADDRESS is the key's wallet)",
            )
        content_type = response.headers.get("content-type", "")
        if status == 403 and ("html" in content_type or response.content.lstrip()[:1] == b"<"):
            return VenueError(
                self.venue,
                f"{where}: 403, request blocked before it reached the API (an HTML page, not "
                "the API's JSON): a firewall such as Cloudflare refused this address or region",
            )
        return VenueError(self.venue, f"{where}: {status} {text}")

    def _retry_after(self, response: HttpResponse) -> float:
        """``Retry-After`` in seconds (a number or an HTTP date), else the default."""
        value = response.headers.get("retry-after", "").strip()
        if value:
            try:
                return max(0.0, float(value))
            except ValueError:
                pass
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                return max(0.0, when.timestamp() - self._wall_clock_s())
        return self.config.default_retry_after_s
