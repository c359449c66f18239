"""Pieces every Polymarket wire format shares: the struct base, control words, frame sniffing.

Sans-IO and pure. :mod:`agbotkit.marketdata.wire_clob`, :mod:`agbotkit.marketdata.wire_rtds`
and :mod:`agbotkit.marketdata.wire_gamma` build on these; :mod:`agbotkit.marketdata.wire`
re-exports the public names. They live apart from the per-protocol modules so that each
protocol can import them without a cycle through the re-exporting module.

* :class:`ControlWord` and :func:`classify_frame` tell what a text frame is (JSON object,
  JSON array, control word, blank) before any decoder runs; both socket feeds use them.
* ``_Wire`` is the base of every wire struct; ``_raw_elements`` splits an array frame so the
  array decoders can decode its elements one by one.
* :func:`excerpt` shortens a frame for an error message or a log line.
"""

from __future__ import annotations

import enum
from typing import Literal

import msgspec

from agbotkit.errors import MalformedFrameError

__all__ = [
    "ControlWord",
    "classify_frame",
    "excerpt",
]


_EXCERPT_CHARS = 120


class ControlWord(enum.Enum):
    """A non-JSON text frame with a meaning."""

    PONG = "PONG"
    NO_NEW_ASSETS = "NO NEW ASSETS"
    INVALID_OPERATION = "INVALID OPERATION"


_CONTROL_WORDS = {word.value: word for word in ControlWord}


class _Wire(msgspec.Struct, gc=False):
    """Base of all wire structs: they never take part in a reference cycle, so no GC."""


# --- decoders (built once) -----------------------------------------------------------------

_RAW_LIST = msgspec.json.Decoder(list[msgspec.Raw])
_ANY = msgspec.json.Decoder()


def excerpt(raw: bytes | str, limit: int = _EXCERPT_CHARS) -> str:
    """Return the start of ``raw`` as text, for an error message or a log line."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return text if len(text) <= limit else text[:limit] + "…"


# JSON whitespace, as the ints that indexing bytes gives and as the strs indexing text gives.
_JSON_WHITESPACE = frozenset({32, 9, 10, 13, " ", "\t", "\n", "\r"})


def _container_start(raw: bytes | str) -> Literal["{", "["] | None:
    """``"{"`` or ``"["`` when the frame starts so (after whitespace), else ``None``."""
    if raw:
        # Indexing gives an int for bytes and a str for text; comparing either with the
        # other kind is just False (no bytes/str comparison, so no BytesWarning).
        first = raw[0]
        if first == 123 or first == "{":
            return "{"
        if first == 91 or first == "[":
            return "["
        if first in _JSON_WHITESPACE:
            return _container_start(raw.lstrip())
    return None


def classify_frame(raw: bytes | str) -> Literal["{", "["] | ControlWord | None:
    """Say what a text frame is before decoding it.

    Returns:
        ``"{"`` for a JSON object, ``"["`` for a JSON array (leading whitespace allowed), a
        :class:`ControlWord` (any case, surrounding whitespace allowed), or ``None`` for an
        empty or blank frame.

    Raises:
        MalformedFrameError: any other text, including bare JSON scalars.
    """
    start = _container_start(raw)
    if start is not None:
        return start
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    word = text.strip()
    if not word:
        return None
    control = _CONTROL_WORDS.get(word.upper())
    if control is not None:
        return control
    try:
        value = _ANY.decode(raw)
    except msgspec.DecodeError as exc:
        raise MalformedFrameError(
            f"not JSON and not a known control word ({exc})", excerpt(raw)
        ) from None
    raise MalformedFrameError(
        f"expected a JSON object or array, got {type(value).__name__}", excerpt(raw)
    )


def _raw_elements(raw: bytes | str) -> list[msgspec.Raw]:
    try:
        return _RAW_LIST.decode(raw)
    except msgspec.MsgspecError as exc:
        kind = (
            "expected a JSON array" if isinstance(exc, msgspec.ValidationError) else "invalid JSON"
        )
        raise MalformedFrameError(f"{kind} ({exc})", excerpt(raw)) from None
