"""``replay``: plays a recording through loopback servers speaking Polymarket's protocols.

The stack's ``clob_market`` and ``rtds`` components connect to these servers exactly as
they would to Polymarket, so replay exercises the same client code as live trading:
subscribe frames, snapshots, pings, reconnects. The server keeps its own books from the
frames it plays, so a client that (re)subscribes gets a current ``book`` snapshot, as from
Polymarket.

Server timestamps in the frames are moved to the present, each by the time between its
recorded receive time and the moment it is played, so every frame keeps its recorded
latency (receive time minus server time) whatever the replay's pace or speed. The
``polymarket.<feed>.lag_ms`` of a replay is therefore the latency recorded in the file plus
the loopback's own, which measures at about 1 ms (most 5 ms) on the bundled recording. In
that recording, which is synthetic, every frame has 15-60 ms of latency; a live capture
replays the latency it was captured with.
"""

from __future__ import annotations

import importlib.resources
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
import trio

from agbotkit.abc import Component, ComponentContext
from agbotkit.config.checks import at_least, between
from agbotkit.errors import MalformedFrameError
from agbotkit.marketdata.book import OrderBooks
from agbotkit.marketdata.clob.translate import decode_clob_frame
from agbotkit.marketdata.replay.loopback.clob import ClobMarketServer
from agbotkit.marketdata.replay.loopback.rtds import RtdsServer
from agbotkit.marketdata.replay.recording import Recording, read_recording
from agbotkit.model.metrics import MetricType
from agbotkit.topics import MARKETS

__all__ = ["Replay", "ReplayConfig", "bundled_demo_recording"]

#: Frames played between checkpoints at full speed.
_FULL_SPEED_BATCH = 32

# 13 digits: milliseconds; 10 digits: seconds (RTDS activity payloads).
_TIMESTAMP = re.compile(r'("timestamp":"?)(\d{13}|\d{10})\b')


def bundled_demo_recording() -> Path:
    """The synthetic demo recording shipped inside the package."""
    return Path(str(importlib.resources.files("agbotkit") / "data" / "demo-recording.jsonl.gz"))


@attrs.frozen
class ReplayConfig:
    """Options of ``replay``.

    Attributes:
        path: the recording; the bundled synthetic demo recording when omitted.
        speed: 1 plays in real time, N plays N times faster, 0 as fast as possible.
        loop: start over at the end (the demo runs for as long as you like).
        host: where the loopback servers listen (keep it on loopback).
        clob_port: the CLOB market server's port (0: any free port, see the log).
        rtds_port: the RTDS server's port.
        restamp: move server timestamps to the present (keeps lag metrics meaningful).
        wait_for_client: hold the first frame until a CLOB client has subscribed, so it
            sees the recording from its start (comparisons with the backtester, tests);
            by default the replay starts at once, like a live market.
    """

    path: Path | None = None
    speed: float = attrs.field(default=1.0, validator=at_least(0))
    loop: bool = True
    host: str = "127.0.0.1"
    clob_port: int = attrs.field(default=0, validator=between(0, 65535))
    rtds_port: int = attrs.field(default=0, validator=between(0, 65535))
    restamp: bool = True
    wait_for_client: bool = False


class Replay(Component[ReplayConfig]):
    """Serves a recording on ``ws://host:clob_port/ws/market`` and ``ws://host:rtds_port``."""

    Config = ReplayConfig

    def __init__(self, config: ReplayConfig, context: ComponentContext) -> None:
        super().__init__(config, context)
        self.books = OrderBooks()
        self.clob = ClobMarketServer()
        self.rtds = RtdsServer()
        self.frames_played = 0
        self.clob.snapshots = self._snapshots

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        path = self.config.path or bundled_demo_recording()
        recording = await trio.to_thread.run_sync(read_recording, path)
        if recording.frames and self.config.restamp:
            # End dates move with the timestamps: a market that ended an hour into the
            # recording ends an hour from now.
            shift = self.context.now_ms() - recording.frames[0].received_ms
        else:
            shift = 0
        for info in recording.markets.values():
            if info.end_date_ms is not None:
                info = attrs.evolve(info, end_date_ms=info.end_date_ms + shift)
            self.context.bus.publish_retained(MARKETS, info.condition_id, info)
        async with trio.open_nursery() as nursery:
            await nursery.start(self.clob.run, self.config.host, self.config.clob_port)
            await nursery.start(self.rtds.run, self.config.host, self.config.rtds_port)
            self.context.logger.info(
                "replaying %s (%d frames, %.0f s%s) on %s and %s",
                path.name,
                len(recording.frames),
                recording.duration_ms / 1000,
                ", synthetic" if recording.header.get("synthetic") else "",
                self.clob.url,
                self.rtds.url,
            )
            task_status.started()
            if self.config.wait_for_client:
                await self.clob.subscribed.wait()
            while True:
                await self._play(recording)
                # An empty recording would loop without a checkpoint, freezing the process.
                if not self.config.loop or not recording.frames:
                    break
            # The servers stay up: connected clients keep their connections and books.
            self.context.logger.info("replay finished after %d frames", self.frames_played)

    async def _play(self, recording: Recording) -> None:
        if not recording.frames:
            return
        self.books = OrderBooks()
        speed = self.config.speed
        first_ms = recording.frames[0].received_ms
        started = trio.current_time()
        now_ms = self.context.now_ms
        for frame in recording.frames:
            if speed > 0:
                await trio.sleep_until(started + (frame.received_ms - first_ms) / 1000 / speed)
            text = frame.text
            if self.config.restamp and text:
                text = _restamp(text, now_ms() - frame.received_ms)
            if frame.feed == "clob":
                self._track(text)
                await self.clob.publish(text)
            else:
                await self.rtds.publish(text)
            self.frames_played += 1
            if self.frames_played % 1000 == 0:
                self.context.metric(
                    "agbotkit.replay.frames_played", float(self.frames_played), MetricType.COUNTER
                )
            if speed == 0 and self.frames_played % _FULL_SPEED_BATCH == 0:
                # Full speed: let the clients run between batches, not after every frame (a
                # scheduler pass per frame would cost more than the frame itself).
                await trio.lowlevel.checkpoint()

    def _track(self, text: str) -> None:
        """Keep the server-side books, for snapshots on (re)subscribe."""
        try:
            events = decode_clob_frame(text)
        except MalformedFrameError:
            return  # a recorded malformed frame is replayed as is; it changes no book
        for event in events:
            self.books.apply(event)

    def _snapshots(self, asset_ids: Sequence[str]) -> list[dict[str, Any]]:
        now = str(self.context.now_ms())
        frames = []
        for asset_id in asset_ids:
            book = self.books.get(asset_id)
            if book is None or not book.valid:
                continue
            frames.append(
                {
                    "market": book.market,
                    "asset_id": asset_id,
                    "timestamp": now,
                    "hash": "",
                    # As Polymarket sends them: best level last on both sides.
                    "bids": [{"price": str(p), "size": str(s)} for p, s in reversed(book.bids())],
                    "asks": [{"price": str(p), "size": str(s)} for p, s in reversed(book.asks())],
                    "event_type": "book",
                }
            )
        return frames


def _restamp(text: str, delta_ms: int) -> str:
    def shift(match: re.Match[str]) -> str:
        value = int(match.group(2))
        shifted = value + delta_ms if len(match.group(2)) == 13 else value + delta_ms // 1000
        return f"{match.group(1)}{shifted}"

    return _TIMESTAMP.sub(shift, text)
