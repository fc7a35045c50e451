"""The ``newswatch`` command: finds its subcommands in ``flows.commands``."""

from __future__ import annotations

import argparse
import atexit
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence
from typing import NoReturn

import flows.commands
from flows.config import ConfigError
from flows.server import prefect_home, running_server
from spiders.lifeline import start_reaper


def prefect_defaults() -> None:
    """Give Prefect a home of Newswatch's own unless the user chose one or points at a server.

    Every temporary Prefect server shares its home's SQLite file; a home of our own keeps
    Newswatch's runs apart from other Prefect projects on the machine. When ``newswatch ui``
    (or ``serve``) runs a server with that home, commands report to it instead of starting a
    temporary server each.
    """
    if "PREFECT_API_URL" not in os.environ and "PREFECT_HOME" not in os.environ:
        home = prefect_home()
        home.mkdir(parents=True, exist_ok=True)
        os.environ["PREFECT_HOME"] = str(home)
        api_url = running_server(home)
        if api_url:
            os.environ["PREFECT_API_URL"] = api_url
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # A temporary server migrates its database first: slow on a busy machine (Prefect: 20 s).
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")


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
    """Run a command; with no ``argv`` this is the ``newswatch`` process itself (see below)."""
    if argv is None:
        # Whatever this command starts (crawls, Prefect's temporary server, flow-run
        # processes) ends with it, even when it is killed outright.
        start_reaper()
    prefect_defaults()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        code = args.handler(args)
    except ConfigError as exc:
        print(f"newswatch: {exc}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        code = 130
    if argv is None and "prefect" in sys.modules:
        _exit_without_teardown(code)
    return code


def _exit_without_teardown(code: int) -> NoReturn:
    """End the process once every exit handler has run, skipping the interpreter's teardown.

    The handlers are what matters: Prefect's flush of logs and events to the API, logging's
    shutdown. Tearing down the thousands of modules Prefect imports then takes seconds (a
    tenth of a short run) and does nothing for anyone.
    """
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
