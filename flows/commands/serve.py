"""``newswatch serve``: long-lived, every site on its own schedule as a Prefect deployment."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import TYPE_CHECKING

from flows.commands.options import add_config_option

if TYPE_CHECKING:
    from flows.config import Config


def register(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser(
        "serve", help="long-lived: run each site on its own schedule (Prefect deployments)"
    )
    add_config_option(serve)
    serve.set_defaults(handler=serve_command)


def serve_command(args: argparse.Namespace) -> int:
    from flows.config import load_config

    # Until Prefect's runner takes SIGTERM over, it unwinds (stopping a server we started).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    config = load_config(args.config)  # a config error stops here, before Prefect starts
    if not config.sites:
        print(f"newswatch: {config.source}: sites: no sites to serve", file=sys.stderr)
        return 2
    from flows.serve import serve_config

    if "PREFECT_API_URL" in os.environ:
        import httpx

        try:
            serve_config(config)
        except httpx.HTTPError as exc:  # raised before serving: nothing ran yet
            url = os.environ["PREFECT_API_URL"]
            print(f"newswatch: cannot reach the Prefect server at {url}: {exc}", file=sys.stderr)
            return 1
    else:
        # Flow runs happen in child processes that must all reach one server: a temporary
        # server per process would lose track of the one-run-per-site limits.
        serve_with_own_server(config)
    print("newswatch: stopped serving")
    return 0


def serve_with_own_server(config: Config) -> None:
    """Serve with a Prefect server of this process's own, on a free port, stopped with it."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.serve import serve_config
    from flows.server import free_port, local_server, prefect_home

    log = prefect_home() / "server.log"
    print(f"newswatch: starting a Prefect server (log: {log}) ...", flush=True)
    with local_server(port=free_port(), log=log) as server:
        print(f"newswatch: Prefect UI at {server.url}", flush=True)
        os.environ["PREFECT_API_URL"] = server.api_url  # for the flow run processes
        with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
            serve_config(config)
