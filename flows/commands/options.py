"""Options shared by several commands."""

from __future__ import annotations

import argparse


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="config file (default: $NEWSWATCH_CONFIG, else newswatch.yaml)",
    )
