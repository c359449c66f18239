"""Translation of real and hand-written Polymarket frames into domain events."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import pytest

from agbotkit.errors import MalformedFrameError
from agbotkit.marketdata import codec
from agbotkit.marketdata.clob.translate import decode_clob_frame, translate_clob_message
from agbotkit.marketdata.clob.wire import decode_clob_message
from agbotkit.marketdata.codec import ControlWord, FrameEvents
from agbotkit.marketdata.gamma.translate import parse_gamma_markets
from agbotkit.marketdata.rtds.translate import (
    decode_rtds_frame,
    reference_price_scale,
    translate_rtds_message,
)
from agbotkit.marketdata.rtds.wire import decode_rtds_message
from agbotkit.model.books import (
    BestBidAsk,
    BookDelta,
    BookSnapshot,
    LevelChange,
    PriceLevel,
    Side,
    TickSizeChanged,
)
from agbotkit.model.feeds import InvalidOperation, NoNewAssets, Pong, ServerError
from agbotkit.model.markets import MarketInfo, MarketResolved, NewMarket, Trade
from agbotkit.model.prices import PricePoint, ReferencePrice, ReferencePriceSnapshot

DATA = Path(__file__).resolve().parent.parent / "data" / "polymarket"

TOKEN_A = "48331043336612883890938759509493159234755048973500640148014422747788308965732"
MARKET_A = "0xdd22472e552920b8438158ea7238bfadfa4f736aa4cee91a6b86c39ead110917"
D = Decimal
_T = TypeVar("_T")


def lines(name: str) -> list[bytes]:
    return (DATA / name).read_bytes().splitlines()


def one(events: Sequence[_T]) -> _T:
    assert len(events) == 1, events
    return events[0]


# --- every line of the CLOB market-channel sample file ------------------------------------


def test_market_sample_file_is_fully_decoded() -> None:
    frames = lines("nautilus_clob_market_ws.jsonl")
    assert len(frames) == 8
    kinds: list[str] = []
    for frame in frames:
        events = decode_clob_frame(frame)
        assert events.errors == ()
        assert decode_clob_frame(frame.decode()) == events  # text and bytes alike
        kinds.extend(type(e).__name__ for e in events)
    assert kinds == [
        "BookSnapshot",
        "BookDelta",
        "BookDelta",
        "Trade",
        "TickSizeChanged",
        "BestBidAsk",
        "NewMarket",
        "MarketResolved",
    ]


def test_sample_book_is_sorted_best_first() -> None:
    book = one(decode_clob_frame(lines("nautilus_clob_market_ws.jsonl")[0]))
    assert isinstance(book, BookSnapshot)
    assert book.asset_id == TOKEN_A
    assert book.market == MARKET_A
    assert book.timestamp_ms == 1728799418260
    assert book.hash == "655a38d4977427b086c25b985993691b753ed166"
    assert book.event_type == "book"
    assert (len(book.bids), len(book.asks)) == (76, 86)
    # The wire lists bids ascending and asks descending (best last); the event is best first.
    assert book.bids[0] == PriceLevel(D("0.511"), D("1304.72"))
    assert book.bids[1] == PriceLevel(D("0.51"), D("12848.17"))
    assert book.bids[-1] == PriceLevel(D("0.001"), D("9000023.58"))
    assert book.asks[0] == PriceLevel(D("0.514"), D("20230.87"))
    assert book.asks[1] == PriceLevel(D("0.515"), D("43551.96"))
    assert book.asks[-1] == PriceLevel(D("0.999"), D("10500100"))
    bid_prices = [level.price for level in book.bids]
    ask_prices = [level.price for level in book.asks]
    assert bid_prices == sorted(bid_prices, reverse=True)
    assert ask_prices == sorted(ask_prices)
    assert book.tick_size is None
    assert book.last_trade_price is None


def test_sample_legacy_price_change() -> None:
    delta = one(decode_clob_frame(lines("nautilus_clob_market_ws.jsonl")[1]))
    assert delta == BookDelta(
        TOKEN_A,
        MARKET_A,
        (LevelChange(Side.SELL, D("0.514"), D("21574.08")),),
        1723967931411,
        None,
        None,
        "bf32b3746fff40c76c98021b7f3f07261169dd26",
    )
    assert isinstance(delta, BookDelta)
    assert delta.event_type == "price_change"


def test_sample_batched_price_change() -> None:
    delta = one(decode_clob_frame(lines("nautilus_clob_market_ws.jsonl")[2]))
    assert isinstance(delta, BookDelta)
    assert delta.asset_id == (
        "52114319501245915516055106046884209969926127482827954674443846427813813222426"
    )
    assert delta.market == "0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1"
    assert delta.changes == (
        LevelChange(Side.BUY, D("0.6"), D("3300")),
        LevelChange(Side.BUY, D("0.5"), D("3400")),
        LevelChange(Side.BUY, D("0.7"), D("3400")),
    )
    assert (delta.best_bid, delta.best_ask) == (D("0.6"), D("0.7"))
    assert delta.hash == "cf32b3746fff40c76c98021b7f3f07261169dd28"  # the last change's
    assert delta.timestamp_ms == 1729084877448


def test_sample_last_trade_price() -> None:
    trade = one(decode_clob_frame(lines("nautilus_clob_market_ws.jsonl")[3]))
    assert trade == Trade(
        asset_id="21742633143463906290569050155826241533067272736897614950488156847949938836455",
        market=MARKET_A,
        side=Side.SELL,
        price=D("0.491"),
        size=D("85.36"),
        timestamp_ms=1724564136087,
        trade_time_ms=1724564136087,
        event_type="last_trade_price",
        fee_rate_bps=0,
    )
    assert isinstance(trade, Trade)
    assert trade.topic is None


def test_sample_tick_size_change() -> None:
    event = one(decode_clob_frame(lines("nautilus_clob_market_ws.jsonl")[4]))
    assert event == TickSizeChanged(
        "115474063863764126958837769719736461272619491980773624567012766320777398670353",
        "0xbacdf04bf7f22a670dc4fb408878ec56b76f9934599829455b9371693ba84b8b",
        D("0.01"),
        D("0.001"),
        1739068041853,
    )


def test_sample_best_bid_ask() -> None:
    event = one(decode_clob_frame(lines("nautilus_clob_market_ws.jsonl")[5]))
    assert event == BestBidAsk(
        "85354956062430465315924116860125388538595433819574542752031640332592237464430",
        "0x0005c0d312de0be897668695bae9f32b624b4a1ae8b140c49f08447fcc74f442",
        D("0.73"),
        D("0.77"),
        D("0.04"),
        1766789469958,
    )


NVDA_YES = "76043073756653678226373981964075571318267289248134717369284518995922789326425"
NVDA_NO = "31690934263385727664202099278545688007799199447969475608906331829650099442770"
NVDA_MARKET = "0x311d0c4b6671ab54af4970c06fcf58662516f5168997bdda209ec3db5aa6b0c1"


def test_sample_new_market() -> None:
    event = one(decode_clob_frame(lines("nautilus_clob_market_ws.jsonl")[6]))
    assert event == NewMarket(
        market=NVDA_MARKET,
        asset_ids=(NVDA_YES, NVDA_NO),
        outcomes=("Yes", "No"),
        timestamp_ms=1766790415550,
        market_id="1031769",
        question="Will NVIDIA (NVDA) close above $240 end of January?",
        slug="nvda-above-240-on-january-30-2026",
        tick_size=D("0.01"),
        active=True,
        tags=("stocks",),
        event_slug="nvda-above-in-january-2026",
    )


def test_sample_market_resolved() -> None:
    event = one(decode_clob_frame(lines("nautilus_clob_market_ws.jsonl")[7]))
    assert event == MarketResolved(
        market=NVDA_MARKET,
        asset_ids=(NVDA_YES, NVDA_NO),
        winning_asset_id=NVDA_YES,
        winning_outcome="Yes",
        timestamp_ms=1766790415550,
        market_id="1031769",
        tags=("stocks",),
    )


def test_user_channel_and_rest_frames_are_not_market_events() -> None:
    # The user channel's kinds are unknown to the market-channel decoder: a counted error.
    reasons = []
    for frame in lines("nautilus_clob_user_ws.jsonl"):
        with pytest.raises(MalformedFrameError) as info:
            decode_clob_frame(frame)
        reasons.append(info.value.reason)
    assert reasons.count("unknown event_type 'order'") == 3
    assert reasons.count("unknown event_type 'trade'") == 4
    assert reasons[-1] == "missing field 'event_type'"  # the fixture without event_type
    # A REST /book body has no event_type either.
    with pytest.raises(MalformedFrameError, match="missing field 'event_type'"):
        decode_clob_frame(lines("nautilus_clob_rest_and_gamma.jsonl")[0])


# --- hand-written market-channel frames for what the samples lack -------------------------


def frame(event_type: str, **fields: object) -> str:
    return json.dumps({"event_type": event_type, **fields})


def test_batched_price_change_for_two_tokens_gives_one_delta_each() -> None:
    raw = frame(
        "price_change",
        market="0xm",
        timestamp="1757908892351",
        price_changes=[
            {
                "asset_id": "A",
                "price": "0.5",
                "size": "200",
                "side": "BUY",
                "hash": "h1",
                "best_bid": "0.5",
                "best_ask": "1",
            },
            {
                "asset_id": "B",
                "price": ".5",
                "size": "0",
                "side": "SELL",
                "hash": "h2",
                "best_bid": "0.4",
                "best_ask": "0.6",
            },
            {
                "asset_id": "A",
                "price": "0.55",
                "size": "10",
                "side": "SELL",
                "hash": "h3",
                "best_bid": "0.5",
                "best_ask": "0.55",
            },
        ],
    )
    a, b = decode_clob_frame(raw)
    assert a == BookDelta(
        "A",
        "0xm",
        (LevelChange(Side.BUY, D("0.5"), D("200")), LevelChange(Side.SELL, D("0.55"), D("10"))),
        1757908892351,
        D("0.5"),
        D("0.55"),
        "h3",
    )
    assert b == BookDelta(
        "B",
        "0xm",
        (LevelChange(Side.SELL, D("0.5"), D("0")),),
        1757908892351,
        D("0.4"),
        D("0.6"),
        "h2",
    )


def test_price_change_without_best_prices_or_hash() -> None:
    raw = frame(
        "price_change",
        market="0xm",
        timestamp="1",
        price_changes=[
            {
                "asset_id": "A",
                "price": "0.5",
                "size": "1",
                "side": "BUY",
                "best_bid": "",
                "extra": [1, 2],
            }
        ],
        unknown_field={"x": 1},
    )
    delta = one(decode_clob_frame(raw))
    assert isinstance(delta, BookDelta)
    assert (delta.best_bid, delta.best_ask, delta.hash) == (None, None, None)


def test_empty_batched_price_change_gives_no_event() -> None:
    assert (
        decode_clob_frame(frame("price_change", market="m", timestamp="1", price_changes=[])) == []
    )


def test_legacy_price_change_with_changes_list() -> None:
    raw = frame(
        "price_change",
        asset_id="A",
        market="0xm",
        timestamp="1700000000000",
        hash="h",
        changes=[
            {"price": "0.4", "side": "BUY", "size": "10"},
            {"price": "0.6", "side": "SELL", "size": "0"},
        ],
    )
    assert one(decode_clob_frame(raw)) == BookDelta(
        "A",
        "0xm",
        (LevelChange(Side.BUY, D("0.4"), D("10")), LevelChange(Side.SELL, D("0.6"), D("0"))),
        1700000000000,
        hash="h",
    )


def test_book_with_2026_fields_empty_side_and_short_prices() -> None:
    raw = frame(
        "book",
        asset_id="A",
        market="0xm",
        timestamp="1700000000000",
        hash="h",
        bids=[
            {"price": ".48", "size": "30"},
            {"price": "0.47", "size": "0"},
            {"price": "0.49", "size": "1.5"},
        ],
        asks=[],
        tick_size="0.01",
        last_trade_price="0.485",
        min_order_size="5",
    )
    book = one(decode_clob_frame(raw))
    assert isinstance(book, BookSnapshot)
    # Zero-size levels are dropped; ".48" is 0.48.
    assert book.bids == (PriceLevel(D("0.49"), D("1.5")), PriceLevel(D("0.48"), D("30")))
    assert book.asks == ()
    assert book.tick_size == D("0.01")
    assert book.last_trade_price == D("0.485")


def test_last_trade_price_with_transaction_hash() -> None:
    raw = frame(
        "last_trade_price",
        asset_id="A",
        market="0xm",
        price="0.52",
        side="BUY",
        size="100",
        fee_rate_bps="",
        timestamp="1700000000123",
        transaction_hash="0xabc",
    )
    trade = one(decode_clob_frame(raw))
    assert isinstance(trade, Trade)
    assert trade.transaction_hash == "0xabc"
    assert trade.fee_rate_bps is None
    assert (trade.side, trade.price, trade.size) == (Side.BUY, D("0.52"), D("100"))


def test_best_bid_ask_with_an_empty_side() -> None:
    raw = frame(
        "best_bid_ask", asset_id="A", market="0xm", best_bid="0.97", best_ask="", timestamp="5"
    )
    assert one(decode_clob_frame(raw)) == BestBidAsk("A", "0xm", D("0.97"), None, None, 5)


def test_tick_size_change_with_side_and_minimal_custom_events() -> None:
    tick = frame(
        "tick_size_change",
        asset_id="A",
        market="0xm",
        old_tick_size="0.01",
        new_tick_size="0.001",
        side="BUY",
        timestamp="9",
    )
    assert one(decode_clob_frame(tick)) == TickSizeChanged("A", "0xm", D("0.01"), D("0.001"), 9)
    new = frame(
        "new_market",
        condition_id="0xc",
        clob_token_ids=["1", "2"],
        timestamp="3",
        fee_schedule={"x": 1},
        fees_enabled=True,
        taker_base_fee=0,
        tags=None,
    )
    assert one(decode_clob_frame(new)) == NewMarket("0xc", ("1", "2"), (), 3)
    resolved = frame(
        "market_resolved",
        market="0xc",
        winning_asset_id="1",
        winning_outcome="Up",
        timestamp="4",
        id=17,
        question="?",
        outcomes=["Up", "Down"],
    )
    assert one(decode_clob_frame(resolved)) == MarketResolved(
        "0xc", (), "1", "Up", 4, market_id="17"
    )


def test_array_frames() -> None:
    book = frame("book", asset_id="A", market="m", timestamp="1", bids=[], asks=[])
    events = decode_clob_frame(f"[{book},{book.replace('A', 'B')}]")
    assert isinstance(events, FrameEvents)
    assert [e.asset_id for e in events if isinstance(e, BookSnapshot)] == ["A", "B"]
    assert events.errors == ()
    assert decode_clob_frame("[]") == []


def test_array_with_bad_elements_keeps_the_good_ones() -> None:
    book = frame("book", asset_id="A", market="m", timestamp="1", bids=[], asks=[])
    bad_price = frame(
        "book", asset_id="B", market="m", timestamp="1", bids=[{"price": "x", "size": "1"}], asks=[]
    )
    events = decode_clob_frame(f'[{book}, {{"event_type":"mystery"}}, {bad_price}, {book}]')
    assert [type(e) for e in events] == [BookSnapshot, BookSnapshot]
    assert [e.reason for e in events.errors] == [
        "element 1: unknown event_type 'mystery'",
        "element 2: bids price: invalid decimal 'x'",
    ]
    assert all(isinstance(e, MalformedFrameError) and e.excerpt for e in events.errors)


def test_leading_whitespace_and_the_two_step_api() -> None:
    raw = frame(
        "best_bid_ask", asset_id="A", market="m", best_bid="0.1", best_ask="0.2", timestamp="5"
    )
    (event,) = decode_clob_frame(" \r\n" + raw)
    assert event == BestBidAsk("A", "m", D("0.1"), D("0.2"), None, 5)
    assert translate_clob_message(decode_clob_message(raw)) == [event]
    assert translate_clob_message(ControlWord.NO_NEW_ASSETS) == [NoNewAssets()]
    with pytest.raises(MalformedFrameError) as info:
        decode_clob_frame(
            "\n" + frame("best_bid_ask", asset_id="A", market="m", best_bid="x", timestamp="5")
        )
    assert info.value.reason == "best_bid: invalid decimal 'x'"
    assert info.value.excerpt.startswith('\n{"event_type"')


def test_decimal_memo_stays_bounded() -> None:
    limit = codec._DECIMALS_LIMIT
    for n in range(limit + 10):
        assert codec._decimal(f"{n}.5", "size") == D(n) + D("0.5")
    assert len(codec._DECIMALS) <= limit


@pytest.mark.parametrize(
    ("raw", "event"),
    [
        ("PONG", Pong()),
        (b"pong", Pong()),
        ("NO NEW ASSETS", NoNewAssets()),
        ("INVALID OPERATION", InvalidOperation()),
    ],
)
def test_clob_control_words(raw: str | bytes, event: object) -> None:
    assert decode_clob_frame(raw) == [event]


def test_control_events_have_event_types_for_metrics() -> None:
    assert [Pong().event_type, NoNewAssets().event_type, InvalidOperation().event_type] == [
        "pong",
        "no_new_assets",
        "invalid_operation",
    ]


@pytest.mark.parametrize("raw", ["", b"", " \n"])
def test_empty_frames_give_no_events(raw: str | bytes) -> None:
    assert decode_clob_frame(raw) == []
    assert decode_rtds_frame(raw) == []


LTP = {"asset_id": "A", "market": "m", "price": "0.5", "side": "BUY", "size": "1", "timestamp": "1"}


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ('{"event_type":"book","asset_id":"A"', r"^invalid JSON \(Input data was truncated\)"),
        ("HELLO", r"^not JSON and not a known control word"),
        ("42", r"^expected a JSON object or array, got int"),
        ('"book"', r"^expected a JSON object or array, got str"),
        ('{"event_type":"orderbook_v3","asset_id":"A"}', r"^unknown event_type 'orderbook_v3'$"),
        ('{"asset_id":"A"}', r"^missing field 'event_type'$"),
        (
            frame("book", market="m", timestamp="1", bids=[], asks=[]),
            r"^book: Object missing required field `asset_id`$",
        ),
        (
            frame("book", asset_id=123, market="m", timestamp="1", bids=[], asks=[]),
            r"^book: Expected `str`, got `int` - at `\$.asset_id`$",
        ),
        (
            frame("book", asset_id="A", market="m", timestamp="soon", bids=[], asks=[]),
            r"^book: Expected `int`, got `str` - at `\$.timestamp`$",
        ),
        (
            frame("book", asset_id="A", market="m", timestamp="1", bids=[{"price": 0.5}], asks=[]),
            r"^book: Expected `str`, got `float` - at `\$.bids\[0\].price`$",
        ),
        (
            frame("last_trade_price", **{**LTP, "side": "buy"}),
            r"^last_trade_price: Invalid enum value 'buy' - at `\$.side`$",
        ),
        (frame("last_trade_price", **{**LTP, "price": "abc"}), r"^price: invalid decimal 'abc'$"),
        (
            frame("last_trade_price", **{**LTP, "size": "-1"}),
            r"^size: expected a finite non-negative number, got '-1'$",
        ),
        (
            frame("last_trade_price", **{**LTP, "price": "NaN"}),
            r"^price: expected a finite non-negative number, got 'NaN'$",
        ),
        (
            frame(
                "tick_size_change",
                asset_id="A",
                market="m",
                old_tick_size="Infinity",
                new_tick_size="0.1",
                timestamp="1",
            ),
            r"^old_tick_size: expected a finite number, got Infinity$",
        ),
        (
            frame("price_change", market="m", timestamp="1"),
            r"^price_change: missing field 'price_changes' \(or 'asset_id'\)$",
        ),
        (
            frame("price_change", market="m", timestamp="1", asset_id="A", price="0.5", side="BUY"),
            r"^price_change: missing field 'size'$",
        ),
        (
            frame(
                "price_change",
                market="m",
                timestamp="1",
                price_changes=[{"asset_id": "A", "price": "0.5", "side": "BUY"}],
            ),
            r"^price_change: Object missing required field `size` - at `\$.price_changes\[0\]`$",
        ),
        (
            frame("new_market", timestamp="1", assets_ids=[]),
            r"^new_market: missing field 'market'$",
        ),
        ("[1", r"^invalid JSON"),
    ],
)
def test_malformed_clob_frames(raw: str, reason: str) -> None:
    with pytest.raises(MalformedFrameError) as info:
        decode_clob_frame(raw)
    assert re.search(reason, info.value.reason), info.value.reason
    assert info.value.excerpt == raw[:120] + ("…" if len(raw) > 120 else "")


def test_malformed_excerpt_is_short() -> None:
    raw = '{"event_type":"mystery","padding":"' + "x" * 1000 + '"}'
    with pytest.raises(MalformedFrameError) as info:
        decode_clob_frame(raw.encode())
    assert len(info.value.excerpt) == 121
    assert str(info.value).startswith("unknown event_type 'mystery': {")


# --- RTDS ------------------------------------------------------------------------------------


def test_rtds_sample_file_is_fully_decoded() -> None:
    frames = lines("nautilus_rtds.jsonl")
    events = [one(decode_rtds_frame(f)) for f in frames]
    assert events == [
        ReferencePriceSnapshot(
            "crypto_prices",
            "btcusdt",
            (
                PricePoint(1780726209000, D("61164.12")),
                PricePoint(1780726210000, D("61161.07")),
                PricePoint(1780726211000, D("61150.89")),
            ),
            1780726213178,
            "subscribe",
        ),
        ReferencePrice(
            "crypto_prices", "btcusdt", D("61035.86"), 1780730269000, 1780730269142, "update"
        ),
        ReferencePriceSnapshot(
            "equity_prices",
            "aapl",
            (
                PricePoint(1780907777000, D("307.91499")),
                PricePoint(1780907778000, D("307.91578")),
                PricePoint(1780907779000, D("307.91547")),
            ),
            1780907896598,
            "subscribe",
        ),
        ReferencePrice(
            "equity_prices",
            "aapl",
            D("198.4523"),
            1711382400000,
            1711382400000,
            "update",
            received_at_ms=1711382400005,
        ),
    ]
    # Exact text, not a float's neighbour.
    update = events[1]
    assert isinstance(update, ReferencePrice)
    assert str(update.price) == "61035.86000000"


def envelope(topic: str, msg_type: str, payload: object, **extra: object) -> str:
    return json.dumps(
        {"topic": topic, "type": msg_type, "timestamp": 1788600389451, "payload": payload, **extra}
    )


def test_rtds_chainlink_update_is_e18_fixed_point() -> None:
    raw = envelope(
        "crypto_prices_chainlink",
        "update",
        {
            "full_accuracy_value": "79696948174287960000000",
            "symbol": "btc/usd",
            "timestamp": 1788600388000,
            "value": 79696.94817428796,
        },
        connection_id="gZexFa6cUWeIKEiTDA==",
    )
    price = one(decode_rtds_frame(raw))
    assert price == ReferencePrice(
        "crypto_prices_chainlink",
        "btc/usd",
        D("79696.94817428796"),
        1788600388000,
        1788600389451,
        "update",
    )


def test_rtds_twap_update_and_snapshot() -> None:
    update = one(
        decode_rtds_frame(
            envelope(
                "crypto_prices_twap_thirty",
                "update",
                {
                    "full_accuracy_value": "79697474565615044788224",
                    "symbol": "btc/usd",
                    "timestamp": 1788600388000,
                    "value": 79697.47456561505,
                    "window_s": 30,
                },
            )
        )
    )
    assert isinstance(update, ReferencePrice)
    assert update.price == D("79697.474565615044788224")
    assert update.window_s == 30
    snapshot = one(
        decode_rtds_frame(
            envelope(
                "crypto_prices_twap_sixty",
                "subscribe",
                {
                    "symbol": "btc/usd",
                    "window_s": 60,
                    "data": [
                        {
                            "full_accuracy_value": "79639795829763498573824",
                            "timestamp": 1788608387000,
                            "value": 79639.7958297635,
                        },
                        {
                            "full_accuracy_value": "79639790921767903559680",
                            "timestamp": 1788608388000,
                            "value": 79639.7909217679,
                        },
                    ],
                },
            )
        )
    )
    assert snapshot == ReferencePriceSnapshot(
        "crypto_prices_twap_sixty",
        "btc/usd",
        (
            PricePoint(1788608387000, D("79639.795829763498573824")),
            PricePoint(1788608388000, D("79639.790921767903559680")),
        ),
        1788600389451,
        "subscribe",
        60,
    )


def test_rtds_mislabelled_chainlink_snapshot_is_relabelled() -> None:
    snapshot = one(
        decode_rtds_frame(
            envelope(
                "crypto_prices",
                "subscribe",
                {
                    "symbol": "btc/usd",
                    "data": [{"timestamp": 1788608387000, "value": 79639.20029609217}],
                },
            )
        )
    )
    assert isinstance(snapshot, ReferencePriceSnapshot)
    assert snapshot.topic == "crypto_prices_chainlink"
    assert snapshot.points == (PricePoint(1788608387000, D("79639.20029609217")),)


def test_reference_price_scale() -> None:
    assert reference_price_scale("crypto_prices", "btcusdt") == 0
    assert reference_price_scale("equity_prices", "aapl") == 0
    assert reference_price_scale("crypto_prices", "btc/usd") == 18
    assert reference_price_scale("crypto_prices_chainlink", "btc/usd") == 18
    assert reference_price_scale("crypto_prices_twap_sixty", "btc/usd") == 18


def test_rtds_plain_decimal_on_an_e18_topic_is_taken_as_is() -> None:
    price = one(
        decode_rtds_frame(
            envelope(
                "crypto_prices_chainlink",
                "update",
                {"symbol": "eth/usd", "timestamp": 1, "full_accuracy_value": "3000.5"},
            )
        )
    )
    assert isinstance(price, ReferencePrice)
    assert price.price == D("3000.5")


def test_rtds_equity_update_with_optional_fields() -> None:
    price = one(
        decode_rtds_frame(
            envelope(
                "equity_prices",
                "update",
                {
                    "symbol": "tsla",
                    "value": 251.3,
                    "timestamp": 1700000000000,
                    "received_at": 1700000000004,
                    "is_carried_forward": True,
                },
            )
        )
    )
    assert price == ReferencePrice(
        "equity_prices",
        "tsla",
        D("251.3"),
        1700000000000,
        1788600389451,
        "update",
        None,
        1700000000004,
        True,
    )


ACTIVITY = {
    "asset": "71321045679252212594626385532706912750332728571942532289631379312455583992563",
    "bio": "",
    "conditionId": "0x7844",
    "eventSlug": "btc-updown-5m-1773307200",
    "icon": "https://example.invalid/i.png",
    "name": "trader",
    "outcome": "Up",
    "outcomeIndex": 0,
    "price": 0.53,
    "profileImage": "",
    "proxyWallet": "0xabc",
    "pseudonym": "Some-Name",
    "side": "BUY",
    "size": 12.5,
    "slug": "btc-updown-5m-1773307200",
    "timestamp": 1773307260,
    "title": "Bitcoin Up or Down",
    "transactionHash": "0xdef",
}


def test_rtds_activity_trade() -> None:
    trade = one(decode_rtds_frame(envelope("activity", "trades", ACTIVITY, connection_id="c")))
    assert trade == Trade(
        asset_id=ACTIVITY["asset"],  # type: ignore[arg-type]
        market="0x7844",
        side=Side.BUY,
        price=D("0.53"),
        size=D("12.5"),
        timestamp_ms=1788600389451,
        trade_time_ms=1773307260000,  # the payload's seconds, as ms
        event_type="trades",
        topic="activity",
        transaction_hash="0xdef",
        outcome="Up",
        outcome_index=0,
        market_slug="btc-updown-5m-1773307200",
        event_slug="btc-updown-5m-1773307200",
        proxy_wallet="0xabc",
    )


def test_rtds_orders_matched_with_fee_sentinel_index_and_ms_timestamp() -> None:
    payload = {
        **ACTIVITY,
        "fee": 0.01,
        "outcomeIndex": 999,
        "side": "SELL",
        "timestamp": 1773307260123,
    }
    trade = one(decode_rtds_frame(envelope("activity", "orders_matched", payload)))
    assert isinstance(trade, Trade)
    assert trade.event_type == "orders_matched"
    assert trade.outcome_index == 999
    assert trade.side is Side.SELL
    assert trade.trade_time_ms == 1773307260123


def test_rtds_error_frames() -> None:
    raw = json.dumps(
        {
            "body": {"message": "leger GetTopics error: topic: nope and type: update not found"},
            "statusCode": 401,
        }
    )
    assert decode_rtds_frame(raw) == [
        ServerError(401, "leger GetTopics error: topic: nope and type: update not found")
    ]
    assert decode_rtds_frame('{"message":"Invalid request body"}') == [
        ServerError(None, "Invalid request body")
    ]
    assert ServerError(None, "x").event_type == "error"


def test_rtds_control_words() -> None:
    assert decode_rtds_frame("PONG") == [Pong()]
    assert decode_rtds_frame(b"pong") == [Pong()]
    with pytest.raises(MalformedFrameError, match="unexpected control word 'NO NEW ASSETS'"):
        decode_rtds_frame("NO NEW ASSETS")


def test_rtds_array_of_envelopes_with_a_bad_one() -> None:
    good = envelope("crypto_prices", "update", {"symbol": "btcusdt", "timestamp": 1, "value": 2})
    bad_topic = envelope("comments", "comment_created", {"body": "hi"})
    bad_price = envelope("crypto_prices", "update", {"symbol": "btcusdt", "timestamp": 1})
    events = decode_rtds_frame(f"[{good},{bad_topic},{good},{bad_price},7]")
    assert [type(e) for e in events] == [ReferencePrice, ReferencePrice]
    assert [e.reason for e in events.errors] == [
        "element 1: unsupported RTDS message type comments/comment_created",
        "element 3: crypto_prices/update: missing field 'value'",
        "element 4: not an RTDS frame (Expected `object`, got `int`)",
    ]
    # Every element is an envelope, one with an unsupported topic (the fast path).
    events = decode_rtds_frame(f"[{bad_topic}, {good}]".encode())
    assert [type(e) for e in events] == [ReferencePrice]
    assert [e.reason for e in events.errors] == [
        "element 0: unsupported RTDS message type comments/comment_created"
    ]
    assert translate_rtds_message(decode_rtds_message(good)) == events[0]
    assert decode_rtds_frame(f"[{good}]") == [
        ReferencePrice("crypto_prices", "btcusdt", D(2), 1, 1788600389451)
    ]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ('{"topic":"activity"', r"^invalid JSON"),
        ("hello", r"^not JSON and not a known control word"),
        ("{}", r"^missing field 'topic' \(neither a data nor an error frame\)$"),
        (
            envelope("comments", "comment_created", {}),
            r"^unsupported RTDS message type comments/comment_created$",
        ),
        (
            envelope("crypto_prices", "snapshot", {}),
            r"^unsupported RTDS message type crypto_prices/snapshot$",
        ),
        (
            '{"topic":"crypto_prices","timestamp":1,"payload":{}}',
            r"^crypto_prices: missing field 'type'$",
        ),
        (
            '{"topic":"crypto_prices","type":"update","payload":{}}',
            r"^crypto_prices/update: missing field 'timestamp'$",
        ),
        (
            '{"topic":"crypto_prices","type":"update","timestamp":1}',
            r"^crypto_prices/update: missing field 'payload'$",
        ),
        (
            '{"topic":"crypto_prices","type":"update","timestamp":"now","payload":{}}',
            r"^not an RTDS frame \(Expected `int \| null`, got `str` - at `\$.timestamp`\)$",
        ),
        (
            envelope("activity", "trades", {k: v for k, v in ACTIVITY.items() if k != "asset"}),
            r"^activity/trades: payload: Object missing required field `asset`$",
        ),
        (
            envelope("activity", "trades", {**ACTIVITY, "price": "cheap"}),
            r"^activity/trades: payload: Invalid decimal string - at `\$.price`$",
        ),
        (
            envelope("activity", "trades", {**ACTIVITY, "size": -3}),
            r"^activity/trades: negative price or size$",
        ),
        (
            envelope(
                "crypto_prices",
                "update",
                {"symbol": "x", "timestamp": 1, "full_accuracy_value": "lots"},
            ),
            r"^crypto_prices/update: invalid full_accuracy_value 'lots'$",
        ),
        (
            envelope(
                "crypto_prices_chainlink",
                "update",
                {"symbol": "x", "timestamp": 1, "full_accuracy_value": "Infinity"},
            ),
            r"^crypto_prices_chainlink/update: invalid full_accuracy_value 'Infinity'$",
        ),
        (
            envelope("crypto_prices", "update", {"symbol": "x", "timestamp": 1, "value": "NaN"}),
            r"^crypto_prices/update value: expected a finite number, got NaN$",
        ),
        (
            envelope("crypto_prices", "update", {"symbol": 5, "timestamp": 1, "value": 1}),
            r"^crypto_prices/update: payload: Expected `str`, got `int` - at `\$.symbol`$",
        ),
    ],
)
def test_malformed_rtds_frames(raw: str, reason: str) -> None:
    with pytest.raises(MalformedFrameError) as info:
        decode_rtds_frame(raw)
    assert re.search(reason, info.value.reason), info.value.reason
    assert info.value.excerpt


# --- Gamma -----------------------------------------------------------------------------------


def test_gamma_sample_market() -> None:
    gamma_lines = [
        line for line in lines("nautilus_clob_rest_and_gamma.jsonl") if b'"conditionId"' in line
    ]
    assert len(gamma_lines) == 1
    (market,) = parse_gamma_markets(gamma_lines[0])
    assert market == MarketInfo(
        condition_id="0x78443f961b9a65869dcb39359de9960165c7e5cbad0904eac7f29cd77872a63b",
        question="Bitcoin Up or Down - March 12, 5:20AM-5:25AM ET",
        slug="btc-updown-5m-1773307200",
        outcomes=("Up", "Down"),
        token_ids=(
            "104239898038807136052399800151408521467737075933964991162589336683346093173875",
            "71183960810705820955071415844881728181970340514894896943812046065452395013351",
        ),
        tick_size=D("0.01"),
        min_order_size=D("5"),
        neg_risk=False,
        end_date_ms=1773307500000,  # 2026-03-12T09:25:00Z
        active=True,
        closed=False,
        market_id="1557558",
        event_id="260654",  # its event's id (events[0].id): it is not a neg-risk market
    )
    assert market.token_id("Down") == market.token_ids[1]
    with pytest.raises(KeyError):
        market.token_id("Sideways")


def test_gamma_wrapped_list_and_variants() -> None:
    body = json.dumps(
        {
            "data": [
                {
                    "conditionId": "0xa",
                    "question": "A?",
                    "outcomes": ["Yes", "No"],
                    "clobTokenIds": ["1", "2"],
                    "orderPriceMinTickSize": "0.001",
                    "orderMinSize": 5,
                    "negRisk": True,
                    "endDate": "2026-03-12",
                    "active": True,
                    "closed": True,
                    "id": 7,
                    "negRiskMarketID": "0xevent",
                    "events": [{"id": "99", "title": "E"}],
                },
                {"conditionId": "0xb", "outcomes": '["Yes", "No"]'},
            ]
        }
    )
    a, b = parse_gamma_markets(body.encode())
    assert (a.outcomes, a.token_ids, a.tick_size, a.neg_risk) == (
        ("Yes", "No"),
        ("1", "2"),
        D("0.001"),
        True,
    )
    assert a.end_date_ms == 1773273600000  # a bare date: midnight UTC
    assert (a.active, a.closed, a.market_id) == (True, True, "7")
    # A neg-risk market's event is its neg-risk market id, shared by the event's markets.
    assert (a.event_id, b.event_id) == ("0xevent", None)
    # A market without an order book: no tokens, no tick size.
    assert (b.token_ids, b.tick_size, b.min_order_size, b.end_date_ms) == ((), None, None, None)
    assert (b.question, b.slug, b.neg_risk, b.active) == ("", "", False, False)


def test_gamma_position_ids_stand_in_for_clob_token_ids() -> None:
    (market,) = parse_gamma_markets(
        '[{"conditionId":"0xa","outcomes":"[\\"Up\\",\\"Down\\"]","positionIds":"[\\"5\\",\\"6\\"]"}]'
    )
    assert market.token_ids == ("5", "6")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("[{", r"^Gamma markets: "),
        ('[{"question":"?"}]', r"Object missing required field `conditionId`"),
        (
            '[{"conditionId":"0xa","outcomes":"[\\"Up\\"]","clobTokenIds":"[\\"1\\",\\"2\\"]"}]',
            r"^market 0xa: 1 outcomes but 2 token ids$",
        ),
        (
            '[{"conditionId":"0xa","outcomes":"Up, Down"}]',
            r"^market 0xa: outcomes: expected a JSON array of strings",
        ),
        (
            '[{"conditionId":"0xa","endDate":"tomorrow"}]',
            r"^market 0xa: endDate: invalid ISO-8601 date 'tomorrow'$",
        ),
        ('[{"conditionId":"0xa","negRisk":"maybe"}]', r"Expected `bool \| null`, got `str`"),
    ],
)
def test_malformed_gamma(body: str, reason: str) -> None:
    with pytest.raises(MalformedFrameError) as info:
        parse_gamma_markets(body)
    assert re.search(reason, info.value.reason), info.value.reason
    assert info.value.excerpt


def test_book_with_empty_last_trade_price_and_tick_size_reads_them_as_absent() -> None:
    # A market that never traded: the 2026 `book` fields may be present but empty.
    frame = (
        '{"event_type":"book","asset_id":"1","market":"0xm","timestamp":"1764000000000",'
        '"hash":"","bids":[{"price":"0.4","size":"10"}],"asks":[{"price":"0.6","size":"5"}],'
        '"tick_size":"","last_trade_price":""}'
    )
    (snapshot,) = decode_clob_frame(frame)
    assert isinstance(snapshot, BookSnapshot)
    assert snapshot.tick_size is None
    assert snapshot.last_trade_price is None
    assert snapshot.hash is None
