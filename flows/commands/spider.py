"""``newswatch spider list | check NAME_OR_URL | new NAME URL``: the sites' spiders, by hand.

``list`` shows the Python spiders in ``spiders/sites/`` and the config's sites. ``check``
crawls a site (or any feed, sitemap, section page or article URL) live, without the database,
and prints what a user looks at before trusting it: per article the headline, time, body length
and first lines. ``new`` writes a spider module and its test from a live URL.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Any

from flows.commands.options import add_config_option

PROJECT = Path(__file__).resolve().parents[2]
CHECK_LIMIT = 10
FIRST_LINES = 3
_ALLOW_PRIVATE_HELP = ("reach loopback and private addresses too (by default only the URL's "
                       "own host and public addresses)")


def register(commands: argparse._SubParsersAction) -> None:
    spider = commands.add_parser("spider", help="list, check and scaffold site spiders")
    spider_commands = spider.add_subparsers(title="commands", metavar="COMMAND")

    listing = spider_commands.add_parser("list", help="the Python spiders and configured sites")
    add_config_option(listing)
    listing.set_defaults(handler=list_command)

    check = spider_commands.add_parser(
        "check", help="crawl a site or URL live and show what it extracts",
        description="Crawl a configured site, a Python spider, or a feed, sitemap, section page "
                    "or article URL, without the database, and print per article its headline, "
                    "time, body length and first lines.")
    check.add_argument("target", metavar="NAME_OR_URL")
    check.add_argument("--limit", type=int, default=CHECK_LIMIT, metavar="N",
                       help=f"stop after N articles (default {CHECK_LIMIT})")
    check.add_argument("--lines", type=int, default=FIRST_LINES, metavar="N",
                       help=f"body lines shown per article (default {FIRST_LINES})")
    check.add_argument("--allow-private", action="store_true", help=_ALLOW_PRIVATE_HELP)
    add_config_option(check)
    check.set_defaults(handler=check_command)

    new = spider_commands.add_parser(
        "new", help="write spiders/sites/NAME.py and its test from a live URL",
        description="Fetch URL (a feed, sitemap, section page or article) and one article it "
                    "leads to; write a spider subclassing NewsSpider and a test that runs on the "
                    "saved pages.")
    new.add_argument("name", metavar="NAME")
    new.add_argument("url", metavar="URL")
    new.add_argument("--force", action="store_true", help="overwrite existing files")
    new.add_argument("--allow-private", action="store_true", help=_ALLOW_PRIVATE_HELP)
    new.add_argument("--spiders-dir", type=Path, default=PROJECT / "spiders" / "sites",
                     help=argparse.SUPPRESS)
    new.add_argument("--tests-dir", type=Path, default=PROJECT / "tests" / "spiders" / "sites",
                     help=argparse.SUPPRESS)
    new.set_defaults(handler=new_command)


# -- list --------------------------------------------------------------------------------------

def list_command(args: argparse.Namespace) -> int:
    from spiders.registry import site_spiders

    python = site_spiders()
    config = _optional_config(args.config)
    rows = []
    for site in config.sites if config else ():
        kind = "python" if site.name in python else "config"
        rows.append((site.name, kind, _sources(site.spec(), python.get(site.name))))
    configured = {row[0] for row in rows}
    for name, cls in sorted(python.items()):
        if name not in configured:
            rows.append((name, "python", _sources(None, cls) + "  (not in the config)"))
    if not rows:
        print("No sites: add some under 'sites:' in the config, or run "
              "'newswatch spider new NAME URL'.")
        return 0
    width = max(len(row[0]) for row in rows)
    for name, kind, sources in rows:
        print(f"{name:<{width}}  {kind:<6}  {sources}")
    return 0


def _sources(spec: Any, cls: Any) -> str:
    parts = []
    for field, label in (("feeds", "feed"), ("sitemaps", "sitemap"), ("start_urls", "section")):
        urls = (getattr(spec, field, ()) if spec else ()) or getattr(cls, field, ()) or ()
        parts += [f"{label} {url}" for url in urls]
    return ", ".join(parts) or "-"


# -- check -------------------------------------------------------------------------------------

def check_command(args: argparse.Namespace) -> int:
    from spiders.addresses import AddressPolicy
    from spiders.fetch import FetchError
    from spiders.registry import site_spiders
    from spiders.runner import crawl_site
    from spiders.single import is_url, sniff
    from store.items import SiteSpec

    config = _optional_config(args.config)
    contact = config.crawl.contact if config else None
    if is_url(args.target):
        try:
            policy = AddressPolicy.for_urls([args.target], allow_private=args.allow_private)
            found = sniff(args.target, contact=contact, policy=policy)
        except FetchError as exc:
            print(f"newswatch: {exc}", file=sys.stderr)
            return 1
        print(f"{args.target}: {'an' if found.kind == 'article' else 'a'} {found.kind}")
        if found.article is not None:
            print_article(1, found.article, args.lines)
            return 0
        field = {"feed": "feeds", "sitemap": "sitemaps", "section": "start_urls"}[found.kind]
        site = SiteSpec(name="check", **{field: (args.target,)})
    else:
        names = [s.name for s in config.sites] if config else []
        if config and args.target in names:
            site = config.site(args.target).spec()
        elif args.target in site_spiders():
            site = SiteSpec(name=args.target)
        else:
            known = ", ".join(sorted({*names, *site_spiders()})) or "none"
            print(f"newswatch: no site or spider named {args.target!r} (known: {known})",
                  file=sys.stderr)
            return 2

    if args.allow_private:
        site = replace(site, allow_private=True)
    settings = dict(config.crawl.settings) if config else {}
    settings.update({"CLOSESPIDER_ITEMCOUNT": max(args.limit, 1),
                     "NEWSWATCH_CONDITIONAL_ENABLED": False})
    with tempfile.TemporaryDirectory(prefix="newswatch-check-") as workdir:
        result = crawl_site(site, workdir=Path(workdir), settings=settings, timeout=600)
    articles = sorted(result.articles, key=_newest_first)[: args.limit]
    for number, article in enumerate(articles, 1):
        print_article(number, article, args.lines)
    stats = result.stats
    read = stats.get("newswatch/sources/ok", 0)
    asked = stats.get("newswatch/sources/requested", 0)
    print(f"\n{site.name}: {len(articles)} articles shown; {read} of {asked} feeds, sitemaps "
          f"and section pages read; {len(result.errors)} problems")
    for error in result.errors:
        print(f"  {error}")
    if result.failed:
        print(f"newswatch: {site.name}: the crawl failed", file=sys.stderr)
        return 1
    return 0 if articles else 1


def print_article(number: int, article: Any, lines: int) -> None:
    when = article.published.strftime("%Y-%m-%d %H:%M UTC") if article.published else "no time"
    details = [when, f"{len(article.text):,} chars"]
    if article.author:
        details.insert(1, f"by {article.author}")
    if article.language:
        details.append(article.language)
    print(f"\n{number}. {article.title}")
    print(f"   {' · '.join(details)}")
    print(f"   {article.canonical_url}")
    body = textwrap.wrap(" ".join(article.text.split()), width=96)
    for line in body[:lines]:
        print(f"   | {line}")
    if len(body) > lines:
        print("   | …")


def _newest_first(article: Any) -> float:
    return -article.published.timestamp() if article.published else 0.0


# -- new ---------------------------------------------------------------------------------------

def new_command(args: argparse.Namespace) -> int:
    from spiders.scaffold import ScaffoldError, write_scaffold

    try:
        made = write_scaffold(args.name, args.url, spiders_dir=args.spiders_dir,
                              tests_dir=args.tests_dir, force=args.force,
                              allow_private=args.allow_private)
    except ScaffoldError as exc:
        print(f"newswatch: {exc}", file=sys.stderr)
        return 1
    article = "an" if made.kind == "article" else "a"
    print(f"{args.url} is {article} {made.kind}; its first article: {made.title}")
    print(f"wrote {_shown(made.spider)}")
    print(f"wrote {_shown(made.test)}")
    for page in made.pages:
        print(f"saved {_shown(page)}")
    print("\nNext:")
    print(f"  newswatch spider check {args.name}      # what it extracts, live")
    print(f"  python -m pytest {_shown(made.test)}")
    print(f"  then add '- name: {args.name}' under 'sites:' in newswatch.yaml")
    return 0


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _optional_config(path: str | None) -> Any:
    """The config when one is given or found; None when there is none to find."""
    import os

    from flows.config import CONFIG_ENV, DEFAULT_CONFIG, load_config

    if path is None and not os.environ.get(CONFIG_ENV) and not Path(DEFAULT_CONFIG).exists():
        return None
    return load_config(path)
