"""``agbotkit keys derive``: the CLOB's API credentials for a stack's Polymarket wallet.

The wallet proves itself with an L1 request (a ClobAuth signature by its private key): the
CLOB creates credentials for it (``POST /auth/api-key``), or, when it has them already,
derives the same ones again (``GET /auth/derive-api-key``: deterministic per nonce). They
are written to the venue's ``credentials_file`` (or the file given), readable by its owner
only; the secret and the passphrase are never printed or logged.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import msgspec

from agbotkit.config.converter import structure_options
from agbotkit.errors import ConfigError, ConfigIssue, CredentialsError, VenueError
from agbotkit.exec.config import ExecutionConfig
from agbotkit.venues.polymarket.config import PolymarketConfig
from agbotkit.venues.polymarket.credentials import (
    ApiCredentials,
    load_private_key,
    write_credentials,
)
from agbotkit.venues.polymarket.keys import SigningKey
from agbotkit.venues.polymarket.l1 import l1_headers
from agbotkit.venues.polymarket.transport import ClobTransport, RestConfig

__all__ = ["derive_and_write", "obtain_credentials", "polymarket_venue", "polymarket_venues"]

LOGGER = logging.getLogger(__name__)


class _Credentials(msgspec.Struct, frozen=True):
    api_key: str = msgspec.field(name="apiKey")
    secret: str = ""
    passphrase: str = ""


def polymarket_venues(components: Any, stack_file: str) -> dict[str, PolymarketConfig]:
    """Every ``polymarket`` venue of a planned stack's execution components, by name.

    Raises:
        ConfigError: a venue's options do not validate.
    """
    found: dict[str, PolymarketConfig] = {}
    for component in components:
        if not isinstance(component.config, ExecutionConfig):
            continue
        for name, entry in component.config.venues.items():
            if entry.get("kind") != "polymarket":
                continue
            options = {key: value for key, value in entry.items() if key != "kind"}
            config, problems = structure_options(
                PolymarketConfig, options, base_dir=Path(stack_file).parent
            )
            if config is None:
                raise ConfigError(
                    [
                        ConfigIssue(stack_file, None, ".".join(map(str, p)), message)
                        for p, message in problems
                    ]
                )
            found[name] = config
    return found


def polymarket_venue(components: Any, stack_file: str, name: str | None) -> PolymarketConfig:
    """The stack's one ``polymarket`` venue (or the one called ``name``).

    Raises:
        ConfigError: none, several without ``name``, or invalid options.
    """
    venues = polymarket_venues(components, stack_file)
    chosen = [n for n in venues if name in (None, n)]
    if len(chosen) != 1:
        found = ", ".join(venues) or "none"
        message = f"name one polymarket venue with --venue (found: {found})"
        raise ConfigError([ConfigIssue(stack_file, None, "components", message)])
    return venues[chosen[0]]


async def obtain_credentials(
    transport: ClobTransport, key: SigningKey, *, nonce: int = 0, chain_id: int = 137
) -> ApiCredentials:
    """Create the wallet's API credentials, or derive them when they exist already.

    Raises:
        VenueError: the CLOB refused both (a wrong signature, a network failure).
    """
    headers = l1_headers(key, int(time.time() + transport.clock_offset_s), nonce, chain_id)
    try:
        raw = await transport.request("POST", "/auth/api-key", headers=headers)
    except VenueError as exc:
        LOGGER.info("creating API credentials refused (%s): deriving the existing ones", exc)
        raw = await transport.request(
            "GET",
            "/auth/derive-api-key",
            headers=l1_headers(key, int(time.time() + transport.clock_offset_s), nonce, chain_id),
        )
    try:
        answer = msgspec.json.decode(raw or b"", type=_Credentials)
    except msgspec.DecodeError:
        raise VenueError(transport.venue, "the CLOB's credentials answer is malformed") from None
    if not (answer.api_key and answer.secret and answer.passphrase):
        raise VenueError(transport.venue, "the CLOB's credentials answer misses a field")
    return ApiCredentials(answer.api_key, answer.secret, answer.passphrase)


async def derive_and_write(
    config: PolymarketConfig, out: Path | None, *, nonce: int = 0, overwrite: bool = False
) -> tuple[Path, str]:
    """Obtain the credentials of ``config``'s wallet and write them; (the file, the API
    key's first 8 characters) to tell the user.

    Raises:
        CredentialsError: no private key, no file to write to, or the file exists.
        VenueError: the CLOB refused.
    """
    target = out or config.credentials_file
    if target is None:
        raise CredentialsError(
            "no file to write the credentials to: give --out FILE or set the venue's "
            "credentials_file"
        )
    if Path(target).exists() and not overwrite:  # before asking the CLOB for anything
        raise CredentialsError(f"{target} exists: give --force to replace it")
    key = SigningKey(load_private_key(config.private_key_file).reveal())
    rest = RestConfig(base_url=config.clob_url, timeout_s=config.timeout_s)
    async with ClobTransport(rest, address=key.address) as transport:
        credentials = await obtain_credentials(
            transport, key, nonce=nonce, chain_id=config.chain_id
        )
    path = write_credentials(target, credentials, overwrite=overwrite)
    return path, credentials.api_key[:8]
