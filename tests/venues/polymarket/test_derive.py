"""``agbotkit keys derive``: credentials created (or derived) with an L1 signature the
server checks, written to an owner-only file, never printed."""

from __future__ import annotations

import stat
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from agbotkit.venues.polymarket.config import PolymarketConfig
from agbotkit.venues.polymarket.credentials import load_api_credentials
from agbotkit.venues.polymarket.derive import derive_and_write
from agbotkit.venues.polymarket.keys import recover_address
from agbotkit.venues.polymarket.l1 import clob_auth_digest

from .conftest import ADDRESS, Answer, FakeClobRest, Request, json_answer

HARDHAT_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
ISSUED = {"apiKey": "9e0a1b2c-key", "secret": "c2VjcmV0LXNlY3JldC1zZWNyZXQ=", "passphrase": "pp-1"}
RunCli = Callable[..., tuple[int, str, str]]


def l1_checked(answer: Answer) -> Callable[[Request], Answer]:
    """Answer ``answer`` only to a request whose ClobAuth signature recovers to its
    POLY_ADDRESS (as the CLOB checks it), else 401."""

    def check(request: Request) -> Answer:
        headers = request.headers
        digest = clob_auth_digest(
            headers["poly_address"], int(headers["poly_timestamp"]), int(headers["poly_nonce"])
        )
        signer = recover_address(digest, bytes.fromhex(headers["poly_signature"][2:]))
        if signer != headers["poly_address"]:
            return json_answer({"error": "Invalid L1 Request headers"}, 401)
        return answer

    return check


@pytest.fixture(autouse=True)
def private_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYMARKET_PRIVATE_KEY", HARDHAT_KEY)


async def test_credentials_are_created_and_written_for_the_owner_only(
    clob: FakeClobRest, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clob.routes[("POST", "/auth/api-key")] = l1_checked(json_answer(ISSUED))
    target = tmp_path / "creds.json"
    path, key = await derive_and_write(PolymarketConfig(clob_url=clob.url), target)
    assert (path, key) == (target, "9e0a1b2c")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    loaded = load_api_credentials(target)
    assert (loaded.api_key, loaded.secret.reveal(), loaded.passphrase.reveal()) == (
        ISSUED["apiKey"],
        ISSUED["secret"],
        ISSUED["passphrase"],
    )
    (request,) = clob.of("POST", "/auth/api-key")
    assert request.headers["poly_address"] == ADDRESS
    assert ISSUED["secret"] not in caplog.text


async def test_existing_credentials_are_derived_when_creating_is_refused(
    clob: FakeClobRest, tmp_path: Path
) -> None:
    clob.routes[("POST", "/auth/api-key")] = lambda _: json_answer({"error": "exists"}, 400)
    clob.routes[("GET", "/auth/derive-api-key")] = l1_checked(json_answer(ISSUED))
    config = PolymarketConfig(clob_url=clob.url, credentials_file=tmp_path / "c.json")
    path, _ = await derive_and_write(config, None)
    assert path == tmp_path / "c.json"
    assert len(clob.of("GET", "/auth/derive-api-key")) == 1


async def test_an_existing_file_is_kept_unless_forced(clob: FakeClobRest, tmp_path: Path) -> None:
    clob.routes[("POST", "/auth/api-key")] = l1_checked(json_answer(ISSUED))
    target = tmp_path / "c.json"
    target.write_text("{}")
    with pytest.raises(Exception, match="exists"):
        await derive_and_write(PolymarketConfig(clob_url=clob.url), target)
    await derive_and_write(PolymarketConfig(clob_url=clob.url), target, overwrite=True)
    assert load_api_credentials(target).api_key == ISSUED["apiKey"]


def test_the_command_needs_a_stack_with_one_polymarket_venue(
    run_cli: RunCli, tmp_path: Path
) -> None:
    stack = tmp_path / "stack.yaml"
    stack.write_text(
        textwrap.dedent("""
        components:
          execution:
            kind: execution
            venues: {paper: {kind: paper}}
        """)
    )
    code, out, err = run_cli("keys", "derive", "--stack", str(stack))
    assert code == 2
    assert "name one polymarket venue with --venue (found: none)" in err
    assert out == ""
