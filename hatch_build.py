"""Build hook: make sure ``web/vendor/`` holds uPlot before a wheel or sdist is built.

The wheel ships the dashboard's page as ``agbotkit/_web`` (see ``pyproject.toml``), uPlot
included, so the dashboard serves it itself. uPlot comes from npm, locked in
``web/package-lock.json``; ``web/build.py`` copies its two dist files and its licence from
``web/node_modules/`` into ``web/vendor/`` (git-ignored). A fresh clone has neither, so this
hook runs those two steps when ``web/vendor/`` is incomplete. An sdist carries the built
``web/vendor/`` (and the sources to rebuild it), so a wheel built from an sdist needs no npm.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, NoReturn

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

WEB = Path(__file__).resolve().parent / "web"
VENDOR_FILES = ("uPlot.iife.min.js", "uPlot.min.css", "uPlot.LICENSE")
NPM_CI = ["ci", "--prefix", str(WEB), "--no-audit", "--no-fund", "--loglevel=error"]
BY_HAND = "`npm ci --prefix web && python3 web/build.py` in the repository's root"


def vendor_is_built() -> bool:
    """True when ``web/vendor/`` holds every file the wheel ships."""
    return all((WEB / "vendor" / name).is_file() for name in VENDOR_FILES)


def fail(message: str) -> NoReturn:
    """Stop the build with one line on stderr (no traceback: the line says what to do)."""
    sys.exit(f"agbotkit build: {message}")


class WebAssetsHook(BuildHookInterface):
    """Fetch uPlot with npm and fill ``web/vendor/`` when it is missing."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if vendor_is_built():
            return
        npm = shutil.which("npm")
        if npm is None:
            fail(
                "web/vendor/ (uPlot, served by the dashboard) is missing and npm is not "
                "installed: install Node.js and npm (Debian/Ubuntu: apt-get install npm) "
                f"or run {BY_HAND} on a machine that has them, then build again"
            )
        self.app.display_info("agbotkit build: fetching uPlot into web/vendor/ (npm ci)")
        steps = ([npm, *NPM_CI], [sys.executable, str(WEB / "build.py")])
        for step in steps:
            result = subprocess.run(step, check=False, capture_output=True, text=True)
            if result.returncode != 0:
                output = (result.stdout + result.stderr).strip()
                self.app.display_error(output)
                fail(f"`{' '.join(step)}` failed (exit {result.returncode}); run {BY_HAND}")
        if not vendor_is_built():
            fail(f"web/vendor/ is still incomplete after npm ci; run {BY_HAND}")
