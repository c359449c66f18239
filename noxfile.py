"""Developer tasks: `nox -s tests`, `nox -s lint`, `nox -s bench`, `nox -s demo`."""

from __future__ import annotations

import pathlib

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["tests", "lint"]
nox.options.error_on_external_run = True

ROOT = pathlib.Path(__file__).parent
EXAMPLE_PLUGIN = "./plugins/agbotkit-example"


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """Install agbotkit (as a wheel, like a user) with the example plugin and run every test."""
    session.install(".[test]", EXAMPLE_PLUGIN)
    session.run(
        "pytest",
        "--cov=agbotkit",
        "--cov-report=term:skip-covered",
        "--cov-report=xml",
        "tests",
        f"{EXAMPLE_PLUGIN}/tests",
        *session.posargs,
    )


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff (lint + format check), mypy --strict, import-linter contracts."""
    session.install("-e", ".[lint,test]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", "--strict", "agbotkit")
    session.run("lint-imports")


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    """Run every benchmark in benchmarks/ and print the numbers the issues ask for."""
    session.install(".")
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        session.log(f"== {script.name}")
        session.run("python", str(script))


@nox.session(python="3.11")
def demo(session: nox.Session) -> None:
    """Install agbotkit and run the offline demo stack (Ctrl-C to stop)."""
    session.install(".")
    session.run("agbotkit", "run", "examples/demo.yaml", *session.posargs)
