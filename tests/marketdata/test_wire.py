"""Wire layer: frame classification, typed decoding and the client-frame encoders."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agbotkit.errors import MalformedFrameError
from agbotkit.marketdata.clob.wire import (
    BookMessage,
    PriceChangeMessage,
    decode_clob_array,
    decode_clob_message,
    encode_clob_initial_subscribe,
    encode_clob_subscribe,
    encode_clob_unsubscribe,
)
from agbotkit.marketdata.codec import PING, ControlWord, classify_frame, compact_json, excerpt
from agbotkit.marketdata.gamma.wire import decode_json_string_list, parse_gamma_response
from agbotkit.marketdata.rtds.wire import (
    PriceUpdatePayload,
    RtdsErrorFrame,
    RtdsMessage,
    RtdsSubscription,
    decode_rtds_array,
    decode_rtds_message,
    encode_rtds_subscribe,
    encode_rtds_unsubscribe,
    rtds_symbol_subscriptions,
)
from agbotkit.model.books import Side

BOOK = (
    '{"event_type":"book","asset_id":"1","market":"0xm","timestamp":"1700000000000",'
    '"bids":[{"price":"0.4","size":"10"}],"asks":[{"price":"0.6","size":"5"}],"hash":"ab"}'
)


# --- client frames, exactly as Polymarket's sockets expect them ------------------------------


def test_clob_initial_subscribe_frame() -> None:
    assert encode_clob_initial_subscribe(["2174", "4833"]) == (
        '{"assets_ids":["2174","4833"],"type":"market","custom_feature_enabled":true}'
    )


def test_clob_initial_subscribe_without_custom_features_and_with_initial_dump() -> None:
    assert encode_clob_initial_subscribe(["1"], custom_feature_enabled=False) == (
        '{"assets_ids":["1"],"type":"market"}'
    )
    assert encode_clob_initial_subscribe(iter(["1"]), initial_dump=True) == (
        '{"assets_ids":["1"],"type":"market","custom_feature_enabled":true,"initial_dump":true}'
    )


def test_clob_operation_frames() -> None:
    assert encode_clob_subscribe(["7"]) == (
        '{"assets_ids":["7"],"operation":"subscribe","custom_feature_enabled":true}'
    )
    assert encode_clob_subscribe(["7"], custom_feature_enabled=False) == (
        '{"assets_ids":["7"],"operation":"subscribe"}'
    )
    assert encode_clob_unsubscribe(["7", "8"]) == (
        '{"assets_ids":["7","8"],"operation":"unsubscribe"}'
    )


def test_rtds_subscribe_frame_matches_protocol_example() -> None:
    frame = encode_rtds_subscribe(
        [
            RtdsSubscription("crypto_prices_chainlink", "*", '{"symbol":"btc/usd"}'),
            RtdsSubscription("activity", "trades"),
        ]
    )
    assert frame == (
        '{"action":"subscribe","subscriptions":['
        '{"topic":"crypto_prices_chainlink","type":"*","filters":"{\\"symbol\\":\\"btc/usd\\"}"},'
        '{"topic":"activity","type":"trades"}]}'
    )


def test_rtds_activity_subscribe_frame_used_in_the_wild() -> None:
    frame = encode_rtds_subscribe(
        [RtdsSubscription("activity", "trades"), RtdsSubscription("activity", "orders_matched")]
    )
    assert frame == (
        '{"action":"subscribe","subscriptions":[{"topic":"activity","type":"trades"},'
        '{"topic":"activity","type":"orders_matched"}]}'
    )


def test_rtds_unsubscribe_frame() -> None:
    frame = encode_rtds_unsubscribe(
        [RtdsSubscription("equity_prices", "update", {"symbol": "AAPL"})]
    )
    assert frame == (
        '{"action":"unsubscribe","subscriptions":['
        '{"topic":"equity_prices","type":"update","filters":"{\\"symbol\\":\\"AAPL\\"}"}]}'
    )


def test_rtds_one_subscription_per_symbol() -> None:
    subs = rtds_symbol_subscriptions("crypto_prices_chainlink", ["btc/usd", "eth/usd"])
    assert [s.filters for s in subs] == ['{"symbol":"btc/usd"}', '{"symbol":"eth/usd"}']
    assert {s.topic for s in subs} == {"crypto_prices_chainlink"}
    assert {s.type for s in subs} == {"*"}


def test_rtds_filters_are_always_compact_strings() -> None:
    # A space in the filter JSON silently stops the stream after the snapshot.
    assert RtdsSubscription("crypto_prices", filters='{"symbol": "btcusdt"}').filters == (
        '{"symbol":"btcusdt"}'
    )
    assert RtdsSubscription("comments", filters={"parentEntityID": 100}).filters == (
        '{"parentEntityID":100}'
    )
    # Not JSON (the documented comma form): kept as given.
    assert RtdsSubscription("crypto_prices", filters="solusdt,btcusdt").filters == (
        "solusdt,btcusdt"
    )
    assert RtdsSubscription("activity", "trades").to_wire() == {
        "topic": "activity",
        "type": "trades",
    }


def test_ping_and_compact_json() -> None:
    assert PING == "PING"
    assert compact_json({"b": 1, "a": [1, "x"]}) == '{"b":1,"a":[1,"x"]}'


# --- CLOB frame parsing ----------------------------------------------------------------------


def test_decode_clob_single_object() -> None:
    book = decode_clob_message(BOOK)
    assert isinstance(book, BookMessage)
    assert book.timestamp == 1_700_000_000_000  # the wire's string, read as an int
    assert book.bids[0].price == "0.4"
    assert book.hash == "ab"


def test_classify_tolerates_leading_whitespace_and_bytes() -> None:
    for raw in (" \n" + BOOK, BOOK.encode(), b"\t " + BOOK.encode()):
        assert classify_frame(raw) == "{"
        book = decode_clob_message(raw)
        assert isinstance(book, BookMessage)
        assert book.asset_id == "1"
    assert classify_frame(f" [{BOOK}]") == "["
    assert classify_frame(b"[]") == "["


@pytest.mark.parametrize(
    ("raw", "word"),
    [
        ("PONG", ControlWord.PONG),
        (b"PONG", ControlWord.PONG),
        ("pong\n", ControlWord.PONG),
        ("NO NEW ASSETS", ControlWord.NO_NEW_ASSETS),
        (b"INVALID OPERATION", ControlWord.INVALID_OPERATION),
    ],
)
def test_classify_control_words(raw: str | bytes, word: ControlWord) -> None:
    assert classify_frame(raw) is word


@pytest.mark.parametrize("raw", ["", b"", "  ", "\r\n"])
def test_classify_empty_frames(raw: str | bytes) -> None:
    assert classify_frame(raw) is None


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("PING?", "not JSON and not a known control word"),
        (b"\xff\xfe", "not JSON and not a known control word"),
        ("null", "expected a JSON object or array, got NoneType"),
        ("3.5", "expected a JSON object or array, got float"),
    ],
)
def test_classify_rejects_other_text(raw: str | bytes, reason: str) -> None:
    with pytest.raises(MalformedFrameError) as info:
        classify_frame(raw)
    assert info.value.reason.startswith(reason)


def test_decode_clob_array_keeps_good_elements_in_place() -> None:
    items = decode_clob_array(f'[{BOOK}, {{"event_type":"nope"}}, 7, {BOOK}]')
    assert [type(item) for item in items] == [
        BookMessage,
        MalformedFrameError,
        MalformedFrameError,
        BookMessage,
    ]
    errors = [item for item in items if isinstance(item, MalformedFrameError)]
    assert [e.reason for e in errors] == [
        "element 1: unknown event_type 'nope'",
        "element 2: expected a JSON object (Expected `object`, got `int`)",
    ]
    assert errors[0].excerpt == '{"event_type":"nope"}'
    assert decode_clob_array("[]") == []


@pytest.mark.parametrize(("raw", "reason"), [("[1", "invalid JSON"), ('[{"a":', "invalid JSON")])
def test_decode_clob_array_rejects_broken_json(raw: str, reason: str) -> None:
    with pytest.raises(MalformedFrameError, match=reason):
        decode_clob_array(raw)


def test_decode_clob_message_reasons() -> None:
    with pytest.raises(MalformedFrameError, match="missing field 'event_type'"):
        decode_clob_message('{"asset_id":"1"}')
    with pytest.raises(MalformedFrameError, match="event_type must be a string, got int"):
        decode_clob_message('{"event_type":5}')
    with pytest.raises(MalformedFrameError, match=r"^invalid JSON"):
        decode_clob_message('{"event_type":')


def test_price_change_message_shapes() -> None:
    flat = decode_clob_message(
        '{"event_type":"price_change","market":"m","asset_id":"1","price":"0.5","side":"BUY",'
        '"size":"3","timestamp":"5"}'
    )
    assert isinstance(flat, PriceChangeMessage)
    assert flat.price_changes is None
    assert flat.side is Side.BUY


# --- RTDS frame parsing ----------------------------------------------------------------------


def test_decode_rtds_update_and_error_frames() -> None:
    msg = decode_rtds_message(
        '{"topic":"crypto_prices","type":"update","timestamp":1,"connection_id":"x",'
        '"payload":{"symbol":"btcusdt","timestamp":2,"value":3.5,"full_accuracy_value":"3.5"}}'
    )
    assert isinstance(msg, RtdsMessage)
    assert isinstance(msg.payload, PriceUpdatePayload)
    assert msg.payload.value == Decimal("3.5")
    assert msg.connection_id == "x"
    assert decode_rtds_message('{"statusCode":401,"body":{"message":"nope"}}') == (
        RtdsErrorFrame(401, "nope")
    )
    assert decode_rtds_message('{"statusCode":500,"body":"plain text"}') == (
        RtdsErrorFrame(500, "plain text")
    )
    assert decode_rtds_message('{"message":"Invalid request body"}') == (
        RtdsErrorFrame(None, "Invalid request body")
    )
    assert decode_rtds_message('{"statusCode":503}') == RtdsErrorFrame(503, "")


def test_decode_rtds_array() -> None:
    good = '{"topic":"activity","type":"orders_matched","timestamp":1,"payload":{}}'
    items = decode_rtds_array(f'[{good}, {{"message":"m"}}, "x"]')
    assert isinstance(items[0], MalformedFrameError)
    assert items[0].reason.startswith("element 0: activity/orders_matched: payload: Object")
    assert items[1] == RtdsErrorFrame(None, "m")
    assert isinstance(items[2], MalformedFrameError)
    assert items[2].reason == "element 2: not an RTDS frame (Expected `object`, got `str`)"
    with pytest.raises(MalformedFrameError, match="invalid JSON"):
        decode_rtds_array("[")


# --- Gamma ---------------------------------------------------------------------------------


def test_gamma_lists_inside_strings() -> None:
    assert decode_json_string_list('["Up", "Down"]', "outcomes") == ("Up", "Down")
    assert decode_json_string_list(["Yes", "No"], "outcomes") == ("Yes", "No")
    assert decode_json_string_list(None, "outcomes") == ()
    assert decode_json_string_list("", "outcomes") == ()
    with pytest.raises(MalformedFrameError, match="outcomes: expected a JSON array of strings"):
        decode_json_string_list("[1, 2]", "outcomes")


def test_gamma_response_shapes() -> None:
    one = '{"conditionId":"0xc","orderPriceMinTickSize":0.001}'
    assert [m.condition_id for m in parse_gamma_response(f"[{one}]")] == ["0xc"]
    assert [m.condition_id for m in parse_gamma_response(f'{{"data":[{one}]}}')] == ["0xc"]
    (market,) = parse_gamma_response(one)
    # JSON number read exactly, not through a float.
    assert market.order_price_min_tick_size == Decimal("0.001")
    with pytest.raises(MalformedFrameError, match="conditionId"):
        parse_gamma_response('[{"question":"?"}]')


def test_excerpt_is_short_text() -> None:
    assert excerpt(b"abc") == "abc"
    long = "x" * 500
    assert excerpt(long) == "x" * 120 + "…"
    assert excerpt(b"\xff{") == "\ufffd{"
