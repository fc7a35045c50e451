"""``newswatch ui``: the Prefect server and UI with Newswatch's settings, in the foreground.

It listens on loopback unless told otherwise (``--host``, else ``PREFECT_SERVER_API_HOST``).
Anyone who reaches the Prefect API can start flow runs and read every run's logs and
parameters, so any other address needs ``PREFECT_SERVER_API_AUTH_STRING`` (``user:password``,
Prefect's basic auth; clients then set ``PREFECT_API_AUTH_STRING``): without it the command
refuses to start.
"""

from __future__ import annotations

import argparse
import ipaddress
import signal
import sys


def register(commands: argparse._SubParsersAction) -> None:
    ui = commands.add_parser(
        "ui", help="start the Prefect server and UI with Newswatch's settings, print the address"
    )
    ui.add_argument("--host", default=None,
                    help="address to listen on (default $PREFECT_SERVER_API_HOST, else 127.0.0.1);"
                         " any but loopback needs PREFECT_SERVER_API_AUTH_STRING=user:password")
    ui.add_argument("--port", type=int, default=None, help="port (default 4200)")
    ui.set_defaults(handler=ui_command)


class _Stop(Exception):
    """SIGTERM: stop the server and exit cleanly."""


def ui_command(args: argparse.Namespace) -> int:
    from prefect.settings import get_current_settings

    from flows.server import DEFAULT_HOST, DEFAULT_PORT, ServerError, local_server, prefect_home

    def stop(*_: object) -> None:
        raise _Stop

    signal.signal(signal.SIGTERM, stop)
    api = get_current_settings().server.api
    host, port = args.host or api.host or DEFAULT_HOST, args.port or DEFAULT_PORT
    authenticated = bool(api.auth_string and api.auth_string.get_secret_value())
    if not authenticated and not _is_loopback(host):
        print(f"newswatch: --host {host} would open the Prefect API, which starts flow runs and "
              "shows every run's logs, to the network without a password; set "
              "PREFECT_SERVER_API_AUTH_STRING=user:password (and PREFECT_API_AUTH_STRING on the "
              "clients), or listen on 127.0.0.1", file=sys.stderr)
        return 2
    try:
        with local_server(host, port) as server:
            if not server.started:
                print(f"newswatch: the Prefect UI is already running at {server.url}")
                return 0
            print(f"newswatch: Prefect UI at {server.url} (home {prefect_home()})", flush=True)
            print(
                "newswatch: `newswatch run` and `newswatch serve` on this machine report here; "
                f"elsewhere set PREFECT_API_URL={server.api_url}"
                + (" and PREFECT_API_AUTH_STRING" if authenticated else ""),
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


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
