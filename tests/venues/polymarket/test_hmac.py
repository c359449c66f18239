"""The L2 request signature (PROTOCOL 3.3): the published vector, path and body rules."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from agbotkit.errors import CredentialsError
from agbotkit.venues.polymarket.credentials import ApiCredentials
from agbotkit.venues.polymarket.hmac import l2_headers, l2_signature

SECRET = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
#: Another secret whose raw bytes include 0xfb/0xff, so its base64 has '-' and '_'.
URLSAFE_SECRET = base64.urlsafe_b64encode(bytes([0xFB, 0xFF] * 16)).decode()


def test_published_vector_is_reproduced_byte_for_byte() -> None:
    signature = l2_signature(SECRET, 1000000, "test-sign", "/orders", '{"hash": "0x123"}')
    assert signature == "ZwAdJKvoYRlEKDkNMwd5BuwNNtg93kNaR_oU2HrfVvc="


def test_body_bytes_and_str_sign_the_same() -> None:
    as_str = l2_signature(SECRET, 1000000, "test-sign", "/orders", '{"hash": "0x123"}')
    as_bytes = l2_signature(SECRET, 1000000, "test-sign", "/orders", b'{"hash": "0x123"}')
    assert as_bytes == as_str


def test_query_string_is_not_signed() -> None:
    bare = l2_signature(SECRET, 1700000000, "GET", "/data/orders")
    with_query = l2_signature(
        SECRET, 1700000000, "GET", "/data/orders?market=0xab&next_cursor=MA=="
    )
    assert with_query == bare


def test_empty_body_is_left_out_of_the_message() -> None:
    expected = base64.urlsafe_b64encode(
        hmac.new(bytes(32), b"1700000000DELETE/cancel-all", hashlib.sha256).digest()
    ).decode()
    assert l2_signature(SECRET, 1700000000, "DELETE", "/cancel-all") == expected
    assert l2_signature(SECRET, "1700000000", "DELETE", "/cancel-all", b"") == expected


def test_signature_depends_on_every_part() -> None:
    base = ("1700000000", "POST", "/order", b'{"a":1}')
    reference = l2_signature(SECRET, *base)
    for changed in (
        ("1700000001", "POST", "/order", b'{"a":1}'),
        ("1700000000", "DELETE", "/order", b'{"a":1}'),
        ("1700000000", "POST", "/orders", b'{"a":1}'),
        ("1700000000", "POST", "/order", b'{"a": 1}'),  # one space changes it: bytes matter
    ):
        assert l2_signature(SECRET, *changed) != reference
    assert l2_signature(URLSAFE_SECRET, *base) != reference


def test_urlsafe_alphabet_and_padding() -> None:
    assert "-" in URLSAFE_SECRET or "_" in URLSAFE_SECRET
    signatures = {l2_signature(URLSAFE_SECRET, ts, "GET", "/time") for ts in range(40)}
    assert all(len(s) == 44 and s.endswith("=") for s in signatures)
    assert not any("+" in s or "/" in s for s in signatures)
    assert any("-" in s or "_" in s for s in signatures)


def test_headers() -> None:
    creds = ApiCredentials("key-uuid", SECRET, "pass-phrase")
    headers = l2_headers("0xf39F", creds, 1000000, "test-sign", "/orders", b'{"hash": "0x123"}')
    assert headers == {
        "POLY_ADDRESS": "0xf39F",
        "POLY_SIGNATURE": "ZwAdJKvoYRlEKDkNMwd5BuwNNtg93kNaR_oU2HrfVvc=",
        "POLY_TIMESTAMP": "1000000",
        "POLY_API_KEY": "key-uuid",
        "POLY_PASSPHRASE": "pass-phrase",
    }


def test_bad_secret_is_an_error_that_does_not_quote_it() -> None:
    with pytest.raises(CredentialsError, match="not URL-safe base64") as caught:
        l2_signature("s3cr3t-not-base64", 1, "GET", "/time")
    assert "s3cr3t" not in str(caught.value)
