"""Metrics across processes: the wire protocol, the monitor's store, Prometheus exposition.

``decode_metrics`` / ``encode_metrics`` speak the newline-delimited JSON protocol a bot's
``metrics_emitter`` component sends to a monitor; a monitor keeps what it receives in a
:class:`MetricsStore` and can expose it with :func:`render_prometheus`.
"""

from agbotkit.metrics.component import MetricsEmitter as MetricsEmitter
from agbotkit.metrics.component import MetricsEmitterConfig as MetricsEmitterConfig
from agbotkit.metrics.prometheus import CONTENT_TYPE as CONTENT_TYPE
from agbotkit.metrics.prometheus import render_prometheus as render_prometheus
from agbotkit.metrics.protocol import decode_metrics as decode_metrics
from agbotkit.metrics.protocol import encode_metrics as encode_metrics
from agbotkit.metrics.protocol import metric_to_wire as metric_to_wire
from agbotkit.metrics.store import HistogramTotals as HistogramTotals
from agbotkit.metrics.store import MetricsStore as MetricsStore
