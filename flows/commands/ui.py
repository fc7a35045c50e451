"""``newswatch ui``: the Prefect server and UI with Newswatch's settings, in the foreground."""

from __future__ import annotations

import argparse
import signal
import sys


def register(commands: argparse._SubParsersAction) -> None:
    ui = commands.add_parser(
        "ui", help="start the Prefect server and UI with Newswatch's settings, print the address"
    )
    ui.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    ui.add_argument("--port", type=int, default=None, help="port (default 4200)")
    ui.set_defaults(handler=ui_command)


class _Stop(Exception):
    """SIGTERM: stop the server and exit cleanly."""


def ui_command(args: argparse.Namespace) -> int:
    from flows.server import DEFAULT_HOST, DEFAULT_PORT, ServerError, local_server, prefect_home

    def stop(*_: object) -> None:
        raise _Stop

    signal.signal(signal.SIGTERM, stop)
    host, port = args.host or DEFAULT_HOST, args.port or DEFAULT_PORT
    try:
        with local_server(host, port) as server:
            if not server.started:
                print(f"newswatch: the Prefect UI is already running at {server.url}")
                return 0
            print(f"newswatch: Prefect UI at {server.url} (home {prefect_home()})", flush=True)
            print(
                "newswatch: `newswatch run` and `newswatch serve` on this machine report here; "
                f"elsewhere set PREFECT_API_URL={server.api_url}",
                flush=True,
            )
            server.process.wait()
            print(f"newswatch: the Prefect server stopped (status {server.process.returncode})",
                  file=sys.stderr)
            return 1
    except ServerError as exc:
        print(f"newswatch: {exc}", file=sys.stderr)
        return 1
    except _Stop:
        return 0
