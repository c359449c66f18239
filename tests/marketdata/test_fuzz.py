"""A frame fuzzer on every wire decoder: hostile input is malformed, never a crash.

Frames start from the recorded samples in ``tests/data/polymarket`` (and the hand-made
activity trade and Chainlink price of the test recording), then get a subtree replaced by
JSON nested far deeper than any decoder's stack (about 1,000 levels raise
``RecursionError`` inside msgspec), an odd-typed or huge value, or a missing key; and the
text itself is garbled (cut, spliced, wrapped in an array). Whatever comes out, a decoder
may only return (its errors counted in the result) or raise
:class:`~agbotkit.errors.MalformedFrameError`: anything else would kill a feed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agbotkit.errors import MalformedFrameError
from agbotkit.marketdata.clob.translate import decode_clob_frame
from agbotkit.marketdata.clob.wire import decode_clob_array, decode_clob_message
from agbotkit.marketdata.codec import FrameEvents, classify_frame
from agbotkit.marketdata.gamma.translate import parse_gamma_markets
from agbotkit.marketdata.gamma.wire import decode_json_string_list
from agbotkit.marketdata.rtds.translate import decode_rtds_frame
from agbotkit.marketdata.rtds.wire import decode_rtds_array, decode_rtds_message
from agbotkit.metrics.protocol import decode_metrics, encode_metrics
from agbotkit.model.metrics import Metric, MetricType

from .conftest import sample_lines, small_recording_frames

#: The JSON values every mutation starts from, by the decoder they are meant for.
CLOB_SEEDS = sample_lines("nautilus_clob_market_ws.jsonl")
RTDS_SEEDS = sample_lines("nautilus_rtds.jsonl") + [
    json.loads(text) for feed, _, text in small_recording_frames() if feed == "rtds" and text
]
GAMMA_SEEDS = [m for m in sample_lines("nautilus_clob_rest_and_gamma.jsonl") if "conditionId" in m]
METRIC_SEEDS: list[Any] = [
    json.loads(line)
    for line in encode_metrics(
        [
            Metric(1_718_000_000_000, MetricType.GAUGE, "polymarket.clob.lag_ms", 12.5, ()),
            Metric(1, MetricType.COUNTER, "x", 3.0, (("asset", "1"), ("reason", "crossed"))),
        ]
    ).split("\n")
]

# A placeholder string: the deep nesting is spliced into the text after json.dumps, which
# would itself recurse too deeply on such a value.
_DEEP = "\x00deep\x00"

deep_text = st.builds(
    lambda depth, kind: (
        ("[" * depth + "]" * depth) if kind == "list" else ('{"a":' * depth + "1" + "}" * depth)
    ),
    st.sampled_from([100, 999, 1_000, 1_001, 5_000, 100_000]),
    st.sampled_from(["list", "dict"]),
)

#: Strings a number field may hold that are not plain numbers (unicode digits included:
#: ``str.isdigit`` says yes to ``"²"``, ``int`` says no).
ODD_NUMBER_TEXTS = [
    "", "NaN", "-nan", "Infinity", "-1", "-0", "1e999999999", "1e-999999999", ".5", "5.",
    "0x10", "1_000", "²", "١٢", "\U0001d7d9", " 1 ", "1 2", "+1", "0" * 400, "9" * 5_000,
]  # fmt: skip
odd_number_text = st.sampled_from(ODD_NUMBER_TEXTS)
odd_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    odd_number_text,
    st.just("x" * 100_000),
)
odd_value = st.one_of(
    odd_scalar,
    st.lists(odd_scalar, max_size=3),
    st.dictionaries(st.text(max_size=8), odd_scalar, max_size=3),
    st.just(_DEEP),
)


def _leaves(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a string or number in ``value``."""
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _leaves(item, (*prefix, key))]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in _leaves(item, (*prefix, index))]
    return [prefix] if isinstance(value, (str, int, float)) else []


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into ``value`` (the root included)."""
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _paths(item, (*prefix, index))
    return out


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        copy = dict(value)
        if new is _DROP and not rest:
            copy.pop(head, None)
        else:
            copy[head] = _replace(value[head], rest, new)
        return copy
    copy_list = list(value)
    if new is _DROP and not rest:
        del copy_list[head]
    else:
        copy_list[head] = _replace(value[head], rest, new)
    return copy_list


_DROP = object()


@st.composite
def hostile(draw: st.DrawFn, seeds: list[Any]) -> str:
    """A seed frame with a few subtrees replaced, serialised, then perhaps garbled."""
    value = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, 3))):
        leaves = _leaves(value)
        if leaves and draw(st.booleans()):
            # Most fields are strings or numbers: give them the odd number texts often.
            path = draw(st.sampled_from(leaves))
            value = _replace(value, path, draw(st.one_of(odd_number_text, odd_scalar)))
            continue
        path = draw(st.sampled_from(_paths(value)))
        new = draw(st.one_of(odd_value, st.just(_DROP))) if path else draw(odd_value)
        value = _replace(value, path, new)
    if draw(st.booleans()):
        value = [value, draw(st.sampled_from(seeds))]
    text = json.dumps(value, ensure_ascii=draw(st.booleans()))
    text = text.replace(json.dumps(_DEEP), draw(deep_text))
    garble = draw(st.sampled_from(["none", "cut", "splice", "control"]))
    if garble == "cut" and text:
        text = text[: draw(st.integers(0, len(text) - 1))]
    elif garble == "splice" and text:
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.one_of(st.text(max_size=5), deep_text)) + text[at:]
    elif garble == "control":
        text = draw(st.sampled_from([" ", "PONG", "pong\n", "NO NEW ASSETS", "1", "null"])) + text
    return text


FUZZ = settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def only_malformed(decode: Callable[[str], object], text: str) -> None:
    """``decode(text)`` returns, or raises MalformedFrameError; errors it returns are
    MalformedFrameError too (the array decoders' per-element errors)."""
    for raw in (text, text.encode()):
        try:
            result = decode(raw)  # type: ignore[arg-type]  # every decoder takes bytes too
        except MalformedFrameError:
            continue  # what a decoder may raise; anything else fails the test
        errors = result.errors if isinstance(result, FrameEvents) else ()
        items = result if isinstance(result, list) else ()
        for error in (*errors, *(i for i in items if isinstance(i, Exception))):
            assert isinstance(error, MalformedFrameError)


@pytest.mark.parametrize(
    "decode",
    [decode_clob_frame, decode_clob_message, decode_clob_array, classify_frame],
    ids=lambda f: f.__name__,
)
@FUZZ
@given(text=hostile(CLOB_SEEDS))
def test_clob_decoders_only_report_malformed(decode: Callable[[str], object], text: str) -> None:
    only_malformed(decode, text)


@pytest.mark.parametrize(
    "decode",
    [decode_rtds_frame, decode_rtds_message, decode_rtds_array],
    ids=lambda f: f.__name__,
)
@FUZZ
@given(text=hostile(RTDS_SEEDS))
def test_rtds_decoders_only_report_malformed(decode: Callable[[str], object], text: str) -> None:
    only_malformed(decode, text)


@FUZZ
@given(text=hostile(GAMMA_SEEDS))
def test_gamma_decoder_only_reports_malformed(text: str) -> None:
    only_malformed(parse_gamma_markets, text)


@FUZZ
@given(text=st.one_of(deep_text, st.text(max_size=30)))
def test_gamma_string_lists_only_report_malformed(text: str) -> None:
    only_malformed(lambda raw: decode_json_string_list(raw, "outcomes"), text)


@FUZZ
@given(lines=st.lists(hostile(METRIC_SEEDS), min_size=1, max_size=3))
def test_metrics_decoder_never_raises_and_keeps_the_good_lines(lines: list[str]) -> None:
    good = json.dumps(METRIC_SEEDS[0])
    # The hostile lines may not contain a newline (json.dumps escapes them; a splice may
    # not): each is one line, and the good line after them must survive.
    lines = [line.replace("\n", " ") for line in lines]
    metrics, errors = decode_metrics("\n".join([*lines, good]))
    assert metrics[-1] == decode_metrics(good)[0][0]
    assert all(error.startswith("line ") for error in errors)


# -- every field of every sample, with every odd value -------------------------------------

#: What the sweep puts in each field: the odd number texts, a few odd types, and deep JSON.
SWEEP_VALUES: list[Any] = [
    *ODD_NUMBER_TEXTS,
    None,
    True,
    2**70,
    -1,
    1.5e300,
    [],
    {},
    ["x"],
    _DEEP,
]
SWEEP_DEEP = "[" * 1_000 + "]" * 1_000


def decode_metrics_line(raw: str | bytes) -> object:
    """:func:`decode_metrics` of one line, which must report and never raise."""
    return decode_metrics(raw.decode() if isinstance(raw, bytes) else raw)


SWEEPS = [
    (decode_clob_frame, CLOB_SEEDS),
    (decode_rtds_frame, RTDS_SEEDS),
    (parse_gamma_markets, GAMMA_SEEDS),
    (decode_metrics_line, METRIC_SEEDS),
]


@pytest.mark.parametrize(("decode", "seeds"), SWEEPS, ids=lambda x: getattr(x, "__name__", ""))
def test_every_field_of_every_sample_with_every_odd_value(
    decode: Callable[[str], object], seeds: list[Any]
) -> None:
    """The systematic half of the fuzzer: random search rarely hits one field of one frame
    kind with one odd value, so every combination is tried once."""
    for seed in seeds:
        for path in _paths(seed)[1:]:
            for value in [*SWEEP_VALUES, _DROP]:
                text = json.dumps(_replace(seed, path, value))
                only_malformed(decode, text.replace(json.dumps(_DEEP), SWEEP_DEEP))


# -- the 1,000-deep frame itself, on every decoder -----------------------------------------

DEEP_FRAMES = {
    "array": "[" * 1_000 + "]" * 1_000,
    "object": '{"a":' * 1_000 + "1" + "}" * 1_000,
    "in a field": '{"event_type":"book","topic":"activity","x":' + "[" * 5_000 + "]" * 5_000 + "}",
    "an element": "[{}," + "[" * 5_000 + "]" * 5_000 + "]",
}


@pytest.mark.parametrize("text", DEEP_FRAMES.values(), ids=DEEP_FRAMES.keys())
@pytest.mark.parametrize(
    "decode",
    [
        decode_clob_frame,
        decode_clob_message,
        decode_clob_array,
        decode_rtds_frame,
        decode_rtds_message,
        decode_rtds_array,
        parse_gamma_markets,
    ],
    ids=lambda f: f.__name__,
)
def test_deep_nesting_is_malformed(decode: Callable[[str], object], text: str) -> None:
    # A decoder may refuse the shape before it meets the depth ("expected a JSON object").
    with pytest.raises(MalformedFrameError):
        decode(text)


@pytest.mark.parametrize("decode", [decode_clob_frame, decode_rtds_frame], ids=lambda f: f.__name__)
def test_deep_frame_reason_says_so(decode: Callable[[str], object]) -> None:
    with pytest.raises(MalformedFrameError) as info:
        decode("[" * 1_000 + "]" * 1_000)
    assert info.value.reason == "invalid JSON (nested too deeply)"
