"""``newswatch db upgrade``: apply database migrations."""

from __future__ import annotations

import argparse

from flows.commands.options import add_config_option


def register(commands: argparse._SubParsersAction) -> None:
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(title="commands", metavar="COMMAND")
    upgrade = db_commands.add_parser("upgrade", help="apply database migrations")
    add_config_option(upgrade)
    upgrade.set_defaults(handler=upgrade_command)


def upgrade_command(args: argparse.Namespace) -> int:
    from flows.config import load_config
    from store.db import create_db_engine, upgrade

    config = load_config(args.config)
    applied = upgrade(create_db_engine(config.database))
    print("newswatch: database upgraded" if applied else "newswatch: database already up to date")
    return 0
