"""agbotkit: a Trio framework for running trading bots on Polymarket.

Everything a plugin author needs (the docs use these names) imports from here::

    from agbotkit import Component, ComponentContext, OrderIntent, Fill, ORDER_INTENTS

Each name also lives in the module that defines it (``agbotkit.abc.Component``); this
module only gathers them. The rest of agbotkit (components, the database library, the
dashboard) is reached through its own modules.
"""

from importlib import metadata as _metadata

# Plugin contracts
from agbotkit.abc import Component as Component
from agbotkit.abc import ComponentContext as ComponentContext
from agbotkit.abc import NoOptions as NoOptions
from agbotkit.abc import Problem as Problem
from agbotkit.abc import VenueAdapter as VenueAdapter
from agbotkit.abc import VenueContext as VenueContext

# The bus and the topics components share
from agbotkit.bus.bus import Bus as Bus
from agbotkit.bus.subscription import BusClosedError as BusClosedError
from agbotkit.bus.subscription import BusFullError as BusFullError
from agbotkit.bus.subscription import Subscription as Subscription
from agbotkit.bus.topic import Overflow as Overflow
from agbotkit.bus.topic import Topic as Topic

# Options and their checks
from agbotkit.config.checks import FieldValueError as FieldValueError
from agbotkit.config.checks import at_least as at_least
from agbotkit.config.checks import between as between
from agbotkit.config.checks import greater_than as greater_than
from agbotkit.config.checks import non_empty as non_empty
from agbotkit.config.checks import one_of as one_of

# Errors
from agbotkit.errors import AgbotkitError as AgbotkitError
from agbotkit.errors import CancelOnlyError as CancelOnlyError
from agbotkit.errors import ComponentFailedError as ComponentFailedError
from agbotkit.errors import ComponentStartError as ComponentStartError
from agbotkit.errors import ConfigError as ConfigError
from agbotkit.errors import ConfigIssue as ConfigIssue
from agbotkit.errors import CredentialsError as CredentialsError
from agbotkit.errors import FeedSilentError as FeedSilentError
from agbotkit.errors import ForcedStopError as ForcedStopError
from agbotkit.errors import GammaError as GammaError
from agbotkit.errors import InsufficientPositionError as InsufficientPositionError
from agbotkit.errors import MalformedFrameError as MalformedFrameError
from agbotkit.errors import OrderOutcomeUnknownError as OrderOutcomeUnknownError
from agbotkit.errors import OutOfOrderError as OutOfOrderError
from agbotkit.errors import PluginError as PluginError
from agbotkit.errors import RateLimitedError as RateLimitedError
from agbotkit.errors import RecordingError as RecordingError
from agbotkit.errors import RestartLimitError as RestartLimitError
from agbotkit.errors import SchemaVersionError as SchemaVersionError
from agbotkit.errors import SettledTokenError as SettledTokenError
from agbotkit.errors import ShutdownTimeoutError as ShutdownTimeoutError
from agbotkit.errors import SigningError as SigningError
from agbotkit.errors import StorageError as StorageError
from agbotkit.errors import StorageUnavailableError as StorageUnavailableError
from agbotkit.errors import TimeSeriesError as TimeSeriesError
from agbotkit.errors import TokenError as TokenError
from agbotkit.errors import VenueError as VenueError
from agbotkit.errors import WsClosed as WsClosed
from agbotkit.errors import WsError as WsError
from agbotkit.errors import WsHandshakeError as WsHandshakeError
from agbotkit.logs import WarningThrottle as WarningThrottle
from agbotkit.model.books import BestBidAsk as BestBidAsk
from agbotkit.model.books import BookDelta as BookDelta
from agbotkit.model.books import BookSnapshot as BookSnapshot
from agbotkit.model.books import LevelChange as LevelChange
from agbotkit.model.books import PriceLevel as PriceLevel
from agbotkit.model.books import Side as Side
from agbotkit.model.books import TickSizeChanged as TickSizeChanged

# Values that travel on the bus
from agbotkit.model.components import ComponentState as ComponentState
from agbotkit.model.components import ComponentStateChanged as ComponentStateChanged
from agbotkit.model.execution import CancelAll as CancelAll
from agbotkit.model.execution import CancelOrder as CancelOrder
from agbotkit.model.execution import CancelRequest as CancelRequest
from agbotkit.model.execution import OrderStatus as OrderStatus
from agbotkit.model.execution import OrderStatusChanged as OrderStatusChanged
from agbotkit.model.feeds import BookTop as BookTop
from agbotkit.model.feeds import FeedStatusChanged as FeedStatusChanged
from agbotkit.model.feeds import RawFrame as RawFrame
from agbotkit.model.feeds import SubscriptionChange as SubscriptionChange
from agbotkit.model.markets import MarketInfo as MarketInfo
from agbotkit.model.markets import MarketResolved as MarketResolved
from agbotkit.model.markets import NewMarket as NewMarket
from agbotkit.model.markets import Trade as Trade
from agbotkit.model.metrics import Metric as Metric
from agbotkit.model.metrics import MetricType as MetricType
from agbotkit.model.orders import Fill as Fill
from agbotkit.model.orders import Order as Order
from agbotkit.model.orders import OrderAccepted as OrderAccepted
from agbotkit.model.orders import OrderIntent as OrderIntent
from agbotkit.model.orders import OrderOutcome as OrderOutcome
from agbotkit.model.orders import OrderRejected as OrderRejected
from agbotkit.model.orders import OrderType as OrderType
from agbotkit.model.orders import TradeStatus as TradeStatus
from agbotkit.model.orders import new_client_order_id as new_client_order_id
from agbotkit.model.positions import Position as Position
from agbotkit.model.positions import PositionSnapshot as PositionSnapshot
from agbotkit.model.prices import ReferencePrice as ReferencePrice
from agbotkit.model.prices import ReferencePriceSnapshot as ReferencePriceSnapshot
from agbotkit.model.risk import KillState as KillState
from agbotkit.model.risk import KillSwitchChanged as KillSwitchChanged
from agbotkit.model.risk import KillSwitchCommand as KillSwitchCommand
from agbotkit.model.risk import OrderApproved as OrderApproved
from agbotkit.model.risk import OrderDecision as OrderDecision
from agbotkit.model.risk import OrderDenied as OrderDenied
from agbotkit.model.risk import PolicyViolation as PolicyViolation
from agbotkit.model.risk import RiskContext as RiskContext
from agbotkit.model.risk import RiskDecision as RiskDecision
from agbotkit.model.venues import CancelResult as CancelResult
from agbotkit.model.venues import OrderAck as OrderAck
from agbotkit.model.venues import VenueCapabilities as VenueCapabilities
from agbotkit.model.venues import VenueEvent as VenueEvent
from agbotkit.model.venues import VenueOrder as VenueOrder
from agbotkit.model.venues import VenueOrderUpdate as VenueOrderUpdate

# Risk
from agbotkit.risk.engine import RiskEngine as RiskEngine
from agbotkit.risk.loading import engine_from_file as engine_from_file
from agbotkit.risk.loading import load_policy_file as load_policy_file
from agbotkit.risk.loading import parse_policies_yaml as parse_policies_yaml
from agbotkit.risk.loading import reload_policy_file as reload_policy_file
from agbotkit.risk.policy import RiskPolicy as RiskPolicy
from agbotkit.risk.policy import ScopedConfig as ScopedConfig
from agbotkit.risk.policy import format_number as format_number
from agbotkit.risk.policy import format_usd as format_usd
from agbotkit.risk.simulator import PolymarketSimulator as PolymarketSimulator

# Strategies (the contract; the ``strategy`` component runs them)
from agbotkit.strategies.api import BookView as BookView
from agbotkit.strategies.api import NoParams as NoParams
from agbotkit.strategies.api import OrderRejection as OrderRejection
from agbotkit.strategies.api import Strategy as Strategy
from agbotkit.strategies.api import StrategyContext as StrategyContext
from agbotkit.strategies.api import StrategyMetadata as StrategyMetadata
from agbotkit.toolkit.backoff import Backoff as Backoff

# What every component needs again
from agbotkit.toolkit.clock import wall_clock_ms as wall_clock_ms
from agbotkit.toolkit.ratelimit import RateLimiter as RateLimiter
from agbotkit.toolkit.ratelimit import RateLimits as RateLimits
from agbotkit.toolkit.ratelimit import Window as Window
from agbotkit.toolkit.tasks import aclose_within as aclose_within
from agbotkit.toolkit.tasks import cleanup_within as cleanup_within
from agbotkit.toolkit.tasks import consume as consume
from agbotkit.toolkit.tasks import run_every as run_every
from agbotkit.toolkit.tasks import take_waiting as take_waiting
from agbotkit.topics import BOOKS as BOOKS
from agbotkit.topics import CANCEL_REQUESTS as CANCEL_REQUESTS
from agbotkit.topics import COMPONENT_STATES as COMPONENT_STATES
from agbotkit.topics import FEED_STATUS as FEED_STATUS
from agbotkit.topics import FILLS as FILLS
from agbotkit.topics import MARKET_DATA as MARKET_DATA
from agbotkit.topics import MARKETS as MARKETS
from agbotkit.topics import METRICS as METRICS
from agbotkit.topics import ORDER_DECISIONS as ORDER_DECISIONS
from agbotkit.topics import ORDER_INTENTS as ORDER_INTENTS
from agbotkit.topics import ORDER_OUTCOMES as ORDER_OUTCOMES
from agbotkit.topics import ORDER_UPDATES as ORDER_UPDATES
from agbotkit.topics import POSITIONS as POSITIONS
from agbotkit.topics import RAW_FRAMES as RAW_FRAMES
from agbotkit.topics import RISK_COMMANDS as RISK_COMMANDS
from agbotkit.topics import RISK_STATE as RISK_STATE
from agbotkit.topics import SUBSCRIPTIONS as SUBSCRIPTIONS

try:
    __version__ = _metadata.version("agbotkit")
except (
    _metadata.PackageNotFoundError
):  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

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
    "RISK_STATE",
    "SUBSCRIPTIONS",
    "AgbotkitError",
    "Backoff",
    "BestBidAsk",
    "BookDelta",
    "BookSnapshot",
    "BookTop",
    "BookView",
    "Bus",
    "BusClosedError",
    "BusFullError",
    "CancelAll",
    "CancelOnlyError",
    "CancelOrder",
    "CancelRequest",
    "CancelResult",
    "Component",
    "ComponentContext",
    "ComponentFailedError",
    "ComponentStartError",
    "ComponentState",
    "ComponentStateChanged",
    "ConfigError",
    "ConfigIssue",
    "CredentialsError",
    "FeedSilentError",
    "FeedStatusChanged",
    "FieldValueError",
    "Fill",
    "ForcedStopError",
    "GammaError",
    "InsufficientPositionError",
    "KillState",
    "KillSwitchChanged",
    "KillSwitchCommand",
    "LevelChange",
    "MalformedFrameError",
    "MarketInfo",
    "MarketResolved",
    "Metric",
    "MetricType",
    "NewMarket",
    "NoOptions",
    "NoParams",
    "Order",
    "OrderAccepted",
    "OrderAck",
    "OrderApproved",
    "OrderDecision",
    "OrderDenied",
    "OrderIntent",
    "OrderOutcome",
    "OrderOutcomeUnknownError",
    "OrderRejected",
    "OrderRejection",
    "OrderStatus",
    "OrderStatusChanged",
    "OrderType",
    "OutOfOrderError",
    "Overflow",
    "PluginError",
    "PolicyViolation",
    "PolymarketSimulator",
    "Position",
    "PositionSnapshot",
    "PriceLevel",
    "Problem",
    "RateLimitedError",
    "RateLimiter",
    "RateLimits",
    "RawFrame",
    "RecordingError",
    "ReferencePrice",
    "ReferencePriceSnapshot",
    "RestartLimitError",
    "RiskContext",
    "RiskDecision",
    "RiskEngine",
    "RiskPolicy",
    "SchemaVersionError",
    "ScopedConfig",
    "SettledTokenError",
    "ShutdownTimeoutError",
    "Side",
    "SigningError",
    "StorageError",
    "StorageUnavailableError",
    "Strategy",
    "StrategyContext",
    "StrategyMetadata",
    "Subscription",
    "SubscriptionChange",
    "TickSizeChanged",
    "TimeSeriesError",
    "TokenError",
    "Topic",
    "Trade",
    "TradeStatus",
    "VenueAdapter",
    "VenueCapabilities",
    "VenueContext",
    "VenueError",
    "VenueEvent",
    "VenueOrder",
    "VenueOrderUpdate",
    "WarningThrottle",
    "Window",
    "WsClosed",
    "WsError",
    "WsHandshakeError",
    "__version__",
    "aclose_within",
    "at_least",
    "between",
    "cleanup_within",
    "consume",
    "engine_from_file",
    "format_number",
    "format_usd",
    "greater_than",
    "load_policy_file",
    "new_client_order_id",
    "non_empty",
    "one_of",
    "parse_policies_yaml",
    "reload_policy_file",
    "run_every",
    "take_waiting",
    "wall_clock_ms",
]
