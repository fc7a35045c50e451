"""The ``newswatch`` command."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

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


def main(argv: Sequence[str] | None = None) -> int:
    prefect_defaults()
    parser = _parser()
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newswatch", description="Watch news sites and alert when a watched term shows up."
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    demo = commands.add_parser("demo", help="run the whole pipeline once against a sample site")
    demo.set_defaults(handler=_demo)

    run = commands.add_parser("run", help="one run now: crawl, store, match, deliver")
    _config_option(run)
    run.add_argument("--site", action="append", metavar="NAME", help="only this site (repeatable)")
    run.set_defaults(handler=_run)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(title="commands", metavar="COMMAND")
    upgrade = db_commands.add_parser("upgrade", help="apply database migrations")
    _config_option(upgrade)
    upgrade.set_defaults(handler=_db_upgrade)
    return parser


def _config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="config file (default: $NEWSWATCH_CONFIG, else newswatch.yaml)",
    )


def _run(args: argparse.Namespace) -> int:
    from flows.config import load_config
    from flows.run import newswatch_run

    config = load_config(args.config)  # a config error stops here, before Prefect starts
    for name in args.site or ():
        config.site(name)
    state = newswatch_run(config_path=config.source, sites=args.site, return_state=True)
    if state.is_completed():
        print(f"newswatch: {state.message}")
        return 0
    print("newswatch: the run failed:", file=sys.stderr)
    for line in (state.message or "unknown error").splitlines():
        print(f"  {line}", file=sys.stderr)
    return 1


def _demo(args: argparse.Namespace) -> int:
    from flows.demo import run_demo

    return run_demo()


def _db_upgrade(args: argparse.Namespace) -> int:
    from flows.config import load_config
    from store.db import create_db_engine, upgrade

    config = load_config(args.config)
    applied = upgrade(create_db_engine(config.database))
    print("newswatch: database upgraded" if applied else "newswatch: database already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
