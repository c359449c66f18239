"""The wallet's key: its address, keccak-256, signatures, recovery, and never a secret shown."""

from __future__ import annotations

import copy
import pickle

import pytest

from agbotkit.errors import CredentialsError, SigningError
from agbotkit.venues.polymarket import eip712
from agbotkit.venues.polymarket.keys import SigningKey, checksum_address, recover_address
from agbotkit.venues.polymarket.orders import ORDER_TYPE_STRING

from .vectors import HARDHAT_0, HARDHAT_0_ADDRESS, KEY, V2_VECTORS, signer_for

# --- keys -----------------------------------------------------------------------------------


def test_hardhat_key_zero_has_its_well_known_address() -> None:
    assert KEY.address == HARDHAT_0_ADDRESS
    assert SigningKey(HARDHAT_0[2:].upper()).address == HARDHAT_0_ADDRESS


@pytest.mark.parametrize(
    "address",
    [
        # EIP-55's own examples.
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ],
)
def test_checksum_addresses_follow_eip_55(address: str) -> None:
    assert checksum_address(address.lower()) == address
    assert checksum_address(bytes.fromhex(address[2:])) == address


def test_keccak256_is_ethereums_keccak_not_sha3() -> None:
    assert eip712.keccak256(b"").hex() == (
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    )
    assert eip712.keccak256(ORDER_TYPE_STRING.encode()).hex() == (
        "bb86318a2138f5fa8ae32fbe8e659f8fcf13cc6ae4014a707893055433818589"
    )


def test_the_fast_keccak_path_agrees_with_the_public_api_across_block_boundaries() -> None:
    # keccak-256 absorbs 136-byte blocks: lengths around one and two blocks included.
    for length in [*range(140), 271, 272, 273, 384, 1000]:
        data = bytes((i * 7 + length) % 256 for i in range(length))
        assert eip712.keccak256(data) == eip712.keccak256_public(data), length


def test_the_key_never_shows_itself() -> None:
    shown = [
        repr(KEY),
        str(KEY),
        f"{KEY}",
        f"{KEY!r}",
        repr([KEY]),
        repr(signer_for(V2_VECTORS["d-buy-poly-proxy"][0])),
    ]
    secret = HARDHAT_0[2:]
    for text in shown:
        assert secret not in text.lower()
        assert secret[:16] not in text.lower()
    assert HARDHAT_0_ADDRESS in repr(KEY)


def test_the_key_cannot_be_pickled_or_copied() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(KEY)
    with pytest.raises(TypeError):
        copy.copy(KEY)


@pytest.mark.parametrize(
    "text",
    [
        HARDHAT_0[:-2] + "zz",  # not hex
        HARDHAT_0[:-2],  # too short
        HARDHAT_0 + "00",  # too long
        "0x" + "00" * 32,  # zero is not a key
        "0x" + "ff" * 32,  # above the curve's order
    ],
)
def test_a_bad_key_is_refused_without_being_quoted(text: str) -> None:
    with pytest.raises(CredentialsError) as caught:
        SigningKey(text)
    message = str(caught.value)
    assert text[2:20] not in message
    # No chained error (which could quote the text) travels with it.
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None


def test_recover_refuses_malformed_signatures() -> None:
    digest = bytes(32)
    signature = KEY.sign_digest(digest)
    assert recover_address(digest, signature) == HARDHAT_0_ADDRESS
    # v given as a bare recovery id (0/1) is accepted too.
    assert recover_address(digest, signature[:64] + bytes((signature[64] - 27,))) == (
        HARDHAT_0_ADDRESS
    )
    with pytest.raises(SigningError):
        recover_address(digest, signature[:64])
    with pytest.raises(SigningError, match="invalid v"):
        recover_address(digest, signature[:64] + b"\x05")
    with pytest.raises(SigningError):
        recover_address(digest, bytes(64) + b"\x1b")
    with pytest.raises(SigningError):
        KEY.sign_digest(b"short")
