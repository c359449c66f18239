"""``TradingHours``: a third-party risk policy, used in policy files as ``type: TradingHours``."""

from __future__ import annotations

import attrs

from agbotkit import FieldValueError, RiskContext, RiskPolicy, ScopedConfig, between

_DAY_MS = 86_400_000
_HOUR_MS = 3_600_000


@attrs.frozen(kw_only=True)
class TradingHoursConfig(ScopedConfig):
    """Options of ``TradingHours``.

    Attributes:
        start_hour_utc: first hour (0-23, UTC) in which orders are allowed.
        end_hour_utc: orders are allowed until this hour (1-24, UTC), not including it.
        market_id: apply to this market only.
        token_id: apply to this token only.
    """

    start_hour_utc: int = attrs.field(validator=between(0, 23))
    end_hour_utc: int = attrs.field(validator=between(1, 24))

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        if self.end_hour_utc <= self.start_hour_utc:
            raise FieldValueError("end_hour_utc", "must be after start_hour_utc")


class TradingHours(RiskPolicy[TradingHoursConfig]):
    """Denies every order outside ``[start_hour_utc, end_hour_utc)``; fails closed without
    a time in the context."""

    Config = TradingHoursConfig

    def check(self, context: RiskContext) -> str | None:
        if context.now_ms is None:
            return "the order has no time (now_ms) to check trading hours against"
        hour = (context.now_ms % _DAY_MS) // _HOUR_MS
        if self.config.start_hour_utc <= hour < self.config.end_hour_utc:
            return None
        return (
            f"outside trading hours {self.config.start_hour_utc:02d}:00-"
            f"{self.config.end_hour_utc:02d}:00 UTC (now {hour:02d}:xx UTC)"
        )
