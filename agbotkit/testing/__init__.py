"""Public helpers for testing stacks and plugins, gathered like ``trio.testing``.

Example::

    plan = plan_from_yaml(STACK_YAML, components={"my_kind": MyComponent})
    async with trio.open_nursery() as nursery:
        await nursery.start(Supervisor(plan).run)

* :func:`plan_from_yaml` and :class:`Supervisor`: run a stack of your classes in a test.
* :class:`ClobMarketServer` and :class:`RtdsServer`: loopback servers that speak
  Polymarket's CLOB market and RTDS protocols (no network needed).
* :class:`FakeClob` and :class:`FakeAccount`: a strict fake of Polymarket's CLOB (REST and
  user channel) that verifies signatures, matches orders and can be told to misbehave.
* :class:`ThrowawayPostgres`: a private PostgreSQL cluster on a free port, for storage tests.
* :class:`ScriptedExchange` and :class:`ScriptedVenue` (venue kind ``scripted``): an
  in-memory venue whose misbehaviour (lost answers, stalls, rejections) a test chooses.
* :func:`check_venue_contract`: drive a venue adapter through the whole venue contract.
* :class:`StrategyHarness` (with :class:`HarnessContext` and :class:`LevelsBook`): run a
  strategy in memory, feed it books, trades, fills and the clock, and read what it sent.
"""

from agbotkit.marketdata.replay.loopback.clob import ClobMarketServer as ClobMarketServer
from agbotkit.marketdata.replay.loopback.rtds import RtdsServer as RtdsServer
from agbotkit.supervisor.runner import Supervisor as Supervisor
from agbotkit.testing.fake_clob import FakeAccount as FakeAccount
from agbotkit.testing.fake_clob import FakeClob as FakeClob
from agbotkit.testing.harness_context import HarnessContext as HarnessContext
from agbotkit.testing.levels_book import LevelsBook as LevelsBook
from agbotkit.testing.postgres import ThrowawayPostgres as ThrowawayPostgres
from agbotkit.testing.stacks import plan_from_yaml as plan_from_yaml
from agbotkit.testing.strategy_harness import StrategyHarness as StrategyHarness
from agbotkit.testing.venue import ScriptedExchange as ScriptedExchange
from agbotkit.testing.venue import ScriptedVenue as ScriptedVenue
from agbotkit.testing.venue_contract import check_venue_contract as check_venue_contract

__all__ = [
    "ClobMarketServer",
    "FakeAccount",
    "FakeClob",
    "HarnessContext",
    "LevelsBook",
    "RtdsServer",
    "ScriptedExchange",
    "ScriptedVenue",
    "StrategyHarness",
    "Supervisor",
    "ThrowawayPostgres",
    "check_venue_contract",
    "plan_from_yaml",
]
