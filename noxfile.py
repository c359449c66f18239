"""Developer tasks: `nox -s tests`, `nox -s tests_all`, `nox -s lint`, `nox -s bench`,
`nox -s demo`, `nox -s soak`. `./dev SESSION` runs them without installing nox first.

Sessions run on the Python that runs nox, except `tests_all`, which runs the suite on each
supported Python (3.11, 3.12, 3.13) found on this machine and skips the ones it lacks.
"""

from __future__ import annotations

import base64
import os
import pathlib
import secrets
import shutil
import sys
import uuid

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["tests", "lint"]
nox.options.error_on_external_run = True
# Only the Pythons this machine has: none is downloaded, a missing one is skipped (also in
# CI, where nox would otherwise fail on it).
nox.options.download_python = "never"
nox.options.error_on_missing_interpreters = False

SUPPORTED_PYTHONS = ["3.11", "3.12", "3.13"]

ROOT = pathlib.Path(__file__).parent
EXAMPLE_PLUGIN = "./plugins/agbotkit-example"
MINIBOT = "./examples/minibot"
CHROMIUM = pathlib.Path("/usr/bin/chromium")
#: What web/build.py puts into web/vendor/ (and the wheel ships).
UPLOT_FILES = ("uPlot.iife.min.js", "uPlot.min.css", "uPlot.LICENSE")


def apt_install(session: nox.Session, package: str, present: bool, without: str) -> None:
    """Install a Debian package a session needs, unless ``present``; where that cannot be done
    (not root, no apt), warn that ``without`` follows."""
    if present:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        session.warn(f"{package} is missing and cannot be installed here: {without}")
        return
    session.run("apt-get", "update", "-qq", external=True, success_codes=[0, 100])
    session.run(
        "apt-get",
        "install",
        "-y",
        "-qq",
        package,
        external=True,
        success_codes=[0, 100],
        env={"DEBIAN_FRONTEND": "noninteractive"},
    )


def npm(session: nox.Session) -> None:
    """npm, which building agbotkit from this checkout needs while web/vendor/ (uPlot) is
    not built: hatch_build.py runs `npm ci` then, and says so in one line without npm."""
    built = all((ROOT / "web" / "vendor" / name).is_file() for name in UPLOT_FILES)
    apt_install(session, "npm", built or shutil.which("npm") is not None, "building agbotkit stops")


def browser(session: nox.Session) -> None:
    """Debian's Chromium for the browser tests."""
    apt_install(session, "chromium", CHROMIUM.exists(), "the browser tests skip (in CI they fail)")


def postgresql(session: nox.Session) -> None:
    """PostgreSQL's server binaries: the storage tests start a throwaway cluster (initdb +
    pg_ctl on a free port); none needs to run beforehand."""
    present = shutil.which("initdb") is not None or any(
        pathlib.Path("/usr/lib/postgresql").glob("*/bin/initdb")
    )
    apt_install(session, "postgresql", present, "the PostgreSQL storage tests skip")


def monitoring_tools(session: nox.Session) -> None:
    """promtool and amtool (Debian's prometheus and prometheus-alertmanager): the deploy
    tests check and unit-test the alert rules and the Alertmanager config with them."""
    apt_install(session, "prometheus", shutil.which("promtool") is not None, "the rule tests skip")
    apt_install(
        session,
        "prometheus-alertmanager",
        shutil.which("amtool") is not None,
        "the Alertmanager config test skips",
    )


#: The policy scanner of tests/deploy, in a virtual environment of its own: its dependency
#: pins (packaging, python-dateutil...) clash with agbotkit's test dependencies.
CHECKOV = "checkov==3.3.30"


def find_uv() -> str | None:
    """uv, which nox[uv] brings as a package (not always on PATH), else one on PATH."""
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def checkov(session: nox.Session) -> None:
    """Install checkov into .nox/_tools/checkov (once per version) and name it to the tests
    in AGBOTKIT_CHECKOV; where it cannot be installed, warn: its tests then skip."""
    tool = ROOT / ".nox" / "_tools" / "checkov"
    executable = tool / "bin" / "checkov"
    stamp = tool / "installed.txt"
    if not (stamp.is_file() and stamp.read_text(encoding="utf-8") == CHECKOV):
        shutil.rmtree(tool, ignore_errors=True)
        uv = find_uv()
        if uv is not None:
            session.run(uv, "venv", "-q", "-p", sys.executable, str(tool), external=True)
            install = [uv, "pip", "install", "-q", "-p", str(tool / "bin" / "python"), CHECKOV]
        else:
            session.run(sys.executable, "-m", "venv", str(tool), external=True)
            install = [str(tool / "bin" / "python"), "-m", "pip", "install", "-q", CHECKOV]
        session.run(*install, external=True, success_codes=[0, 1, 2])
        if executable.exists():
            stamp.write_text(CHECKOV, encoding="utf-8")
    if executable.exists():
        session.env["AGBOTKIT_CHECKOV"] = str(executable)
    else:
        session.warn(f"{CHECKOV} could not be installed: the checkov scans in tests/deploy skip")


def run_suite(session: nox.Session) -> None:
    """Install agbotkit as a wheel (as a user would) with the example packages, run every
    test, and print the total coverage of the installed package."""
    npm(session)
    browser(session)
    postgresql(session)
    monitoring_tools(session)
    checkov(session)
    session.install(".[test]", EXAMPLE_PLUGIN, MINIBOT)
    session.run(
        "pytest",
        # Bare --cov: what [tool.coverage.run] names, i.e. the installed package only.
        "--cov",
        "--cov-report=term:skip-covered",
        "tests",
        f"{EXAMPLE_PLUGIN}/tests",
        *session.posargs,
    )
    total = session.run("coverage", "report", "--format=total", silent=True)
    session.log(f"coverage of agbotkit (lines and branches): {str(total).strip()} %")


@nox.session(python=None)
def tests(session: nox.Session) -> None:
    """Every test, on the Python that runs nox (CI: 3.11)."""
    run_suite(session)


@nox.session(python=SUPPORTED_PYTHONS)
def tests_all(session: nox.Session) -> None:
    """Every test on each supported Python present here; missing ones are skipped."""
    run_suite(session)


@nox.session(python=None)
def lint(session: nox.Session) -> None:
    """ruff (lint + format check), mypy --strict, import-linter contracts."""
    npm(session)
    session.install("-e", ".[lint,test]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", "--strict", "agbotkit")
    session.run("lint-imports")


@nox.session(python=None)
def bench(session: nox.Session) -> None:
    """Run every benchmark in benchmarks/ and print the numbers the issues ask for."""
    postgresql(session)
    npm(session)
    session.install(".[bench]")
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        session.log(f"== {script.name}")
        session.run("python", str(script))


@nox.session(python=None)
def demo(session: nox.Session) -> None:
    """Install agbotkit and minibot; run the offline demo (dashboard on :8080, Ctrl-C stops).

    `-- --fake-clob` runs examples/demo-polymarket.yaml instead: minibot's orders are signed
    in Polymarket's V2 format and sent to a fake CLOB on 127.0.0.1, with a throwaway key
    and API credentials made for this run (no exchange, no money).
    """
    npm(session)
    session.install(".", MINIBOT)
    args = list(session.posargs)
    if "--fake-clob" not in args:
        session.run("agbotkit", "run", "examples/demo.yaml", *args)
        return
    args.remove("--fake-clob")
    session.log("demo against the fake CLOB, with a throwaway wallet key and API credentials")
    session.run("agbotkit", "run", "examples/demo-polymarket.yaml", *args, env=throwaway_wallet())


def throwaway_wallet() -> dict[str, str]:
    """A random private key and API credentials, and live trading switched on: for the
    fake CLOB only (nothing in it holds money, and the stack talks to 127.0.0.1 only)."""
    return {
        "POLYMARKET_PRIVATE_KEY": secrets.token_hex(32),
        "POLYMARKET_API_KEY": str(uuid.uuid4()),
        "POLYMARKET_API_SECRET": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "POLYMARKET_API_PASSPHRASE": secrets.token_hex(16),
        "AGBOTKIT_LIVE_TRADING": "1",
    }


@nox.session(python=None)
def soak(session: nox.Session) -> None:
    """The demo at full replay speed for 5 minutes: throughput, RSS growth, errors."""
    npm(session)
    session.install(".", MINIBOT)
    session.run("python", "benchmarks/soak.py", *session.posargs)
