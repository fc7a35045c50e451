"""The ``newswatch`` command: finds its subcommands in ``flows.commands``."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence
from pathlib import Path

import flows.commands
from flows.config import ConfigError


def prefect_defaults() -> None:
    """Give Prefect a home of Newswatch's own unless the user chose one or points at a server.

    Every temporary Prefect server shares its home's SQLite file; a home of our own keeps
    Newswatch's runs apart from other Prefect projects on the machine.
    """
    home = Path(os.environ.get("NEWSWATCH_HOME", "~/.newswatch")).expanduser()
    if "PREFECT_API_URL" not in os.environ and "PREFECT_HOME" not in os.environ:
        (home / "prefect").mkdir(parents=True, exist_ok=True)
        os.environ["PREFECT_HOME"] = str(home / "prefect")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newswatch", description="Watch news sites and alert when a watched term shows up."
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for info in pkgutil.iter_modules(flows.commands.__path__, prefix="flows.commands."):
        module = importlib.import_module(info.name)
        if hasattr(module, "register"):
            module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    prefect_defaults()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        return args.handler(args)
    except ConfigError as exc:
        print(f"newswatch: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
