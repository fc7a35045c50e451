"""The crawl child: one site, one Scrapy process, results in files.

Twisted's reactor cannot be restarted within one process, so every crawl runs here, in a fresh
interpreter started by :func:`spiders.runner.crawl_site`::

    python -m spiders.crawl --site-json '{"name": "ledger", ...}' \\
        --output ledger.jsonl --stats ledger.stats.json [--progress ledger.progress.json] \\
        [--settings-json '{...}'] [--timeout SECONDS]

Articles go to ``--output`` as JSON lines, the crawl's stats to ``--stats`` as a JSON object
(datetimes as ISO strings), its progress every few seconds to ``--progress``
(:mod:`spiders.progress`), logs to stderr. ``NEWSWATCH_DATABASE_URL`` is read from the
environment, never the command line, so a password in it stays out of process listings.

The process looks after itself: it dies with its parent (:func:`spiders.lifeline.die_with_parent`),
stops gracefully after ``--timeout`` seconds (``CLOSESPIDER_TIMEOUT``, finish reason
``closespider_timeout``) and, should that not end it, is ended by SIGALRM
``NEWSWATCH_STOP_GRACE`` seconds later, however stuck; ``MEMUSAGE_LIMIT_MB`` bounds its memory.
A site's ``max_pages`` becomes the crawl's ``NEWSWATCH_MAX_PAGES``.
Exit status: 0 when the crawl ran (however many pages failed), 1 when it could not run, 2 for
bad arguments, ``EXIT_NO_SPACE`` or ``EXIT_OUTPUT_ERROR`` (:mod:`spiders.handoff`) when its
articles or stats could not be written (the disk that would hold its log is then likely full
too, so the status says it).
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import math
import os
import signal
import sys
import urllib.request
from datetime import date, datetime
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from spiders.addresses import AddressPolicy
from spiders.handoff import EXIT_NO_SPACE, EXIT_OUTPUT_ERROR
from spiders.lifeline import die_with_parent
from spiders.registry import spider_for
from spiders.settings import USER_AGENT as DEFAULT_USER_AGENT
from store.items import SiteSpec

__all__ = ["address_settings", "build_settings", "crawler_stats", "end_at", "log_to_stderr",
           "main", "one_line", "site_settings", "user_agent", "write_json"]

logger = logging.getLogger("spiders.crawl")

LOG_FORMAT = "%(asctime)s [%(name)s] %(levelname)s: %(message)s"


def build_settings(overrides: dict[str, Any] | None = None, *, output: Path | None = None,
                   database_url: str | None = None, progress: Path | None = None) -> Settings:
    """Newswatch's Scrapy settings with the caller's ``overrides``.

    Overrides sit at project priority, so a site spider's ``custom_settings`` still win over
    them; the output file and the database URL are fixed by the runner.
    """
    settings = Settings()
    settings.setmodule("spiders.settings", priority="project")
    settings.update(overrides or {}, priority="project")
    contact = settings.get("NEWSWATCH_CONTACT")
    if contact and "USER_AGENT" not in (overrides or {}):
        settings.set("USER_AGENT", user_agent(contact), priority="project")
    if output is not None:
        settings.set("NEWSWATCH_OUTPUT", str(output), priority="cmdline")
    if progress is not None:
        settings.set("NEWSWATCH_PROGRESS", str(progress), priority="cmdline")
    if database_url:
        settings.set("NEWSWATCH_DATABASE_URL", database_url, priority="cmdline")
    return settings


def user_agent(contact: str | None = None) -> str:
    """The User-Agent: what is crawling, and where its operator can be reached."""
    if not contact:
        return DEFAULT_USER_AGENT
    return f"Newswatch/0.1 (+{contact}; self-hosted news monitor)"


def main(argv: list[str] | None = None) -> int:
    die_with_parent()
    parser = argparse.ArgumentParser(prog="python -m spiders.crawl",
                                     description="Crawl one site; write articles and stats.")
    parser.add_argument("--site-json", required=True, help="the SiteSpec, as JSON")
    parser.add_argument("--output", required=True, type=Path, help="articles, JSON lines")
    parser.add_argument("--stats", required=True, type=Path, help="crawl stats, JSON")
    parser.add_argument("--progress", type=Path, help="crawl progress, JSON, rewritten as it goes")
    parser.add_argument("--settings-json", default="{}", help="Scrapy setting overrides, JSON")
    parser.add_argument("--timeout", type=float, default=0,
                        help="time limit in seconds (0: none)")
    args = parser.parse_args(argv)
    try:
        site = SiteSpec.from_dict(json.loads(args.site_json))
        overrides = json.loads(args.settings_json)
        if not isinstance(overrides, dict):
            raise ValueError(f"--settings-json must be a JSON object (got {overrides!r})")
    except (ValueError, KeyError, TypeError) as exc:
        parser.error(f"bad --site-json or --settings-json: {exc}")

    settings = site_settings(site, overrides, output=args.output, progress=args.progress,
                             timeout=args.timeout)
    if args.timeout > 0:
        end_at(args.timeout + settings.getfloat("NEWSWATCH_STOP_GRACE"))
    log_to_stderr(settings.get("LOG_LEVEL"))
    args.stats.unlink(missing_ok=True)

    spidercls = spider_for(site.name)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(spidercls)
    failures: list[BaseException] = []
    deferred = process.crawl(crawler, site=site)
    deferred.addErrback(lambda failure: failures.append(failure.value))
    process.start()

    stats = crawler_stats(crawler)
    try:
        write_json(args.stats, stats)
    except OSError as exc:
        logger.error("Cannot write the crawl's stats to %(path)s: %(reason)s",
                     {"path": args.stats, "reason": exc.strerror or exc})
        return _output_status(exc.errno)
    if stats.get("newswatch/output/error"):
        return _output_status(stats.get("newswatch/output/errno"))
    if failures:
        logger.error("Crawl of %(site)s could not run: %(error)s",
                     {"site": site.name, "error": one_line(failures[0])})
        return 1
    return 0


def site_settings(site: SiteSpec, overrides: dict[str, Any] | None = None, *,
                  output: Path | None = None, progress: Path | None = None,
                  timeout: float = 0) -> Settings:
    """The settings of one site's crawler: Newswatch's with ``overrides``, its files, its own
    hosts (:func:`address_settings`), its ``max_pages`` and its time limit (0: none)."""
    settings = build_settings(overrides, output=output, progress=progress,
                              database_url=os.environ.get("NEWSWATCH_DATABASE_URL"))
    if site.max_pages is not None:
        settings.set("NEWSWATCH_MAX_PAGES", site.max_pages, priority="cmdline")
    if timeout > 0:
        settings.set("CLOSESPIDER_TIMEOUT", timeout, priority="cmdline")
    settings.update(address_settings(site, spider_for(site.name)), priority="cmdline")
    return settings


def end_at(seconds: float) -> None:
    """SIGALRM with its default action ends this process after ``seconds``, even one stuck in
    C code, where no Python handler would run."""
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.alarm(max(1, math.ceil(seconds)))


def address_settings(site: SiteSpec, spidercls: type) -> dict[str, Any]:
    """The settings of ``site``'s address policy (:mod:`spiders.address_guard`): its own hosts
    may be reached whatever their address, and any address with its ``allow_private``."""
    if hasattr(spidercls, "configured"):
        site = spidercls.configured(site)
    # The proxies the operator set (HTTP_PROXY, ...) are reached as chosen, whatever their address.
    proxies = [url if "://" in url else f"http://{url}"
               for scheme, url in urllib.request.getproxies().items() if scheme != "no"]
    urls = [*site.feeds, *site.sitemaps, *site.start_urls,
            *getattr(spidercls, "start_urls", ()), *proxies]
    settings: dict[str, Any] = {
        "NEWSWATCH_OWN_HOSTS": sorted(AddressPolicy.for_urls(urls).own_hosts)}
    if site.allow_private:
        settings["NEWSWATCH_ALLOW_PRIVATE"] = True
    return settings


def _output_status(number: int | None) -> int:
    return EXIT_NO_SPACE if number in (errno.ENOSPC, errno.EDQUOT) else EXIT_OUTPUT_ERROR


def log_to_stderr(level: str) -> None:
    # The level sits on the handler: Scrapy resets the root logger's level when it starts.
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logging.root.addHandler(handler)
    logging.root.setLevel(level)


def crawler_stats(crawler: Any) -> dict[str, Any]:
    try:
        return crawler.stats.get_stats()
    except (AttributeError, RuntimeError):  # the crawl failed before its stats existed
        return {}


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data, default=_jsonable, indent=1, sort_keys=True),
                         encoding="utf-8")
    temporary.replace(path)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


if __name__ == "__main__":
    raise SystemExit(main())
