"""Wire format of Gamma REST ``GET /markets`` responses: the market struct and decoders.

Sans-IO and pure. Only the fields a trading bot needs are declared; Gamma sends
``outcomes`` and ``clobTokenIds`` as JSON arrays encoded inside strings
(``"[\\"Yes\\", \\"No\\"]"``), decoded by :func:`decode_json_string_list`. A REST body, not a
socket frame, so it lives apart from the two feeds; a body nested too deeply to decode is
malformed like any other (see :data:`~agbotkit.marketdata.codec.DECODE_ERRORS`).
"""

# Safe with msgspec: it resolves these string annotations from this module's globals when
# the decoders below are built, and every type they name is defined at module level.
from __future__ import annotations

from decimal import Decimal

import msgspec

from agbotkit.errors import MalformedFrameError
from agbotkit.marketdata.codec import DECODE_ERRORS, TOO_DEEP, _Wire, excerpt

__all__ = [
    "GammaEvent",
    "GammaMarket",
    "decode_json_string_list",
    "parse_gamma_response",
]


class GammaEvent(_Wire):
    """An event a Gamma market belongs to (``events[]``: only its id)."""

    id: str | int | None = None


class GammaMarket(_Wire, rename="camel"):
    """One item of Gamma ``GET /markets`` (only the fields a trading bot needs).

    ``outcomes``, ``clobTokenIds`` and ``positionIds`` are JSON arrays encoded as strings
    inside the JSON (a real list is accepted too).
    """

    condition_id: str
    id: str | int | None = None
    question: str | None = None
    slug: str | None = None
    outcomes: str | list[str] | None = None
    clob_token_ids: str | list[str] | None = None
    position_ids: str | list[str] | None = None
    order_price_min_tick_size: Decimal | None = None
    order_min_size: Decimal | None = None
    neg_risk: bool | None = None
    neg_risk_market_id: str | None = msgspec.field(default=None, name="negRiskMarketID")
    events: list[GammaEvent] | None = None
    end_date: str | None = None
    active: bool | None = None
    closed: bool | None = None


class _GammaPage(_Wire):
    """``{"data": [...]}``, the wrapped form of a market list; ``None`` means not wrapped."""

    data: list[GammaMarket] | None = None


# --- decoders (built once) -----------------------------------------------------------------

_GAMMA_LIST: msgspec.json.Decoder[list[GammaMarket] | _GammaPage] = msgspec.json.Decoder(
    list[GammaMarket] | _GammaPage, strict=False
)
_GAMMA_ONE = msgspec.json.Decoder(GammaMarket, strict=False)
_STR_LIST = msgspec.json.Decoder(list[str])


def parse_gamma_response(raw: bytes | str) -> list[GammaMarket]:
    """Decode a Gamma markets response: a JSON array, ``{"data": [...]}`` or one market.

    Raises:
        MalformedFrameError: the body is not JSON or a market lacks ``conditionId`` or has a
            wrongly typed field.
    """
    try:
        decoded = _GAMMA_LIST.decode(raw)
        if isinstance(decoded, list):
            return decoded
        if decoded.data is not None:
            return decoded.data
        return [_GAMMA_ONE.decode(raw)]
    except DECODE_ERRORS as exc:
        why = TOO_DEEP if isinstance(exc, RecursionError) else exc
        raise MalformedFrameError(f"Gamma markets: {why}", excerpt(raw)) from None


def decode_json_string_list(text: str | list[str] | None, what: str) -> tuple[str, ...]:
    """Decode one of Gamma's lists sent as a JSON array inside a string; a real list passes.

    Raises:
        MalformedFrameError: ``text`` is not a JSON array of strings.
    """
    if text is None:
        return ()
    if isinstance(text, list):
        return tuple(text)
    if not text.strip():
        return ()
    try:
        return tuple(_STR_LIST.decode(text))
    except DECODE_ERRORS as exc:
        why = TOO_DEEP if isinstance(exc, RecursionError) else exc
        raise MalformedFrameError(f"{what}: expected a JSON array of strings ({why})") from None
