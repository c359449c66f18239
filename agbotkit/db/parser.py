"""The arguments of ``agbotkit db ...`` (the command line itself is :mod:`agbotkit.cli`)."""

from __future__ import annotations

import argparse

from agbotkit.db.records import OrderStatus

__all__ = ["add_db_parser"]


def add_db_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``db`` and its actions (status, upgrade, downgrade, metrics, orders, ...)."""
    db = commands.add_parser(
        "db",
        help="the database of a stack's storage component: schema and stored rows",
        description="Times (--since, --until) are epoch ms, ISO 8601 (UTC unless an offset "
        "is given) or a duration before now such as 15m, 2h, 7d. Output piped into a reader "
        "that stops early (| head) ends quietly, with exit code 0.",
    )
    actions = db.add_subparsers(dest="db_action", required=True, metavar="ACTION")
    for name, text in (
        ("status", "schema version, pending migrations and rows per table"),
        ("upgrade", "apply pending migrations (up to --to)"),
        ("downgrade", "undo migrations down to --to N (0 removes every table)"),
        ("metrics", "stored samples of a metric"),
        ("orders", "stored order events"),
        ("fills", "stored fills"),
        ("positions", "stored position snapshots"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("--stack", required=True, help="the stack file (YAML)")
        action.add_argument("--component", help="the storage component, when there are several")
        if name == "upgrade":
            action.add_argument("--to", type=int, help="the schema version to reach")
        if name == "downgrade":
            action.add_argument(
                "--to", type=int, required=True, help="the schema version to reach (required)"
            )
            action.add_argument(
                "--yes",
                action="store_true",
                help="do not ask (scripts); without it the question is asked on a terminal, "
                "and the downgrade is refused when stdin is not one",
            )
            action.add_argument(
                "--force",
                action="store_true",
                help="also when it drops orders or fills that hold rows",
            )
        if name in ("metrics", "orders", "fills", "positions"):
            if name == "metrics":
                action.add_argument("name", help="the metric name; * matches anything")
                action.add_argument(
                    "--label", action="append", default=[], help="key=value (repeatable)"
                )
                action.add_argument("--points", type=int, help="downsample to at most N points")
            else:
                if name != "positions":
                    action.add_argument("--venue")
                    action.add_argument(
                        "--order-id",
                        help="the order's id (orders: the client order id; fills: the "
                        "venue's order id, else the client order id)",
                    )
                action.add_argument("--market", help="market (condition id)")
                action.add_argument("--token", help="the outcome token's id")
                action.add_argument("--limit", type=int, default=10_000)
            if name == "orders":
                action.add_argument(
                    "--status",
                    choices=[status.value for status in OrderStatus],
                    help="rows of this status only (approved, denied: the risk component's)",
                )
            action.add_argument("--since", default="1d", help="default: 1d (one day ago)")
            action.add_argument("--until", help="default: now")
            action.add_argument("--format", choices=["table", "json", "csv"], default="table")
    export = actions.add_parser(
        "export-frames", help="stored raw frames as a recording (for replay and backtests)"
    )
    export.add_argument("--stack", required=True, help="the stack file (YAML)")
    export.add_argument("--component", help="the storage component, when there are several")
    export.add_argument("--out", required=True, help="the recording to write (.jsonl.gz)")
    export.add_argument("--since", default="1d", help="default: 1d (one day ago)")
    export.add_argument("--until", help="default: now")
    export.add_argument("--feed", choices=["clob", "rtds"], help="one feed only (default: all)")
    # Its body writes the replay's file format, a layer above the database library.
    export.set_defaults(handler=("agbotkit.marketdata.replay.export", "export_lines"))
