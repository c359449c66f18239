"""``recorder``: writes every market-data frame and market's metadata to a recording.

``agbotkit record STACK -o FILE`` adds one to a stack; a stack file can also declare it.
Frames come from the ``raw_frames`` topic, which the market-data components fill only
while someone subscribes. Writing happens in a worker thread, in batches.
"""

from __future__ import annotations

from pathlib import Path

import attrs
import trio

from agbotkit.abc import Component, ComponentContext
from agbotkit.bus.topic import Overflow
from agbotkit.config.checks import greater_than
from agbotkit.marketdata.replay.recording import RecordingWriter
from agbotkit.model.feeds import RawFrame
from agbotkit.model.markets import MarketInfo
from agbotkit.model.metrics import MetricType
from agbotkit.toolkit.tasks import take_waiting
from agbotkit.topics import MARKETS, RAW_FRAMES

__all__ = ["Recorder", "RecorderConfig"]


@attrs.frozen
class RecorderConfig:
    """Options of ``recorder``.

    Attributes:
        path: the recording to write (``.jsonl.gz``); relative to the stack file.
        flush_interval_s: how often buffered frames are written.
        buffer: frames that may wait between writes before the oldest are dropped
            (counted in ``agbotkit.recorder.dropped``).
    """

    path: Path
    flush_interval_s: float = attrs.field(default=0.5, validator=greater_than(0))
    buffer: int = attrs.field(default=200_000, validator=greater_than(0))


class Recorder(Component[RecorderConfig]):
    """Subscribes to raw frames and market metadata and appends them to the file."""

    Config = RecorderConfig

    def __init__(self, config: RecorderConfig, context: ComponentContext) -> None:
        super().__init__(config, context)
        self.frames_written = 0

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        bus = self.context.bus
        # The context's clock is read here, not in the worker thread: it may be trio's.
        created_ms = self.context.now_ms()
        writer = await trio.to_thread.run_sync(
            lambda: RecordingWriter(self.config.path, created_ms=created_ms)
        )
        frames = bus.subscribe(RAW_FRAMES, buffer=self.config.buffer, overflow=Overflow.DROP_OLDEST)
        markets = bus.subscribe(MARKETS, buffer=10_000, overflow=Overflow.DROP_OLDEST)
        self.context.logger.info("recording market data to %s", self.config.path)
        try:
            task_status.started()
            while True:
                await trio.sleep(self.config.flush_interval_s)
                await self._write(writer, take_waiting(frames), take_waiting(markets))
                self.context.metric(
                    "agbotkit.recorder.frames", float(self.frames_written), MetricType.COUNTER
                )
                self.context.metric(
                    "agbotkit.recorder.dropped", float(frames.dropped), MetricType.COUNTER
                )
        finally:
            # Whatever was accepted is written before the file is closed.
            with self.context.draining(5):
                await self._write(writer, take_waiting(frames), take_waiting(markets))
                await trio.to_thread.run_sync(writer.close)
            frames.close()
            markets.close()
            self.context.logger.info(
                "recorded %d frames to %s", self.frames_written, self.config.path
            )

    async def _write(
        self, writer: RecordingWriter, frames: list[RawFrame], markets: list[MarketInfo]
    ) -> None:
        if not frames and not markets:
            return

        def write() -> None:
            for info in markets:
                writer.write_market(info)
            writer.write_frames(frames)
            writer.flush()

        await trio.to_thread.run_sync(write)
        self.frames_written += len(frames)
