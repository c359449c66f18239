"""The arguments of ``agbotkit orders ...`` (the command line itself is :mod:`agbotkit.cli`;
the commands, :mod:`agbotkit.dashboard.client`)."""

from __future__ import annotations

import argparse

__all__ = ["add_orders_parser"]


def add_orders_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``orders`` and its actions (list, cancel ID, cancel-all)."""
    orders = commands.add_parser(
        "orders",
        help="list or cancel a running stack's open orders (through its dashboard)",
        description="The commands call the API of the stack's dashboard component, with the "
        "access token it reads (token_env or token_file): the stack must be running, with a "
        "dashboard and an execution component.",
    )
    actions = orders.add_subparsers(dest="orders_action", required=True, metavar="ACTION")
    for name, text in (
        ("list", "the open orders, most recently changed first"),
        ("cancel", "cancel one order, by its client order id"),
        ("cancel-all", "cancel every open order (of one venue or market with --venue, --market)"),
    ):
        action = actions.add_parser(name, help=text)
        if name == "cancel":
            action.add_argument("order_id", metavar="ID", help="the client order id")
        action.add_argument("--stack", required=True, help="the stack file (YAML)")
        action.add_argument("--component", help="the dashboard component, when there are several")
        if name == "cancel-all":
            action.add_argument("--venue", help="only this venue's orders")
            action.add_argument("--market", help="only this market's orders (condition id)")
        if name != "list":
            action.add_argument("--reason", default="", help="why: logged and stored")
