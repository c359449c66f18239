"""Copy the two uPlot files the dashboard serves into ``web/vendor/`` (git-ignored).

Run after ``npm ci`` in ``web/``: ``python3 web/build.py``. The wheel ships ``web/`` as
``agbotkit/_web`` without ``node_modules``, so ``vendor/`` must exist before building it;
the build hook (``hatch_build.py``) runs both steps when it does not. uPlot's MIT licence
travels with the files.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

WEB = Path(__file__).resolve().parent
UPLOT = WEB / "node_modules" / "uplot"
FILES = {
    UPLOT / "dist" / "uPlot.iife.min.js": "uPlot.iife.min.js",
    UPLOT / "dist" / "uPlot.min.css": "uPlot.min.css",
    UPLOT / "LICENSE": "uPlot.LICENSE",
}


def main() -> int:
    missing = [str(source) for source in FILES if not source.is_file()]
    if missing:
        print(f"uPlot is not installed ({', '.join(missing)}): run `npm ci --prefix {WEB}`")
        return 1
    vendor = WEB / "vendor"
    vendor.mkdir(exist_ok=True)
    for source, name in FILES.items():
        shutil.copyfile(source, vendor / name)
    print(f"copied uPlot into {vendor}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
