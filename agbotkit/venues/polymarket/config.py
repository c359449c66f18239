"""Options of the ``polymarket`` venue, and where its secrets come from.

Secrets never sit in the stack file: the private key comes from ``POLYMARKET_PRIVATE_KEY``
or ``private_key_file``, the API credentials from the ``POLYMARKET_API_*`` variables or
``credentials_file``; a file others may read is refused.
"""

from __future__ import annotations

from pathlib import Path

import attrs

from agbotkit.config.checks import at_least, greater_than, one_of

__all__ = ["PolymarketConfig"]

SIGNATURE_TYPES = ("EOA", "POLY_PROXY", "POLY_GNOSIS_SAFE", "POLY_1271")


@attrs.frozen(kw_only=True)
class PolymarketConfig:
    """Options of the ``polymarket`` venue.

    Attributes:
        dry_run: sign and log every order, send none (the default). Real orders need
            ``dry_run: false`` here, ``live_trading: true`` on the execution component
            and ``AGBOTKIT_LIVE_TRADING=1`` in the environment, all three.
        clob_url: the CLOB's REST address.
        chain_id: 137 (Polygon); 80002 for Amoy.
        signature_type: the wallet kind: ``EOA``, ``POLY_PROXY``, ``POLY_GNOSIS_SAFE`` or
            ``POLY_1271``.
        funder: the address holding the funds (the proxy, the Safe or the deposit wallet);
            empty for ``EOA``.
        private_key_file: a file holding the private key (else ``POLYMARKET_PRIVATE_KEY``).
        credentials_file: a JSON file with ``apiKey``, ``secret``, ``passphrase`` (else the
            ``POLYMARKET_API_*`` variables); ``agbotkit keys derive`` will write one.
        timeout_s: the deadline of every request.
        user_ws_url: the CLOB's user channel.
        markets: the markets (condition ids) whose order events the user channel sends;
            empty: every market of the account.
        heartbeat_interval_s: live, post a heartbeat this often (0: none). Once the venue
            has had one, it cancels every open order of the account when they stop: a
            dead-man switch for a process that dies or hangs.
        min_size: the smallest resting order in shares (Polymarket: 5 on most markets).
    """

    dry_run: bool = True
    clob_url: str = "https://clob.polymarket.com"
    chain_id: int = 137
    signature_type: str = attrs.field(default="EOA", validator=one_of(*SIGNATURE_TYPES))
    funder: str = ""
    private_key_file: Path | None = None
    credentials_file: Path | None = None
    timeout_s: float = attrs.field(default=10.0, validator=greater_than(0))
    user_ws_url: str = "wss://ws-subscriptions-clob.polymarket.com/ws/user"
    markets: tuple[str, ...] = ()
    heartbeat_interval_s: float = attrs.field(default=0.0, validator=at_least(0))
    min_size: float = attrs.field(default=5.0, validator=greater_than(0))
