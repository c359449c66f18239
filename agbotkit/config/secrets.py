"""Secrets (access tokens, API credentials): read from the environment or a file, never
from a stack file, and never put into an error message or a log."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from agbotkit.errors import ConfigError, ConfigIssue

__all__ = ["read_secret"]


def read_secret(
    *,
    env_var: str | None,
    file: Path | None,
    field_path: str,
    env_field: str = "token_env",
    file_field: str = "token_file",
    environ: Mapping[str, str] | None = None,
) -> str | None:
    """The secret held by the environment variable ``env_var``, else by ``file``.

    Surrounding whitespace is ignored. Returns ``None`` when neither is named.

    Args:
        env_var: the name of the environment variable (the option ``env_field``).
        file: the file holding the secret (the option ``file_field``).
        field_path: where those options are, e.g. ``components.dashboard``, for errors.
        env_field: the option naming the variable.
        file_field: the option naming the file.
        environ: the environment (``os.environ`` by default).

    Raises:
        ConfigError: the variable is unset or empty, or the file is unreadable or empty.
    """
    environ = os.environ if environ is None else environ
    if env_var is not None:
        secret = environ.get(env_var, "").strip()
        if not secret:
            raise ConfigError(
                [
                    ConfigIssue(
                        "<environment>",
                        None,
                        f"{field_path}.{env_field}",
                        f"environment variable {env_var!r} is not set or empty",
                    )
                ]
            )
        return secret
    if file is None:
        return None
    try:
        # A few bytes, once at start: not worth a worker thread.
        secret = file.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise ConfigError(
            [
                ConfigIssue(
                    str(file),
                    None,
                    f"{field_path}.{file_field}",
                    f"cannot read the secret: {reason}",
                )
            ]
        ) from None
    if not secret:
        raise ConfigError(
            [ConfigIssue(str(file), None, f"{field_path}.{file_field}", "the file is empty")]
        )
    return secret
