"""L1 authentication: the EIP-712 ``ClobAuth`` signature and the four headers."""

from __future__ import annotations

from agbotkit.venues.polymarket.keys import SigningKey, recover_address
from agbotkit.venues.polymarket.l1 import clob_auth_digest, l1_headers, sign_clob_auth

# Hardhat's well-known test key #0 (public, never a real wallet).
KEY = SigningKey("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")

# The reference client's vector: Amoy (80002), timestamp 10000000, nonce 23.
VECTOR = (
    "0xf62319a987514da40e57e2f4d7529f7bac38f0355bd88bb5adbb3768d80de6c1"
    "682518e0af677d5260366425f4361e7b70c25ae232aff0ab2331e2b164a1aedc1b"
)


def test_clob_auth_signature_matches_the_reference_vector() -> None:
    assert sign_clob_auth(KEY, 10_000_000, 23, chain_id=80002) == VECTOR


def test_the_signature_recovers_the_wallet_over_the_digest() -> None:
    digest = clob_auth_digest(KEY.address, 10_000_000, 23, 80002)
    assert recover_address(digest, bytes.fromhex(VECTOR[2:])) == KEY.address


def test_the_digest_depends_on_every_field() -> None:
    base = clob_auth_digest(KEY.address, 10_000_000, 23, 80002)
    assert clob_auth_digest(KEY.address, 10_000_001, 23, 80002) != base
    assert clob_auth_digest(KEY.address, 10_000_000, 24, 80002) != base
    assert clob_auth_digest(KEY.address, 10_000_000, 23, 137) != base
    assert clob_auth_digest("0x" + "11" * 20, 10_000_000, 23, 80002) != base


def test_l1_headers_carry_address_signature_seconds_and_nonce() -> None:
    headers = l1_headers(KEY, 10_000_000, 23, chain_id=80002)
    assert headers == {
        "POLY_ADDRESS": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
        "POLY_SIGNATURE": VECTOR,
        "POLY_TIMESTAMP": "10000000",
        "POLY_NONCE": "23",
    }


def test_l1_headers_default_to_polygon_and_nonce_zero() -> None:
    headers = l1_headers(KEY, 1_700_000_000)
    assert headers["POLY_NONCE"] == "0"
    digest = clob_auth_digest(KEY.address, 1_700_000_000, 0, 137)
    signature = bytes.fromhex(headers["POLY_SIGNATURE"][2:])
    assert len(signature) == 65
    assert signature[64] in (27, 28)
    assert recover_address(digest, signature) == KEY.address
