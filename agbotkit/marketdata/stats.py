"""Per-feed counters that become the ``polymarket.<feed>.*`` metrics.

Counting is plain attribute arithmetic on the hot path; :meth:`FeedStats.metrics` turns
the counters into samples once a second.
"""

from __future__ import annotations

import time

from agbotkit.model.metrics import Metric, MetricType, labels_key

__all__ = ["FeedStats"]


class FeedStats:
    """Counters of one feed (``clob`` or ``rtds``) of one component.

    Attributes:
        feed: ``clob`` or ``rtds``; the metric names are ``polymarket.<feed>.*``.
        label_key: the label name of ``messages_received`` (``event_type`` for CLOB,
            ``topic/message_type`` pairs for RTDS are given as one label string).
        malformed: frames (or array elements) that could not be understood.
        reconnects: connections lost and opened again.
        messages: messages received per label value.
        book_resyncs: books found inconsistent (or dropped by a tick-size change) and
            resynced, per ``(asset_id, reason)``; CLOB only.
        subscription_rejected: per ``(topic, message_type)`` subscribed, whether the server
            rejected it; RTDS only.
    """

    def __init__(self, feed: str, sockets: int = 1) -> None:
        self.feed = feed
        self.messages: dict[tuple[tuple[str, str], ...], int] = {}
        self.book_resyncs: dict[tuple[str, str], int] = {}
        self.subscription_rejected: dict[tuple[str, str], bool] = {}
        self.malformed = 0
        self.reconnects = 0
        self.connected: dict[int, bool] = dict.fromkeys(range(sockets), False)
        self._lag_sum = 0
        self._lag_count = 0
        self._lag_max = 0
        self._window_total = 0
        self._window_started = time.monotonic()
        self._total = 0

    def message(self, labels: tuple[tuple[str, str], ...], lag_ms: int | None) -> None:
        """Count one received message; ``lag_ms`` is receive time minus server time."""
        messages = self.messages
        messages[labels] = messages.get(labels, 0) + 1
        self._total += 1
        if lag_ms is not None:
            self._lag_sum += lag_ms
            self._lag_count += 1
            if lag_ms > self._lag_max:
                self._lag_max = lag_ms

    def book_resync(self, asset_id: str, reason: str) -> None:
        """Count one resync of the book of ``asset_id`` (``reason``: a ResyncCause value)."""
        key = (asset_id, reason)
        self.book_resyncs[key] = self.book_resyncs.get(key, 0) + 1

    def set_connected(self, socket: int, connected: bool) -> None:
        """Record whether socket number ``socket`` is connected."""
        self.connected[socket] = connected

    @property
    def all_connected(self) -> bool:
        """True when every socket of the feed is connected."""
        return bool(self.connected) and all(self.connected.values())

    def metrics(self, now_ms: int, labels: dict[str, str]) -> list[Metric]:
        """Samples for the window since the previous call (call about once a second).

        ``lag_ms`` is the mean lag of the window's messages (receive time minus the
        server's timestamp; absent when none had one), ``lag_ms_max`` its maximum (under a
        replay: the recorded latency plus the loopback's); ``msgs_per_second`` the window's
        rate;
        ``book_resyncs`` a counter per token and reason, once a token was resynced;
        ``subscription_rejected`` a 0/1 gauge per subscribed topic and message type.
        """
        base = labels_key(labels)
        name = f"polymarket.{self.feed}"
        now = time.monotonic()
        elapsed = max(now - self._window_started, 1e-9)
        rate = (self._total - self._window_total) / elapsed
        self._window_total = self._total
        self._window_started = now
        samples = [
            Metric(
                now_ms,
                MetricType.COUNTER,
                f"{name}.messages_received",
                float(count),
                tuple(sorted((*base, *extra))),
            )
            for extra, count in self.messages.items()
        ]
        samples += [
            Metric(now_ms, MetricType.GAUGE, f"{name}.msgs_per_second", rate, base),
            Metric(
                now_ms,
                MetricType.GAUGE,
                f"{name}.connection_status",
                1.0 if self.all_connected else 0.0,
                base,
            ),
            Metric(now_ms, MetricType.COUNTER, f"{name}.reconnects", float(self.reconnects), base),
            Metric(now_ms, MetricType.COUNTER, f"{name}.malformed", float(self.malformed), base),
        ]
        samples += [
            Metric(
                now_ms,
                MetricType.COUNTER,
                f"{name}.book_resyncs",
                float(count),
                tuple(sorted((*base, ("asset_id", asset_id), ("reason", reason)))),
            )
            for (asset_id, reason), count in self.book_resyncs.items()
        ]
        samples += [
            Metric(
                now_ms,
                MetricType.GAUGE,
                f"{name}.subscription_rejected",
                1.0 if rejected else 0.0,
                tuple(sorted((*base, ("message_type", type_), ("topic", topic)))),
            )
            for (topic, type_), rejected in self.subscription_rejected.items()
        ]
        if self._lag_count:
            mean = self._lag_sum / self._lag_count
            samples.append(Metric(now_ms, MetricType.GAUGE, f"{name}.lag_ms", mean, base))
            samples.append(
                Metric(now_ms, MetricType.GAUGE, f"{name}.lag_ms_max", float(self._lag_max), base)
            )
        self._lag_sum = self._lag_count = self._lag_max = 0
        return samples
