"""The dashboard's execution panels and API (open orders, fills, PnL, cancels) on a real
server, and ``agbotkit orders`` against it. The events are published on the bus directly,
as the execution and risk components would."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
from trio_websocket import open_websocket_url

from agbotkit.bus.bus import Bus
from agbotkit.dashboard.execution import ExecutionView
from agbotkit.model.execution import (
    CancelAll,
    CancelOrder,
    CancelRequest,
    OrderStatus,
    OrderStatusChanged,
)
from agbotkit.model.orders import Fill, Order, Side, TradeStatus
from agbotkit.model.positions import Position, PositionSnapshot
from agbotkit.topics import CANCEL_REQUESTS, FILLS, ORDER_UPDATES, POSITIONS

from .conftest import Running, browser, next_frame, running_dashboard, wait_for

T0 = 1_767_225_600_000
RunCli = Callable[..., tuple[int, str, str]]


def order(client_id: str, **changes: Any) -> Order:
    fields: dict[str, Any] = {
        "client_order_id": client_id, "venue": "paper", "market_id": "0xmarket",
        "token_id": "tok-yes", "side": Side.BUY, "price": "0.42", "size": "10",
        "strategy": "minibot", "created_ms": T0,
    }  # fmt: skip
    fields.update(changes)
    return Order(**fields)


def change(client_id: str, status: OrderStatus, ts: int, **changes: Any) -> OrderStatusChanged:
    return OrderStatusChanged(
        order=order(client_id), status=status, timestamp_ms=ts, component="execution", **changes
    )


def position(token: str, market: str, realised: str, cost: str, mark: str) -> PositionSnapshot:
    held = Position(
        token, market, Decimal(10), Decimal(cost), Decimal(realised), Decimal(0), Decimal(mark)
    )
    return PositionSnapshot(position=held, timestamp_ms=T0, component="risk")


async def publish_activity(bus: Bus) -> None:
    """c-1 rests and fills partly, c-2 is cancelled, c-3 is rejected; two fills; three
    positions in two markets."""
    await bus.publish(
        ORDER_UPDATES, change("c-1", OrderStatus.ACCEPTED, T0 + 1, venue_order_id="v-1")
    )
    await bus.publish(ORDER_UPDATES, change("c-2", OrderStatus.ACCEPTED, T0 + 2))
    await bus.publish(
        ORDER_UPDATES,
        change("c-1", OrderStatus.PARTIALLY_FILLED, T0 + 3, venue_order_id="v-1",
               filled_size=Decimal(4), average_price=Decimal("0.41")),
    )  # fmt: skip
    await bus.publish(ORDER_UPDATES, change("c-2", OrderStatus.CANCELED, T0 + 4, reason="api"))
    await bus.publish(ORDER_UPDATES, change("c-3", OrderStatus.REJECTED, T0 + 5))
    for number, size in ((1, "3"), (2, "1")):
        await bus.publish(
            FILLS,
            Fill(
                token_id="tok-yes", side=Side.BUY, price="0.41", size=size, market_id="0xmarket",
                timestamp_ms=T0 + number, order_id="v-1", client_order_id="c-1",
                trade_id=f"t-{number}", trade_status=TradeStatus.MATCHED, venue="paper",
            ),
        )  # fmt: skip
    bus.publish_nowait(POSITIONS, position("tok-yes", "0xmarket", "1.5", "4.2", "0.5"))
    bus.publish_nowait(POSITIONS, position("tok-no", "0xmarket", "-0.5", "5", "0.45"))
    bus.publish_nowait(POSITIONS, position("tok-x", "0xother", "0", "2", "0.3"))


def test_the_view_keeps_open_orders_only_and_sums_pnl_per_market() -> None:
    view = ExecutionView(recent_fills=2, max_open_orders=2)
    view.order_changed(change("a", OrderStatus.NEW, 1))
    view.order_changed(change("b", OrderStatus.SUBMITTING, 2))
    view.order_changed(change("a", OrderStatus.UNKNOWN, 3))  # may rest: still open
    view.order_changed(change("c", OrderStatus.ACCEPTED, 4))  # over the cap: b goes
    assert [o["client_order_id"] for o in view.open_orders()["orders"]] == ["c", "a"]
    assert view.forgotten_orders == 1
    assert view.take_changes().keys() == {"orders"}
    assert view.take_changes() == {}
    view.order_changed(change("a", OrderStatus.EXPIRED, 5))
    view.order_changed(change("zzz", OrderStatus.FILLED, 6))  # never seen open
    left = view.open_orders()
    assert (left["count"], [o["client_order_id"] for o in left["orders"]]) == (1, ["c"])
    for number in range(3):
        view.filled(Fill(token_id="t", side=Side.SELL, price="0.5", size=number + 1))
    assert [f["size"] for f in view.fills()] == ["3", "2"]  # the newest 2, newest first
    assert [f["size"] for f in view.fills(1)] == ["3"]
    view.position_changed(position("t1", "m", "1", "4", "0.5"))  # unrealised 10*0.5-4 = 1
    view.position_changed(position("t2", "m", "2", "3", "0.2"))  # unrealised 2-3 = -1
    same = position("t2", "m", "2", "3", "0.2")
    assert view.take_changes().keys() == {"orders", "fills", "pnl"}  # "a" expired, too
    view.position_changed(same)
    assert "pnl" not in view.take_changes()  # nothing changed
    pnl = view.pnl()
    assert pnl["markets"] == [
        {
            "market_id": "m",
            "realised_usd": "3",
            "unrealised_usd": "0",
            "total_usd": "3",
            "positions": 2,
        }
    ]
    assert pnl["total"]["total_usd"] == "3"


async def test_the_api_and_the_page_show_open_orders_fills_and_pnl(dashboard: Running) -> None:
    async with browser(dashboard) as page:
        await publish_activity(dashboard.bus)
        await wait_for(lambda: len(dashboard.hub.execution.pnl()["markets"]) == 2)
        seen: dict[str, Any] = {}
        while (
            not {"orders", "fills", "pnl"} <= seen.keys() or seen["pnl"]["total"]["positions"] < 3
        ):
            seen.update(await next_frame(page))
    assert [o["client_order_id"] for o in seen["orders"]["orders"]] == ["c-1"]
    async with httpx.AsyncClient(base_url=dashboard.url) as client:
        orders = (await client.get("/api/orders")).json()
        fills = (await client.get("/api/fills?limit=1")).json()
        pnl = (await client.get("/api/pnl")).json()
        assert (await client.get("/api/fills?limit=x")).status_code == 400
        assert (await client.get("/api/fills?limit=0")).status_code == 400
    (open_order,) = orders["orders"]
    assert orders["count"] == 1
    assert open_order == {
        "client_order_id": "c-1", "venue": "paper", "venue_order_id": "v-1",
        "market_id": "0xmarket", "token_id": "tok-yes", "side": "BUY", "price": "0.42",
        "size": "10", "filled_size": "4", "remaining_size": "6", "average_price": "0.41",
        "order_type": "GTC", "expires_at_ms": None, "post_only": False,
        "status": "PARTIALLY_FILLED", "reason": "", "strategy": "minibot", "created_ms": T0,
        "timestamp_ms": T0 + 3, "component": "execution",
    }  # fmt: skip
    (newest,) = fills["fills"]
    assert (newest["trade_id"], newest["size"], newest["trade_status"]) == ("t-2", "1", "MATCHED")
    by_market = {m["market_id"]: m for m in pnl["markets"]}
    # 0xmarket: realised 1.5 - 0.5; unrealised (10*0.5 - 4.2) + (10*0.45 - 5) = 0.8 - 0.5
    assert (by_market["0xmarket"]["realised_usd"], by_market["0xmarket"]["unrealised_usd"]) == (
        "1",
        "0.3",
    )
    assert by_market["0xother"]["total_usd"] == "1"
    assert (pnl["total"]["realised_usd"], pnl["total"]["total_usd"], pnl["total"]["positions"]) == (
        "1",
        "2.3",
        3,
    )
    # A page opened now gets it all in its first frame.
    async with open_websocket_url(f"{dashboard.ws_url}/dashboard") as late:
        hello = json.loads(await late.get_message())
    assert (hello["orders"]["count"], len(hello["fills"]), hello["pnl"]) == (1, 2, pnl)


def collect(bus: Bus, nursery: trio.Nursery) -> list[CancelRequest]:
    """Subscribe to CANCEL_REQUESTS as the execution component does; what arrives."""
    got: list[CancelRequest] = []
    subscription = bus.subscribe(CANCEL_REQUESTS, buffer=16)

    async def take() -> None:
        with subscription:
            async for request in subscription:
                got.append(request)

    nursery.start_soon(take)
    return got


async def test_cancel_requests_are_published_and_answered_202(
    dashboard: Running, nursery: trio.Nursery
) -> None:
    async with httpx.AsyncClient(base_url=dashboard.url) as client:
        response = await client.post("/api/orders/cancel-all", json={})
        assert response.status_code == 409
        assert "no execution component" in response.json()["error"]

        got = collect(dashboard.bus, nursery)
        await wait_for(lambda: dashboard.bus.subscriber_count(CANCEL_REQUESTS) == 1)
        response = await client.post("/api/orders/cancel-all", json={})
        assert response.status_code == 202
        assert response.json()["request"]["type"] == "cancel_all"
        response = await client.post(
            "/api/orders/cancel-all", json={"venue": "paper", "market_id": "0xm", "reason": "r"}
        )
        assert response.status_code == 202
        await dashboard.bus.publish(ORDER_UPDATES, change("c-1", OrderStatus.ACCEPTED, T0))
        await wait_for(lambda: dashboard.hub.execution.is_open("c-1"))
        response = await client.post("/api/orders/c-1/cancel", json={"reason": "stale"})
        assert (response.status_code, response.json()["open"]) == (202, True)
        response = await client.post("/api/orders/c-9/cancel", json={})
        assert (response.status_code, response.json()["open"]) == (202, False)
        for bad in ([1], {"reason": 5}, {"price": "1"}):
            response = await client.post("/api/orders/cancel-all", json=bad)
            assert response.status_code == 400, bad
        await wait_for(lambda: len(got) == 4)
    assert got == [
        CancelAll(source="api"),
        CancelAll(venue="paper", market_id="0xm", reason="r", source="api"),
        CancelOrder(client_order_id="c-1", reason="stale", source="api"),
        CancelOrder(client_order_id="c-9", source="api"),
    ]


async def test_the_execution_api_needs_the_token_and_refuses_other_sites(
    monkeypatch: pytest.MonkeyPatch, nursery: trio.Nursery
) -> None:
    monkeypatch.setenv("AGBOTKIT_TEST_TOKEN", "s3cret")
    async with running_dashboard(token_env="AGBOTKIT_TEST_TOKEN") as running:
        got = collect(running.bus, nursery)
        await wait_for(lambda: running.bus.subscriber_count(CANCEL_REQUESTS) == 1)
        good = {"Authorization": "Bearer s3cret"}
        async with httpx.AsyncClient(base_url=running.url) as client:
            for method, path in [
                ("GET", "/api/orders"),
                ("GET", "/api/fills"),
                ("GET", "/api/pnl"),
                ("POST", "/api/orders/cancel-all"),
                ("POST", "/api/orders/c-1/cancel"),
            ]:
                body = {} if method == "POST" else None
                response = await client.request(method, path, json=body)
                assert response.status_code == 401, path
                wrong = {"Authorization": "Bearer no"}
                assert (
                    await client.request(method, path, json=body, headers=wrong)
                ).status_code == 401
                response = await client.request(method, path, json=body, headers=good)
                assert response.status_code == (202 if method == "POST" else 200), path
            own = running.url.removeprefix("http://")
            for headers in (
                {"Origin": "http://evil.example"},  # another site's page
                {"Origin": f"http://{own}", "Sec-Fetch-Site": "cross-site"},
                {"Content-Type": "text/plain"},  # a form or a simple fetch
            ):
                response = await client.post(
                    "/api/orders/cancel-all", content=b"{}",
                    headers={"Content-Type": "application/json", **good, **headers},
                )  # fmt: skip
                assert response.status_code == 403, headers
        await wait_for(lambda: len(got) == 2)
    assert [type(r) for r in got] == [CancelAll, CancelOrder]  # only the two with the token


# -- agbotkit orders --------------------------------------------------------------------


async def test_the_orders_command_lists_and_cancels_through_the_dashboard(
    run_cli: RunCli,
    write_yaml: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    nursery: trio.Nursery,
) -> None:
    monkeypatch.setenv("AGBOTKIT_TEST_TOKEN", "s3cret")
    async with running_dashboard(token_env="AGBOTKIT_TEST_TOKEN") as running:
        port = int(running.url.rsplit(":", 1)[1])
        stack = str(
            write_yaml(
                f"""
                components:
                  dash:
                    kind: dashboard
                    port: {port}
                    token_env: AGBOTKIT_TEST_TOKEN
                """
            )
        )
        cli = partial(trio.to_thread.run_sync, run_cli)
        code, out, err = await cli("orders", "list", "--stack", stack)
        assert (code, out) == (0, "no open orders\n"), err
        await publish_activity(running.bus)
        await wait_for(lambda: running.hub.execution.is_open("c-1"))
        code, out, err = await cli("orders", "list", "--stack", stack)
        assert code == 0, err
        header, row = out.splitlines()
        assert header.split()[:3] == ["CLIENT_ORDER_ID", "STATUS", "VENUE"]
        assert row.split()[:7] == ["c-1", "PARTIALLY_FILLED", "paper", "BUY", "0.42", "10", "4"]

        code, _, err = await cli("orders", "cancel-all", "--stack", stack)
        assert code == 1
        assert "409: no execution component" in err
        got = collect(running.bus, nursery)
        await wait_for(lambda: running.bus.subscriber_count(CANCEL_REQUESTS) == 1)
        code, out, err = await cli("orders", "cancel", "c-1", "--stack", stack, "--reason", "x")
        assert (code, out) == (0, "cancel of c-1 sent\n"), err
        code, out, err = await cli(
            "orders", "cancel-all", "--stack", stack, "--venue", "paper", "--market", "0xmarket"
        )
        assert (code, out) == (
            0,
            "cancel of every open order of venue paper, market 0xmarket sent\n",
        )
        await wait_for(lambda: len(got) == 2)
        assert got == [
            CancelOrder(client_order_id="c-1", reason="x", source="api"),
            CancelAll(venue="paper", market_id="0xmarket", source="api"),
        ]
        monkeypatch.setenv("AGBOTKIT_TEST_TOKEN", "wrong")
        code, _, err = await cli("orders", "list", "--stack", stack)
        assert (code, "401" in err) == (1, True)
    # The stack is not running any more.
    monkeypatch.setenv("AGBOTKIT_TEST_TOKEN", "s3cret")
    code, _, err = await cli("orders", "list", "--stack", stack)
    assert code == 1
    assert f"cannot reach the dashboard 'dash' at http://127.0.0.1:{port}" in err
    assert "is the stack running?" in err


def test_the_orders_command_needs_a_dashboard_with_a_fixed_port(
    run_cli: RunCli, write_yaml: Callable[..., Path]
) -> None:
    plain = str(write_yaml("components:\n  beat:\n    kind: heartbeat\n", name="plain.yaml"))
    code, _, err = run_cli("orders", "list", "--stack", plain)
    assert code == 2
    assert "no dashboard component" in err
    any_port = str(
        write_yaml("components:\n  d:\n    kind: dashboard\n    port: 0\n", name="p.yaml")
    )
    code, _, err = run_cli("orders", "cancel-all", "--stack", any_port)
    assert code == 2
    assert "port 0" in err
