"""Faults injected into real stacks: every stack is ``python -m agbotkit run`` in a subprocess.

a. the market server (a ``replay`` stack) is killed and started again under a client stack;
b. the monitor of the two-process minibot topology is killed and started again;
c. the risk policy file is broken while the stack runs, then fixed;
d. a recording with about 10 % garbage CLOB frames is replayed.

Each test watches the stacks from outside only (``/api/series``, Prometheus ``/metrics``,
the log) with bounded waits that fail saying what they waited for.
"""

from __future__ import annotations

import json
import random
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from agbotkit.marketdata.replay.component import bundled_demo_recording
from agbotkit.marketdata.replay.recording import RecordingWriter, read_recording
from agbotkit.model.feeds import RawFrame

from .conftest import (
    EXAMPLES,
    POLICIES,
    WAIT_S,
    StackProcess,
    copy_demo,
    demo_env,
    free_port,
    now_ms,
    wait_port,
    wait_until,
)

pytestmark = pytest.mark.slow

Stacks = Callable[..., StackProcess]


def demo_tokens() -> list[str]:
    """Every token id of the bundled demo recording's markets."""
    recording = read_recording(bundled_demo_recording())
    return [token for info in recording.markets.values() for token in info.token_ids]


def write_stack(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def stop_cleanly(proc: StackProcess, within_s: float = 10.0) -> None:
    code, took = proc.terminate(within_s)
    assert code == 0, f"{proc.name} exited with {code} after SIGTERM ({took:.1f} s):\n{proc.tail()}"
    proc.assert_no_traceback()


# -- a. the market server dies and comes back ------------------------------------------------


def test_market_server_killed_and_restarted(tmp_path: Path, stacks: Stacks) -> None:
    clob_port, rtds_port, dash_port = free_port(), free_port(), free_port()
    server_stack = write_stack(
        tmp_path / "server" / "server.yaml",
        f"""
        stack: {{name: market-server, shutdown_grace_s: 5}}
        components:
          replay: {{kind: replay, loop: true, speed: 2, clob_port: {clob_port},
                    rtds_port: {rtds_port}}}
        """,
    )
    client_stack = write_stack(
        tmp_path / "client" / "client.yaml",
        f"""
        stack: {{name: market-client, shutdown_grace_s: 10}}
        components:
          clob:
            kind: clob_market
            url: ws://127.0.0.1:{clob_port}/ws/market
            assets: {json.dumps(demo_tokens())}
            restart: {{policy: on-failure, max_restarts: 10, window_s: 60}}
          rtds:
            kind: rtds
            url: ws://127.0.0.1:{rtds_port}
            subscriptions:
              - {{topic: crypto_prices_chainlink, symbols: [btc/usd]}}
            restart: {{policy: on-failure, max_restarts: 10, window_s: 60}}
          dashboard: {{kind: dashboard, port: {dash_port}}}
        """,
    )
    server = stacks("server", server_stack).start()
    wait_port(clob_port, 60, "the replay's CLOB server listens", server)
    wait_port(rtds_port, 60, "the replay's RTDS server listens", server)
    client = stacks("client", client_stack, dashboard_port=dash_port).start()
    client.wait_ready()

    def books() -> float:
        return client.prom_sum("polymarket_clob_messages_received_total", event_type="book") or 0

    def status() -> float | None:
        return client.prom_sum("polymarket_clob_connection_status", component="clob")

    wait_until(
        lambda: status() == 1 and books() > 0,
        WAIT_S,
        "clob connected with books",
        client,
        last=lambda: (status(), books()),
    )
    wait_until(
        lambda: (client.prom_sum("polymarket_clob_messages_received_total") or 0) > 20,
        WAIT_S,
        "CLOB data flowing",
        client,
    )
    assert client.prom_sum("polymarket_clob_reconnects_total") == 0

    server.kill()
    wait_until(
        lambda: status() == 0,
        WAIT_S,
        "polymarket.clob.connection_status == 0 after the market server died",
        client,
        last=status,
    )
    books_while_down = books()
    series_down = client.points("polymarket.clob.connection_status", {"component": "clob"})
    assert series_down[-1][1] == 0.0
    time.sleep(2)  # a few failed reconnects: the client must keep trying, not give up
    client.assert_running()

    server.start()  # the same ports
    wait_port(clob_port, 60, "the restarted replay's CLOB server listens", server)
    wait_until(
        lambda: status() == 1,
        WAIT_S,
        "polymarket.clob.connection_status == 1 after the market server came back",
        client,
        server,
        last=status,
    )
    reconnects = wait_until(
        lambda: client.prom_sum("polymarket_clob_reconnects_total") or 0,
        WAIT_S,
        "polymarket.clob.reconnects >= 1",
        client,
    )
    assert reconnects >= 1
    wait_until(
        lambda: books() > books_while_down,
        WAIT_S,
        "new `book` messages after the reconnect (books reseeded)",
        client,
        server,
        last=lambda: (books_while_down, books()),
    )
    # The history shows the outage: 1, then 0, then 1 again.
    values = [
        v for _, v, _ in client.points("polymarket.clob.connection_status", {"component": "clob"})
    ]
    assert 0.0 in values, values
    assert values[-1] == 1.0, values
    wait_until(
        lambda: client.prom_sum("polymarket_rtds_connection_status") == 1,
        WAIT_S,
        "rtds reconnected too",
        client,
    )

    client.assert_running()
    assert client.starts == 1
    stop_cleanly(client)
    stop_cleanly(server, within_s=5)


# -- b. the monitor dies and comes back ------------------------------------------------------


def test_monitor_killed_and_restarted(tmp_path: Path, stacks: Stacks) -> None:
    monitor_port = free_port()
    env = {
        "AGBOTKIT_MONITOR_PORT": str(monitor_port),
        "AGBOTKIT_BOT_CLOB_PORT": str(free_port()),
        "AGBOTKIT_BOT_RTDS_PORT": str(free_port()),
    }
    (tmp_path / "bot").mkdir()
    (tmp_path / "monitor").mkdir()
    (tmp_path / "bot" / "policy.yaml").write_text((POLICIES / "demo.yaml").read_text())
    bot_text = (EXAMPLES / "minibot" / "bot.yaml").read_text()
    assert "policy_file: ../../policies/demo.yaml" in bot_text
    bot_stack = tmp_path / "bot" / "bot.yaml"
    bot_stack.write_text(bot_text.replace("../../policies/demo.yaml", "policy.yaml"))
    monitor_stack = tmp_path / "monitor" / "monitor.yaml"
    monitor_stack.write_text((EXAMPLES / "minibot" / "monitor.yaml").read_text())

    # Both start at once (the bot's emitter buffers until the monitor listens).
    monitor = stacks("monitor", monitor_stack, env, monitor_port).start()
    bot = stacks("bot", bot_stack, env).start()
    monitor.wait_ready()
    wait_until(
        lambda: (
            monitor.latest("agbotkit.metrics.emitter.connected") == 1.0
            and monitor.points("polymarket.clob.msgs_per_second")
        ),
        60,
        "the bot's metrics reach the monitor",
        monitor,
        bot,
    )

    monitor.kill()
    down_ms = now_ms()
    # The emitter buffers 1,000 metrics: it warns once more than that were produced.
    wait_until(
        lambda: "dropping the oldest" in bot.output(),
        90,
        "the bot produced more than 1,000 metrics while the monitor was down (the emitter "
        "warns 'dropping the oldest')",
        bot,
    )
    time.sleep(1)
    restart_ms = now_ms()
    monitor.start()  # the same port
    monitor.wait_ready()

    def outage_points() -> list[tuple[int, float, dict[str, str]]]:
        return [
            point
            for point in monitor.points("polymarket.clob.msgs_per_second")
            if down_ms < point[0] < restart_ms
        ]

    flushed = wait_until(
        outage_points,
        WAIT_S,
        "points from the outage window flushed to the monitor",
        monitor,
        bot,
    )
    assert flushed
    dropped = wait_until(
        lambda: monitor.latest("agbotkit.metrics.emitter.dropped"),
        WAIT_S,
        "agbotkit.metrics.emitter.dropped > 0 reported to the monitor",
        monitor,
        bot,
        last=lambda: monitor.series("agbotkit.metrics.emitter.dropped"),
    )
    assert dropped is not None
    assert dropped > 0
    print(
        f"monitor down {(restart_ms - down_ms) / 1000:.1f} s; {len(flushed)} outage points "
        f"of polymarket.clob.msgs_per_second flushed; emitter.dropped = {dropped:.0f}"
    )
    assert monitor.latest("agbotkit.metrics.emitter.connected") == 1.0
    reconnected = [line for line in bot.output().splitlines() if "connected to monitor" in line]
    assert len(reconnected) >= 2, reconnected  # first connect, then after the outage
    assert "sending 0 buffered" not in reconnected[-1], reconnected[-1]

    bot.assert_running()
    assert bot.starts == 1
    stop_cleanly(bot)
    stop_cleanly(monitor)


# -- c. the policy file is broken while the stack runs ----------------------------------------

# minibot orders 5 shares: with max_size 1 every order is denied by MaxOrderSize.
STRICT_POLICIES = """\
policies:
  - type: KillSwitch
  - type: MaxOrderSize
    max_size: 1
"""
LOOSE_POLICIES = STRICT_POLICIES.replace("max_size: 1", "max_size: 1000")
BROKEN_YAML = "policies:\n  - type: MaxOrderSize\n    max_size: [1000\n"
BAD_VALUES = "policies:\n  - type: MaxOrderSize\n    max_size: lots\n  - type: NoSuchPolicy\n"


def test_policy_file_broken_while_running(tmp_path: Path, stacks: Stacks) -> None:
    stack_file, policy = copy_demo(tmp_path, STRICT_POLICIES)
    env, port = demo_env(speed=2)
    demo = stacks("demo", stack_file, env, port).start()
    demo.wait_ready()

    def decisions_since(since: int) -> list[tuple[int, float, dict[str, str]]]:
        return [p for p in demo.points("polymarket.risk.decision") if p[0] > since]

    def reloads(outcome: str) -> float:
        return demo.latest("polymarket.risk.policy_reloads", {"outcome": outcome}) or 0.0

    start_ms = now_ms()
    first = wait_until(lambda: decisions_since(0), WAIT_S, "risk decisions", demo)
    assert {labels["policy"] for _, _, labels in first} == {"MaxOrderSize"}, first

    for number, broken in enumerate((BROKEN_YAML, BAD_VALUES), start=1):
        policy.write_text(broken)
        wait_until(
            lambda n=number: reloads("refused") >= n,
            WAIT_S,
            f"polymarket.risk.policy_reloads{{outcome=refused}} == {number}",
            demo,
            last=lambda: reloads("refused"),
        )
        refused_ms = now_ms()
        later = wait_until(
            lambda since=refused_ms: decisions_since(since),
            WAIT_S,
            "decisions continue after the refused reload",
            demo,
        )
        # The old policies stay in force: still denied by MaxOrderSize, never allowed.
        assert all(v == 0.0 and lb["policy"] == "MaxOrderSize" for _, v, lb in later), later
    assert reloads("ok") == 0
    output = demo.output()
    assert f"policy file {policy} refused" in output

    policy.write_text(LOOSE_POLICIES)
    wait_until(
        lambda: reloads("ok") >= 1,
        WAIT_S,
        "polymarket.risk.policy_reloads{outcome=ok}",
        demo,
        last=lambda: reloads("ok"),
    )
    fixed_ms = now_ms()
    wait_until(
        lambda: [p for p in decisions_since(fixed_ms) if p[1] == 1.0],
        WAIT_S,
        "an order allowed under the fixed policy file",
        demo,
    )
    assert reloads("refused") == 2
    assert decisions_since(start_ms)
    stop_cleanly(demo)


# -- d. a storm of malformed frames ----------------------------------------------------------


def garbage_frames(tokens: list[str], market: str, rng: random.Random) -> list[tuple[str, bool]]:
    """One of each kind of garbage, as ``(text, reaches the client)``.

    The loopback server drops text that is not JSON (only data frames are forwarded), so
    invalid JSON never reaches the client; everything else does.
    """
    token = rng.choice(tokens)
    ts = "1764000000000"
    bad_json = [
        json.dumps({"event_type": "book", "asset_id": token, "bids": []})[:-10],  # truncated
        "this is not json {{{",
    ]
    bad_objects: list[object] = [
        {"event_type": "mystery_event", "asset_id": token, "market": market, "timestamp": ts},
        {"event_type": "book", "asset_id": token, "market": market},  # no bids/asks/timestamp
        {"event_type": "price_change", "market": market, "timestamp": ts},  # no changes
        {
            "event_type": "price_change",
            "market": market,
            "timestamp": ts,
            "price_changes": [{"asset_id": token, "price": "abc", "size": "1", "side": "BUY"}],
        },
        {"event_type": "last_trade_price", "asset_id": token, "market": market},
        {"asset_id": token, "market": market, "timestamp": ts},  # no event_type
        42,
        {"event_type": "best_bid_ask", "asset_id": token, "market": market, "best_bid": "x"},
    ]
    return [(text, False) for text in bad_json] + [
        (json.dumps(value, separators=(",", ":")), True) for value in bad_objects
    ]


def test_malformed_frame_storm(tmp_path: Path, stacks: Stacks) -> None:
    source = read_recording(bundled_demo_recording())
    markets = list(source.markets.values())
    tokens = [token for info in markets for token in info.token_ids]
    rng = random.Random(6)
    first_ms = source.frames[0].received_ms
    # Garbage only after the first 20 % of the recording: the client is subscribed by then,
    # so every garbage frame the server forwards reaches it.
    garbage_from = first_ms + source.duration_ms // 5
    frames: list[RawFrame] = []
    clob_frames = garbage = delivered = 0
    for frame in source.frames:
        if frame.feed == "clob":
            clob_frames += 1
            if frame.received_ms >= garbage_from and rng.random() < 0.1:
                market = rng.choice(markets).condition_id
                text, reaches = rng.choice(garbage_frames(tokens, market, rng))
                frame = RawFrame("clob", frame.received_ms, text)
                garbage += 1
                delivered += reaches
        frames.append(frame)
    assert 0.05 * clob_frames < garbage < 0.15 * clob_frames
    path = tmp_path / "storm.jsonl.gz"
    with RecordingWriter(
        path,
        created_ms=source.header["created_ms"],
        synthetic=True,
        note="the demo recording with garbage CLOB frames",
    ) as writer:
        for info in markets:
            writer.write_market(info)
        writer.write_frames(frames)

    clob_port, dash_port = free_port(), free_port()
    stack = write_stack(
        tmp_path / "storm.yaml",
        f"""
        stack: {{name: storm, shutdown_grace_s: 10}}
        components:
          replay: {{kind: replay, path: {path.name}, speed: 5, loop: false,
                    clob_port: {clob_port}, rtds_port: {free_port()}}}
          clob:
            kind: clob_market
            needs: [replay]
            url: ws://127.0.0.1:{clob_port}/ws/market
            follow_markets: true
          dashboard: {{kind: dashboard, port: {dash_port}}}
        """,
    )
    proc = stacks("storm", stack, dashboard_port=dash_port).start()
    proc.wait_ready()

    def malformed() -> float:
        return proc.prom_sum("polymarket_clob_malformed_total") or 0

    def good() -> float:
        return proc.prom_sum("polymarket_clob_messages_received_total") or 0

    # While the storm goes on, good messages keep flowing next to the bad ones.
    wait_until(lambda: malformed() > 0, WAIT_S, "the first malformed frame counted", proc)
    bad_before, good_before = malformed(), good()
    wait_until(
        lambda: malformed() > bad_before and good() > good_before + 50,
        WAIT_S,
        "more good and malformed frames during the storm",
        proc,
        last=lambda: (bad_before, good_before, malformed(), good()),
    )
    wait_until(
        lambda: "replay finished after" in proc.output(),
        60,
        "the replay played the whole recording",
        proc,
    )
    time.sleep(2)  # the clob component publishes its counters every second
    counted = malformed()
    print(
        f"storm: {clob_frames} CLOB frames, {garbage} garbage ({delivered} JSON, forwarded),"
        f" {counted:.0f} counted malformed, {good():.0f} good messages"
    )
    assert 0.95 * delivered <= counted <= delivered, (
        f"{counted} malformed frames counted, {delivered} garbage frames delivered "
        f"({garbage} written, the others are not JSON and the server drops them)"
    )
    assert good() > 0.8 * (clob_frames - garbage), (good(), clob_frames, garbage)
    output = proc.output()
    assert "malformed CLOB frame dropped" in output
    stop_cleanly(proc)
