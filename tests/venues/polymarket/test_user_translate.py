"""The user channel's translation: order updates, our fills (and only ours), control words,
array frames, and hostile input that may only ever raise MalformedFrameError."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agbotkit.errors import MalformedFrameError
from agbotkit.marketdata.codec import ControlWord
from agbotkit.model.books import Side
from agbotkit.model.execution import OrderStatus
from agbotkit.model.feeds import InvalidOperation, NoNewAssets, Pong
from agbotkit.model.orders import Fill, TradeStatus
from agbotkit.model.venues import VenueOrderUpdate
from agbotkit.venues.polymarket.user_translate import (
    UserIdentity,
    decode_user_frame,
    translate_order,
    translate_trade,
    translate_user_message,
)
from agbotkit.venues.polymarket.user_wire import OrderMessage, TradeMessage, decode_user_message

SAMPLES = (
    Path(__file__).resolve().parents[2] / "data" / "polymarket" / "nautilus_clob_user_ws.jsonl"
)
LINES = SAMPLES.read_bytes().splitlines()
TOKEN = "21742633143463906290569050155826241533067272736897614950488156847949938836455"
NO_TOKEN = "48331043336612883890938759509493159234755048973500640148014422747788308965732"
MARKET = "0xdd22472e552920b8438158ea7238bfadfa4f736aa4cee91a6b86c39ead110917"
OUR_KEY = "3e2c94ca-8124-c4c1-c7ea-be1ea21b71fe"
OUR_ADDRESS = "0xa3D82Ed56F4c68d2328Fb8c29e568Ba2cAF7d7c8"
# Who the samples' trader is: one key, one (checksummed) address, matched in any case.
ME = UserIdentity(api_keys=OUR_KEY.upper(), addresses=[OUR_ADDRESS.lower()])
NOBODY = UserIdentity(api_keys=["00000000-0000-0000-0000-00000000abcd"], addresses=["0x1"])


def sample(index: int) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(LINES[index])
    return value


def events(frame: bytes | str, me: UserIdentity = ME) -> list[Any]:
    return list(decode_user_frame(frame, me))


# --- the recorded samples, field by field ------------------------------------------------


def test_placement_is_accepted() -> None:
    assert events(LINES[0]) == [
        VenueOrderUpdate(
            venue_order_id="0x0f76f4dc6eaf3332f4100f2e8a0b4a927351dd64646b7bb12f37df775c657a78",
            status=OrderStatus.ACCEPTED,
            filled_size=Decimal(0),
            reason="",
            timestamp_ms=1725842520990,
        )
    ]


def test_cancellation_is_canceled() -> None:
    assert events(LINES[1]) == [
        VenueOrderUpdate(
            venue_order_id="0xc6e99c14f1c7cae9e0538eb2d45a4d8b93ffd743e850edd1502a8c85700be5d3",
            status=OrderStatus.CANCELED,
            filled_size=Decimal(5),
            timestamp_ms=1725841743272,
        )
    ]


def test_maker_fill_from_maker_orders_of_an_older_event() -> None:
    # Six maker orders, one ours (by key and address); the event gives no maker side, and
    # our order rests on the taker's token: we sold to the buying taker.
    assert events(LINES[2]) == [
        Fill(
            token_id=TOKEN,
            side=Side.SELL,
            price=Decimal("0.518"),
            size=Decimal(5),
            market_id=MARKET,
            fee_usd=None,
            taker=False,
            timestamp_ms=1725868859000,
            order_id="0xab679e56242324e15e59cfd488cd0f12e4fd71b153b9bfb57518898b9983145e",
            trade_id="83b5c849-620e-4c23-b63b-2e779c04a6e7",
            trade_status=TradeStatus.MINED,
        )
    ]


def test_taker_fill() -> None:
    (fill,) = events(LINES[3])
    assert fill == Fill(
        token_id=TOKEN,
        side=Side.BUY,
        price=Decimal("0.52"),
        size=Decimal(5),
        market_id=MARKET,
        fee_usd=Decimal(0),
        taker=True,
        timestamp_ms=1725958681000,
        order_id="0x5b605a0e8e40f3402d3cb3bc19edad6733ed23fbc079d2a09ee399c3487ace81",
        trade_id="f50e8ab2-652d-4dc8-9c82-8e46197fe98d",
        trade_status=TradeStatus.MATCHED,
    )


def test_maker_fill_by_address_at_the_entry_price_and_side() -> None:
    # The entry's key is not ours, its maker address is; the trade's price (0.49) and side
    # are the taker's, the entry's (0.513, BUY) are ours.
    (fill,) = events(LINES[4])
    assert fill == Fill(
        token_id=TOKEN,
        side=Side.BUY,
        price=Decimal("0.513"),
        size=Decimal(5),
        market_id=MARKET,
        fee_usd=None,
        taker=False,
        timestamp_ms=1762776367000,
        order_id="0x3ad09f225ebe141dfbdb3824f31cb457e8e0301ca4e0a06311e543f5328b9dea",
        trade_id="83b5c849-620e-4c23-b63b-2e779c04a6e7",
        trade_status=TradeStatus.CONFIRMED,
    )


def test_one_fill_per_maker_order_of_ours() -> None:
    fills = events(LINES[5])
    assert [(f.order_id[:6], f.price, f.size, f.side, f.taker) for f in fills] == [
        ("0x3ad0", Decimal("0.4"), Decimal(5), Side.BUY, False),
        ("0x67b5", Decimal("0.3"), Decimal(5), Side.BUY, False),
    ]
    assert {f.trade_id for f in fills} == {"83b5c849-620e-4c23-b63b-2e779c04a6e7"}
    assert {f.trade_status for f in fills} == {TradeStatus.CONFIRMED}


def test_killed_fok_is_canceled_with_the_venue_reason() -> None:
    assert events(LINES[6]) == [
        VenueOrderUpdate(
            venue_order_id="0x78xx",
            status=OrderStatus.CANCELED,
            filled_size=None,  # sent empty
            reason="order couldn't be fully filled. FOK orders are fully filled or killed.",
            timestamp_ms=1777824065000,
        )
    ]


def test_invalid_cancellation_without_event_type() -> None:
    assert events(LINES[7]) == [
        VenueOrderUpdate(
            venue_order_id="0x0e",
            status=OrderStatus.CANCELED,
            filled_size=Decimal(0),
            reason="invalid order",
            timestamp_ms=1774378800285,
        )
    ]


def test_trades_of_others_give_no_fill() -> None:
    for index in (2, 4, 5):
        assert events(LINES[index], NOBODY) == []
    # trader_side TAKER alone says the taker side is ours (the channel only sends ours).
    assert len(events(LINES[3], NOBODY)) == 1


def test_known_order_ids_count_as_ours() -> None:
    msg = decode_user_message(LINES[2])
    assert isinstance(msg, TradeMessage)
    ours = {
        "0x3ad09f225ebe141dfbdb3824f31cb457e8e0301ca4e0a06311e543f5328b9dea",  # the taker
        "0x3b67d584e1e7ad29b06bda373449638898aa87f0c9fd52a34bdbfb1325a6c184",  # a NO maker
    }
    taker, maker = translate_trade(msg, NOBODY, order_ids=ours)
    assert (taker.taker, taker.side, taker.size, taker.price) == (
        True,
        Side.BUY,
        Decimal("1096.87"),
        Decimal("0.518"),
    )
    # A maker on the complementary token takes the taker's side (a YES+NO pair is minted).
    assert (maker.taker, maker.token_id, maker.side, maker.size, maker.price) == (
        False,
        NO_TOKEN,
        Side.BUY,
        Decimal(10),
        Decimal("0.482"),
    )


# --- order status mapping ----------------------------------------------------------------


def order(**fields: Any) -> OrderMessage:
    base = sample(0)
    base.update(fields)
    msg = decode_user_message(json.dumps({k: v for k, v in base.items() if v is not ...}))
    assert isinstance(msg, OrderMessage)
    return msg


EXPIRY_S = 1_725_900_000


@pytest.mark.parametrize(
    ("fields", "status", "reason"),
    [
        ({"status": "LIVE"}, OrderStatus.ACCEPTED, ""),
        ({"status": "live", "type": "UPDATE", "size_matched": "2"}, OrderStatus.PARTIALLY_FILLED, ""),
        ({"status": "ORDER_STATUS_LIVE"}, OrderStatus.ACCEPTED, ""),
        ({"status": "DELAYED"}, OrderStatus.ACCEPTED, ""),
        ({"status": "MATCHED", "size_matched": "5"}, OrderStatus.FILLED, ""),
        ({"status": "MATCHED", "size_matched": "2.5"}, OrderStatus.PARTIALLY_FILLED, ""),
        ({"status": "MATCHED", "size_matched": "", "original_size": ""}, OrderStatus.FILLED, ""),
        ({"status": "CANCELED"}, OrderStatus.CANCELED, ""),
        ({"status": "CANCELED_MARKET_RESOLVED"}, OrderStatus.CANCELED, "market resolved"),
        ({"status": "CANCELED_not enough balance"}, OrderStatus.CANCELED, "not enough balance"),
        ({"status": "INVALID", "type": "PLACEMENT"}, OrderStatus.REJECTED, "invalid order"),
        ({"status": "INVALID_bad tick", "type": "UPDATE"}, OrderStatus.CANCELED, "bad tick"),
        ({"status": None, "type": "PLACEMENT"}, OrderStatus.ACCEPTED, ""),
        ({"status": ..., "type": "CANCELLATION"}, OrderStatus.CANCELED, ""),
        ({"status": "", "type": "UPDATE", "size_matched": "5"}, OrderStatus.FILLED, ""),
        # A GTD order cancelled once its expiry, less the venue's minute, has passed.
        (
            {"status": "CANCELED", "order_type": "GTD", "expiration": str(EXPIRY_S),
             "timestamp": str((EXPIRY_S - 60) * 1000)},
            OrderStatus.EXPIRED,
            "expired",
        ),
        (
            {"status": "CANCELED", "order_type": "GTD", "expiration": EXPIRY_S,
             "timestamp": str((EXPIRY_S - 61) * 1000)},
            OrderStatus.CANCELED,
            "",
        ),
        (
            {"status": "CANCELED", "order_type": "GTC", "expiration": str(EXPIRY_S),
             "timestamp": str(EXPIRY_S * 1000)},
            OrderStatus.CANCELED,
            "",
        ),
        (
            {"status": "CANCELED", "order_type": "GTD", "expiration": "0",
             "timestamp": str(EXPIRY_S * 1000)},
            OrderStatus.CANCELED,
            "",
        ),
    ],
)  # fmt: skip
def test_order_status_mapping(fields: dict[str, Any], status: OrderStatus, reason: str) -> None:
    update = translate_order(order(**fields))
    assert (update.status, update.reason) == (status, reason)


def test_order_timestamps_in_seconds_or_missing() -> None:
    assert translate_order(order(timestamp="1725842520")).timestamp_ms == 1725842520000
    assert translate_order(order(timestamp=None)).timestamp_ms == 0
    assert translate_order(order(timestamp=1725842520990)).timestamp_ms == 1725842520990


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"status": "HALTED"}, "order: unknown status 'HALTED'"),
        ({"status": None, "type": None}, "order: unknown status ''"),
        ({"size_matched": "NaN"}, "size_matched: expected a finite non-negative number"),
        ({"size_matched": "-1"}, "size_matched: expected a finite non-negative number"),
        ({"original_size": "five"}, "original_size: invalid decimal 'five'"),
        ({"timestamp": "soon"}, "timestamp: expected Unix seconds or milliseconds"),
        ({"timestamp": "9" * 5_000}, "timestamp: expected Unix seconds or milliseconds"),
        ({"timestamp": -1}, "timestamp: timestamp out of range"),
        ({"timestamp": 10**30}, "timestamp: timestamp out of range"),
        ({"id": ""}, "missing field 'id'"),
        ({"status": "CANCELED", "order_type": "GTD", "expiration": "x"}, "expiration:"),
    ],
)
def test_bad_order_events_are_malformed(fields: dict[str, Any], reason: str) -> None:
    frame = json.dumps(sample(0) | fields)
    with pytest.raises(MalformedFrameError) as info:
        decode_user_frame(frame, ME)
    assert info.value.reason.startswith(reason)
    assert info.value.excerpt  # the frame's start, for the log


# --- trades ------------------------------------------------------------------------------


def trade(**fields: Any) -> TradeMessage:
    msg = decode_user_message(json.dumps(sample(3) | fields))
    assert isinstance(msg, TradeMessage)
    return msg


def test_taker_fee_from_the_fee_rate() -> None:
    (fill,) = translate_trade(trade(fee_rate_bps="1000", size="100", price="0.4"), ME)
    # 100 shares * 10% * 0.4 * 0.6
    assert fill.fee_usd == Decimal("2.4")
    (no_rate,) = translate_trade(trade(fee_rate_bps=""), ME)
    assert no_rate.fee_usd is None


def test_the_same_trade_resent_per_status_keeps_its_ids() -> None:
    seen = []
    for status in ("MATCHED", "MINED", "CONFIRMED", "RETRYING", "FAILED"):
        (fill,) = translate_trade(trade(status=status, timestamp=None), ME)
        seen.append(fill)
    assert {(f.trade_id, f.order_id, f.timestamp_ms, f.size, f.price) for f in seen} == {
        (
            "f50e8ab2-652d-4dc8-9c82-8e46197fe98d",
            "0x5b605a0e8e40f3402d3cb3bc19edad6733ed23fbc079d2a09ee399c3487ace81",
            1725958681000,
            Decimal(5),
            Decimal("0.52"),
        )
    }
    # A failed trade comes back marked, for the caller to reverse.
    assert [f.trade_status for f in seen] == list(TradeStatus)
    (odd,) = translate_trade(trade(status="SETTLING"), ME)
    assert odd.trade_status is None


def test_self_trade_gives_both_fills() -> None:
    maker = {
        "order_id": "0xmine",
        "owner": OUR_KEY,
        "maker_address": OUR_ADDRESS,
        "matched_amount": "5",
        "price": "0.52",
        "asset_id": TOKEN,
        "side": "SELL",
    }
    fills = translate_trade(trade(maker_orders=[maker]), ME)
    assert [(f.order_id[:6], f.taker, f.side) for f in fills] == [
        ("0x5b60", True, Side.BUY),
        ("0xmine", False, Side.SELL),
    ]


def test_zero_amounts_give_no_fill() -> None:
    maker = {"order_id": "0xmine", "owner": OUR_KEY, "matched_amount": "0", "price": "0.5"}
    assert translate_trade(trade(size="0", maker_orders=[maker]), ME) == []


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"price": "1.5"}, "trade: price must lie in [0, 1]"),
        ({"price": "NaN"}, "price: expected a finite non-negative number"),
        ({"size": ""}, "missing field 'size'"),
        ({"size": "1e999999999", "fee_rate_bps": "1e999999999"}, "trade: size or fee rate out of range"),
        ({"fee_rate_bps": "-5"}, "fee_rate_bps: expected a finite non-negative number"),
        ({"side": None}, "missing field 'side'"),
        ({"asset_id": ""}, "missing field 'asset_id'"),
        ({"taker_order_id": None}, "missing field 'taker_order_id'"),
        ({"match_time": "1.5"}, "match_time: expected Unix seconds"),
        (
            {"trader_side": "MAKER", "maker_orders": [{"owner": OUR_KEY, "matched_amount": "1",
                                                       "price": "0.5"}]},
            "missing field 'order_id'",
        ),
        (
            {"trader_side": "MAKER", "side": None, "trade_owner": "x", "maker_address": "0x2",
             "maker_orders": [{"owner": OUR_KEY, "order_id": "0x1", "matched_amount": "1",
                               "price": "0.5"}]},
            "missing field 'side'",  # needed to infer the maker's
        ),
    ],
)  # fmt: skip
def test_bad_fills_of_ours_are_malformed(fields: dict[str, Any], reason: str) -> None:
    with pytest.raises(MalformedFrameError) as info:
        decode_user_frame(json.dumps(sample(3) | fields), ME)
    assert info.value.reason.startswith(reason)


def test_bad_fields_of_others_do_not_matter() -> None:
    other = {"owner": "someone", "maker_address": "0x2", "matched_amount": "x", "price": "y"}
    assert translate_trade(trade(trader_side="MAKER", owner="x", trade_owner="x",
                                 maker_address="0x2", price="7", maker_orders=[other]), ME) == []  # fmt: skip


# --- frames ------------------------------------------------------------------------------


def test_control_words_and_blank_frames() -> None:
    assert events("PONG") == [Pong()]
    assert events(b" pong\n") == [Pong()]
    assert events("NO NEW ASSETS") == [NoNewAssets()]
    assert events("INVALID OPERATION") == [InvalidOperation()]
    assert events("") == []
    assert events("  ") == []
    with pytest.raises(MalformedFrameError, match="not a known control word"):
        decode_user_frame("HELLO", ME)
    with pytest.raises(MalformedFrameError, match="got int"):
        decode_user_frame("42", ME)


def test_translate_one_decoded_message_or_word() -> None:
    assert translate_user_message(ControlWord.PONG, ME) == [Pong()]
    assert translate_user_message(decode_user_message(LINES[0]), ME) == events(LINES[0])
    taker_trade = decode_user_message(LINES[3])
    assert translate_user_message(taker_trade, ME) == events(LINES[3])


def test_array_frames() -> None:
    frame = b"[" + b",".join(LINES) + b"]"
    result = decode_user_frame(frame, ME)
    assert list(result) == [event for line in LINES for event in events(line)]
    assert result.errors == ()
    assert len(result) == 9
    bad_trade = json.dumps(sample(3) | {"price": "2"})
    mixed = "[" + LINES[0].decode() + ',{"event_type":"nope","id":"1"},' + bad_trade + "]"
    result = decode_user_frame(mixed, ME)
    assert list(result) == events(LINES[0])
    assert [error.reason for error in result.errors] == [
        "element 1: unknown event_type 'nope'",
        "element 2: trade: price must lie in [0, 1], got 2",
    ]
    # Leading whitespace is allowed before an object too.
    assert events(b"\n " + LINES[0]) == events(LINES[0])


def test_identity_is_case_blind() -> None:
    me = UserIdentity(api_keys=[], addresses=OUR_ADDRESS.upper().replace("0X", "0x"))
    assert me.owns(None, OUR_ADDRESS)
    assert not me.owns(OUR_KEY, None)
    assert not me.owns("", "")


# --- fuzzing -----------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["", "NaN", "-1", "1e999999999", "Infinity", "9" * 400, "²", "0.5", "5",
                     "BUY", "SELL", "TAKER", "MAKER", "LIVE", "MATCHED", "CANCELED_x", "GTD",
                     "order", "trade", "TRADE", "PLACEMENT", OUR_KEY, OUR_ADDRESS]),
)  # fmt: skip
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
SEEDS = [sample(i) for i in range(len(LINES))]
FIELDS = sorted({key for seed in SEEDS for key in seed} | {"order_id", "matched_amount", "owner"})


@st.composite
def mutated_samples(draw: st.DrawFn) -> Any:
    """A sample with some fields replaced or removed, its maker entries included."""
    value = json.loads(json.dumps(draw(st.sampled_from(SEEDS))))
    for _ in range(draw(st.integers(1, 4))):
        target = value
        makers = value.get("maker_orders")
        entries = [e for e in makers if isinstance(e, dict)] if isinstance(makers, list) else []
        if draw(st.booleans()) and entries:
            target = draw(st.sampled_from(entries))
        key = draw(st.sampled_from(FIELDS))
        if draw(st.integers(0, 4)) == 0:
            target.pop(key, None)
        else:
            target[key] = draw(json_values)
    return value


def only_malformed(frame: str | bytes) -> None:
    try:
        result = decode_user_frame(frame, ME, order_ids={"0x5b6"})
    except MalformedFrameError:
        return
    for error in result.errors:
        assert isinstance(error, MalformedFrameError)
    for event in result:
        assert isinstance(event, VenueOrderUpdate | Fill | Pong | NoNewAssets | InvalidOperation)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(json_values, mutated_samples(), st.lists(mutated_samples(), max_size=3)))
def test_random_json_only_ever_raises_malformed(value: Any) -> None:
    only_malformed(json.dumps(value))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64) | st.text(max_size=64))
def test_random_bytes_and_text_only_ever_raise_malformed(raw: bytes | str) -> None:
    only_malformed(raw)


@pytest.mark.parametrize("depth", [999, 1_000, 5_000, 100_000])
def test_deep_nesting_is_malformed(depth: int) -> None:
    for frame in (
        "[" * depth + "]" * depth,
        '{"event_type":"trade","id":"1","maker_orders":' + "[" * depth + "]" * depth + "}",
        '{"id":"1","type":"TRADE","x":' + '{"a":' * depth + "1" + "}" * depth + "}",
    ):
        with pytest.raises(MalformedFrameError):
            decode_user_frame(frame, ME)
