"""``newswatch watch test QUERY`` and ``newswatch watch list``: try a query, see the watches."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from alerts.safetext import one_line, runs
from flows.commands.options import add_config_option, add_since_option, since_time


def register(commands: argparse._SubParsersAction) -> None:
    watch = commands.add_parser("watch", help="try a query on stored articles; list the watches")
    watch_commands = watch.add_subparsers(title="commands", metavar="COMMAND")

    test = watch_commands.add_parser(
        "test", help="what QUERY would have matched in stored articles (nothing is sent)"
    )
    test.add_argument("query", metavar="QUERY", help='e.g. \'Putin visit -Ukraine\'')
    add_since_option(test, "30d")
    test.add_argument("--site", action="append", default=[], metavar="NAME", help="only this site")
    add_config_option(test)
    test.set_defaults(handler=test_command)

    listing = watch_commands.add_parser("list", help="the configured watches and recent matches")
    add_config_option(listing)
    listing.set_defaults(handler=list_command)


def test_command(args: argparse.Namespace) -> int:
    from alerts.query import QueryError, parse
    from alerts.watching import search_stored
    from flows.config import load_config
    from store.db import session_factory

    try:
        query = parse(args.query)
    except QueryError as exc:
        print(f"newswatch: query: {exc}", file=sys.stderr)
        return 2
    since = since_time(args)
    if since is None:
        return 2
    config = load_config(args.config)
    marker = _Marker(sys.stdout.isatty())
    found = 0
    with session_factory(config.database)() as session:
        for article, match in search_stored(session, query, since=since, sites=args.site):
            found += 1
            when = article.published or article.fetched
            print(one_line(article.title))
            print(f"  {article.site} · {when:%Y-%m-%d %H:%M} UTC · {one_line(article.url)}")
            print(f"  {marker.mark(match.snippet, match.marks)}\n")
    sites = f" on {', '.join(args.site)}" if args.site else ""
    plural = "article" if found == 1 else "articles"
    print(f"{found} {plural} matched {str(query)!r} since {args.since} ago{sites}.")
    return 0


def list_command(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from alerts.watching import match_counts
    from flows.config import load_config
    from store.db import session_factory

    config = load_config(args.config)
    with session_factory(config.database)() as session:
        counts = match_counts(session, since=datetime.now(UTC) - timedelta(days=7))
    if not config.watches:
        print("No watches configured.")
        return 0
    width = max(len(w.name) for w in config.watches)
    print(f"{'watch':<{width}}  stories (7d)  channels  query")
    for watch in config.watches:
        channels = ", ".join(watch.notify) or "-"
        print(f"{watch.name:<{width}}  {counts.get(watch.name, 0):>12}  {channels}  {watch.query}")
    return 0


class _Marker:
    """Matched words in bold on a terminal, between asterisks elsewhere."""

    def __init__(self, terminal: bool) -> None:
        self.open, self.close = ("\033[1;33m", "\033[0m") if terminal else ("*", "*")

    def mark(self, text: str, marks: tuple[tuple[int, int], ...]) -> str:
        # Scraped text is cleaned of control characters: a page cannot drive the terminal.
        return "".join(
            f"{self.open}{piece}{self.close}" if marked else piece
            for piece, marked in runs(text, marks)
        )
