"""One fixed-capacity ring of ``(timestamp_ms, value)`` points: :class:`TimeSeries`, and the
argument checks it shares with :mod:`agbotkit.timeseries.store` (policies in
:mod:`agbotkit.timeseries`)."""

from __future__ import annotations

import math
import numbers
import operator
from typing import NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt

from agbotkit.errors import OutOfOrderError, TimeSeriesError

__all__ = ["Points", "TimeSeries"]

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1

TimestampArray = npt.NDArray[np.int64]
ValueArray = npt.NDArray[np.float64]
_Scalar = TypeVar("_Scalar", bound=np.generic)


class Points(NamedTuple):
    """Points returned by a query, as two arrays of the same length.

    Attributes:
        timestamps: Unix epoch milliseconds (``int64``).
        values: the values (``float64``).
    """

    timestamps: TimestampArray
    values: ValueArray


def _count(value: object, name: str, minimum: int) -> int:
    """Return ``value`` as a Python int >= ``minimum``, or raise :class:`TimeSeriesError`."""
    if type(value) is int:  # the common case skips the (slow) ABC checks
        count = value
    elif isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TimeSeriesError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    else:
        count = operator.index(value)
    if count < minimum:
        raise TimeSeriesError(f"{name} must be >= {minimum}, got {count}")
    return count


def _timestamp(value: object, name: str) -> int:
    """Return ``value`` as a Python int timestamp, or raise :class:`TimeSeriesError`."""
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        if not math.isfinite(value):
            raise TimeSeriesError(f"{name} must be a finite integer, got {value!r}")
        raise TimeSeriesError(
            f"{name} must be an integer (milliseconds), got {type(value).__name__} {value!r}"
        )
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TimeSeriesError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    return operator.index(value)


def _value(value: object) -> float:
    """Return ``value`` as a Python float, or raise :class:`TimeSeriesError`."""
    if not isinstance(value, numbers.Real):
        raise TimeSeriesError(f"value must be a real number, got {type(value).__name__} {value!r}")
    try:
        return float(value)
    except OverflowError:
        raise TimeSeriesError(f"value {value!r} does not fit a float64") from None


def _out(
    out: npt.NDArray[_Scalar] | None, dtype: type[_Scalar], room: int, name: str
) -> npt.NDArray[_Scalar] | None:
    """Check a caller-provided output array; return it, or ``None`` when none was given."""
    if out is None:
        return None
    if not isinstance(out, np.ndarray) or out.dtype != dtype or out.ndim != 1:
        raise TimeSeriesError(f"{name} must be a 1-D numpy array of {np.dtype(dtype).name}")
    if out.shape[0] < room:
        raise TimeSeriesError(
            f"{name} has room for {out.shape[0]} points, this query needs room for {room}"
        )
    return out


class TimeSeries:
    """A ring buffer of the newest ``capacity`` points of one series.

    ``append`` is the hot path: it allocates nothing and touches only Python ints besides
    the two array writes. See the module docstring for the order and downsampling rules.

    Args:
        capacity: how many points to keep, at least 1.

    Raises:
        TimeSeriesError: if ``capacity`` is not an integer >= 1.
    """

    __slots__ = ("_capacity", "_head", "_last_ts", "_len", "_ts", "_values")

    def __init__(self, capacity: int) -> None:
        self._capacity = _count(capacity, "capacity", 1)
        # empty + fill rather than zeros: calloc'd pages would be faulted in on first write,
        # during appends; filling commits the memory now.
        self._ts: TimestampArray = np.empty(self._capacity, dtype=np.int64)
        self._ts.fill(0)
        self._values: ValueArray = np.empty(self._capacity, dtype=np.float64)
        self._values.fill(0.0)
        self._head = 0  # physical index the next append writes to
        self._len = 0
        self._last_ts = _INT64_MIN  # newest stored timestamp; INT64_MIN while empty

    @property
    def capacity(self) -> int:
        """How many points the series keeps."""
        return self._capacity

    @property
    def last_timestamp_ms(self) -> int | None:
        """The newest stored timestamp, or ``None`` while the series is empty."""
        return self._last_ts if self._len else None

    def __len__(self) -> int:
        return self._len

    def append(self, timestamp_ms: int, value: float) -> None:
        """Append one point, evicting the oldest when full.

        Args:
            timestamp_ms: Unix epoch milliseconds; not older than the newest stored point.
            value: the value (NaN is stored as is).

        Raises:
            OutOfOrderError: if ``timestamp_ms`` is older than the newest stored point.
            TimeSeriesError: if ``timestamp_ms`` is not a finite integer fitting int64, or
                ``value`` is not a real number.
        """
        # The common case (Python int and float) skips every isinstance check.
        if type(timestamp_ms) is not int:
            timestamp_ms = _timestamp(timestamp_ms, "timestamp_ms")
        if timestamp_ms < self._last_ts or timestamp_ms > _INT64_MAX:
            self._refuse(timestamp_ms)
        if type(value) is not float:
            value = _value(value)
        head = self._head
        self._ts[head] = timestamp_ms
        self._values[head] = value
        self._last_ts = timestamp_ms
        head += 1
        self._head = 0 if head == self._capacity else head
        if self._len != self._capacity:
            self._len += 1

    def _refuse(self, timestamp_ms: int) -> None:
        if timestamp_ms < _INT64_MIN or timestamp_ms > _INT64_MAX:
            raise TimeSeriesError(f"timestamp_ms {timestamp_ms} does not fit a signed 64-bit int")
        raise OutOfOrderError(timestamp_ms, self._last_ts)

    def append_many(self, timestamps: npt.ArrayLike, values: npt.ArrayLike) -> None:
        """Append a batch of points, as if appended one by one (but all or nothing).

        When the batch holds more than ``capacity`` points only its last ``capacity`` are
        kept. The batch is validated in full before anything is stored.

        Args:
            timestamps: 1-D integer array, sorted non-decreasing, its first element not
                older than the newest stored point.
            values: 1-D array of the same length, converted to float64.

        Raises:
            OutOfOrderError: if the batch starts before the newest stored point.
            TimeSeriesError: if the arrays are not 1-D of the same length, the timestamps
                are not integers fitting int64 or are not sorted.
        """
        ts = np.asarray(timestamps)
        vals = np.asarray(values, dtype=np.float64)
        if ts.ndim != 1 or vals.ndim != 1:
            raise TimeSeriesError("timestamps and values must be 1-D arrays")
        n = ts.shape[0]
        if vals.shape[0] != n:
            raise TimeSeriesError(
                f"timestamps and values differ in length ({n} != {vals.shape[0]})"
            )
        if n == 0:
            return
        if ts.dtype.kind not in "iu":
            raise TimeSeriesError(
                f"timestamps must be an integer array (milliseconds), got dtype {ts.dtype}"
            )
        if ts.dtype != np.int64:
            if ts.dtype.kind == "u" and int(ts.max()) > _INT64_MAX:
                raise TimeSeriesError("timestamps do not fit a signed 64-bit int")
            ts = ts.astype(np.int64)
        if n > 1 and bool((ts[1:] < ts[:-1]).any()):
            raise TimeSeriesError("timestamps must be sorted non-decreasing")
        first = int(ts[0])
        if first < self._last_ts:
            raise OutOfOrderError(first, self._last_ts)
        keep = min(n, self._capacity)
        src_ts, src_vals = ts[n - keep :], vals[n - keep :]
        head = self._head
        split = min(keep, self._capacity - head)  # what fits before the end of the arrays
        self._ts[head : head + split] = src_ts[:split]
        self._values[head : head + split] = src_vals[:split]
        self._ts[: keep - split] = src_ts[split:]
        self._values[: keep - split] = src_vals[split:]
        self._head = (head + keep) % self._capacity
        self._len = min(self._len + keep, self._capacity)
        self._last_ts = int(ts[-1])

    def query_last(
        self,
        n: int,
        *,
        out_ts: TimestampArray | None = None,
        out_values: ValueArray | None = None,
    ) -> Points:
        """Return the newest ``min(n, len(self))`` points, newest first.

        Args:
            n: how many points at most; 0 gives empty arrays.
            out_ts: optional array to write the timestamps into, with room for
                ``min(n, capacity)`` points.
            out_values: optional array to write the values into, likewise.

        Returns:
            The points; views of the filled prefix of ``out_ts`` / ``out_values`` when given.

        Raises:
            TimeSeriesError: if ``n`` is not an integer >= 0 or an output array is unfit.
        """
        n = _count(n, "n", 0)
        room = min(n, self._capacity)
        dst_ts = _out(out_ts, np.int64, room, "out_ts")
        dst_vals = _out(out_values, np.float64, room, "out_values")
        k = min(n, self._len)
        dst_ts = np.empty(k, dtype=np.int64) if dst_ts is None else dst_ts[:k]
        dst_vals = np.empty(k, dtype=np.float64) if dst_vals is None else dst_vals[:k]
        self._copy(self._len - k, self._len, dst_ts, dst_vals, newest_first=True)
        return Points(dst_ts, dst_vals)

    def query_range(
        self,
        start_ms: int,
        end_ms: int,
        max_points: int,
        *,
        out_ts: TimestampArray | None = None,
        out_values: ValueArray | None = None,
    ) -> Points:
        """Return the points with ``start_ms <= timestamp <= end_ms``, oldest first.

        Finds the range by binary search. When more than ``max_points`` points fall in it,
        they are downsampled to exactly ``max_points`` (module docstring: the newest point of
        each of ``max_points`` equal buckets).

        Args:
            start_ms: first timestamp of the range, inclusive.
            end_ms: last timestamp of the range, inclusive; not before ``start_ms``.
            max_points: the most points to return, at least 1.
            out_ts: optional array to write the timestamps into, with room for
                ``min(max_points, capacity)`` points.
            out_values: optional array to write the values into, likewise.

        Returns:
            The points; views of the filled prefix of ``out_ts`` / ``out_values`` when given.

        Raises:
            TimeSeriesError: if a bound is not a finite integer, ``start_ms > end_ms``,
                ``max_points`` is not an integer >= 1, or an output array is unfit.
        """
        if type(start_ms) is not int:
            start_ms = _timestamp(start_ms, "start_ms")
        if type(end_ms) is not int:
            end_ms = _timestamp(end_ms, "end_ms")
        if start_ms > end_ms:
            raise TimeSeriesError(f"start_ms {start_ms} is after end_ms {end_ms}")
        max_points = _count(max_points, "max_points", 1)
        room = min(max_points, self._capacity)
        dst_ts = _out(out_ts, np.int64, room, "out_ts")
        dst_vals = _out(out_values, np.float64, room, "out_values")
        # Bounds beyond int64 match everything on that side; clamp so numpy can compare.
        start_ms = max(start_ms, _INT64_MIN)
        end_ms = min(end_ms, _INT64_MAX)
        oldest, run_a = self._runs()
        run_1 = self._ts[oldest : oldest + run_a]
        # Every point of the first run is <= every point of the second, so a count over the
        # whole ring is the sum of the counts over the two sorted runs.
        lo = int(run_1.searchsorted(start_ms, "left"))
        hi = int(run_1.searchsorted(end_ms, "right"))
        if self._len > run_a:
            run_2 = self._ts[: self._len - run_a]
            lo += int(run_2.searchsorted(start_ms, "left"))
            hi += int(run_2.searchsorted(end_ms, "right"))
        count = hi - lo
        k = min(count, max_points)
        dst_ts = np.empty(k, dtype=np.int64) if dst_ts is None else dst_ts[:k]
        dst_vals = np.empty(k, dtype=np.float64) if dst_vals is None else dst_vals[:k]
        if count <= max_points:
            self._copy(lo, hi, dst_ts, dst_vals, newest_first=False)
        else:
            # Newest point of each bucket; each bucket holds >= 1 point as count > max_points.
            picks = np.arange(1, max_points + 1, dtype=np.int64)
            picks *= count
            picks //= max_points
            picks += oldest + lo - 1  # logical -> physical; mode="wrap" folds the ring
            np.take(self._ts, picks, out=dst_ts, mode="wrap")
            np.take(self._values, picks, out=dst_vals, mode="wrap")
        return Points(dst_ts, dst_vals)

    def _runs(self) -> tuple[int, int]:
        """Return ``(oldest, run_a)``: where the oldest point is, and the first run's length.

        Logical index ``i`` (0 = oldest) lives at physical ``(oldest + i) % capacity``; the
        first run is physical ``[oldest, oldest + run_a)``, the second ``[0, len - run_a)``.
        """
        if self._len < self._capacity:
            return 0, self._len
        return self._head, self._capacity - self._head

    def _copy(
        self, lo: int, hi: int, dst_ts: TimestampArray, dst_vals: ValueArray, *, newest_first: bool
    ) -> None:
        """Copy logical points ``[lo, hi)`` into ``dst_ts`` / ``dst_vals``, in either order."""
        oldest, run_a = self._runs()
        a_lo, a_hi = oldest + min(lo, run_a), oldest + min(hi, run_a)  # part in the first run
        b_lo, b_hi = max(lo, run_a) - run_a, max(hi, run_a) - run_a  # part in the second run
        na, nb = a_hi - a_lo, b_hi - b_lo
        # Each numpy slice assignment costs ~0.5 µs even when empty: skip the empty ones.
        if newest_first:
            if nb:
                dst_ts[:nb] = self._ts[b_lo:b_hi][::-1]
                dst_vals[:nb] = self._values[b_lo:b_hi][::-1]
            if na:
                dst_ts[nb:] = self._ts[a_lo:a_hi][::-1]
                dst_vals[nb:] = self._values[a_lo:a_hi][::-1]
        else:
            if na:
                dst_ts[:na] = self._ts[a_lo:a_hi]
                dst_vals[:na] = self._values[a_lo:a_hi]
            if nb:
                dst_ts[na:] = self._ts[b_lo:b_hi]
                dst_vals[na:] = self._values[b_lo:b_hi]
