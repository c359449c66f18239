"""Recordings: the file format (``RecordingWriter`` / ``read_recording``) and the
``recorder`` component, which records what the market-data components receive."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
import trio
import trio.testing

from agbotkit.abc import ComponentContext
from agbotkit.bus.bus import Bus
from agbotkit.errors import RecordingError
from agbotkit.marketdata.component import (
    ClobMarket,
    ClobMarketConfig,
    Rtds,
    RtdsConfig,
    RtdsSubscriptionConfig,
)
from agbotkit.marketdata.replay.component import Replay, ReplayConfig
from agbotkit.marketdata.replay.recorder import Recorder, RecorderConfig
from agbotkit.marketdata.replay.recording import Recording, RecordingWriter, read_recording
from agbotkit.model.feeds import RawFrame
from agbotkit.model.markets import MarketInfo, Trade
from agbotkit.topics import MARKET_DATA

from .conftest import (
    EPOCH_MS,
    MARKET,
    NO,
    YES,
    receive_until,
    small_market,
    small_recording_frames,
)

MakeContext = Callable[..., ComponentContext]

FRAMES = (
    RawFrame("clob", 1_000, '[{"event_type":"book"}]'),
    RawFrame("rtds", 1_000, ""),
    RawFrame("rtds", 1_500, "PONG"),
    RawFrame("clob", 2_250, 'text with "quotes", a \\ backslash,\nline breaks and ünïcödé'),
)


def write_lines(path: Path, *lines: str) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as file:
        for line in lines:
            file.write(line + "\n")
    return path


HEADER = '{"format":"agbotkit-recording","version":1,"created_ms":5,"synthetic":false,"note":""}'


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "rec.jsonl.gz"  # the folder is created
    open_ended = MarketInfo(
        "0x02", "Q2", "q2", ("A", "B", "C"), ("7", "8", "9"), None, None, True, None, False, True
    )
    with RecordingWriter(path, created_ms=123, synthetic=True, note="a note") as writer:
        writer.write_market(small_market())
        writer.write_frames(FRAMES[:2])
        writer.write_market(open_ended)
        writer.write_frames(FRAMES[2:])
        assert writer.frames_written == 4

    recording = read_recording(path)
    assert recording == Recording(
        {
            "format": "agbotkit-recording",
            "version": 1,
            "created_ms": 123,
            "synthetic": True,
            "note": "a note",
        },
        {MARKET: small_market(), "0x02": open_ended},
        FRAMES,
    )
    assert recording.markets[MARKET].tick_size == Decimal("0.01")  # exact, not a float
    assert recording.duration_ms == 1_250
    assert read_recording(str(path)) == recording


def test_empty_recording(tmp_path: Path) -> None:
    RecordingWriter(tmp_path / "empty.jsonl.gz", created_ms=0).close()
    recording = read_recording(tmp_path / "empty.jsonl.gz")
    assert (recording.frames, recording.markets, recording.duration_ms) == ((), {}, 0)


def test_unknown_line_kinds_are_skipped(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "r.jsonl.gz",
        HEADER,
        '{"kind":"comment","text":"later"}',
        "",
        '{"kind":"frame","feed":"clob","received_ms":7,"text":"PONG"}',
    )
    assert read_recording(path).frames == (RawFrame("clob", 7, "PONG"),)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        pytest.param(("not json",), r"r\.jsonl\.gz:1: not an agbotkit recording", id="not-json"),
        pytest.param(
            ('{"format":"other","version":1}',), r":1: not an agbotkit recording", id="other-format"
        ),
        pytest.param(
            ('["agbotkit-recording"]',), r":1: not an agbotkit recording", id="not-an-object"
        ),
        pytest.param(
            ('{"format":"agbotkit-recording","version":2}',),
            r":1: recording version 2 is newer than this agbotkit reads \(1\)",
            id="newer",
        ),
        pytest.param(
            (
                HEADER,
                '{"kind":"frame","feed":"clob","received_ms":1,"text":"x"}',
                '{"kind":"frame","feed":"clob"',
            ),
            r"r\.jsonl\.gz:3: not a recording line",
            id="corrupt-line",
        ),
        pytest.param(
            (HEADER, '{"kind":"frame","feed":"clob","text":"x"}'),
            r":2: not a recording line: 'received_ms'",
            id="missing-field",
        ),
        pytest.param(
            (HEADER, '{"kind":"market","market":{"condition_id":"0x1"}}'),
            r":2: not a recording line",
            id="bad-market",
        ),
        pytest.param((HEADER, "[1, 2]"), r":2: not a recording line", id="not-an-entry"),
        pytest.param((), r"r\.jsonl\.gz: empty file, not a recording", id="empty"),
    ],
)
def test_bad_recordings_name_file_and_line(
    tmp_path: Path, lines: tuple[str, ...], message: str
) -> None:
    path = write_lines(tmp_path / "r.jsonl.gz", *lines)
    with pytest.raises(RecordingError, match=message) as info:
        read_recording(path)
    assert str(path) in str(info.value)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match=r"missing\.jsonl\.gz: cannot read recording"):
        read_recording(tmp_path / "missing.jsonl.gz")
    plain = tmp_path / "plain.jsonl"
    plain.write_text(HEADER + "\n", encoding="utf-8")
    with pytest.raises(RecordingError, match=r"plain\.jsonl: cannot read recording"):
        read_recording(plain)
    full = write_lines(
        tmp_path / "full.jsonl.gz",
        HEADER,
        *(
            json.dumps({"kind": "frame", "feed": "clob", "received_ms": n, "text": "x" * 100})
            for n in range(200)
        ),
    )
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(full.read_bytes()[:-40])  # an interrupted write
    with pytest.raises(RecordingError, match=r"cut\.jsonl\.gz: cannot read recording"):
        read_recording(cut)


async def test_recorder_records_a_replay(
    bus: Bus,
    make_context: MakeContext,
    small_recording: Path,
    tmp_path: Path,
    clock: trio.testing.MockClock,
) -> None:
    """Record the small recording's replay as the components receive it: the recording
    that comes out holds the very frames that were replayed, and the market."""
    out = tmp_path / "out" / "recorded.jsonl.gz"
    data = bus.subscribe(MARKET_DATA)
    async with trio.open_nursery() as nursery:
        recorder = Recorder(RecorderConfig(out, flush_interval_s=5.0), make_context("recorder"))
        await nursery.start(recorder.run)
        replay = Replay(
            ReplayConfig(small_recording, speed=1.0, loop=False, restamp=False),
            make_context("replay"),
        )
        await nursery.start(replay.run)
        clob = ClobMarket(
            ClobMarketConfig(url=replay.clob.url, assets=(YES, NO)), make_context("clob")
        )
        await nursery.start(clob.run)
        rtds = Rtds(
            RtdsConfig(
                url=replay.rtds.url,
                subscriptions=(
                    RtdsSubscriptionConfig("crypto_prices_chainlink", symbols=("btc/usd",)),
                    RtdsSubscriptionConfig("activity", "trades"),
                ),
            ),
            make_context("rtds"),
        )
        await nursery.start(rtds.run)
        # The last frame of the recording, a CLOB trade, marks the end.
        await receive_until(data, lambda e: isinstance(e, Trade) and e.topic is None)
        nursery.cancel_scope.cancel()  # the recorder writes what it holds and closes

    recorded = read_recording(out)
    original = small_recording_frames()
    assert recorded.header["synthetic"] is False
    assert recorded.header["created_ms"] == EPOCH_MS  # virtual time 0
    assert recorded.markets == {MARKET: small_market()}
    assert recorder.frames_written == len(recorded.frames)
    clob_texts = [f.text for f in recorded.frames if f.feed == "clob" and f.text != "PONG"]
    rtds_texts = [f.text for f in recorded.frames if f.feed == "rtds" and f.text != "PONG"]
    # The first CLOB frame is the books as the server had them when the client subscribed.
    assert json.loads(clob_texts[0])[0]["event_type"] == "book"
    assert clob_texts[1:] == [text for feed, _, text in original[1:] if feed == "clob"]
    assert rtds_texts == [text for feed, _, text in original if feed == "rtds"]
    # Receive times are this session's, in order; 30 s apart like the original's.
    times = [f.received_ms for f in recorded.frames]
    assert times == sorted(times)
    last_clob = max(f.received_ms for f in recorded.frames if f.text == clob_texts[-1])
    assert last_clob - EPOCH_MS == pytest.approx(30_000, abs=50)
