"""Incremental signals for strategies (pure, O(1) per update): technical (:class:`EMA`,
:class:`RSI`, :class:`Bollinger`), microstructure (:class:`BookImbalance`,
:class:`Microprice`, :class:`Spread`, :class:`TradeFlow`) and :class:`Composite`.

Each has ``update(...)``, ``value`` (NaN until the first useful update) and ``ready``.
"""

from agbotkit.strategies.signals.composite import Composite as Composite
from agbotkit.strategies.signals.composite import Signal as Signal
from agbotkit.strategies.signals.microstructure import BookImbalance as BookImbalance
from agbotkit.strategies.signals.microstructure import Microprice as Microprice
from agbotkit.strategies.signals.microstructure import Spread as Spread
from agbotkit.strategies.signals.microstructure import TradeFlow as TradeFlow
from agbotkit.strategies.signals.technical import EMA as EMA
from agbotkit.strategies.signals.technical import RSI as RSI
from agbotkit.strategies.signals.technical import Bollinger as Bollinger

__all__ = [
    "EMA",
    "RSI",
    "Bollinger",
    "BookImbalance",
    "Composite",
    "Microprice",
    "Signal",
    "Spread",
    "TradeFlow",
]
