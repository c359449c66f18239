"""Developer tasks: `nox -s tests`, `nox -s lint`, `nox -s bench`, `nox -s demo`, `nox -s soak`."""

from __future__ import annotations

import os
import pathlib
import shutil

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["tests", "lint"]
nox.options.error_on_external_run = True

ROOT = pathlib.Path(__file__).parent
EXAMPLE_PLUGIN = "./plugins/agbotkit-example"
MINIBOT = "./examples/minibot"
CHROMIUM = pathlib.Path("/usr/bin/chromium")


def web_assets(session: nox.Session) -> None:
    """uPlot from npm (locked in web/package-lock.json) into web/vendor/, which the wheel
    ships: the dashboard serves it itself, no CDN at run time."""
    session.run(
        "npm", "ci", "--prefix", "web", "--no-audit", "--no-fund", "--loglevel=error", external=True
    )
    session.run("python", "web/build.py")


def apt_install(session: nox.Session, package: str, present: bool, what: str) -> None:
    """Install a Debian package the tests need, unless ``present``; without it the tests
    that need it skip, saying why."""
    if present:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        session.warn(f"{package} is missing and cannot be installed here: {what} skip")
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


def browser(session: nox.Session) -> None:
    """Debian's Chromium for the browser tests."""
    apt_install(session, "chromium", CHROMIUM.exists(), "browser tests")


def postgresql(session: nox.Session) -> None:
    """PostgreSQL's server binaries: the storage tests start a throwaway cluster (initdb +
    pg_ctl on a free port); none needs to run beforehand."""
    present = shutil.which("initdb") is not None or any(
        pathlib.Path("/usr/lib/postgresql").glob("*/bin/initdb")
    )
    apt_install(session, "postgresql", present, "PostgreSQL storage tests")


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """Install agbotkit (as a wheel, like a user) with the example packages; run every test."""
    web_assets(session)
    browser(session)
    postgresql(session)
    session.install(".[test]", EXAMPLE_PLUGIN, MINIBOT)
    session.run(
        "pytest",
        "--cov=agbotkit",
        "--cov-report=term:skip-covered",
        "tests",
        f"{EXAMPLE_PLUGIN}/tests",
        *session.posargs,
    )


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff (lint + format check), mypy --strict, import-linter contracts."""
    web_assets(session)
    session.install("-e", ".[lint,test]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", "--strict", "agbotkit")
    session.run("lint-imports")


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    """Run every benchmark in benchmarks/ and print the numbers the issues ask for."""
    web_assets(session)
    postgresql(session)
    session.install(".[bench]")
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        session.log(f"== {script.name}")
        session.run("python", str(script))


@nox.session(python="3.11")
def demo(session: nox.Session) -> None:
    """Install agbotkit and minibot; run the offline demo (dashboard on :8080, Ctrl-C stops)."""
    web_assets(session)
    session.install(".", MINIBOT)
    session.run("agbotkit", "run", "examples/demo.yaml", *session.posargs)


@nox.session(python="3.11")
def soak(session: nox.Session) -> None:
    """The demo at full replay speed for 5 minutes: throughput, RSS growth, errors."""
    web_assets(session)
    session.install(".", MINIBOT)
    session.run("python", "benchmarks/soak.py", *session.posargs)
