"""The arguments of ``agbotkit keys``."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["add_keys_parser"]


def add_keys_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``keys`` and its action (derive)."""
    keys = commands.add_parser(
        "keys", help="API credentials of a stack's Polymarket wallet (never printed)"
    )
    actions = keys.add_subparsers(dest="keys_action", required=True, metavar="ACTION")
    derive = actions.add_parser(
        "derive", help="create or derive the credentials and write them to an owner-only file"
    )
    derive.add_argument("--stack", required=True, help="the stack file (YAML)")
    derive.add_argument("--venue", help="the polymarket venue, when the stack has several")
    derive.add_argument("--out", type=Path, help="the file (default: its credentials_file)")
    derive.add_argument("--nonce", type=int, default=0, help="the key nonce (default 0)")
    derive.add_argument("--force", action="store_true", help="replace an existing file")
