"""The shard child: many sites, one Scrapy process, each site's results in its own files.

A new interpreter per site costs about two seconds of CPU before the first request (Python,
Scrapy, trafilatura and a reactor), where a feed answered ``304`` costs milliseconds. A shard
pays that once for all its sites: :func:`spiders.runner.crawl_sites` starts::

    python -m spiders.shard < request.json

and writes a :class:`spiders.handoff.ShardRequest` to its stdin (a list of sites can outgrow
the command line). Each site gets a crawler of its own, with its own spider, settings
(:func:`spiders.crawl.site_settings`: its own hosts, ``max_pages``, time limit), stats and
files, written exactly as ``python -m spiders.crawl`` writes them for one site; Scrapy's
per-domain slots keep each site's concurrency, delay and robots.txt. A site whose crawler
cannot start, or that runs past its time, ends alone: its stats say why
(``CRAWL_ERROR_KEY``), and the others go on.

The process dies with its parent, and ends itself ``NEWSWATCH_STOP_GRACE`` seconds after its
time limit should a crawl be stuck. Exit status: 0 when the shard ran (whatever each site
gave), 1 when it could not run, 2 for a bad request, ``EXIT_NO_SPACE`` or
``EXIT_OUTPUT_ERROR`` when some site's stats could not be written. A site whose stats were
written ended on its own, and is judged by them whatever the shard's status.
"""

from __future__ import annotations

import errno
import logging
import sys
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.reactor import install_reactor

from spiders.crawl import (
    address_settings,
    build_settings,
    crawler_stats,
    end_at,
    log_to_stderr,
    one_line,
    site_settings,
    write_json,
)
from spiders.handoff import (
    CRAWL_ERROR_KEY,
    EXIT_NO_SPACE,
    EXIT_OUTPUT_ERROR,
    ShardRequest,
    ShardSite,
)
from spiders.lifeline import die_with_parent
from spiders.registry import spider_for

__all__ = ["main", "process_settings"]

logger = logging.getLogger("spiders.shard")


def process_settings(request: ShardRequest) -> Settings:
    """The settings of the process itself (logging, reactor, DNS resolver).

    Every connection of the process asks one resolver for its address, so its address check
    knows every site's own hosts; each site's crawler still refuses the other sites' hosts
    when it schedules a request (:class:`spiders.address_guard.PrivateAddressMiddleware`).
    """
    settings = build_settings(request.settings)
    own_hosts: set[str] = set()
    allow_private = False
    for entry in request.sites:
        policy = address_settings(entry.site, spider_for(entry.site.name))
        own_hosts.update(policy["NEWSWATCH_OWN_HOSTS"])
        allow_private = allow_private or policy.get("NEWSWATCH_ALLOW_PRIVATE", False)
    settings.set("NEWSWATCH_OWN_HOSTS", sorted(own_hosts), priority="cmdline")
    settings.set("NEWSWATCH_ALLOW_PRIVATE", allow_private, priority="cmdline")
    return settings


def main(stdin: Any = None) -> int:
    die_with_parent()
    try:
        request = ShardRequest.from_json((stdin or sys.stdin).read())
    except (ValueError, KeyError, TypeError) as exc:
        print(f"python -m spiders.shard: bad request on stdin: {exc}", file=sys.stderr)
        return 2
    settings = process_settings(request)
    if request.timeout > 0:
        end_at(request.timeout + settings.getfloat("NEWSWATCH_STOP_GRACE"))
    log_to_stderr(settings.get("LOG_LEVEL"))

    process = CrawlerProcess(settings)
    # Installed once, before any crawler: the first site's spider may be the one that fails.
    install_reactor(settings["TWISTED_REACTOR"], settings["ASYNCIO_EVENT_LOOP"])
    crawlers: dict[str, Crawler] = {}
    written: list[int] = []  # the write status of each site's stats
    for entry in request.sites:
        entry.stats.unlink(missing_ok=True)
        try:
            crawler = Crawler(spider_for(entry.site.name), _crawler_settings(entry, request))
            deferred = process.crawl(crawler, site=entry.site)
        except Exception as exc:  # noqa: BLE001 - one site's broken spider fails that site alone
            written.append(_finish(entry, None, one_line(exc)))
            continue
        crawlers[entry.site.name] = crawler
        # Each site's stats are written as soon as it ends: should a stuck site make the process
        # end itself, the sites that ended before it keep theirs.
        deferred.addCallbacks(
            lambda _, entry=entry, crawler=crawler: written.append(_finish(entry, crawler, None)),
            lambda failure, entry=entry, crawler=crawler: written.append(
                _finish(entry, crawler, one_line(failure.value))))
    if crawlers:
        process.start()
    return EXIT_NO_SPACE if EXIT_NO_SPACE in written else max(written, default=0)


def _crawler_settings(entry: ShardSite, request: ShardRequest) -> Settings:
    settings = site_settings(entry.site, request.settings, output=entry.output,
                             progress=entry.progress, timeout=request.timeout)
    # Scrapy's LogCount puts a handler per crawler on the root logger: in a shard every line
    # would pass through every site's handler (a cost that grows with the square of the shard)
    # and be counted in every site's stats.
    extensions = {**settings.getdict("EXTENSIONS"), "scrapy.extensions.logcount.LogCount": None}
    settings.set("EXTENSIONS", extensions, priority="cmdline")
    return settings


def _finish(entry: ShardSite, crawler: Crawler | None, error: str | None) -> int:
    """Write the site's stats, with why it could not run if it could not; the exit status
    this leaves the shard with."""
    stats = crawler_stats(crawler) if crawler is not None else {}
    if error is not None:
        logger.error("Crawl of %(site)s could not run: %(error)s",
                     {"site": entry.site.name, "error": error})
        stats[CRAWL_ERROR_KEY] = error
    try:
        write_json(entry.stats, stats)
    except OSError as exc:
        logger.error("Cannot write the crawl's stats to %(path)s: %(reason)s",
                     {"path": entry.stats, "reason": exc.strerror or exc})
        return EXIT_NO_SPACE if exc.errno in (errno.ENOSPC, errno.EDQUOT) else EXIT_OUTPUT_ERROR
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
