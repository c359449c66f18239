"""Resolving markets named by slug or condition id to tokens, through the Gamma API."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import trio

from agbotkit.errors import GammaError, MalformedFrameError
from agbotkit.marketdata.gamma.translate import parse_gamma_markets
from agbotkit.model.markets import MarketInfo

__all__ = ["resolve_markets"]


async def resolve_markets(
    gamma_url: str, refs: Sequence[str], *, timeout_s: float = 10.0
) -> list[MarketInfo]:
    """Look up each market by slug, or by condition id when it starts with ``0x``.

    Raises:
        GammaError: naming the market that does not exist or the request that failed.
    """
    markets: list[MarketInfo] = []
    async with httpx.AsyncClient(base_url=gamma_url, timeout=timeout_s) as client:
        for ref in refs:
            key = "condition_ids" if ref.startswith("0x") else "slug"
            try:
                with trio.fail_after(timeout_s):
                    response = await client.get("/markets", params={key: ref})
                response.raise_for_status()
                found = parse_gamma_markets(response.content)
            except (httpx.HTTPError, trio.TooSlowError) as exc:
                raise GammaError(
                    f"Gamma lookup of market {ref!r} at {gamma_url} failed: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            except MalformedFrameError as exc:
                raise GammaError(
                    f"Gamma answered market {ref!r} with data agbotkit cannot read: {exc}"
                ) from exc
            if not found:
                raise GammaError(f"no market with {key.rstrip('s')} {ref!r} on {gamma_url}")
            markets.extend(found)
    return markets
