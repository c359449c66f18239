"""The bus topics components share. Components talk only through these."""

from __future__ import annotations

from typing import Any

from agbotkit.bus.topic import Topic
from agbotkit.model.components import ComponentStateChanged
from agbotkit.model.execution import CancelRequest, OrderStatusChanged
from agbotkit.model.feeds import BookTop, FeedStatusChanged, RawFrame, SubscriptionChange
from agbotkit.model.markets import MarketInfo
from agbotkit.model.metrics import Metric
from agbotkit.model.orders import Fill, OrderIntent, OrderOutcome
from agbotkit.model.positions import PositionSnapshot
from agbotkit.model.risk import KillSwitchChanged, KillSwitchCommand, OrderDecision, RiskLimits

__all__ = [
    "BOOKS",
    "CANCEL_REQUESTS",
    "COMPONENT_STATES",
    "FEED_STATUS",
    "FILLS",
    "MARKETS",
    "MARKET_DATA",
    "METRICS",
    "ORDER_DECISIONS",
    "ORDER_INTENTS",
    "ORDER_OUTCOMES",
    "ORDER_UPDATES",
    "POSITIONS",
    "RAW_FRAMES",
    "RISK_COMMANDS",
    "RISK_LIMITS",
    "RISK_STATE",
    "SUBSCRIPTIONS",
]

METRICS: Topic[Metric] = Topic("metrics", "every metric sample of this process")
COMPONENT_STATES: Topic[ComponentStateChanged] = Topic(
    "component_states", "component lifecycle changes, from the supervisor"
)
MARKET_DATA: Topic[Any] = Topic(
    "market_data",
    "wire events as domain values: BookSnapshot, BookDelta, Trade, TickSizeChanged, "
    "BestBidAsk, NewMarket, MarketResolved, ReferencePrice, ReferencePriceSnapshot",
)
BOOKS: Topic[BookTop] = Topic("books", "a token's top of book after every book change")
MARKETS: Topic[MarketInfo] = Topic(
    "markets", "market metadata (retained: late subscribers get the latest per market)"
)
FEED_STATUS: Topic[FeedStatusChanged] = Topic("feed_status", "market-data sockets up and down")
RAW_FRAMES: Topic[RawFrame] = Topic(
    "raw_frames", "every market-data frame as received (only built when someone subscribes)"
)
SUBSCRIPTIONS: Topic[SubscriptionChange] = Topic(
    "subscriptions", "requests to add or remove CLOB tokens while running"
)

# -- orders and risk ---------------------------------------------------------------------------

ORDER_INTENTS: Topic[OrderIntent] = Topic(
    "order_intents", "orders strategies want, for the risk component (publish with await)"
)
ORDER_DECISIONS: Topic[OrderDecision] = Topic(
    "order_decisions", "OrderApproved or OrderDenied for every order intent (lossless)"
)
FILLS: Topic[Fill] = Topic("fills", "our orders' fills, from the venue (lossless)")
ORDER_OUTCOMES: Topic[OrderOutcome] = Topic(
    "order_outcomes",
    "the venue's answer to each order sent (OrderAccepted or OrderRejected), from the "
    "execution component (lossless)",
)
ORDER_UPDATES: Topic[OrderStatusChanged] = Topic(
    "order_updates",
    "every status change of every order the execution component owns (lossless)",
)
CANCEL_REQUESTS: Topic[CancelRequest] = Topic(
    "cancel_requests", "CancelOrder and CancelAll requests for the execution component"
)
POSITIONS: Topic[PositionSnapshot] = Topic(
    "positions",
    "a risk component's position in a token after each fill and every metrics interval "
    "(published without waiting: a full 'block' subscriber misses a snapshot)",
)
RISK_COMMANDS: Topic[KillSwitchCommand] = Topic(
    "risk_commands", "kill switch trigger and reset requests (dashboard, scripts)"
)
RISK_STATE: Topic[KillSwitchChanged] = Topic(
    "risk_state", "each risk component's kill switch state (retained, keyed by component)"
)
RISK_LIMITS: Topic[RiskLimits] = Topic(
    "risk_limits", "each risk component's policies in force (retained, keyed by component)"
)
