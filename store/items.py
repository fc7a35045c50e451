"""Values that cross from the crawler to the store: one site to crawl, the articles it
yielded, and how its crawl went. They live here, at the bottom, so that ``spiders`` and
``store`` both import them and nothing in ``store`` imports ``spiders``.

They cross the process boundary as JSON lines, so they are frozen, keyword-only dataclasses
with a ``to_dict`` / ``from_dict`` pair and nothing else. An article's body fingerprint
(``store.fingerprint``) crosses with it when the crawl child made one: children make them
while the crawls run, one per site, rather than the store after the crawls, in one process.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from store.fingerprint import Fingerprint


@dataclass(frozen=True, kw_only=True)
class SiteSpec:
    """What the generic spider needs to know about one site."""

    name: str
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    start_urls: tuple[str, ...] = ()
    #: Seconds; listing entries older than this are not fetched. None: the crawl's
    #: ``NEWSWATCH_MAX_AGE``; 0: keep everything.
    max_age: float | None = None
    #: Regular expressions replacing the article-link heuristic for section pages and plain
    #: sitemaps: a link is an article when one of them matches (``re.search``).
    article_urls: tuple[str, ...] = ()
    #: Listing pages and article requests one crawl may make. None: the crawl's
    #: ``NEWSWATCH_MAX_PAGES``.
    max_pages: int | None = None
    #: Reach any address, private and loopback ones too; otherwise only public addresses and
    #: the hosts of the site's own URLs (:mod:`spiders.addresses`).
    allow_private: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"SiteSpec.name must be a non-empty string (got {self.name!r})")
        if self.max_age is not None and self.max_age < 0:
            raise ValueError(
                f"SiteSpec.max_age must be 0 (keep all) or more (got {self.max_age!r})")
        if self.max_pages is not None and (
                not isinstance(self.max_pages, int) or self.max_pages < 1):
            raise ValueError(f"SiteSpec.max_pages must be 1 or more (got {self.max_pages!r})")

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SiteSpec:
        max_age = data.get("max_age")
        return cls(
            name=data["name"],
            feeds=tuple(data.get("feeds", ())),
            sitemaps=tuple(data.get("sitemaps", ())),
            start_urls=tuple(data.get("start_urls", ())),
            max_age=None if max_age is None else float(max_age),
            article_urls=tuple(data.get("article_urls", ())),
            max_pages=data.get("max_pages"),
            allow_private=bool(data.get("allow_private", False)),
        )


@dataclass(frozen=True, kw_only=True)
class Article:
    """One extracted news article, as the crawler saw it."""

    url: str
    canonical_url: str
    site: str
    title: str
    text: str
    standfirst: str = ""
    author: str | None = None
    published: datetime | None = None
    language: str | None = None
    fetched: datetime
    #: ``store.fingerprint.fingerprint(text)``, when already made (see the module docstring).
    fingerprint: Fingerprint | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("url", "canonical_url", "site"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ValueError(f"Article.{name} must be a non-empty string (got {value!r})")
        for name in ("published", "fetched"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"Article.{name} must be timezone-aware (got {value!r})")

    def to_dict(self) -> dict[str, Any]:
        # Shallow: every field is a string, a datetime or None (asdict would deep-copy each).
        data = dict(vars(self))
        for name in ("published", "fetched"):
            if data[name] is not None:
                data[name] = data[name].isoformat()
        body = data.pop("fingerprint")
        if body is not None:
            data["fingerprint"] = body.to_json()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        data = dict(data)
        for name in ("published", "fetched"):
            if data.get(name):
                data[name] = datetime.fromisoformat(data[name])
        if data.get("fingerprint") is not None:
            data["fingerprint"] = Fingerprint.from_json(data["fingerprint"])
        return cls(**data)


@dataclass(frozen=True, kw_only=True)
class CrawlResult:
    """What one crawl of one site produced, judged by its stats rather than its finish reason."""

    site: str
    articles: tuple[Article, ...] = ()
    stats: dict[str, Any] = field(default_factory=dict)
    errors: tuple[str, ...] = ()
    failed: bool = False
