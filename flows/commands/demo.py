"""``newswatch demo``: the whole pipeline against the bundled sample site."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    demo = commands.add_parser("demo", help="run the whole pipeline once against a sample site")
    demo.set_defaults(handler=demo_command)


def demo_command(args: argparse.Namespace) -> int:
    from flows.commands.run import without_heartbeats
    from flows.demo import run_demo

    with without_heartbeats():
        return run_demo()
