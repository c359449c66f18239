"""The ``agbotkit`` command line; the only place that calls ``trio.run``.

Exit codes: 0 after a clean stop or a passing check; 1 when the stack stopped because of an
error; 2 for a usage or config error; 130 when a second signal forced the stop.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import attrs
import trio

from agbotkit import __version__
from agbotkit.config.document import YamlDocument
from agbotkit.config.schema import ComponentSpec
from agbotkit.config.stack import StackFile, parse_stack
from agbotkit.dashboard.orders_parser import add_orders_parser
from agbotkit.db.parser import add_db_parser
from agbotkit.errors import AgbotkitError, ConfigError, ConfigIssue, ForcedStopError, PluginError
from agbotkit.logs import configure_logging
from agbotkit.plugins import PluginRegistry
from agbotkit.strategies.backtest.parser import add_backtest_parser
from agbotkit.strategies.optimize.parser import add_optimize_parser
from agbotkit.supervisor.plan import plan_file, plan_stack
from agbotkit.supervisor.runner import Supervisor
from agbotkit.venues.polymarket.keys_parser import add_keys_parser

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
    _add_global_options(parser, defaults=True)
    parser.set_defaults(log_level="INFO")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="run a stack until Ctrl-C or SIGTERM")
    run.add_argument("stack", help="the stack file (YAML)")
    check = commands.add_parser("check", help="validate stack files without starting anything")
    check.add_argument("stacks", nargs="+", metavar="stack", help="stack files (YAML)")
    commands.add_parser("plugins", help="list installed plugins")
    record = commands.add_parser(
        "record", help="run a stack and record every market-data frame it receives"
    )
    record.add_argument("stack", help="the stack file (YAML)")
    record.add_argument("-o", "--output", required=True, help="the recording (.jsonl.gz)")
    risk = commands.add_parser(
        "risk",
        help="trigger, reset or show the kill switch of a stack's risk components",
        description="The state file is written at once; a running stack applies it within "
        "its risk component's watch_interval_s (1 s by default).",
    )
    risk.add_argument("action", choices=["kill", "reset", "status"])
    risk.add_argument("--stack", required=True, help="the stack file (YAML)")
    risk.add_argument("--reason", default="", help="why (kill only): kept in the state file")
    risk.add_argument("--component", help="only the risk component of this name")
    add_db_parser(commands)
    add_orders_parser(commands)
    add_keys_parser(commands)
    add_backtest_parser(commands)
    add_optimize_parser(commands)
    _accept_global_options_after_commands(parser)
    return parser


def _add_global_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    # After a command they must not reset what was given before it: no defaults there.
    unset: dict[str, Any] = {} if defaults else {"default": argparse.SUPPRESS}
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_const",
        const="DEBUG",
        dest="log_level",
        help="log at DEBUG level (same as --log-level debug)",
        **unset,
    )
    parser.add_argument(
        "--log-level",
        type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="default: info",
        **unset,
    )
    parser.add_argument(
        "--log-format",
        choices=["text", "json"],
        help="text for people, json lines for log collectors",
        **({"default": "text"} if defaults else unset),
    )


def _accept_global_options_after_commands(parser: argparse.ArgumentParser) -> None:
    """``agbotkit run x.yaml -v`` as well as ``agbotkit -v run x.yaml``."""
    for action in parser._actions:  # argparse has no public walk over its subparsers
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                _add_global_options(command, defaults=False)
                _accept_global_options_after_commands(command)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``agbotkit`` command; returns the exit code."""
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level, args.log_format)
    if args.command == "run":
        return _run(args.stack)
    if args.command == "record":
        return _run(args.stack, record_to=args.output)
    if args.command == "check":
        return _check(args.stacks)
    if args.command == "risk":
        return _risk(args.action, args.stack, args.reason, args.component)
    if args.command == "db":
        return _db(args)
    if args.command == "orders":
        return _orders(args)
    if args.command == "keys":
        return _keys(args)
    if handler := getattr(args, "handler", None):  # "module:function", imported when used
        return int(getattr(importlib.import_module(handler[0]), handler[1])(args))
    return _plugins()


def _run(stack: str, record_to: str | None = None) -> int:
    try:
        issues: list[ConfigIssue] = []  # every problem of the file, reported at once
        stack_file = parse_stack(YamlDocument.from_file(stack), issues=issues)
        if record_to is not None:
            stack_file = _with_recorder(stack_file, Path(record_to).resolve())
        plan = plan_stack(stack_file, PluginRegistry(), issues=issues)
    except (ConfigError, PluginError) as exc:
        print(f"agbotkit: invalid stack:\n{exc}", file=sys.stderr)
        return EXIT_CONFIG
    supervisor = Supervisor(plan, handle_signals=True, freeze_gc=plan.stack.settings.freeze_gc)
    try:
        trio.run(supervisor.run)
    except ForcedStopError as exc:
        print(f"agbotkit: {exc}", file=sys.stderr)
        return EXIT_FORCED
    except KeyboardInterrupt:
        # A Ctrl-C in the instant after the supervisor stopped listening for signals.
        print("agbotkit: interrupted", file=sys.stderr)
        return EXIT_FORCED
    except BaseExceptionGroup as group:
        _, rest = group.split(KeyboardInterrupt)
        if rest is None:
            print("agbotkit: interrupted", file=sys.stderr)
            return EXIT_FORCED
        # Our own errors become a one-line reason; anything else is a bug: traceback.
        ours, other = rest.split(AgbotkitError)
        if ours is None or other is not None:
            raise
        reasons = "; ".join(str(exc) for exc in _leaves(ours))
        print(f"agbotkit: stopped: {reasons}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        # The stack is down: a late signal must not turn the exit into a traceback.
        _ignore_late_signals()
    LOGGER.info("stopped cleanly")
    return EXIT_OK


def _ignore_late_signals() -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _with_recorder(stack_file: StackFile, output: Path) -> StackFile:
    """``stack_file`` with a ``recorder`` component first (started first, stopped last)."""
    taken = {spec.name for spec in stack_file.components}
    name = next(n for n in ("record", "record_", "record__", "agbotkit_record") if n not in taken)
    spec = ComponentSpec(name=name, kind="recorder", options={"path": str(output)})
    return attrs.evolve(stack_file, components=(spec, *stack_file.components))


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
        for component in plan.components:
            for line in component.component_class.describe(component.config, plan.stack_dir):
                print(f"  {component.name}: {line}")
    return status


def _risk(action: str, stack: str, reason: str, component: str | None) -> int:
    # Imported here: the risk component is a plugin, and importing the CLI imports none.
    from agbotkit.risk import commands as risk_commands

    try:
        plan = plan_file(stack, preflight=False)
        targets = risk_commands.risk_targets(
            plan.components, plan.stack_dir, stack_file=stack, only=component
        )
    except (ConfigError, PluginError) as exc:
        print(f"agbotkit: invalid stack:\n{exc}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        lines = risk_commands.run(action, targets, reason=reason)
    except OSError as exc:
        print(f"agbotkit: cannot write the kill state: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return _db_print(lines)


def _orders(args: argparse.Namespace) -> int:
    # Imported here: the dashboard is a plugin, and importing the CLI imports none.
    from agbotkit.dashboard import client

    try:
        plan = plan_file(args.stack, preflight=False)
        target = client.dashboard_target(
            plan.components, stack_file=args.stack, only=args.component
        )
    except (ConfigError, PluginError) as exc:
        print(f"agbotkit: invalid stack:\n{exc}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        lines = client.run(
            args.orders_action,
            target,
            order_id=getattr(args, "order_id", None),
            venue=getattr(args, "venue", None),
            market=getattr(args, "market", None),
            reason=getattr(args, "reason", ""),
        )
    except client.OrdersCommandError as exc:
        print(f"agbotkit: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return _db_print(lines)


def _keys(args: argparse.Namespace) -> int:
    # Imported here: the venue is a plugin, and importing the CLI imports none.
    from agbotkit.venues.polymarket import derive

    try:
        components = plan_file(args.stack, preflight=False).components
        config = derive.polymarket_venue(components, args.stack, args.venue)
        job = partial(derive.derive_and_write, config, args.out, nonce=args.nonce)
        path, key = trio.run(partial(job, overwrite=args.force))
    except (ConfigError, PluginError) as exc:
        print(f"agbotkit: invalid stack:\n{exc}", file=sys.stderr)
        return EXIT_CONFIG
    except AgbotkitError as exc:
        print(f"agbotkit: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"wrote the API credentials of key {key}… to {path} (readable by you only)")
    return EXIT_OK


def _db(args: argparse.Namespace) -> int:
    # Imported here: storage is optional machinery; `agbotkit run` does not need it loaded.
    from agbotkit.db import commands as db_commands

    try:
        plan = plan_file(args.stack, preflight=False)
        backend = db_commands.find_database(
            plan.components, plan.stack_dir, stack_file=args.stack, only=args.component
        )
    except (ConfigError, PluginError) as exc:
        print(f"agbotkit: invalid stack:\n{exc}", file=sys.stderr)
        return EXIT_CONFIG
    except AgbotkitError as exc:  # e.g. the PostgreSQL driver is not installed
        print(f"agbotkit: {exc}", file=sys.stderr)
        return EXIT_FAILED
    try:
        if args.db_action == "status":
            lines = db_commands.status_lines(backend)
        elif handler := getattr(args, "handler", None):  # export-frames: (module, function)
            lines = getattr(importlib.import_module(handler[0]), handler[1])(backend, args)
        elif args.db_action in ("upgrade", "downgrade"):
            lines = db_commands.schema_lines(
                backend,
                args.db_action,
                args.to,
                confirm=_db_confirm(getattr(args, "yes", False)),
                force=getattr(args, "force", False),
            )
        else:
            lines = db_commands.query_lines(backend, _db_query(args, db_commands))
    except ValueError as exc:
        print(f"agbotkit: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except AgbotkitError as exc:
        print(f"agbotkit: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        backend.close()
    return _db_print(lines)


def _db_confirm(yes: bool) -> Callable[[str], bool]:
    """How ``db downgrade`` confirms: ``--yes``, else a question on the terminal."""

    def ask(question: str) -> bool:
        if yes:
            return True
        if not sys.stdin.isatty():
            raise ValueError(
                f"refusing to {question.rstrip('?')}: stdin is not a terminal to ask on "
                "(pass --yes to confirm)"
            )
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")

    return ask


def _db_print(lines: Sequence[str]) -> int:
    """Print ``lines``; a reader that stops early (``| head``) is not an error."""
    try:
        for line in lines:
            print(line)
        sys.stdout.flush()
    except BrokenPipeError:
        # Point stdout at /dev/null: the interpreter's own flush at exit would hit the
        # closed pipe again and print a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return EXIT_OK


def _db_query(args: argparse.Namespace, db_commands: Any) -> Any:
    """The query a ``db metrics|orders|fills`` command line asks for."""
    labels = {}
    for label in getattr(args, "label", []):
        key, sep, value = label.partition("=")
        if not sep or not key:
            raise ValueError(f"--label must be key=value, got {label!r}")
        labels[key] = value
    now = db_commands.parse_time("0s")
    return db_commands.QueryArgs(
        what=args.db_action,
        start_ms=db_commands.parse_time(args.since, now),
        end_ms=now if args.until is None else db_commands.parse_time(args.until, now),
        name=getattr(args, "name", None),
        labels=labels,
        max_points=getattr(args, "points", None),
        venue=getattr(args, "venue", None),
        market=getattr(args, "market", None),
        status=getattr(args, "status", None),
        order_id=getattr(args, "order_id", None),
        token_id=getattr(args, "token", None),
        limit=getattr(args, "limit", 10_000),
        output=args.format,
    )


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
