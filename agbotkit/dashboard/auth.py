"""Who may talk to the dashboard: the loopback rule and the access token.

Rules, chosen once here:

* On a loopback address (``127.0.0.1``, ``::1``, ``localhost``) no token is needed.
* On any other address the dashboard needs a token, read from the environment variable
  named by ``token_env`` or from the file ``token_file`` (never written in the stack file);
  without one it refuses to start, unless ``insecure: true`` says the user means it.
* When a token is configured it is required everywhere it protects, loopback or not: on
  ``WS /metrics``, the page, its stream and history, the Prometheus scrape and the
  kill-switch API. ``/healthz``, ``/readyz`` and the static assets stay open (probes and
  files that reveal nothing about the bot).
* A request carries it as ``Authorization: Bearer <token>`` or, for browsers (which cannot
  set headers on a WebSocket), as ``?token=<token>``. Tokens are compared in constant time.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Mapping
from pathlib import Path

from agbotkit.config.secrets import read_secret
from agbotkit.errors import ConfigError, TokenError

__all__ = ["is_loopback", "load_token", "request_token", "token_matches"]

_LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost", "ip6-loopback"})


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or name to listen on) reaches this machine only."""
    host = host.strip().strip("[]").lower()
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: it may resolve anywhere


def load_token(
    *,
    host: str,
    token_env: str | None,
    token_file: Path | None,
    insecure: bool,
    environ: Mapping[str, str] | None = None,
) -> str | None:
    """The access token to require, or ``None`` when requests need none.

    Args:
        host: the address the dashboard listens on.
        token_env: the name of the environment variable holding the token.
        token_file: a file holding the token (surrounding whitespace is ignored).
        insecure: allow listening off loopback without a token.
        environ: the environment (``os.environ`` by default).

    Raises:
        TokenError: the configured variable is unset or empty, the file cannot be read or
            is empty, or no token is configured for a non-loopback ``host`` and
            ``insecure`` is false.
    """
    try:
        token = read_secret(
            env_var=token_env, file=token_file, field_path="dashboard", environ=environ
        )
    except ConfigError as exc:
        raise TokenError(str(exc)) from None
    if token is None and not is_loopback(host) and not insecure:
        raise TokenError(
            f"listening on {host!r} (not loopback) needs an access token: set token_env "
            "(the name of an environment variable holding it) or token_file, or set "
            "insecure: true to serve without one"
        )
    return token


def request_token(authorization: str | None, query_token: str | None) -> str | None:
    """The token a request carries: its ``Authorization: Bearer`` header, else ``?token=``.

    Args:
        authorization: the ``Authorization`` header, if any.
        query_token: the ``token`` query parameter, if any.
    """
    scheme, _, credentials = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return query_token or None


def token_matches(expected: str | None, given: str | None) -> bool:
    """Whether ``given`` is acceptable when ``expected`` is required (constant time)."""
    if expected is None:
        return True
    if given is None:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
