"""``newswatch run``: one run now, as the Prefect flow ``newswatch-run``."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

from flows.commands.options import add_config_option


def register(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser("run", help="one run now: crawl, store, match, deliver")
    add_config_option(run)
    run.add_argument("--site", action="append", metavar="NAME", help="only this site (repeatable)")
    run.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace) -> int:
    from flows.config import load_config
    from flows.run import newswatch_run

    config = load_config(args.config)  # a config error stops here, before Prefect starts
    for name in args.site or ():
        config.site(name)
    from prefect import tags

    # The same site-NAME tags as the runs of `newswatch serve`, for the UI's tag filter.
    with without_heartbeats(), tags(*(f"site-{name}" for name in args.site or ())):
        state = newswatch_run(config_path=config.source, sites=args.site, return_state=True)
    if state.is_completed():
        print(f"newswatch: {state.message}")
        return 0
    print("newswatch: the run failed:", file=sys.stderr)
    for line in (state.message or "unknown error").splitlines():
        print(f"  {line}", file=sys.stderr)
    return 1


def without_heartbeats() -> contextlib.AbstractContextManager[object]:
    """Flow run heartbeats off for runs started here, unless the user set their frequency.

    Heartbeats drive the automation that marks a deployment's runs Crashed when their process
    dies (Prefect's "zombie flows"); a run started from the command line is no deployment's,
    and at the end of every run Prefect waits up to a second for its heartbeat thread to stop.
    Runs of ``newswatch serve`` and of workers keep them.
    """
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    if "PREFECT_FLOWS_HEARTBEAT_FREQUENCY" in os.environ:
        return contextlib.nullcontext()
    return temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})
