"""A lease's name -> the 64-bit key of its PostgreSQL advisory lock.

The key is the first 8 bytes of SHA-256 over ``"agbotkit-lease:" + name`` (UTF-8), read
big-endian as a signed integer (PostgreSQL's ``bigint``). Every process, on any machine or
Python version, derives the same key from the same name; the prefix keeps agbotkit's keys
apart from other advisory locks an application may take on the same database.
"""

from __future__ import annotations

import hashlib

__all__ = ["lease_key", "lock_ids"]

_PREFIX = b"agbotkit-lease:"


def lease_key(name: str) -> int:
    """The advisory lock key of the lease called ``name``."""
    digest = hashlib.sha256(_PREFIX + name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_ids(key: int) -> tuple[int, int]:
    """How ``pg_locks`` shows a one-bigint advisory lock: (``classid``, ``objid``), the high
    and low 32 bits of the key as unsigned numbers (``objsubid`` is 1)."""
    unsigned = key & 0xFFFF_FFFF_FFFF_FFFF
    return unsigned >> 32, unsigned & 0xFFFF_FFFF
