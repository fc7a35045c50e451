"""``newswatch extract URL_OR_FILE... [--json]``: the cleaned article of live URLs or saved pages.

All inputs are read in this one process, one after the other. With ``--json`` each input gives
one line, a JSON object with exactly the keys in ``JSON_KEYS``; an input without an article
gives its line with null values, and its reason on standard error. The exit status is 1 when
any input had no article.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from typing import Any

#: The keys of each ``--json`` line, in order.
JSON_KEYS = ("source", "url", "title", "text", "published", "author", "language")


def register(commands: argparse._SubParsersAction) -> None:
    extract = commands.add_parser(
        "extract", help="the cleaned article of live URLs or saved HTML files",
        description="Print the article each URL or saved HTML file holds: headline, time, "
                    "author, language, canonical URL and body, without the page's furniture.")
    extract.add_argument("inputs", nargs="+", metavar="URL_OR_FILE",
                         help="an http(s) URL to fetch, or a saved HTML file")
    extract.add_argument("--json", action="store_true",
                         help="one JSON object per input and line, keys: " + ", ".join(JSON_KEYS))
    extract.add_argument("--allow-private", action="store_true",
                         help="reach loopback and private addresses too, through redirects "
                              "(by default only each URL's own host and public addresses)")
    extract.set_defaults(handler=extract_command)


def extract_command(args: argparse.Namespace) -> int:
    from spiders.single import extract_source

    failed = 0
    for number, source in enumerate(args.inputs):
        result = extract_source(source, allow_private=args.allow_private)
        for problem in result.problems:
            print(f"newswatch: {source}: {problem}", file=sys.stderr)
        if result.article is None:
            failed += 1
            print(f"newswatch: {source}: {result.error}", file=sys.stderr)
        if args.json:
            print(json.dumps(as_json(source, result.article), ensure_ascii=False), flush=True)
        elif result.article is not None:
            print(("\n" if number else "") + as_text(source, result.article), flush=True)
    return 1 if failed else 0


def as_json(source: str, article: Any) -> dict[str, Any]:
    """The ``--json`` object for one input; every value but ``source`` is null without an
    article. ``text`` is the standfirst (when there is one) and the body."""
    if article is None:
        return dict.fromkeys(JSON_KEYS) | {"source": source}
    return {
        "source": source,
        "url": article.canonical_url,
        "title": article.title,
        "text": "\n\n".join(p for p in (article.standfirst, article.text) if p),
        "published": article.published.isoformat() if article.published else None,
        "author": article.author,
        "language": article.language,
    }


def as_text(source: str, article: Any) -> str:
    published = article.published.strftime("%Y-%m-%d %H:%M UTC") if article.published else "-"
    lines = [
        f"== {source}",
        f"Title:     {article.title}",
        f"Published: {published}",
        f"Author:    {article.author or '-'}",
        f"Language:  {article.language or '-'}",
        f"URL:       {article.canonical_url}",
        "",
    ]
    paragraphs = [article.standfirst] if article.standfirst else []
    paragraphs += article.text.split("\n\n")
    for paragraph in paragraphs:
        lines += textwrap.wrap(paragraph, width=100) + [""]
    return "\n".join(lines).rstrip() + "\n"
