"""The backtest engine on hand-made recordings: queue place, latency, resolution, risk,
the window, determinism."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from agbotkit.marketdata.replay.synthetic import generate
from agbotkit.model.books import Side
from agbotkit.model.orders import Fill
from agbotkit.strategies.api import BookView, OrderRejection, Strategy
from agbotkit.strategies.backtest.config import BacktestConfig
from agbotkit.strategies.backtest.data import load_data
from agbotkit.strategies.backtest.engine import Backtest, run_backtest

from .frames import NO, T0, YES, Scripted, book, change, resolved, scripted, trade, write

BIDS = [("0.49", "200"), ("0.50", "100")]
ASKS = [("0.53", "100"), ("0.52", "100")]


def snapshot_frames() -> list[tuple[int, dict[str, Any]]]:
    return [(T0, book(T0 - 5, YES, BIDS, ASKS)), (T0, book(T0 - 5, NO, [("0.47", "100")], []))]


def once(side: Side, price: str, size: str) -> type[Scripted]:
    """A strategy that sends one order on the first book update of YES."""

    def script(self: Scripted, view: BookView) -> None:
        if view.token_id == YES and not getattr(self, "sent", False):
            self.sent = True
            self.context.submit_order(YES, side, price, size)

    return scripted(script)


def backtest(path: Path, cls: type[Scripted], **options: Any) -> tuple[Any, Scripted]:
    config = BacktestConfig(strategy=cls, data=(str(path),), **options)
    engine = Backtest(config, load_data(config.data, end_ms=config.end_ms), cls, cls.Config())
    result = engine.run()
    assert isinstance(engine.strategy, Scripted)
    return result, engine.strategy


def fills(strategy: Scripted) -> list[Fill]:
    return [item for kind, item in strategy.log if kind == "fill"]


def test_a_resting_bid_fills_only_once_the_queue_ahead_has_traded(tmp_path: Path) -> None:
    path = write(
        tmp_path / "queue.jsonl.gz",
        [
            *snapshot_frames(),
            (T0 + 100, trade(T0 + 95, YES, "SELL", "0.50", "60")),  # 40 of the 100 ahead left
            (T0 + 200, trade(T0 + 195, YES, "SELL", "0.50", "50")),  # 40 more, then 10 for us
            (T0 + 300, trade(T0 + 295, YES, "SELL", "0.50", "50")),  # we are full
        ],
    )
    result, strategy = backtest(path, once(Side.BUY, "0.50", "12"))
    got = [(f.timestamp_ms, f.price, f.size, f.taker) for f in fills(strategy)]
    assert got == [
        (T0 + 200, Decimal("0.50"), Decimal(10), False),
        (T0 + 300, Decimal("0.50"), Decimal(2), False),
    ]
    assert result.final_positions[0].size == Decimal(12)


def test_the_book_moving_through_a_resting_bid_fills_it_at_its_price(tmp_path: Path) -> None:
    path = write(
        tmp_path / "through.jsonl.gz",
        [
            *snapshot_frames(),
            (T0 + 100, change(T0 + 90, YES, "BUY", "0.50", "0")),  # the bids ahead leave
            (T0 + 200, change(T0 + 190, YES, "SELL", "0.50", "30")),  # an ask at our price
        ],
    )
    _, strategy = backtest(path, once(Side.BUY, "0.50", "10"))
    assert [(f.timestamp_ms, f.price, f.size) for f in fills(strategy)] == [
        (T0 + 200, Decimal("0.50"), Decimal(10))
    ]


def test_latency_delays_an_order_past_the_liquidity_it_aimed_at(tmp_path: Path) -> None:
    frames = [
        *snapshot_frames(),
        (T0 + 50, change(T0 + 45, YES, "SELL", "0.52", "0")),  # the 0.52 ask is gone
        (T0 + 500, trade(T0 + 495, YES, "BUY", "0.53", "5")),
    ]
    path = write(tmp_path / "latency.jsonl.gz", frames)
    _, at_once = backtest(path, once(Side.BUY, "0.52", "10"))
    assert [(f.timestamp_ms, f.price, f.taker) for f in fills(at_once)] == [
        (T0, Decimal("0.52"), True)
    ]
    _, late = backtest(path, once(Side.BUY, "0.52", "10"), latency_ms=100)
    assert fills(late) == []
    updates = [item for kind, item in late.log if kind == "update"]
    assert [(u.status.value, u.timestamp_ms) for u in updates] == [
        ("NEW", T0),
        ("SUBMITTING", T0),
        ("ACCEPTED", T0 + 100),  # it rests at 0.52 once it arrives
    ]


def test_a_resolution_settles_the_position_and_cancels_resting_orders(tmp_path: Path) -> None:
    def script(self: Scripted, view: BookView) -> None:
        if view.token_id == YES and not getattr(self, "sent", False):
            self.sent = True
            self.context.submit_order(YES, Side.BUY, "0.52", "10")  # taker: fills at once
            self.context.submit_order(YES, Side.BUY, "0.40", "10")  # rests

    path = write(
        tmp_path / "resolve.jsonl.gz",
        [*snapshot_frames(), (T0 + 1000, resolved(T0 + 995, YES))],
    )
    result, strategy = backtest(path, scripted(script))
    assert result.pnl_by_market == {"0xmarket": pytest.approx(10 * (1 - 0.52))}
    [position] = [p for p in result.final_positions if p.token_id == YES]
    assert position.settled
    assert position.size == 0
    assert position.realised_pnl_usd == Decimal("4.80")
    cancels = [item for kind, item in strategy.log if kind == "cancel"]
    assert [(c.client_order_id, c.reason) for c in cancels] == [("backtest-2", "market resolved")]
    assert [kind for kind, _ in strategy.log][-1] == "resolved"


def test_a_risk_denial_reaches_on_rejected(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("policies:\n  - type: MaxOrderSize\n    max_size: 5\n")
    path = write(tmp_path / "risk.jsonl.gz", snapshot_frames())
    result, strategy = backtest(path, once(Side.BUY, "0.50", "10"), policy_file=str(policy))
    [(kind, rejection)] = strategy.log
    assert kind == "rejected"
    assert isinstance(rejection, OrderRejection)
    assert (rejection.stage, rejection.size) == ("risk", Decimal(10))
    assert "MaxOrderSize" in rejection.reason
    assert result.orders_submitted == 0
    assert result.rejections == {"risk": 1}


def test_a_sell_of_shares_not_held_is_refused_by_the_venue(tmp_path: Path) -> None:
    path = write(tmp_path / "sell.jsonl.gz", snapshot_frames())
    _, strategy = backtest(path, once(Side.SELL, "0.60", "10"))
    rejections = [item for kind, item in strategy.log if kind == "rejected"]
    assert [(r.stage, r.reason.split(":")[0]) for r in rejections] == [
        ("venue", "not enough shares to sell")
    ]


def test_the_window_trades_only_between_from_and_to(tmp_path: Path) -> None:
    frames = [
        *snapshot_frames(),
        (T0 + 100, change(T0 + 95, YES, "BUY", "0.50", "80")),
        (T0 + 200, change(T0 + 195, YES, "BUY", "0.50", "60")),
        (T0 + 300, change(T0 + 295, YES, "BUY", "0.50", "40")),
    ]
    path = write(tmp_path / "window.jsonl.gz", frames)

    def script(self: Scripted, view: BookView) -> None:
        self.seen = [*getattr(self, "seen", []), (self.context.now_ms(), view.best_bid_size)]

    result, strategy = backtest(path, scripted(script), start_ms=T0 + 150, end_ms=T0 + 300)
    # The data before the window built the book (80 at 0.50), but no hook saw it.
    assert strategy.seen == [(T0 + 200, 60.0)]  # type: ignore[attr-defined]
    assert (result.start_ms, result.end_ms, result.events) == (T0 + 200, T0 + 200, 1)


def quoter(self: Scripted, view: BookView) -> None:
    """Every 10 updates: cancel, then bid YES at its best bid and NO at 1 - YES's ask."""
    if self.books % 10:
        return
    context = self.context
    for order in getattr(self, "orders", ()):
        context.cancel_order(order)
    yes = context.book(context.tokens(context.markets[0])[0])
    if yes is None or yes.best_bid is None or yes.best_ask is None:
        return
    yes_id, no_id = context.tokens(context.markets[0])[:2]
    self.orders = (
        context.submit_order(yes_id, Side.BUY, round(yes.best_bid, 2), 10),
        context.submit_order(no_id, Side.BUY, round(1 - yes.best_ask, 2), 10),
    )


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("synthetic") / "synthetic.jsonl.gz"
    generate(path, seed=3, duration_s=90)
    return path


def test_the_same_inputs_give_byte_identical_results(synthetic: Path) -> None:
    config = BacktestConfig(strategy=scripted(quoter), data=(str(synthetic),), latency_ms=40)
    first = json.dumps(run_backtest(config).to_json())
    second = json.dumps(run_backtest(config).to_json())
    assert first == second
    assert len(json.loads(first)["fills"]) > 5  # the comparison covers real fills


def test_skipping_book_changes_that_cannot_touch_our_orders_changes_nothing(
    synthetic: Path,
) -> None:
    """The engine shows the fill simulator only the changes of tokens it watches; a run
    that shows it every change gives the same fills and orders."""
    data = load_data([str(synthetic)])
    cls = scripted(quoter)
    config = BacktestConfig(strategy=cls, data=(str(synthetic),), latency_ms=25)
    gated = Backtest(config, data, cls, cls.Config()).run().to_json()
    everything = Backtest(config, data, cls, cls.Config(), watch_all=True).run().to_json()
    assert gated == everything
    assert gated["orders_submitted"] > 100


def test_timers_fire_on_the_simulated_clock(tmp_path: Path) -> None:
    path = write(
        tmp_path / "timer.jsonl.gz",
        [*snapshot_frames(), (T0 + 2500, change(T0 + 2490, YES, "BUY", "0.50", "1"))],
    )

    class Timed(Scripted):
        def on_start(self) -> None:
            super().on_start()
            self.context.set_timer(1.0)

    _, strategy = backtest(path, Timed)
    assert [item for kind, item in strategy.log if kind == "timer"] == [T0 + 1000, T0 + 2000]
    assert NO in strategy.context.tokens("0xmarket")


def test_a_strategy_that_hears_no_status_change_gets_the_same_run(synthetic: Path) -> None:
    """A strategy that leaves ``on_order_update`` and ``on_cancel`` alone makes the order
    manager publish nothing (no change events built); its orders and fills are the same."""
    data = load_data([str(synthetic)])

    class Silent(Strategy[Any]):
        books = 0

        def on_book(self, book: BookView) -> None:
            self.books += 1
            quoter(self, book)  # type: ignore[arg-type]

    listening = scripted(quoter)
    results = []
    for cls in (listening, Silent):
        config = BacktestConfig(strategy=cls, data=(str(synthetic),), latency_ms=25)
        engine = Backtest(config, data, cls, cls.Config())
        results.append(engine.run().to_json())
        assert engine.broker.oms.publish == (frozenset() if cls is Silent else None)
    assert results[0] == results[1]
    assert results[0]["orders_submitted"] > 100
