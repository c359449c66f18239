"""The ``agbotkit`` command line; the only place that calls ``trio.run``.

Exit codes: 0 after a clean stop or a passing check; 1 when the stack stopped because of an
error; 2 for a usage or config error; 130 when a second signal forced the stop.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

import trio

from agbotkit import __version__
from agbotkit.errors import AgbotkitError, ConfigError, ForcedStopError, PluginError
from agbotkit.logs import configure_logging
from agbotkit.plugins import PluginRegistry
from agbotkit.supervisor import Supervisor, plan_file

__all__ = ["main"]

LOGGER = logging.getLogger("agbotkit")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2
EXIT_FORCED = 130


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (public so docs and tests can inspect it)."""
    parser = argparse.ArgumentParser(
        prog="agbotkit", description="Run and inspect agbotkit trading-bot stacks."
    )
    parser.add_argument("--version", action="version", version=f"agbotkit {__version__}")
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_const",
        const="DEBUG",
        dest="log_level",
        help="log at DEBUG level (same as --log-level debug)",
    )
    parser.add_argument(
        "--log-level",
        type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="default: info",
    )
    parser.add_argument(
        "--log-format",
        default="text",
        choices=["text", "json"],
        help="text for people, json lines for log collectors",
    )
    parser.set_defaults(log_level="INFO")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run a stack until Ctrl-C or SIGTERM")
    run.add_argument("stack", help="the stack file (YAML)")
    check = commands.add_parser("check", help="validate stack files without starting anything")
    check.add_argument("stacks", nargs="+", metavar="stack", help="stack files (YAML)")
    commands.add_parser("plugins", help="list installed plugins")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``agbotkit`` command; returns the exit code."""
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level, args.log_format)
    if args.command == "run":
        return _run(args.stack)
    if args.command == "check":
        return _check(args.stacks)
    return _plugins()


def _run(stack: str) -> int:
    try:
        plan = plan_file(stack)
    except (ConfigError, PluginError) as exc:
        print(f"agbotkit: invalid stack:\n{exc}", file=sys.stderr)
        return EXIT_CONFIG
    supervisor = Supervisor(plan, handle_signals=True)
    try:
        trio.run(supervisor.run)
    except ForcedStopError as exc:
        print(f"agbotkit: {exc}", file=sys.stderr)
        return EXIT_FORCED
    except BaseExceptionGroup as group:
        # Our own errors become a one-line reason; anything else is a bug: traceback.
        ours, other = group.split(AgbotkitError)
        if ours is None or other is not None:
            raise
        reasons = "; ".join(str(exc) for exc in _leaves(ours))
        print(f"agbotkit: stopped: {reasons}", file=sys.stderr)
        return EXIT_FAILED
    LOGGER.info("stopped cleanly")
    return EXIT_OK


def _check(stacks: Sequence[str]) -> int:
    registry = PluginRegistry()
    status = EXIT_OK
    for stack in stacks:
        try:
            plan = plan_file(stack, registry)
        except (ConfigError, PluginError) as exc:
            print(f"{stack}: invalid\n{exc}", file=sys.stderr)
            status = EXIT_CONFIG
            continue
        names = ", ".join(f"{c.name} ({c.spec.kind})" for c in plan.components)
        print(f"{stack}: ok: {len(plan.components)} components: {names}")
    return status


def _plugins() -> int:
    try:
        infos = list(PluginRegistry().infos())
    except PluginError as exc:
        print(f"agbotkit: {exc}", file=sys.stderr)
        return EXIT_FAILED
    rows = [("GROUP", "NAME", "DISTRIBUTION", "VERSION")]
    rows += [(i.group, i.name, i.distribution, i.version) for i in infos]
    widths = [max(len(row[col]) for row in rows) for col in range(4)]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    return EXIT_OK


def _leaves(group: BaseExceptionGroup[BaseException]) -> list[BaseException]:
    leaves: list[BaseException] = []
    for exc in group.exceptions:
        leaves.extend(_leaves(exc) if isinstance(exc, BaseExceptionGroup) else [exc])
    return leaves
