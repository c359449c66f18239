"""minibot (the example bot): what it prints reaches the console once."""

from __future__ import annotations

import logging

import pytest
from agbotkit_minibot.bot import Minibot, MinibotConfig

from agbotkit.abc import ComponentContext
from agbotkit.bus.bus import Bus


@pytest.mark.parametrize("to_stdout", [True, False])
def test_each_line_reaches_the_console_once(
    capsys: pytest.CaptureFixture[str], to_stdout: bool
) -> None:
    root = logging.getLogger()
    console = logging.StreamHandler()  # what `agbotkit run` puts on the root logger: stderr
    root.addHandler(console)
    name = f"minibot_{to_stdout}"
    try:
        bot = Minibot(MinibotConfig(log_to_stdout=to_stdout), ComponentContext(name, Bus()))
        bot.context.logger.warning("bought 5 of 0xabc")
    finally:
        root.removeHandler(console)
        logger = logging.getLogger(f"agbotkit.component.{name}")
        logger.handlers.clear()
        logger.propagate = True
    out, err = capsys.readouterr()
    assert (out + err).count("bought 5 of 0xabc") == 1
    assert ("minibot: bought 5 of 0xabc" in out) is to_stdout
