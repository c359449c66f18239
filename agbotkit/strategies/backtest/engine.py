"""The backtest engine: :func:`run_backtest`.

One loop over pre-decoded events (see :mod:`agbotkit.strategies.backtest.data`) on a
simulated clock: the clock is each frame's receive time. Before an event, everything due
by then happens in time order: requests reaching the venue after ``latency_ms``, GTD
expiries, the strategy's timer, equity samples. A level change is written into the token's
book; the fill simulator sees it only when the token matters to it (orders of ours rest
there, or we took liquidity from it: other changes cannot fill or move anything of ours,
which the tests check against a run that shows it every change); then the strategy's
``on_book`` gets the token's live view. Requests its hooks queued go to the broker when the
hook returns. Data before ``start_ms`` only builds the books.

Nothing depends on the wall clock, on hash order or on randomness: equal inputs give equal
fills.
"""

from __future__ import annotations

import gc
import logging
from bisect import bisect_left, insort
from collections.abc import Mapping
from typing import Any

from agbotkit.config.converter import structure
from agbotkit.config.document import YamlDocument
from agbotkit.model.books import BookSnapshot, TickSizeChanged
from agbotkit.model.markets import MarketResolved, Trade
from agbotkit.risk.engine import RiskEngine
from agbotkit.risk.loading import engine_from_file
from agbotkit.strategies import loading
from agbotkit.strategies.api import Strategy
from agbotkit.strategies.backtest.broker import Broker
from agbotkit.strategies.backtest.config import BacktestConfig
from agbotkit.strategies.backtest.context import BacktestContext, _Refused
from agbotkit.strategies.backtest.data import (
    RESOLVED,
    SNAPSHOT,
    TICK_SIZE,
    TRADE,
    MarketData,
    load_data,
)
from agbotkit.strategies.backtest.equity import EquitySampler, sample_interval_ms
from agbotkit.strategies.backtest.progress import progress_bar
from agbotkit.strategies.backtest.result import BacktestResult

__all__ = ["Backtest", "BacktestConfig", "BacktestResult", "load_strategy", "run_backtest"]

LOGGER = logging.getLogger(__name__)

_NEVER = 1 << 62
_CHUNK = 1 << 16  # events between progress-bar updates
_KEEP_CLOSED_MS = 60_000  # simulated time a finished order stays in the order manager


def load_strategy(strategy: Any) -> type[Strategy[Any]]:
    """The strategy class for an entry-point name, a ``module:Class`` path, or the class
    itself (the ``strategy`` component's loading, which also takes a class here).

    Raises:
        PluginError: no such strategy, its import failed, or it is not a Strategy subclass.
    """
    if isinstance(strategy, type) and issubclass(strategy, Strategy):
        return strategy
    return loading.load_strategy(str(strategy))


def structure_params(cls: type[Strategy[Any]], params: Mapping[str, Any]) -> Any:
    """``params`` structured into the strategy's ``Config`` (errors as ConfigError)."""
    config_cls = cls.Config
    if isinstance(params, config_cls):
        return params
    return structure(YamlDocument("{}", "<params>"), config_cls, data=dict(params))


def run_backtest(config: BacktestConfig, *, progress: bool = False) -> BacktestResult:
    """Run one backtest (blocking: loads the recordings and replays them).

    Args:
        config: what to run.
        progress: show a progress bar on the terminal (only when stderr is one).

    Raises:
        PluginError: the strategy is not installed.
        ConfigError: its parameters or the policy file are invalid.
        RecordingError: a recording cannot be read.
    """
    cls = load_strategy(config.strategy)
    params = structure_params(cls, config.params)
    data = load_data(config.data, markets=config.markets, end_ms=config.end_ms)
    return Backtest(config, data, cls, params).run(progress=progress)


class Backtest:
    """One run over loaded data (the data's books are reset first, so data loaded once can
    be replayed by several runs in turn, as the optimiser and the benchmarks do).

    Args:
        config: what to run.
        data: the decoded recordings.
        cls: the strategy class.
        params: its structured parameters.
        watch_all: show the fill simulator every book change (slower; for the tests that
            check the engine skips nothing that matters).
    """

    def __init__(
        self,
        config: BacktestConfig,
        data: MarketData,
        cls: type[Strategy[Any]],
        params: Any,
        *,
        watch_all: bool = False,
    ) -> None:
        data.reset_books()
        self.config = config
        self.data = data
        self.watch_all = watch_all
        if watch_all:
            for book in data.books.values():
                book.watched = True
        risk = (
            engine_from_file(config.policy_file, clock=self._now)
            if config.policy_file
            else RiskEngine(clock=self._now)
        )
        self.broker = Broker(
            risk=risk,
            fee_rate=config.fee_rate,
            min_size=config.min_size,
            latency_ms=config.latency_ms,
            books=data.books,
            clock=self._now,
        )
        self.broker.keep_watching = watch_all
        venue = self.broker.venue
        for info in data.markets.values():
            self.broker.market_ends[info.condition_id] = info.end_date_ms or 0
            for token in info.token_ids:
                if info.tick_size is not None:
                    venue.set_tick_size(token, info.tick_size)
                if info.min_order_size is not None:
                    venue.set_min_size(token, info.min_order_size)
        markets = config.markets or tuple(sorted({b.market_id for b in data.books.values()}))
        self.context = BacktestContext(
            strategy_id=config.strategy_id,
            params=params,
            markets=markets,
            broker=self.broker,
            books=data.books,
            infos=data.markets,
        )
        self.strategy = cls(params, self.context)
        self.broker.attach(self.strategy)
        self.sampler = EquitySampler(self.broker.positions, data.books, config.initial_cash_usd)
        self.interval_ms = sample_interval_ms(data.first_ms, data.last_ms)
        self.sample_due = _NEVER
        self.events = 0

    def _now(self) -> int:
        return self.context.now

    def run(self, *, progress: bool = False) -> BacktestResult:
        """Replay the data; the result."""
        events = self.data.events
        start_ms = self.config.start_ms
        first = 0
        if start_ms is not None:
            first = bisect_left(events, start_ms, key=lambda event: event[1])
            self._warm_up(first)
        context = self.context
        begin = events[first][1] if first < len(events) else (start_ms or 0)
        context.now = begin
        self.sample_due = begin
        self.strategy.on_start()
        self._flush(begin)
        # The loaded events are millions of long-lived objects: out of the collector's way,
        # or every full collection walks them all and the run slows as it goes.
        gc.freeze()
        try:
            with progress_bar(len(events) - first, enabled=progress) as bar:
                for chunk in range(first, len(events), _CHUNK):
                    self._replay(events, chunk, min(chunk + _CHUNK, len(events)))
                    bar.update(min(_CHUNK, len(events) - chunk))
        finally:
            gc.unfreeze()
        end = events[-1][1] if first < len(events) else begin
        self._advance(end)
        context.now = end
        self.strategy.on_stop()
        context.queue.clear()  # too late to trade: the data ended
        self.sample_due = end
        self.sampler.sample(end)
        performance, period = self.sampler.performance()
        broker = self.broker
        return BacktestResult(
            fills=tuple(broker.fills),
            orders_submitted=broker.orders_submitted,
            events=len(events) - first,
            equity=tuple(self.sampler.equity),
            pnl_by_market=self.sampler.pnl_by_market(),
            performance=performance,
            final_positions=broker.positions.positions(),
            book_events=self.data.book_events_from(first),
            rejections=dict(broker.rejections),
            returns_period_ms=period,
            timeline=self.sampler.timeline(),
            signals=dict(context.signals),
            start_ms=begin,
            end_ms=end,
        )

    def _replay(self, events: list[Any], start: int, stop: int) -> None:
        """The hot loop (see the module docstring); keep it small."""
        context = self.context
        queue = context.queue
        on_book = self.strategy.on_book
        broker = self.broker
        due = self._next_due()
        for index in range(start, stop):
            code, now, book, is_bid, price, size, server, extra = events[index]
            if now >= due:
                due = self._advance(now)
            context.now = now
            if code <= 1:
                if not book.valid:
                    continue
                if is_bid:
                    levels = book.bids
                    prices = book.bid_prices
                else:
                    levels = book.asks
                    prices = book.ask_prices
                if size:
                    if price not in levels:
                        insort(prices, price)
                    levels[price] = size
                elif price in levels:
                    del levels[price]
                    del prices[bisect_left(prices, price)]
                if code:
                    continue
                book.timestamp_ms = server
                if book.watched:
                    broker.on_book(book, extra, now)
                on_book(book.view)
            else:
                self._other(code, now, book, extra)
            if queue:
                due = self._flush(now)

    def _other(self, code: int, now: int, book: Any, event: Any) -> None:
        strategy = self.strategy
        broker = self.broker
        if code == SNAPSHOT:
            assert isinstance(event, BookSnapshot)
            self._snapshot(book, event)
            if book.watched:
                broker.on_book(book, None, now)
            strategy.on_book(book.view)
        elif code == TRADE:
            assert isinstance(event, Trade)
            if book.watched:
                broker.on_trade(event, now)
            strategy.on_trade(event)
        elif code == TICK_SIZE:
            assert isinstance(event, TickSizeChanged)
            self._tick_size(book, event)
            strategy.on_tick_size(event)
        elif code == RESOLVED:
            assert isinstance(event, MarketResolved)
            broker.on_resolution(event, now)
            strategy.on_resolution(event)

    def _snapshot(self, book: Any, event: BookSnapshot) -> None:
        book.load(event.bids, event.asks, event.timestamp_ms)
        if event.tick_size is not None:
            book.tick_size = event.tick_size
            self.broker.venue.set_tick_size(book.token_id, event.tick_size)

    def _tick_size(self, book: Any, event: TickSizeChanged) -> None:
        book.drop(event.new_tick_size, event.timestamp_ms)
        self.broker.venue.on_book_reset(book.token_id)
        self.broker.venue.set_tick_size(book.token_id, event.new_tick_size)

    def _warm_up(self, stop: int) -> None:
        """Build the books from the data before the start (nothing trades)."""
        for code, now, book, is_bid, price, size, server, extra in self.data.events[:stop]:
            if code <= 1:
                if book.valid:
                    book.set_level(is_bid, price, size)
                    book.timestamp_ms = server
            elif code == SNAPSHOT:
                self._snapshot(book, extra)
            elif code == TICK_SIZE:
                self._tick_size(book, extra)
            elif code == RESOLVED:
                self.broker.resolved.add(extra.market)
            self.context.now = now

    def _next_due(self) -> int:
        due = self.sample_due
        broker_due = self.broker.next_due()
        if broker_due is not None and broker_due < due:
            due = broker_due
        timer = self.context.timer_due
        if timer is not None and timer < due:
            due = timer
        return due

    def _advance(self, now: int) -> int:
        """Everything due at or before ``now``, in time order; the next due time."""
        context = self.context
        broker = self.broker
        while True:
            due = self._next_due()
            if due > now:
                return due
            context.now = due
            broker_due = broker.next_due()
            if broker_due is not None and broker_due == due:
                broker.run_due(due)
            elif context.timer_due == due:
                context.timer_due = due + context.timer_interval_ms
                self.strategy.on_timer(due)
            else:
                self.sample_due = due + self.interval_ms
                pnl = self.sampler.sample(due)
                broker.risk.record_pnl(pnl, now_ms=due)
                broker.set_inventory(float(broker.positions.inventory_value_usd))
                # Orders done with for a while are dropped: memory stays bounded (their
                # trade ids stay known to the order manager).
                broker.oms.forget_closed(due - _KEEP_CLOSED_MS)
            if context.queue:
                self._flush(due)

    def _flush(self, now: int) -> int:
        """Hand the queued requests to the broker; the next due time."""
        queue = self.context.queue
        broker = self.broker
        strategy = self.strategy
        while queue:
            requests = queue[:]
            queue.clear()
            for is_order, what in requests:
                if is_order:
                    broker.submit(what, now)
                elif isinstance(what, str):
                    broker.cancel(what, now)
                elif isinstance(what, _Refused):
                    broker.rejections["execution"] = broker.rejections.get("execution", 0) + 1
                    strategy.on_rejected(what.rejection)
            if broker.latency_ms == 0:
                broker.run_due(now)
        return self._next_due()
