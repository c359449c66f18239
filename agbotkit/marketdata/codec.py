"""What every Polymarket wire format and translator shares.

Sans-IO and pure: no trio, no I/O. Each protocol package (:mod:`agbotkit.marketdata.clob.handler`,
:mod:`agbotkit.marketdata.rtds.handler`, :mod:`agbotkit.marketdata.gamma.client`) builds its ``wire.py`` and
``translate.py`` on these.

* :class:`ControlWord` and :func:`classify_frame` tell what a text frame is (JSON object,
  JSON array, control word, blank) before any decoder runs; both socket feeds use them.
* ``_Wire`` is the base of every wire struct; ``_raw_elements`` splits an array frame so the
  array decoders can decode its elements one by one; :func:`excerpt` shortens a frame for an
  error message or a log line.
* :class:`FrameEvents` is what decoding one frame returns: its events plus the errors of its
  bad array elements; :func:`translate_array` builds it for an array frame.
* The ``_decimal`` family turns wire price and size strings into exact, memoised
  :class:`~decimal.Decimal` values and rejects what is not a finite, non-negative number.
* :data:`PING` and :func:`compact_json` serve the frames a client sends.

Hostile nesting: msgspec counts JSON nesting against Python's recursion limit and raises
``RecursionError`` (not one of its own errors) for input nested about a thousand levels
deep. That is one frame's fault, not a bug of ours, so every decode call of the feeds
catches :data:`DECODE_ERRORS` (msgspec's errors and ``RecursionError``) right around the
call and reports :data:`TOO_DEEP`; catching it there costs nothing on the hot path (a try
block is free in CPython 3.11), where a depth pre-scan of every frame would not be.
"""

from __future__ import annotations

import decimal
import enum
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, Literal, TypeVar

import msgspec

from agbotkit.errors import MalformedFrameError

__all__ = [
    "DECODE_ERRORS",
    "PING",
    "TOO_DEEP",
    "ControlWord",
    "FrameEvents",
    "classify_frame",
    "compact_json",
    "excerpt",
    "explain_decode_error",
    "translate_array",
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

#: What a msgspec decode call raises for bad input: its own errors, and ``RecursionError``
#: for JSON nested deeper than the interpreter's stack allows (see the module docstring).
DECODE_ERRORS = (msgspec.MsgspecError, RecursionError)
#: The reason given for JSON nested too deeply to decode.
TOO_DEEP = "invalid JSON (nested too deeply)"

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
    except DECODE_ERRORS as exc:
        why = "nested too deeply" if isinstance(exc, RecursionError) else exc
        raise MalformedFrameError(
            f"not JSON and not a known control word ({why})", excerpt(raw)
        ) from None
    raise MalformedFrameError(
        f"expected a JSON object or array, got {type(value).__name__}", excerpt(raw)
    )


def _raw_elements(raw: bytes | str) -> list[msgspec.Raw]:
    try:
        return _RAW_LIST.decode(raw)
    except DECODE_ERRORS as exc:
        raise MalformedFrameError(explain_decode_error(exc), excerpt(raw)) from None


def explain_decode_error(exc: Exception, shape: str = "expected a JSON array") -> str:
    """The reason for a failed decode: ``shape`` (``"expected a JSON array (…)"``) for a
    msgspec validation error, ``invalid JSON (…)`` for a syntax error or :data:`TOO_DEEP`."""
    if isinstance(exc, RecursionError):
        return TOO_DEEP
    if isinstance(exc, msgspec.ValidationError):
        return f"{shape} ({exc})"
    return f"invalid JSON ({exc})"


_E = TypeVar("_E")


class FrameEvents(list[_E]):
    """The events of one frame (a plain list), plus the frame's bad array elements.

    Attributes:
        errors: one :class:`MalformedFrameError` per element of an array frame that could
            not be understood; empty for a clean frame. Count them like a malformed frame.
    """

    # A shared empty default instead of an __init__: building the result of every frame
    # then costs what building a list costs.
    errors: tuple[MalformedFrameError, ...] = ()


def translate_array(
    raw: bytes | str,
    # Any, not a type variable: mypy would join each feed's message union into its base.
    items: Iterable[Any],
    translate: Callable[[Any], Iterable[_E]],
) -> FrameEvents[_E]:
    """The events of an array frame, from its decoded elements (what the feeds' array
    decoders return): each good element translated in order, each bad one (not decoded,
    or not translated) in ``.errors``, its reason prefixed ``element <i>:``.
    """
    events: FrameEvents[_E] = FrameEvents()
    errors: list[MalformedFrameError] = []
    for index, item in enumerate(items):
        if isinstance(item, MalformedFrameError):
            errors.append(item)
            continue
        try:
            events.extend(translate(item))
        except MalformedFrameError as exc:
            errors.append(MalformedFrameError(f"element {index}: {exc.reason}", excerpt(raw)))
    if errors:
        events.errors = tuple(errors)
    return events


# NamedTuple.__new__ is a Python function; tuple.__new__ builds the same value directly.
_new_tuple = tuple.__new__

# --- exact numbers -------------------------------------------------------------------------

# Decimal(str) costs about 0.3 µs and the same few hundred price strings repeat all day, so
# parsed values are memoised (Decimals are immutable; the cache only changes speed). The
# bound keeps a long run of distinct sizes from growing it without limit.
_DECIMALS: dict[str, Decimal] = {}
_DECIMALS_LIMIT = 50_000


def _decimal(text: str, what: str) -> Decimal:
    """Parse a wire price or size: a finite, non-negative decimal string.

    Raises:
        MalformedFrameError: (without excerpt) anything else.
    """
    value = _DECIMALS.get(text)
    if value is not None:
        return value
    try:
        value = Decimal(text)
    except (decimal.InvalidOperation, ValueError, TypeError):
        raise MalformedFrameError(f"{what}: invalid decimal {text!r}") from None
    if not value.is_finite() or value < 0:
        raise MalformedFrameError(f"{what}: expected a finite non-negative number, got {text!r}")
    if len(_DECIMALS) >= _DECIMALS_LIMIT:
        _DECIMALS.clear()
    _DECIMALS[text] = value
    return value


def _optional_decimal(text: str | None, what: str) -> Decimal | None:
    """Like :func:`_decimal`, but ``None`` or ``""`` (not sent, or an empty side) give None."""
    if not text:
        return None
    value = _DECIMALS.get(text)
    return value if value is not None else _decimal(text, what)


def _finite(value: Decimal | None, what: str) -> Decimal | None:
    """Reject NaN and infinities that msgspec's Decimal decoding lets through."""
    if value is not None and not value.is_finite():
        raise MalformedFrameError(f"{what}: expected a finite number, got {value}")
    return value


# --- client frames ------------------------------------------------------------

#: The keep-alive text both feeds expect (CLOB every 10 s, RTDS every 5 s).
PING = "PING"

_JSON = msgspec.json.Encoder()
# Parses a filter given as JSON text, to re-encode it compactly.


def compact_json(value: Mapping[str, Any]) -> str:
    """Encode ``value`` as compact JSON (no spaces), keys in the given order."""
    return _JSON.encode(value).decode()
