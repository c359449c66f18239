"""Transitional: the market-data values now live in :mod:`agbotkit.model.books`,
:mod:`agbotkit.model.markets`, :mod:`agbotkit.model.prices` and :mod:`agbotkit.model.feeds`.

This module only keeps the old import path working for code written against it on branches
not merged yet (the risk desk's); import from the modules above, and delete this module
once nothing imports it.
"""

from __future__ import annotations

from agbotkit.model.books import BestBidAsk as BestBidAsk
from agbotkit.model.books import BookDelta as BookDelta
from agbotkit.model.books import BookSnapshot as BookSnapshot
from agbotkit.model.books import LevelChange as LevelChange
from agbotkit.model.books import PriceLevel as PriceLevel
from agbotkit.model.books import Side as Side
from agbotkit.model.books import TickSizeChanged as TickSizeChanged
from agbotkit.model.feeds import ClobEvent as ClobEvent
from agbotkit.model.feeds import InvalidOperation as InvalidOperation
from agbotkit.model.feeds import NoNewAssets as NoNewAssets
from agbotkit.model.feeds import Pong as Pong
from agbotkit.model.feeds import RtdsEvent as RtdsEvent
from agbotkit.model.feeds import ServerError as ServerError
from agbotkit.model.markets import MarketInfo as MarketInfo
from agbotkit.model.markets import MarketResolved as MarketResolved
from agbotkit.model.markets import NewMarket as NewMarket
from agbotkit.model.markets import Trade as Trade
from agbotkit.model.prices import PricePoint as PricePoint
from agbotkit.model.prices import ReferencePrice as ReferencePrice
from agbotkit.model.prices import ReferencePriceSnapshot as ReferencePriceSnapshot
