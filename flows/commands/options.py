"""Options shared by several commands."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="config file (default: $NEWSWATCH_CONFIG, else newswatch.yaml)",
    )


def add_since_option(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument("--since", default=default,
                        help=f"how far back to look (default: {default})")


def since_time(args: argparse.Namespace) -> datetime | None:
    """The time ``--since`` reaches back to; None, with the reason printed, for a bad duration.

    Read in the command rather than by argparse so that its error is Newswatch's one line."""
    from flows.config import parse_duration

    try:
        return datetime.now(UTC) - parse_duration(args.since)
    except ValueError as exc:
        print(f"newswatch: --since: {exc}", file=sys.stderr)
        return None
