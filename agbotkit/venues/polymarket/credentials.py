"""Polymarket secrets: API credentials and the private key, from the environment or from
files only their owner can read; never from the stack file itself.

A secret is held in a value whose ``repr`` and ``str`` show ``<redacted>``, so that no log
line, error message or traceback can print it by accident; code that needs the value asks
for it explicitly (:meth:`Secret.reveal`). Every error here names the variable or file and
never the secret.

File formats:

* credentials: the JSON object the venue answers when it creates or derives a key,
  ``{"apiKey": "...", "secret": "...", "passphrase": "..."}``;
* private key: 32 bytes in hex, with or without ``0x`` (surrounding whitespace ignored).

A file is refused when its POSIX permission bits let its group or others read or write it
(fix: ``chmod 600 FILE``).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

import attrs

from agbotkit.errors import CredentialsError

__all__ = [
    "API_KEY_ENV",
    "API_PASSPHRASE_ENV",
    "API_SECRET_ENV",
    "PRIVATE_KEY_ENV",
    "ApiCredentials",
    "Secret",
    "check_private_file",
    "load_api_credentials",
    "load_private_key",
    "write_credentials",
]

LOGGER = logging.getLogger(__name__)

#: The environment variables read when no file is named.
API_KEY_ENV = "POLYMARKET_API_KEY"
API_SECRET_ENV = "POLYMARKET_API_SECRET"
API_PASSPHRASE_ENV = "POLYMARKET_API_PASSPHRASE"
PRIVATE_KEY_ENV = "POLYMARKET_PRIVATE_KEY"

_REDACTED = "<redacted>"


@attrs.frozen(repr=False)
class Secret:
    """A secret string that never shows itself in ``repr``, ``str`` or a format."""

    _value: str = attrs.field(alias="value")

    def reveal(self) -> str:
        """The secret itself: pass it on, never log or print it."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({_REDACTED})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)


def _secret(value: str | Secret) -> Secret:
    return value if isinstance(value, Secret) else Secret(value)


@attrs.frozen(repr=False)
class ApiCredentials:
    """The L2 API credentials of one Polymarket account.

    Attributes:
        api_key: the key's id (a UUID); it is sent as the orders' ``owner`` and is not
            secret, but ``repr`` shows only its first characters.
        secret: the URL-safe base64 HMAC secret.
        passphrase: the passphrase sent with every private request.
    """

    api_key: str
    secret: Secret = attrs.field(converter=_secret)
    passphrase: Secret = attrs.field(converter=_secret)

    def __repr__(self) -> str:
        return (
            f"ApiCredentials(api_key={self.api_key[:8] + '…'!r}, "
            f"secret={_REDACTED}, passphrase={_REDACTED})"
        )

    __str__ = __repr__

    def to_json(self) -> bytes:
        """The credentials in the venue's own JSON shape (the credentials file format)."""
        document = {
            "apiKey": self.api_key,
            "secret": self.secret.reveal(),
            "passphrase": self.passphrase.reveal(),
        }
        return json.dumps(document, indent=2).encode() + b"\n"


def check_private_file(path: str | os.PathLike[str]) -> None:
    """Refuse a secrets file that is missing or that its group or others may access.

    Raises:
        CredentialsError: naming the file, its mode and the fix (``chmod 600``).
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise CredentialsError(
            f"cannot read secrets file {os.fspath(path)}: {exc.strerror}"
        ) from None
    if not stat.S_ISREG(mode):
        raise CredentialsError(f"secrets file {os.fspath(path)} is not a regular file")
    bits = stat.S_IMODE(mode)
    if bits & 0o077:
        raise CredentialsError(
            f"secrets file {os.fspath(path)} has mode {bits:04o}: its group or others may read "
            f"or change it; refusing to use it (run: chmod 600 {os.fspath(path)})"
        )


def _read_private_file(path: str | os.PathLike[str]) -> str:
    check_private_file(path)
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        # The exception text of a decode error quotes bytes of the file: leave it out.
        raise CredentialsError(
            f"cannot read secrets file {os.fspath(path)}: {type(exc).__name__}"
        ) from None


def load_api_credentials(
    file: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> ApiCredentials:
    """The API credentials from ``file`` when one is named, else from the environment
    (``POLYMARKET_API_KEY``, ``POLYMARKET_API_SECRET``, ``POLYMARKET_API_PASSPHRASE``).

    Raises:
        CredentialsError: the file is unsafe, unreadable or malformed, or a variable is
            missing.
    """
    if file is not None:
        text = _read_private_file(file)
        where = f"credentials file {os.fspath(file)}"
        try:
            document = json.loads(text)
        except ValueError:
            raise CredentialsError(f"{where} is not JSON") from None
        if not isinstance(document, dict):
            raise CredentialsError(f"{where} must hold a JSON object")
        fields = {}
        for name in ("apiKey", "secret", "passphrase"):
            value = document.get(name)
            if not isinstance(value, str) or not value:
                raise CredentialsError(f"{where} has no {name!r} string")
            fields[name] = value
        return ApiCredentials(fields["apiKey"], fields["secret"], fields["passphrase"])
    env = os.environ if environ is None else environ
    values = []
    for name in (API_KEY_ENV, API_SECRET_ENV, API_PASSPHRASE_ENV):
        value = env.get(name, "").strip()
        if not value:
            raise CredentialsError(
                f"no API credentials: set {name} (and the other POLYMARKET_API_* variables) "
                "or name a credentials file in the stack"
            )
        values.append(value)
    return ApiCredentials(values[0], values[1], values[2])


def load_private_key(
    file: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> Secret:
    """The wallet's private key from ``file`` when one is named, else from
    ``POLYMARKET_PRIVATE_KEY``, as 64 lowercase hex digits without ``0x``.

    Raises:
        CredentialsError: the file is unsafe or unreadable, the variable is missing, or the
            value is not 32 bytes of hex.
    """
    if file is not None:
        raw, where = _read_private_file(file), f"private key file {os.fspath(file)}"
    else:
        env = os.environ if environ is None else environ
        raw, where = env.get(PRIVATE_KEY_ENV, ""), f"environment variable {PRIVATE_KEY_ENV}"
        if not raw.strip():
            raise CredentialsError(
                f"no private key: set {PRIVATE_KEY_ENV} or name a key file in the stack"
            )
    text = raw.strip()
    if text[:2] in ("0x", "0X"):
        text = text[2:]
    if len(text) != 64:
        raise CredentialsError(f"{where}: a private key is 64 hex digits, got {len(text)}")
    try:
        bytes.fromhex(text)
    except ValueError:
        raise CredentialsError(f"{where}: the private key is not hex") from None
    return Secret(text.lower())


def write_credentials(
    path: str | os.PathLike[str], credentials: ApiCredentials, *, overwrite: bool = False
) -> Path:
    """Write ``credentials`` to ``path``, readable and writable by its owner only (0600).

    The file appears whole or not at all: the JSON goes to a temporary file created with
    mode 0600 in the same folder, is flushed to disk, then moved into place (refused when
    ``path`` exists, unless ``overwrite``).

    Raises:
        CredentialsError: ``path`` exists (without ``overwrite``) or cannot be written.
    """
    target = Path(path)
    temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        # O_EXCL: never write into a file someone else made (or linked) there first.
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(fd, 0o600)  # the umask may only have removed bits; be exact anyway
            os.write(fd, credentials.to_json())
            os.fsync(fd)
        finally:
            os.close(fd)
        if overwrite:
            os.replace(temp, target)
        else:
            try:
                os.link(temp, target)  # fails if the target exists, atomically
            except FileExistsError:
                raise CredentialsError(
                    f"{target} exists: not overwriting credentials (move it away first)"
                ) from None
    except OSError as exc:
        raise CredentialsError(f"cannot write credentials to {target}: {exc.strerror}") from None
    finally:
        temp.unlink(missing_ok=True)
    LOGGER.info("wrote API credentials %r to %s (mode 0600)", credentials, target)
    return target
