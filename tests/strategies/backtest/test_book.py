"""The backtest's book against the live one (agbotkit.marketdata.book) on the same frames."""

from __future__ import annotations

from pathlib import Path

from agbotkit.marketdata.book import OrderBooks
from agbotkit.marketdata.clob.translate import decode_clob_frame
from agbotkit.marketdata.replay.recording import read_recording
from agbotkit.marketdata.replay.synthetic import generate
from agbotkit.model.books import BookDelta, BookSnapshot, Side
from agbotkit.strategies.backtest.book import TokenBook
from agbotkit.strategies.backtest.data import DELTA, DELTA_QUIET, SNAPSHOT, load_data


def test_the_replayed_books_equal_the_live_books_after_every_update(tmp_path: Path) -> None:
    path = tmp_path / "books.jsonl.gz"
    generate(path, seed=5, duration_s=60)
    live = OrderBooks()
    expected = []  # (token, bids, asks) after each book update, as the live book has them
    for frame in read_recording(path).frames:
        if frame.feed != "clob" or not frame.text:
            continue
        for event in decode_clob_frame(frame.text):
            if isinstance(event, BookDelta | BookSnapshot):
                live.apply(event)
                book = live[event.asset_id]
                expected.append((event.asset_id, book.bids(), book.asks()))
    data = load_data([str(path)])
    got = []
    for code, _, book, is_bid, price, size, _, extra in data.events:
        assert isinstance(book, TokenBook | None)
        if code in (DELTA, DELTA_QUIET):
            assert book is not None
            book.set_level(is_bid, price, size)
        elif code == SNAPSHOT:
            assert book is not None
            book.load(extra.bids, extra.asks, extra.timestamp_ms)
        if code in (DELTA, SNAPSHOT):
            assert book is not None
            got.append((book.token_id, book.bids_of(None), book.asks_of(None)))
    assert len(got) == len(expected) == data.book_events > 1000
    assert got == expected
    # The strategy's float view reads the same book.
    token, bids, asks = expected[-1]
    view = data.books[token].view
    assert view.best_bid == float(bids[0].price)
    assert view.best_ask == float(asks[0].price)
    assert view.bids(3) == [(float(p), float(s)) for p, s in bids[:3]]
    assert data.books[token].size_at(Side.SELL, asks[0].price) == asks[0].size
