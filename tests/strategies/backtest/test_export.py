"""``agbotkit db export-frames``: stored raw frames back to a replayable recording."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from agbotkit.db.backend import StorageBackend
from agbotkit.db.connect import open_backend
from agbotkit.db.migrations import upgrade
from agbotkit.db.url import parse_storage_url
from agbotkit.marketdata.replay.export import export_frames
from agbotkit.marketdata.replay.recording import read_recording
from agbotkit.model.feeds import RawFrame
from agbotkit.strategies.backtest.config import BacktestConfig
from agbotkit.strategies.backtest.engine import run_backtest
from agbotkit.testing.postgres import ThrowawayPostgres, find_postgres_binaries, require_postgres

from .frames import T0, YES, book, change, scripted

FRAMES = [
    RawFrame("clob", T0, json.dumps(book(T0 - 5, YES, [("0.50", "100")], [("0.52", "100")]))),
    RawFrame("rtds", T0 + 1, ""),
    *(
        RawFrame(
            "clob", T0 + 10 + i // 3, json.dumps(change(T0 + i, YES, "BUY", "0.50", str(i + 1)))
        )
        for i in range(20)
    ),
    RawFrame("clob", T0 + 100, json.dumps(change(T0 + 99, YES, "SELL", "0.52", "7"))),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StorageBackend]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
        db = open_backend(parse_storage_url(url))
        try:
            yield db
        finally:
            db.close()
        return
    with ThrowawayPostgres(require_postgres(find_postgres_binaries())) as server:
        db = open_backend(parse_storage_url(server.create_database("frames")))
        try:
            yield db
        finally:
            db.close()


def test_stored_frames_export_to_a_recording_the_backtester_replays(
    backend: StorageBackend, tmp_path: Path
) -> None:
    upgrade(backend)
    backend.write_frames(FRAMES)
    out = tmp_path / "exported.jsonl.gz"
    # Pages of 4 frames: several pages end inside a millisecond that holds 3 frames.
    assert export_frames(backend, out, start_ms=T0, end_ms=T0 + 1000, page=4) == len(FRAMES)
    assert read_recording(out).frames == tuple(FRAMES)

    def script(self, view):  # type: ignore[no-untyped-def]
        self.sizes = [*getattr(self, "sizes", []), (view.best_bid_size, view.best_ask_size)]

    cls = scripted(script)
    result = run_backtest(BacktestConfig(strategy=cls, data=(str(out),)))
    assert result.book_events == 22
    only_clob = tmp_path / "clob.jsonl.gz"
    assert export_frames(backend, only_clob, start_ms=T0 + 10, end_ms=T0 + 12, feed="clob") == 9
