"""Technical signals on a price series: EMA, Wilder's RSI, Bollinger bands.

Each is incremental: ``update(price)`` costs O(1) whatever the history (Bollinger's
window is a ring of ``period`` values). ``value`` is NaN until the first update; read it
once ``ready``.
"""

from __future__ import annotations

import collections
import math

__all__ = ["EMA", "RSI", "Bollinger"]


class EMA:
    """Exponential moving average: ``ema = alpha * x + (1 - alpha) * ema``, seeded with the
    first price (pandas' ``ewm(alpha=..., adjust=False)``).

    Args:
        period: the span; ``alpha = 2 / (period + 1)``. Ready after ``period`` prices.
        alpha: the smoothing factor in ``(0, 1]``, instead of ``period`` (ready after the
            first price).
    """

    __slots__ = ("_alpha", "_count", "_min", "value")

    def __init__(self, period: int | None = None, *, alpha: float | None = None) -> None:
        if (period is None) == (alpha is None):
            raise ValueError("give either period or alpha")
        if period is not None:
            if period < 1:
                raise ValueError(f"period must be >= 1, got {period}")
            alpha, self._min = 2.0 / (period + 1), period
        else:
            assert alpha is not None
            if not 0.0 < alpha <= 1.0:
                raise ValueError(f"alpha must lie in (0, 1], got {alpha}")
            self._min = 1
        self._alpha = alpha
        self._count = 0
        self.value = math.nan

    @property
    def ready(self) -> bool:
        """Whether ``period`` prices were seen."""
        return self._count >= self._min

    def update(self, price: float) -> float:
        """Add a price; the new average."""
        self._count += 1
        if self._count == 1:
            self.value = price
        else:
            self.value += self._alpha * (price - self.value)
        return self.value


class RSI:
    """Wilder's relative strength index, 0 to 100.

    The first averages of gains and losses are the plain means of the first ``period``
    price changes; after that each is smoothed ``avg = (avg * (period - 1) + x) / period``.
    ``RSI = 100 - 100 / (1 + avg_gain / avg_loss)``: 100 when nothing was lost, 50 when
    nothing moved. Ready after ``period + 1`` prices.

    Args:
        period: the smoothing period (Wilder used 14).
    """

    __slots__ = ("_count", "_gain", "_last", "_loss", "_period", "value")

    def __init__(self, period: int = 14) -> None:
        if period < 1:
            raise ValueError(f"period must be >= 1, got {period}")
        self._period = period
        self._count = 0
        self._last = math.nan
        self._gain = 0.0
        self._loss = 0.0
        self.value = math.nan

    @property
    def ready(self) -> bool:
        """Whether ``period`` price changes were seen."""
        return self._count > self._period

    def update(self, price: float) -> float:
        """Add a price; the new RSI (NaN until ready)."""
        self._count += 1
        if self._count > 1:
            change = price - self._last
            gain, loss = max(change, 0.0), max(-change, 0.0)
            period = self._period
            if self._count <= period + 1:  # still summing the first plain means
                self._gain += gain / period
                self._loss += loss / period
            else:
                self._gain = (self._gain * (period - 1) + gain) / period
                self._loss = (self._loss * (period - 1) + loss) / period
            if self.ready:
                self.value = _rsi(self._gain, self._loss)
        self._last = price
        return self.value


def _rsi(gain: float, loss: float) -> float:
    if loss == 0.0:
        return 50.0 if gain == 0.0 else 100.0
    return 100.0 - 100.0 / (1.0 + gain / loss)


class Bollinger:
    """Bollinger bands: the mean of the last ``period`` prices (``value``, the middle band)
    plus and minus ``k`` standard deviations.

    The standard deviation is the population one (``ddof=0``, as Bollinger defined the
    bands): ``numpy.std(window)``. The mean and the sum of squared deviations are moved
    when a price enters and the oldest leaves (a stable rolling update, no re-summing).

    Args:
        period: the window, in prices. Ready once it is full.
        k: the band width in standard deviations.
    """

    __slots__ = ("_k", "_m2", "_period", "_window", "value")

    def __init__(self, period: int = 20, k: float = 2.0) -> None:
        if period < 2:
            raise ValueError(f"period must be >= 2, got {period}")
        if k <= 0:
            raise ValueError(f"k must be > 0, got {k}")
        self._period = period
        self._k = k
        self._window: collections.deque[float] = collections.deque()
        self._m2 = 0.0
        self.value = math.nan

    @property
    def ready(self) -> bool:
        """Whether the window is full."""
        return len(self._window) == self._period

    @property
    def std(self) -> float:
        """The window's population standard deviation."""
        return math.sqrt(max(self._m2, 0.0) / len(self._window)) if self._window else math.nan

    @property
    def upper(self) -> float:
        """The upper band."""
        return self.value + self._k * self.std

    @property
    def lower(self) -> float:
        """The lower band."""
        return self.value - self._k * self.std

    def update(self, price: float) -> float:
        """Add a price; the new middle band."""
        window = self._window
        if len(window) < self._period:  # Welford's update while the window fills
            window.append(price)
            mean = self.value if len(window) > 1 else 0.0
            delta = price - mean
            mean += delta / len(window)
            self._m2 += delta * (price - mean)
        else:
            old = window.popleft()
            window.append(price)
            previous = self.value
            mean = previous + (price - old) / self._period
            self._m2 += (price - old) * (price - mean + old - previous)
        self.value = mean
        return mean
