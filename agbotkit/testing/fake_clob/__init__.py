"""A strict fake of Polymarket's CLOB for tests and offline demos: REST and user channel.

:class:`FakeClob` serves the CLOB's REST endpoints and its user-channel WebSocket on
127.0.0.1. It checks what the venue checks (L1 and L2 authentication, every order's
EIP-712 signature, tick size, minimum size, amounts), keeps its own books and matches
orders against them, reports orders and trades on the user channel with the venue's field
names and its ``MATCHED -> MINED -> CONFIRMED`` sequence, and can be told to misbehave
(:class:`Faults`). :class:`FakeAccount` is an API key it accepts.

The parts: :mod:`.book` (the matching book, pure), :mod:`.verify` (order checks, pure),
:mod:`.exchange` (orders, trades and events, pure), :mod:`.accounts`, :mod:`.faults`,
:mod:`.http` (a small HTTP/1.1 server), :mod:`.routes` (the REST endpoints) and
:mod:`.server` (:class:`FakeClob`).
"""

from agbotkit.testing.fake_clob.accounts import FakeAccount as FakeAccount
from agbotkit.testing.fake_clob.faults import Faults as Faults
from agbotkit.testing.fake_clob.server import FakeClob as FakeClob

__all__ = ["FakeAccount", "FakeClob", "Faults"]
