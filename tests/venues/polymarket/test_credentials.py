"""Secrets: loaded from the environment or from owner-only files, never shown, written 0600."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest

from agbotkit.errors import CredentialsError
from agbotkit.venues.polymarket.credentials import (
    ApiCredentials,
    Secret,
    load_api_credentials,
    load_private_key,
    write_credentials,
)

API_KEY = "3e2c94ca-8124-c4c1-c7ea-be1ea21b71fe"
SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I="
PASSPHRASE = "passphrase-0123456789abcdef"
KEY = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
ENV = {
    "POLYMARKET_API_KEY": API_KEY,
    "POLYMARKET_API_SECRET": SECRET,
    "POLYMARKET_API_PASSPHRASE": PASSPHRASE,
    "POLYMARKET_PRIVATE_KEY": "0x" + KEY,
}


def private_file(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def assert_no_secret(text: str) -> None:
    for secret in (SECRET, PASSPHRASE, KEY):
        assert secret not in text


def test_credentials_from_the_environment() -> None:
    creds = load_api_credentials(environ=ENV)
    assert creds.api_key == API_KEY
    assert creds.secret.reveal() == SECRET
    assert creds.passphrase.reveal() == PASSPHRASE


@pytest.mark.parametrize("missing", ["POLYMARKET_API_SECRET", "POLYMARKET_API_PASSPHRASE"])
def test_missing_variable_is_named(missing: str) -> None:
    env = {k: v for k, v in ENV.items() if k != missing}
    with pytest.raises(CredentialsError, match=missing) as caught:
        load_api_credentials(environ=env)
    assert_no_secret(str(caught.value))


def test_credentials_from_a_private_file(tmp_path: Path) -> None:
    document = {"apiKey": API_KEY, "secret": SECRET, "passphrase": PASSPHRASE}
    path = private_file(tmp_path / "creds.json", json.dumps(document))
    creds = load_api_credentials(path, environ={})
    assert (creds.api_key, creds.secret.reveal(), creds.passphrase.reveal()) == (
        API_KEY,
        SECRET,
        PASSPHRASE,
    )


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o606])
def test_file_others_may_access_is_refused_with_its_mode(tmp_path: Path, mode: int) -> None:
    document = {"apiKey": API_KEY, "secret": SECRET, "passphrase": PASSPHRASE}
    path = private_file(tmp_path / "creds.json", json.dumps(document), mode)
    with pytest.raises(CredentialsError) as caught:
        load_api_credentials(path)
    message = str(caught.value)
    assert str(path) in message
    assert f"mode {mode:04o}" in message
    assert f"chmod 600 {path}" in message
    assert_no_secret(message)


def test_private_key_file_is_checked_too(tmp_path: Path) -> None:
    path = private_file(tmp_path / "key", KEY + "\n", 0o644)
    with pytest.raises(CredentialsError, match=r"mode 0644.*chmod 600"):
        load_private_key(path)
    path.chmod(0o400)
    assert load_private_key(path).reveal() == KEY


@pytest.mark.parametrize("text", [KEY, "0x" + KEY, " 0X" + KEY.upper() + "\n"])
def test_private_key_with_or_without_0x(text: str, tmp_path: Path) -> None:
    assert load_private_key(environ={"POLYMARKET_PRIVATE_KEY": text}).reveal() == KEY
    path = private_file(tmp_path / "key", text)
    assert load_private_key(path).reveal() == KEY


@pytest.mark.parametrize(
    ("text", "reason"), [(KEY[:-2], "64 hex digits, got 62"), ("zz" + KEY[2:], "not hex")]
)
def test_malformed_private_key_is_refused_without_quoting_it(text: str, reason: str) -> None:
    with pytest.raises(CredentialsError, match=reason) as caught:
        load_private_key(environ={"POLYMARKET_PRIVATE_KEY": text})
    assert KEY[2:-2] not in str(caught.value)


def test_missing_private_key_is_named() -> None:
    with pytest.raises(CredentialsError, match="POLYMARKET_PRIVATE_KEY"):
        load_private_key(environ={})


@pytest.mark.parametrize(
    "text", ["not json " + SECRET, "[]", json.dumps({"apiKey": API_KEY, "secret": SECRET})]
)
def test_malformed_credentials_file_is_refused_without_quoting_it(
    text: str, tmp_path: Path
) -> None:
    path = private_file(tmp_path / "creds.json", text)
    with pytest.raises(CredentialsError, match=str(path)) as caught:
        load_api_credentials(path)
    assert_no_secret(str(caught.value))


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CredentialsError, match=r"cannot read secrets file .*nope"):
        load_api_credentials(tmp_path / "nope")


def test_secrets_never_show(caplog: pytest.LogCaptureFixture) -> None:
    creds = ApiCredentials(API_KEY, SECRET, PASSPHRASE)
    key = Secret(KEY)
    caplog.set_level(logging.DEBUG)
    logging.getLogger("test").info("creds %s %r key %s %r", creds, creds, key, key)
    shown = [repr(creds), str(creds), f"{creds}", repr(key), str(key), f"{key}", f"{key:>80}"]
    shown.append(caplog.text)
    shown.append(repr([creds, key]))
    for text in shown:
        assert_no_secret(text)
    assert "<redacted>" in repr(creds)
    assert "<redacted>" in repr(key)


def test_written_credentials_are_owner_only_and_load_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    creds = ApiCredentials(API_KEY, SECRET, PASSPHRASE)
    old_umask = os.umask(0)  # the most permissive umask: the 0600 must not come from it
    try:
        path = write_credentials(tmp_path / "creds.json", creds)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_api_credentials(path) == creds
    assert sorted(p.name for p in tmp_path.iterdir()) == ["creds.json"]  # no temp left
    assert str(path) in caplog.text
    assert_no_secret(caplog.text)


def test_writing_never_overwrites_unless_asked(tmp_path: Path) -> None:
    path = private_file(tmp_path / "creds.json", "old")
    creds = ApiCredentials(API_KEY, SECRET, PASSPHRASE)
    with pytest.raises(CredentialsError, match="exists") as caught:
        write_credentials(path, creds)
    assert_no_secret(str(caught.value))
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["creds.json"]
    write_credentials(path, creds, overwrite=True)
    assert load_api_credentials(path) == creds
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
