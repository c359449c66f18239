"""The user channel's wire format: decoding the recorded samples, hostile frames, and the
frames we send (the subscribe frame carries our secret: it must never show)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from agbotkit.errors import MalformedFrameError
from agbotkit.model.books import Side
from agbotkit.venues.polymarket.user_wire import (
    MakerOrderEntry,
    OrderMessage,
    TradeMessage,
    UserSubscribe,
    decode_user_array,
    decode_user_message,
    encode_user_add_markets,
    encode_user_remove_markets,
)

SAMPLES = (
    Path(__file__).resolve().parents[2] / "data" / "polymarket" / "nautilus_clob_user_ws.jsonl"
)
LINES = SAMPLES.read_bytes().splitlines()
TOKEN = "21742633143463906290569050155826241533067272736897614950488156847949938836455"
MARKET = "0xdd22472e552920b8438158ea7238bfadfa4f736aa4cee91a6b86c39ead110917"
OUR_KEY = "3e2c94ca-8124-c4c1-c7ea-be1ea21b71fe"
OUR_ADDRESS = "0xa3D82Ed56F4c68d2328Fb8c29e568Ba2cAF7d7c8"


def sample(index: int) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(LINES[index])
    return value


def test_every_sample_decodes_to_its_kind() -> None:
    kinds = [type(decode_user_message(line)) for line in LINES]
    assert kinds == [OrderMessage] * 2 + [TradeMessage] * 4 + [OrderMessage] * 2


def test_order_placement_field_by_field() -> None:
    assert decode_user_message(LINES[0]) == OrderMessage(
        id="0x0f76f4dc6eaf3332f4100f2e8a0b4a927351dd64646b7bb12f37df775c657a78",
        type="PLACEMENT",
        owner=OUR_KEY,
        order_owner=OUR_KEY,
        market=MARKET,
        asset_id=TOKEN,
        side="BUY",
        price="0.513",
        original_size="5",
        size_matched="0",
        associate_trades=None,
        outcome="Yes",
        order_type="GTC",
        status="LIVE",
        created_at="1725842520",
        expiration="0",
        maker_address=OUR_ADDRESS,
        timestamp="1725842520990",
    )


def test_trade_with_maker_orders_field_by_field() -> None:
    msg = decode_user_message(LINES[2])
    assert isinstance(msg, TradeMessage)
    assert (msg.id, msg.type, msg.status, msg.trader_side) == (
        "83b5c849-620e-4c23-b63b-2e779c04a6e7",
        "TRADE",
        "MINED",
        "MAKER",
    )
    assert (
        msg.taker_order_id == "0x3ad09f225ebe141dfbdb3824f31cb457e8e0301ca4e0a06311e543f5328b9dea"
    )
    assert (msg.side, msg.price, msg.size, msg.fee_rate_bps) == (Side.BUY, "0.518", "1096.87", "0")
    assert (msg.match_time, msg.last_update, msg.timestamp) == (
        "1725868859",
        "1725868885",
        "1725868885871",
    )
    assert msg.bucket_index == 0
    assert (msg.owner, msg.trade_owner) == ("092dab0c-74fa-5ba7-4b67-572daeace198",) * 2
    assert msg.transaction_hash == (
        "0x876310b8e67cacf110abdd4106438968c55f2cce795c13c3c7a0896fc4af730d"
    )
    assert len(msg.maker_orders) == 6
    assert msg.maker_orders[3] == MakerOrderEntry(
        order_id="0xab679e56242324e15e59cfd488cd0f12e4fd71b153b9bfb57518898b9983145e",
        owner=OUR_KEY,
        maker_address=OUR_ADDRESS,
        matched_amount="5",
        price="0.518",
        fee_rate_bps="0",
        asset_id=TOKEN,
        outcome="Yes",
        side=None,  # this older event leaves the maker's side out
    )
    # The newer events say it.
    newer = decode_user_message(LINES[4])
    assert isinstance(newer, TradeMessage)
    assert newer.maker_orders[0].side is Side.BUY


def test_killed_fok_with_free_text_status_and_empty_fields() -> None:
    msg = decode_user_message(LINES[6])
    assert isinstance(msg, OrderMessage)
    assert msg.status == (
        "CANCELED_order couldn't be fully filled. FOK orders are fully filled or killed."
    )
    assert (msg.size_matched, msg.outcome, msg.created_at) == ("", "", "")
    assert msg.associate_trades == []
    assert (msg.order_type, msg.type) == ("FOK", "CANCELLATION")


def test_an_object_without_event_type_is_read_by_its_type() -> None:
    msg = decode_user_message(LINES[7])
    assert isinstance(msg, OrderMessage)
    assert (msg.id, msg.status, msg.type) == ("0x0e", "INVALID", "CANCELLATION")
    trade = sample(3)
    del trade["event_type"]
    decoded = decode_user_message(json.dumps(trade))
    assert isinstance(decoded, TradeMessage)
    assert decoded.id == "f50e8ab2-652d-4dc8-9c82-8e46197fe98d"


def test_numbers_as_json_numbers_are_read_where_they_are_stamps() -> None:
    order = sample(0) | {"timestamp": 1725842520990, "created_at": 1725842520, "expiration": None}
    msg = decode_user_message(json.dumps(order))
    assert isinstance(msg, OrderMessage)
    assert (msg.timestamp, msg.created_at, msg.expiration) == (1725842520990, 1725842520, None)


def test_array_frames_decode_element_by_element() -> None:
    frame = b"[" + b",".join(LINES) + b"]"
    decoded = decode_user_array(frame)
    assert [type(item) for item in decoded] == [type(decode_user_message(x)) for x in LINES]
    bad = '[{"event_type":"order"},' + LINES[0].decode() + ',{"event_type":"book","id":"1"}]'
    first, second, third = decode_user_array(bad)
    assert isinstance(first, MalformedFrameError)
    assert first.reason.startswith("element 0: order: Object missing required field `id`")
    assert isinstance(second, OrderMessage)
    assert isinstance(third, MalformedFrameError)
    assert third.reason == "element 2: unknown event_type 'book'"


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ("not json", "invalid JSON"),
        ('{"event_type":"order"', "invalid JSON"),
        ('{"event_type":"book","id":"1"}', "unknown event_type 'book'"),
        ('{"event_type":7,"id":"1"}', "event_type must be a string, got int"),
        ('{"id":"1"}', "missing field 'event_type'"),
        ('{"id":"1","type":"SOMETHING"}', "missing field 'event_type'"),
        ('{"id":"1","type":7}', "missing field 'event_type'"),
        ('{"event_type":"order"}', "order: Object missing required field `id`"),
        ('{"event_type":"order","id":5}', "order: Expected `str`, got `int`"),
        ('{"event_type":"trade","id":"t","price":0.5}', "trade: Expected `str | null`"),
        ('{"event_type":"trade","id":"t","side":"UP"}', "trade: Invalid enum value 'UP'"),
        ('{"event_type":"trade","id":"t","maker_orders":{}}', "trade: Expected `array`"),
        ('{"type":"TRADE","id":"t","maker_orders":[1]}', "trade: Expected `object`"),
        ("[1]", "expected a JSON object"),
        ('"text"', "expected a JSON object"),
        # Refused at the first "[" (a struct is expected), before any recursion.
        ("[" * 5_000 + "]" * 5_000, "expected a JSON object"),
        ('{"event_type":"order","id":"1","x":' + "[" * 5_000 + "]" * 5_000 + "}", "nested"),
    ],
)
def test_hostile_objects_are_malformed(frame: str, reason: str) -> None:
    with pytest.raises(MalformedFrameError) as info:
        decode_user_message(frame)
    assert reason in info.value.reason
    assert info.value.excerpt == frame[:120] + ("…" if len(frame) > 120 else "")


def test_hostile_arrays() -> None:
    with pytest.raises(MalformedFrameError, match="invalid JSON"):
        decode_user_array("[1,")
    with pytest.raises(MalformedFrameError, match="nested too deeply"):
        decode_user_array("[" * 5_000 + "]" * 5_000)
    # Too deep anywhere (even in a field nobody reads) stops the parse of the whole array:
    # the frame is malformed, its good elements with it.
    for deep in ("[" * 5_000 + "]" * 5_000, '{"id":"1","x":' + "[" * 5_000 + "]" * 5_000 + "}"):
        with pytest.raises(MalformedFrameError, match="nested too deeply"):
            decode_user_array("[" + LINES[0].decode() + "," + deep + "]")


# --- frames we send ---------------------------------------------------------------------

SECRET = "c2VjcmV0LXNob3VsZC1uZXZlci1sZWFr"
PASSPHRASE = "pass-phrase-never-shown"


def subscribe() -> UserSubscribe:
    return UserSubscribe(OUR_KEY, SECRET, PASSPHRASE, markets=[MARKET])


def test_subscribe_frame() -> None:
    assert json.loads(subscribe().encode()) == {
        "auth": {"apiKey": OUR_KEY, "secret": SECRET, "passphrase": PASSPHRASE},
        "markets": [MARKET],
        "assets_ids": [],
        "type": "user",
    }
    assert " " not in subscribe().encode()
    everything = UserSubscribe(OUR_KEY, SECRET, PASSPHRASE)
    assert json.loads(everything.encode())["markets"] == []


def test_subscribe_never_shows_its_secrets(caplog: pytest.LogCaptureFixture) -> None:
    frame = subscribe()
    # %-formatting on purpose: it is what logging does with its arguments.
    shown = [repr(frame), str(frame), f"{frame}", f"{frame!r}", "%s %r" % (frame, frame)]  # noqa: UP031
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("agbotkit.test").info("subscribing %s (%r)", frame, frame)
    shown.append(caplog.text)
    shown.append(repr([frame]))
    for text in shown:
        assert SECRET not in text
        assert PASSPHRASE not in text
        assert "<redacted>" in text
        assert MARKET in text
    # The key is not secret, but shown only in part.
    assert OUR_KEY not in repr(frame)
    assert OUR_KEY[:8] in repr(frame)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"secret": b"c2VjcmV0LXNob3VsZC1uZXZlci1sZWFr"},
        {"secret": ""},
        {"passphrase": 12345},
        {"api_key": None},
    ],
)
def test_bad_credentials_raise_without_quoting_them(kwargs: dict[str, Any]) -> None:
    values: dict[str, Any] = {"api_key": OUR_KEY, "secret": SECRET, "passphrase": PASSPHRASE}
    values.update(kwargs)
    with pytest.raises(TypeError) as info:
        UserSubscribe(**values)
    text = str(info.value) + repr(info.value)
    assert "must be a non-empty string" in text
    assert SECRET not in text
    assert "12345" not in text


def test_markets_must_be_condition_ids() -> None:
    with pytest.raises(TypeError, match="not one string"):
        UserSubscribe(OUR_KEY, SECRET, PASSPHRASE, markets=MARKET)
    with pytest.raises(TypeError, match="strings"):
        UserSubscribe(OUR_KEY, SECRET, PASSPHRASE, markets=[1])  # type: ignore[list-item]


def test_market_changes_on_a_subscribed_socket() -> None:
    assert encode_user_add_markets([MARKET, "0x1"]) == (
        '{"operation":"subscribe","markets":["' + MARKET + '","0x1"]}'
    )
    assert encode_user_remove_markets(iter(["0x1"])) == (
        '{"operation":"unsubscribe","markets":["0x1"]}'
    )
    with pytest.raises(TypeError):
        encode_user_add_markets("0x1")
