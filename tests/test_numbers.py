"""``as_float``: the remembered Decimal -> float conversion hot paths use."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from agbotkit.model import numbers
from agbotkit.model.numbers import as_float

finite = st.decimals(allow_nan=False, allow_infinity=False, places=6, min_value=-1e6, max_value=1e6)


@given(st.lists(finite, min_size=1, max_size=50))
def test_as_float_is_float_whatever_was_seen_before(values: list[Decimal]) -> None:
    for value in values + values[::-1]:
        assert as_float(value) == float(value)
        # an equal Decimal written otherwise (0.5 and 0.50) gives the same float
        assert as_float(value.quantize(Decimal("0.0000001"))) == float(value)


def test_the_memory_is_bounded() -> None:
    kept = numbers._FLOATS_KEPT
    for n in range(kept + 10):
        as_float(Decimal(n) / 1000)
    assert len(numbers._FLOATS) <= kept
    assert as_float(Decimal("0.001")) == 0.001
