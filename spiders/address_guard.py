"""A crawl reaches no private address: checked when a request is scheduled, and again when its
connection is opened.

:class:`PrivateAddressMiddleware` (downloader middleware, before robots.txt) resolves each
request's host with the crawl's own DNS resolver and drops the request when
:class:`~spiders.addresses.AddressPolicy` refuses the address; a redirect is a new request and
meets it too. :class:`GuardedResolver` (``TWISTED_DNS_RESOLVER``) is the resolver every
connection asks for its address, so no TCP connection is opened to a refused address even when
a name resolves differently the second time or a request bypasses the middleware.

Settings read: ``NEWSWATCH_ALLOW_PRIVATE``, ``NEWSWATCH_OWN_HOSTS``, ``NEWSWATCH_MAX_ERRORS``.
Stats keys: ``newswatch/refused/private_address`` (requests dropped),
``newswatch/refused/urls`` (the first ``NEWSWATCH_MAX_ERRORS`` of them, "URL (reason)").
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import DNSLookupError

from spiders.addresses import AddressPolicy, AddressRefused
from spiders.handoff import REFUSED_COUNT_KEY, REFUSED_URLS_KEY

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from scrapy.statscollectors import StatsCollector
    from twisted.internet.base import ReactorBase
    from twisted.internet.defer import Deferred

__all__ = ["GuardedResolver", "PrivateAddressMiddleware", "RefusedAddress", "policy_from"]

logger = logging.getLogger(__name__)



class RefusedAddress(IgnoreRequest):
    """The request was dropped: its host is, or resolves to, an address the crawl may not
    reach. ``refusal`` says which and why."""

    def __init__(self, url: str, refusal: AddressRefused) -> None:
        self.url, self.refusal = url, refusal
        super().__init__(f"refused {url}: {refusal}")


class RefusedLookup(DNSLookupError):
    """A lookup answered with an address the crawl may not reach; a DNSLookupError, so a
    connection attempt fails quietly as if the name did not resolve."""

    def __init__(self, refusal: AddressRefused) -> None:
        self.refusal = refusal
        super().__init__(str(refusal))


def policy_from(settings: BaseSettings) -> AddressPolicy:
    """The crawl's address policy, from ``NEWSWATCH_OWN_HOSTS`` and ``NEWSWATCH_ALLOW_PRIVATE``."""
    return AddressPolicy.for_hosts(settings.getlist("NEWSWATCH_OWN_HOSTS"),
                                   allow_private=settings.getbool("NEWSWATCH_ALLOW_PRIVATE"))


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing to hand out an address the policy refuses.

    Every connection of the crawl asks it for its address, so this is the check that holds
    however a request reached the downloader.
    """

    def __init__(self, reactor: ReactorBase, cache_size: int, timeout: float,
                 policy: AddressPolicy) -> None:
        super().__init__(reactor, cache_size, timeout)
        self.policy = policy

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: ReactorBase) -> GuardedResolver:
        # Built from the CrawlerProcess, whose settings are the crawl child's own.
        settings = crawler.settings
        cache_size = settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0
        return cls(reactor, cache_size, settings.getfloat("DNS_TIMEOUT"), policy_from(settings))

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:  # noqa: N802
        deferred = super().getHostByName(name, timeout)
        deferred.addCallback(self._checked, name)
        return deferred

    def _checked(self, address: str, name: str) -> str:
        refusal = self.policy.refusal(name, address)
        if refusal is not None:
            logger.info("Not connecting to %(host)s: %(refusal)s",
                        {"host": name, "refusal": refusal})
            raise RefusedLookup(refusal)
        return address


class PrivateAddressMiddleware:
    """Downloader middleware dropping requests whose host is, or resolves to, an address the
    crawl may not reach; each is counted and named in the crawl's stats."""

    def __init__(self, policy: AddressPolicy, stats: StatsCollector, *,
                 max_urls: int = 50) -> None:
        self.policy = policy
        self.stats = stats
        self.max_urls = max_urls

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateAddressMiddleware:
        return cls(policy_from(crawler.settings), crawler.stats,
                   max_urls=crawler.settings.getint("NEWSWATCH_MAX_ERRORS"))

    async def process_request(self, request: Request) -> None:
        host = urlparse_cached(request).hostname or ""
        if self.policy.trusts(host):
            return None
        refusal = self.policy.literal_refusal(host)
        if refusal is None and host:
            refusal = await self._resolved_refusal(host)
        if refusal is not None:
            self._refuse(request, refusal)
        return None

    async def _resolved_refusal(self, host: str) -> AddressRefused | None:
        from twisted.internet import reactor

        try:
            address = await maybe_deferred_to_future(reactor.resolve(host))
        except RefusedLookup as exc:
            return exc.refusal
        except DNSLookupError:
            return None  # the download fails on its own, and is counted as a failure
        return self.policy.refusal(host, address)

    def _refuse(self, request: Request, refusal: AddressRefused) -> Any:
        self.stats.inc_value(REFUSED_COUNT_KEY)
        urls = list(self.stats.get_value(REFUSED_URLS_KEY) or [])
        if len(urls) < self.max_urls:
            urls.append(f"{request.url} ({refusal})")
            self.stats.set_value(REFUSED_URLS_KEY, urls)
        logger.warning("Refused %(url)s: %(refusal)s", {"url": request.url, "refusal": refusal})
        raise RefusedAddress(request.url, refusal)
