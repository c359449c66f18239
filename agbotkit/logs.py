"""Log set-up for the command line (text for people, JSON lines for machines), and a
rate-limited warning for anything that can repeat many times a second."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from typing import Any

__all__ = ["CONSOLE_HANDLER", "JsonFormatter", "WarningThrottle", "configure_logging"]

_TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
# Attributes every LogRecord has; anything else was passed in `extra=` and is kept.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


#: The name of the handler :func:`configure_logging` installs (so it can be found again).
CONSOLE_HANDLER = "agbotkit.console"


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Send logs to stderr at ``level`` in ``fmt`` (``text`` or ``json``)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(CONSOLE_HANDLER)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        formatter = logging.Formatter(_TEXT_FORMAT, "%Y-%m-%dT%H:%M:%S")
        formatter.converter = time.gmtime
        handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


class WarningThrottle:
    """Logs a warning per key at most once per ``interval_s``, saying how many were hidden."""

    def __init__(
        self,
        logger: logging.Logger,
        interval_s: float = 10.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._interval = interval_s
        self._clock = clock
        self._last: dict[str, float] = {}
        self._hidden: dict[str, int] = {}

    def warn(self, key: str, message: str, *args: object) -> None:
        """Log ``message % args`` unless ``key`` was logged less than the interval ago."""
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last < self._interval:
            self._hidden[key] = self._hidden.get(key, 0) + 1
            return
        hidden = self._hidden.pop(key, 0)
        self._last[key] = now
        if hidden:
            self._logger.warning(message + " (%d more like it not logged)", *args, hidden)
        else:
            self._logger.warning(message, *args)
