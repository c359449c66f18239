"""``fake_clob``: the fake CLOB as a stack component, its books mirroring the stack's own.

For offline demos of the ``polymarket`` venue: point the venue's ``clob_url`` and
``user_ws_url`` at this component's ports and real signed orders flow, checked like the
real CLOB checks them, with no money anywhere. The books follow ``BOOKS`` (what the market
data, or a replay, shows); orders placed through the fake stay on them. It accepts one
account: the wallet of ``POLYMARKET_PRIVATE_KEY`` with the ``POLYMARKET_API_*`` credentials.
"""

from __future__ import annotations

import attrs
import trio

from agbotkit.abc import Component
from agbotkit.bus.topic import Overflow
from agbotkit.config.checks import at_least, between
from agbotkit.model.feeds import BookTop
from agbotkit.testing.fake_clob.accounts import FakeAccount
from agbotkit.testing.fake_clob.server import FakeClob
from agbotkit.topics import BOOKS
from agbotkit.venues.polymarket.credentials import load_api_credentials, load_private_key
from agbotkit.venues.polymarket.keys import SigningKey

__all__ = ["FakeClobComponent", "FakeClobOptions"]


@attrs.frozen(kw_only=True)
class FakeClobOptions:
    """Options of ``fake_clob``.

    Attributes:
        port: the REST port on 127.0.0.1.
        ws_port: the user channel's port on 127.0.0.1.
        settle_after_s: each trade moves on (``MINED``, ``CONFIRMED``) this often.
        tick_size: the tick of every token.
        heartbeat_timeout_s: cancel every open order when no heartbeat came for this long,
            as Polymarket does (``None``: no dead-man switch).
    """

    port: int = attrs.field(default=18731, validator=between(1, 65535))
    ws_port: int = attrs.field(default=18732, validator=between(1, 65535))
    settle_after_s: float = attrs.field(default=2.0, validator=at_least(0))
    tick_size: str = "0.01"
    heartbeat_timeout_s: float | None = attrs.field(default=None, validator=at_least(1))


class FakeClobComponent(Component[FakeClobOptions]):
    """The fake CLOB in a stack; see the module docstring."""

    Config = FakeClobOptions

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        config = self.config
        key = SigningKey(load_private_key().reveal())
        account = FakeAccount.of(key.address, load_api_credentials())
        fake = FakeClob(
            accounts=[account],
            port=config.port,
            ws_port=config.ws_port,
            settle_after_s=config.settle_after_s or None,
            heartbeat_timeout_s=config.heartbeat_timeout_s,
        )
        bus = self.context.bus
        with bus.subscribe(BOOKS, buffer=10_000, overflow=Overflow.DROP_OLDEST) as books:
            async with trio.open_nursery() as nursery:
                await nursery.start(fake.run)
                self.context.logger.info("fake CLOB on %s and %s", fake.url, fake.ws_url)
                task_status.started()
                async for top in books:
                    self._mirror(fake, top)

    def _mirror(self, fake: FakeClob, top: BookTop) -> None:
        if not top.valid:
            return
        fake.set_book(
            top.asset_id,
            bids=[(level.price, level.size) for level in top.bids],
            asks=[(level.price, level.size) for level in top.asks],
            market=top.market,
            tick_size=self.config.tick_size,
        )
