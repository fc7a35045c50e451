"""A realistic news corpus on loopback, for benchmarks and fault tests.

Two outlets, The Gazette and The Herald, each served from its own origin
(``http://127.0.0.1:PORT/``) by a threaded server. Every page is made on request from the seed,
so ten thousand 100 KB pages cost no memory and the same ``Corpus`` serves the same bytes to
every client; ``serve_corpus(..., prerender=True)`` makes them all before serving instead,
for timed crawls. What a site serves::

    /robots.txt              allows everything, names the sitemap index
    /                        the home page: links to the latest 60 articles
    /rss.xml                 RSS 2.0, the latest 50 articles
    /sitemap.xml             sitemap index of /sitemaps/articles-K.xml (500 URLs each, lastmod)
    /sitemap-news.xml        Google News sitemap, the latest 200 articles with titles
    article pages            ~100 KB of HTML: JSON-LD and OpenGraph metadata, a mega-menu,
                             inline styles and scripts, a cookie banner, "Read More" and
                             newsletter boxes inside the body, most-read and related lists,
                             a "more from" grid of teasers, a link-farm footer

Articles are published over the 36 hours before ``now``, newest first. A share of The
Herald's articles (``copy_share``) are syndicated copies of Gazette stories: another headline,
other furniture, one sentence in four rewritten, a few hours later. The bytes served are a
function of ``(articles, seed, page_bytes, copy_share, furniture, now)``; pass ``now`` to get
the same bytes across processes and days. ``furniture=False`` serves bare article pages (head
metadata, headline, body: about 5 KB) where a benchmark needs many pages fast.

API::

    corpus = Corpus(articles=2000, seed=1)          # split evenly over the two sites
    corpus.sites                                    # (CorpusSite, CorpusSite)
    corpus.articles                                 # every CorpusArticle, both sites
    corpus.page("gazette", "/rss.xml")              # Page(body, content_type, modified) | None

    with serve_corpus(corpus) as servers:           # {"gazette": CorpusServer, ...}
        servers["gazette"].base_url                 # http://127.0.0.1:PORT
        servers.site_configs()                      # newswatch ``sites:`` entries
        servers.hits()                              # Counter of (site, path) requests
        servers.count_hits(kind="article")          # requests for article pages
        servers.reset_hits()

Servers answer ``If-None-Match`` and ``If-Modified-Since`` with 304 (every response carries
an ``ETag`` and a ``Last-Modified``), count every request by path (``hits``, and
``not_modified`` for the 304s), and take an optional ``delay`` in seconds per response.
``python -m bench.corpus [--articles N] [--seed S]`` serves a corpus by hand.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import random
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from spiders.sample_server import serving

__all__ = [
    "Corpus",
    "CorpusArticle",
    "CorpusServer",
    "CorpusServers",
    "CorpusSite",
    "Page",
    "serve_corpus",
]

SITE_NAMES = ("gazette", "herald")
_SITE_TITLES = {"gazette": "The Gazette", "herald": "The Herald"}
_SPAN = timedelta(hours=36)  # articles are published over this span before ``now``
_FEED_ITEMS = 50
_NEWS_SITEMAP_ITEMS = 200
_SITEMAP_CHUNK = 500
_HOME_LINKS = 60

_SECTIONS = ("world", "politics", "business", "science", "sport", "culture", "health")

_FIRST = ("Anna", "Tom", "Maria", "James", "Fatima", "Lukas", "Chen", "Olga", "Samuel", "Priya",
          "Jonas", "Amara", "Diego", "Hana", "Pieter", "Nadia", "Oscar", "Leila", "Mateo", "Ingrid")
_LAST = ("Petrova", "Hargreaves", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Kowalski",
         "Haddad", "Brennan", "Silva", "Novak", "Osei", "Fischer", "Ruiz", "Andersen", "Kaya")
_PLACES = ("Berlin", "Lagos", "Lima", "Osaka", "Nairobi", "Warsaw", "Lyon", "Porto", "Leeds",
           "Quebec", "Bergen", "Izmir", "Cork", "Seville", "Gdansk", "Mombasa", "Tartu", "Turin")
_BODIES = ("the finance ministry", "the central bank", "the city council", "the regulator",
           "the health service", "the rail operator", "the opposition party", "the union",
           "the football club", "the university", "the energy company", "the court")
_NOUNS = ("budget", "plan", "report", "deal", "proposal", "inquiry", "strike", "reform",
          "contract", "project", "forecast", "ruling", "vote", "merger", "study", "treaty")
_VERBS = ("announced", "rejected", "delayed", "approved", "criticised", "defended", "revised",
          "unveiled", "questioned", "welcomed", "postponed", "published", "challenged")
_ADJECTIVES = ("new", "long-awaited", "controversial", "revised", "ambitious", "modest",
               "surprise", "disputed", "final", "interim", "regional", "national")
_TIMES = ("on Tuesday", "late on Monday", "this week", "earlier this month", "on Friday",
          "overnight", "after months of talks", "ahead of the summer", "last year")
_REASONS = ("citing rising costs", "after a public consultation", "amid growing pressure",
            "following a legal challenge", "despite objections from residents",
            "in response to falling demand", "as talks continued")
_QUOTES = ("We have listened carefully and this is the right decision",
           "Nobody should be surprised by the outcome",
           "The figures speak for themselves", "There is still a great deal of work to do",
           "This is a significant moment for the whole region",
           "We will study the details before we respond")

#: Topics: each story has one; its words appear in the headline and a few sentences.
TOPICS = (
    ("flood", "Flood warnings issued for {place} as rivers rise"),
    ("wildfire", "Wildfire forces evacuations near {place}"),
    ("interest rates", "Central bank holds interest rates as inflation eases"),
    ("rail strike", "Rail strike set to disrupt travel in {place}"),
    ("vaccine", "New vaccine trial shows promise, {body} says"),
    ("election", "{place} election race tightens in final week"),
    ("heatwave", "Heatwave alert raised across {place}"),
    ("merger", "{body} agrees merger talks with rival"),
    ("satellite", "Satellite launch from {place} delayed again"),
    ("transfer", "Club confirms record transfer of {first} {last}"),
    ("museum", "{place} museum returns looted artefacts"),
    ("drought", "Drought restrictions extended in {place}"),
)


@dataclass(frozen=True, kw_only=True)
class CorpusArticle:
    """One article page of the corpus."""

    site: str
    number: int  # 0 is the site's newest
    story: int  # articles of one story (a copy and its original) share this
    path: str
    title: str
    standfirst: str
    author: str
    section: str
    topic: str
    published: datetime
    copy_of: CorpusArticle | None = None  # the Gazette original of a Herald copy


@dataclass(frozen=True, kw_only=True)
class CorpusSite:
    name: str
    title: str
    articles: tuple[CorpusArticle, ...]

    @cached_property
    def by_path(self) -> dict[str, CorpusArticle]:
        return {a.path: a for a in self.articles}

    @property
    def sitemap_chunks(self) -> int:
        return max(1, -(-len(self.articles) // _SITEMAP_CHUNK))

    def listing_paths(self) -> list[str]:
        """Feeds and sitemaps: what a crawler re-reads on every run."""
        chunks = [f"/sitemaps/articles-{k}.xml" for k in range(1, self.sitemap_chunks + 1)]
        return ["/rss.xml", "/sitemap.xml", "/sitemap-news.xml", *chunks]


@dataclass(frozen=True)
class Page:
    body: bytes
    content_type: str
    modified: datetime


class Corpus:
    """The articles of both sites and the pages that show them; see the module docstring."""

    def __init__(self, articles: int = 2000, *, seed: int = 1, page_bytes: int = 100_000,
                 copy_share: float = 0.3, furniture: bool = True,
                 now: datetime | None = None) -> None:
        if articles < 2:
            raise ValueError(f"articles ({articles}) must be 2 or more")
        if not 0 <= copy_share <= 1:
            raise ValueError(f"copy_share ({copy_share}) must be between 0 and 1")
        self.seed = seed
        self.page_bytes = page_bytes
        self.copy_share = copy_share
        self.furniture = furniture
        now = now or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        self.now = now.astimezone(UTC)
        counts = (articles - articles // 2, articles // 2)
        gazette = self._make_site("gazette", counts[0], originals=None)
        herald = self._make_site("herald", counts[1], originals=gazette.articles)
        self.sites: tuple[CorpusSite, ...] = (gazette, herald)
        self._furniture = {site.name: _Furniture(site, seed) for site in self.sites}

    @property
    def articles(self) -> list[CorpusArticle]:
        return [a for site in self.sites for a in site.articles]

    def site(self, name: str) -> CorpusSite:
        for site in self.sites:
            if site.name == name:
                return site
        raise KeyError(f"no site {name!r} (sites: {', '.join(s.name for s in self.sites)})")

    # -- making the articles ------------------------------------------------------------------

    def _make_site(self, name: str, count: int,
                   originals: tuple[CorpusArticle, ...] | None) -> CorpusSite:
        rng = random.Random(f"{self.seed}:{name}:index")
        articles = []
        copies = round(count * self.copy_share) if originals else 0
        copied = sorted(rng.sample(range(len(originals)), min(copies, len(originals)))) \
            if originals else []
        copy_numbers = set(rng.sample(range(count), len(copied)))
        copy_iter = iter(copied)
        story_base = 0 if originals is None else len(originals)
        for number in range(count):
            published = self.now - _SPAN * (number + rng.random() * 0.5) / max(count, 1)
            published = published.replace(microsecond=0)
            if number in copy_numbers:
                source = originals[next(copy_iter)]
                articles.append(self._copy(name, number, source, rng, published))
            else:
                articles.append(self._original(name, number, story_base + number, rng,
                                               published))
        return CorpusSite(name=name, title=_SITE_TITLES[name], articles=tuple(articles))

    def _original(self, site: str, number: int, story: int, rng: random.Random,
                  published: datetime) -> CorpusArticle:
        topic, template = TOPICS[rng.randrange(len(TOPICS))]
        words = _words(rng)
        title = template.format(**words)
        standfirst = _sentence(rng, words, topic=topic)
        section = _SECTIONS[rng.randrange(len(_SECTIONS))]
        article_id = 100_000 + story
        return CorpusArticle(
            site=site, number=number, story=story, title=title, standfirst=standfirst,
            author=f"{words['first']} {words['last']}", section=section, topic=topic,
            published=published, path=_article_path(site, section, published, title, article_id),
        )

    def _copy(self, site: str, number: int, source: CorpusArticle, rng: random.Random,
              published: datetime) -> CorpusArticle:
        published = max(source.published + timedelta(hours=1 + rng.random() * 3), published)
        published = min(published, self.now).replace(microsecond=0)
        title = _rewrite_headline(source.title, rng)
        article_id = 500_000 + source.story
        return CorpusArticle(
            site=site, number=number, story=source.story, title=title,
            standfirst=source.standfirst, author="Wire staff", section=source.section,
            topic=source.topic, published=published, copy_of=source,
            path=_article_path(site, source.section, published, title, article_id),
        )

    # -- pages -------------------------------------------------------------------------------

    def page(self, site_name: str, path: str, *, listed: int | None = None) -> Page | None:
        """The page at ``path`` on a site, or None (404).

        ``listed`` limits the home page, feed and sitemaps to the site's newest articles (the
        other article pages are still served): a crawler then reads only those.
        """
        site = self.site(site_name)
        if listed is not None:
            site = CorpusSite(name=site.name, title=site.title,
                              articles=site.articles[:max(listed, 1)])
        newest = site.articles[0].published if site.articles else self.now
        if path == "/robots.txt":
            robots = b"User-agent: *\nAllow: /\nSitemap: {base}/sitemap.xml\n"
            return Page(robots, "text/plain; charset=utf-8", self.now)
        if path in ("/", "/index.html"):
            return Page(self._home(site), "text/html; charset=utf-8", newest)
        if path == "/rss.xml":
            return Page(self._rss(site), "application/rss+xml; charset=utf-8", newest)
        if path == "/sitemap.xml":
            return Page(self._sitemap_index(site), "application/xml; charset=utf-8", newest)
        if path == "/sitemap-news.xml":
            return Page(self._news_sitemap(site), "application/xml; charset=utf-8", newest)
        if path.startswith("/sitemaps/articles-") and path.endswith(".xml"):
            chunk = path.removeprefix("/sitemaps/articles-").removesuffix(".xml")
            if chunk.isdigit() and 1 <= int(chunk) <= site.sitemap_chunks:
                body, modified = self._sitemap_chunk(site, int(chunk))
                return Page(body, "application/xml; charset=utf-8", modified)
            return None
        article = self.site(site_name).by_path.get(path)
        if article is None:
            return None
        return Page(self.article_html(article), "text/html; charset=utf-8", article.published)

    def article_html(self, article: CorpusArticle) -> bytes:
        """The article's page, furniture and all."""
        return self._furniture[article.site].page(article, self).encode("utf-8")

    def paragraphs(self, article: CorpusArticle) -> list[str]:
        """The article's body text, one string per paragraph (a copy's edits included)."""
        if article.copy_of is not None:
            rng = random.Random(f"{self.seed}:{article.site}:{article.number}:edits")
            original = self.paragraphs(article.copy_of)
            return [_edit_paragraph(p, rng) for p in original]
        rng = random.Random(f"{self.seed}:{article.site}:{article.number}:body")
        words = _words(rng)
        place = words["place"]
        paragraphs = []
        for index in range(rng.randint(9, 14)):
            sentences = [_sentence(rng, words, topic=article.topic if rng.random() < 0.2 else None)
                         for _ in range(rng.randint(2, 4))]
            if index == 0:
                sentences[0] = f"{place.upper()} — {sentences[0]}"
            if rng.random() < 0.3:
                sentences.append(f"“{rng.choice(_QUOTES)},” {words['first']} {words['last']} "
                                 f"said.")
            paragraphs.append(" ".join(sentences))
        return paragraphs

    def _home(self, site: CorpusSite) -> bytes:
        links = "\n".join(
            f'<li><a href="{a.path}">{html.escape(a.title)}</a></li>'
            for a in site.articles[:_HOME_LINKS])
        return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
                f"{site.title}</title><link rel=\"alternate\" type=\"application/rss+xml\" "
                f"href=\"/rss.xml\"></head><body><h1>{site.title}</h1><ul>{links}</ul>"
                f"</body></html>").encode()

    def _rss(self, site: CorpusSite) -> bytes:
        items = "".join(
            f"<item><title>{html.escape(a.title)}</title><link>{{base}}{a.path}</link>"
            f"<guid isPermaLink=\"false\">{a.site}-{a.story}</guid>"
            f"<description>{html.escape(a.standfirst)}</description>"
            f"<pubDate>{format_datetime(a.published, usegmt=True)}</pubDate></item>\n"
            for a in site.articles[:_FEED_ITEMS])
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
                f"<title>{site.title}</title><link>{{base}}/</link>"
                f"<description>News from {site.title}</description>\n{items}"
                f"</channel></rss>\n").encode()

    def _sitemap_index(self, site: CorpusSite) -> bytes:
        entries = []
        for k in range(1, site.sitemap_chunks + 1):
            newest = site.articles[(k - 1) * _SITEMAP_CHUNK].published
            entries.append(f"<sitemap><loc>{{base}}/sitemaps/articles-{k}.xml</loc>"
                           f"<lastmod>{newest.isoformat()}</lastmod></sitemap>")
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns='
                '"http://www.sitemaps.org/schemas/sitemap/0.9">\n' + "\n".join(entries)
                + "\n</sitemapindex>\n").encode()

    def _sitemap_chunk(self, site: CorpusSite, chunk: int) -> tuple[bytes, datetime]:
        part = site.articles[(chunk - 1) * _SITEMAP_CHUNK:chunk * _SITEMAP_CHUNK]
        entries = "\n".join(f"<url><loc>{{base}}{a.path}</loc>"
                            f"<lastmod>{a.published.isoformat()}</lastmod></url>" for a in part)
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns='
                '"http://www.sitemaps.org/schemas/sitemap/0.9">\n' + entries + "\n</urlset>\n")
        return body.encode(), part[0].published

    def _news_sitemap(self, site: CorpusSite) -> bytes:
        entries = "\n".join(
            f"<url><loc>{{base}}{a.path}</loc><news:news><news:publication><news:name>"
            f"{site.title}</news:name><news:language>en</news:language></news:publication>"
            f"<news:publication_date>{a.published.isoformat()}</news:publication_date>"
            f"<news:title>{html.escape(a.title)}</news:title></news:news></url>"
            for a in site.articles[:_NEWS_SITEMAP_ITEMS])
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns='
                '"http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news='
                '"http://www.google.com/schemas/sitemap-news/0.9">\n' + entries
                + "\n</urlset>\n").encode()


# -- text ---------------------------------------------------------------------------------------


def _words(rng: random.Random) -> dict[str, str]:
    return {"place": rng.choice(_PLACES), "body": rng.choice(_BODIES).capitalize(),
            "first": rng.choice(_FIRST), "last": rng.choice(_LAST)}


def _sentence(rng: random.Random, words: dict[str, str], *, topic: str | None = None) -> str:
    subject = rng.choice((words["body"], f"{words['first']} {words['last']}",
                          f"Officials in {words['place']}", rng.choice(_BODIES).capitalize()))
    thing = f"the {rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}"
    if topic:
        thing += f" on the {topic}"
    form = rng.randrange(4)
    if form == 0:
        text = (f"{subject} {rng.choice(_VERBS)} {thing} {rng.choice(_TIMES)}, "
                f"{rng.choice(_REASONS)}")
    elif form == 1:
        text = (f"{rng.choice(_TIMES).capitalize()}, {subject} {rng.choice(_VERBS)} {thing} "
                f"in {rng.choice(_PLACES)}")
    elif form == 2:
        text = (f"The {rng.choice(_NOUNS)} was {rng.choice(_VERBS)} by {rng.choice(_BODIES)} "
                f"{rng.choice(_TIMES)}, and {rng.randint(2, 97)} per cent of those asked said they "
                f"expected {thing} to follow")
    else:
        text = (f"According to {rng.choice(_BODIES)}, {thing} will cost about "
                f"{rng.randint(2, 900)} million euros over {rng.randint(2, 12)} years")
    return text[0].upper() + text[1:] + "."


def _rewrite_headline(title: str, rng: random.Random) -> str:
    words = title.split()
    if len(words) > 4 and rng.random() < 0.5:
        cut = rng.randint(2, len(words) - 2)
        return " ".join(words[cut:] + ["—"] + words[:cut]).capitalize()
    return f"{title}, reports say" if rng.random() < 0.5 else f"Update: {title}"


def _edit_paragraph(paragraph: str, rng: random.Random) -> str:
    sentences = paragraph.split(". ")
    edited = [s if rng.random() >= 0.25 else
              f"{s.split(' ', 1)[0]} {rng.choice(_VERBS)} {rng.choice(_TIMES)}"
              for s in sentences]
    return ". ".join(edited)


def _slug(title: str) -> str:
    keep = "".join(c.lower() if c.isalnum() else "-" for c in title)
    return "-".join(part for part in keep.split("-") if part)[:80]


def _article_path(site: str, section: str, published: datetime, title: str, article_id: int) -> str:
    if site == "gazette":
        return f"/{section}/{published:%Y/%m/%d}/{_slug(title)}-{article_id}.html"
    return f"/news/{article_id}/{_slug(title)}"


# -- furniture ----------------------------------------------------------------------------------


class _Furniture:
    """A site's page template: what surrounds every article, made once per site."""

    def __init__(self, site: CorpusSite, seed: int) -> None:
        self.site = site
        rng = random.Random(f"{seed}:{site.name}:furniture")
        self.cls = "gz" if site.name == "gazette" else "hd"
        self.style = "<style>" + " ".join(
            f".{self.cls}-{i}{{margin:{rng.randint(0, 40)}px;padding:{rng.randint(0, 20)}px;"
            f"color:#{rng.randrange(16**6):06x};font-size:{rng.randint(10, 30)}px}}"
            for i in range(110)) + "</style>"
        self.script_head = "<script>" + _pseudo_js(rng, 9_000) + "</script>"
        self.script_tail = "<script>" + _pseudo_js(rng, 20_000) + "</script>"
        menu = []
        for section in _SECTIONS:
            links = "".join(f'<li><a href="/{section}/{rng.choice(_PLACES).lower()}-{i}/">'
                            f"{rng.choice(_PLACES)} {rng.choice(_NOUNS)}</a></li>"
                            for i in range(22))
            menu.append(f'<li class="{self.cls}-menu"><a href="/{section}/">'
                        f"{section.title()}</a><ul>{links}</ul></li>")
        self.nav = (f'<header class="{self.cls}-masthead" role="banner"><a class="logo" href="/">'
                    f"{site.title}</a><nav class=\"{self.cls}-nav\" role=\"navigation\"><ul>"
                    + "".join(menu) + "</ul></nav></header>")
        self.cookie = ('<div id="consent" role="dialog" aria-label="Cookie consent"><p>We use '
                       "cookies to improve your experience, personalise content and adverts, "
                       "and analyse our traffic. By clicking Accept all you agree to the storing "
                       "of cookies on your device.</p><button>Accept all</button>"
                       "<button>Manage preferences</button></div>")
        footer_links = "".join(f'<a href="/{w}/">{w.title()}</a> '
                               for w in ("about", "contact", "privacy", "cookies", "terms",
                                         "careers", "help", "newsletters", "archive"))
        farm = "".join(f'<li><a href="/tag/{rng.choice(_PLACES).lower()}-{rng.choice(_NOUNS)}/">'
                       f"{rng.choice(_PLACES)} {rng.choice(_NOUNS)}</a></li>" for _ in range(150))
        self.footer = (f'<footer class="{self.cls}-footer" role="contentinfo"><nav>{footer_links}'
                       f"</nav><ul class=\"topics\">{farm}</ul><p>&copy; {site.title} Ltd. All "
                       f"rights reserved.</p></footer>")
        self.padding = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789")
                               for _ in range(64_000))

    def page(self, article: CorpusArticle, corpus: Corpus) -> str:
        site = self.site
        rng = random.Random(f"{corpus.seed}:{article.site}:{article.number}:furniture")
        title = html.escape(article.title)
        standfirst = html.escape(article.standfirst)
        published = article.published.isoformat()
        others = site.articles

        def pick(count: int) -> list[CorpusArticle]:
            return [others[rng.randrange(len(others))] for _ in range(count)]

        paragraphs = [f"<p>{html.escape(p)}</p>" for p in corpus.paragraphs(article)]
        if not corpus.furniture:
            return (f'<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>'
                    f"{title}</title><meta property=\"og:type\" content=\"article\">"
                    f'<meta property="article:published_time" content="{published}"></head>'
                    f'<body><article><h1>{title}</h1><p class="standfirst">{standfirst}</p>'
                    f'{"".join(paragraphs)}</article></body></html>')
        read_more = "".join(f'<li><a href="{o.path}">{html.escape(o.title)}</a></li>'
                            for o in pick(2))
        paragraphs.insert(2, f'<div class="inline-promo" data-component="related"><p><strong>'
                             f"Read More:</strong></p><ul>{read_more}</ul></div>")
        paragraphs.insert(5, '<div class="newsletter-signup"><h3>The Morning Briefing</h3><p>'
                             "Sign up to our free newsletter for the day's top stories, "
                             "delivered to your inbox every morning.</p><form><input "
                             'type="email"><button>Sign up</button></form></div>')
        paragraphs.insert(7, '<div class="video-embed"><p>Loading...</p></div>')
        most_read = "".join(f'<li><a href="{o.path}">{html.escape(o.title)}</a></li>'
                            for o in pick(10))
        grid = "".join(
            f'<div class="{self.cls}-teaser"><a href="{o.path}"><h3>{html.escape(o.title)}</h3>'
            f"</a><p>{html.escape(o.standfirst)}</p><span>{o.section.title()}</span></div>"
            for o in pick(24))
        state = {
            "page": {"id": article.story, "section": article.section, "type": "article",
                     "related": [{"url": o.path, "title": o.title, "teaser": o.standfirst}
                                 for o in pick(40)]},
            "ads": {f"slot{i}": {"size": [300, 250], "targeting": rng.choice(_NOUNS)}
                    for i in range(12)},
        }
        ld = json.dumps({
            "@context": "https://schema.org", "@type": "NewsArticle", "headline": article.title,
            "datePublished": published, "author": {"@type": "Person", "name": article.author},
            "publisher": {"@type": "Organization", "name": site.title},
        })
        text = (
            f'<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>{title} | '
            f"{site.title}</title><meta name=\"description\" content=\"{standfirst}\">"
            f'<meta name="author" content="{html.escape(article.author)}">'
            f'<meta property="og:type" content="article"><meta property="og:title" '
            f'content="{title}"><meta property="og:site_name" content="{site.title}">'
            f'<meta property="article:published_time" content="{published}">'
            f'<link rel="canonical" href="{article.path}">'
            f'<script type="application/ld+json">{ld}</script>{self.style}{self.script_head}'
            f'</head><body class="{self.cls}-article">{self.cookie}{self.nav}<main id="content">'
            f'<article class="{self.cls}-story"><div class="breadcrumbs"><a href="/">Home</a> '
            f'&rsaquo; <a href="/{article.section}/">{article.section.title()}</a></div>'
            f'<h1 class="{self.cls}-headline">{title}</h1><p class="standfirst">{standfirst}</p>'
            f'<div class="byline">By <a rel="author" href="/author/{_slug(article.author)}/">'
            f"{html.escape(article.author)}</a> &middot; <time datetime=\"{published}\">"
            f"{article.published:%d %B %Y, %H:%M} GMT</time></div>"
            f'<figure><img src="/static/{article.story}.jpg" alt=""><figcaption>A picture from '
            f"{html.escape(article.section)}. Photograph: Wire Pictures</figcaption></figure>"
            f'<div class="{self.cls}-body">{"".join(paragraphs)}</div>'
            f'<div class="tags">Topics: <a href="/tag/{_slug(article.topic)}/">'
            f"{html.escape(article.topic)}</a></div></article>"
            f'<aside class="{self.cls}-sidebar" role="complementary"><section class="most-read">'
            f"<h2>Most read</h2><ol>{most_read}</ol></section><div class=\"ad\"><p>Advertisement"
            f"</p></div></aside></main><section class=\"{self.cls}-more\"><h2>More from "
            f"{article.section.title()}</h2>{grid}</section>"
            f'<section id="comments"><h2>Comments</h2><p>Loading...</p></section>{self.footer}'
            f'<script id="__STATE__" type="application/json">@STATE@</script>'
            f"{self.script_tail}</body></html>"
        )
        # Modern news pages carry most of their weight as the app's serialised state: fill
        # up to the page size there, which adds bytes but no elements.
        state_json = json.dumps(state)
        pad = corpus.page_bytes - len(text) - len(state_json) + len("@STATE@")
        if pad > 32:
            while len(self.padding) < pad:
                self.padding += self.padding
            state["bundle"] = self.padding[:pad - 16]
            state_json = json.dumps(state)
        return text.replace("@STATE@", state_json, 1)


def _pseudo_js(rng: random.Random, size: int) -> str:
    parts = []
    length = 0
    while length < size:
        name = "".join(rng.choice("abcdefghijklmnop") for _ in range(6))
        part = (f"function {name}(e,t){{var n=e.{rng.choice(_NOUNS)}||{rng.randint(0, 999)};"
                f"return t?n*{rng.randint(2, 9)}:window.__q.push([\"{name}\",n])}};")
        parts.append(part)
        length += len(part)
    return "".join(parts)


# -- serving ------------------------------------------------------------------------------------


class CorpusServer(ThreadingHTTPServer):
    """One site of a corpus on 127.0.0.1; ``hits`` counts requests by path."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, corpus: Corpus, site: str, *, port: int = 0, delay: float = 0.0,
                 listed: int | None = None) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.corpus = corpus
        self.site_name = site
        self.delay = delay
        self.listed = listed
        self.hits: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._rendered: dict[str, tuple[Page, bytes, str]] = {}

    def prerender(self) -> None:
        """Make every page of the site now and answer from memory from then on, as a site's
        own cache would: the crawler's clock then holds none of the pages' making."""
        site = self.corpus.site(self.site_name)
        for path in ("/robots.txt", "/", *site.listing_paths(), *site.by_path):
            rendered = self.render(path)
            if rendered is not None:
                self._rendered[path] = rendered

    def render(self, path: str) -> tuple[Page, bytes, str] | None:
        """The page at ``path`` (None: 404), its body as served and its ETag."""
        rendered = self._rendered.get(path)
        if rendered is not None:
            return rendered
        page = self.corpus.page(self.site_name, path, listed=self.listed)
        if page is None:
            return None
        body = page.body.replace(b"{base}", self.base_url.encode())
        return page, body, '"' + hashlib.sha1(body).hexdigest()[:20] + '"'

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def site(self) -> CorpusSite:
        return self.corpus.site(self.site_name)

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hangs up mid-response (a crawl killed, a timeout) is not our error.
        pass

    def count(self, path: str, *, not_modified: bool = False) -> None:
        with self._lock:
            self.hits[path] += 1
            if not_modified:
                self.not_modified[path] += 1

    def reset_hits(self) -> None:
        with self._lock:
            self.hits.clear()
            self.not_modified.clear()

    def kind_of(self, path: str) -> str:
        """``article``, ``listing`` (feed or sitemap), ``robots``, ``home`` or ``other``."""
        if path in self.site.by_path:
            return "article"
        if path == "/robots.txt":
            return "robots"
        if path in ("/", "/index.html"):
            return "home"
        if path in self.site.listing_paths():
            return "listing"
        return "other"


class _Handler(BaseHTTPRequestHandler):
    server: CorpusServer
    server_version = "CorpusNews/1.0"
    protocol_version = "HTTP/1.1"  # keep-alive, as real sites answer
    # Headers and body go out in two writes; with Nagle on, the client's delayed ACK would hold
    # every keep-alive response back ~40 ms.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:  # the name http.server calls
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _respond(self, *, send_body: bool) -> None:
        path = urlsplit(self.path).path
        if self.server.delay:
            threading.Event().wait(self.server.delay)
        rendered = self.server.render(path)
        if rendered is None:
            self.server.count(path)
            self._send(404, b"Not Found\n", "text/plain; charset=utf-8", send_body)
            return
        page, body, etag = rendered
        not_modified = self._not_modified(etag, page.modified)
        self.server.count(path, not_modified=not_modified)
        if not_modified:
            self._send(304, b"", None, send_body, etag=etag, modified=page.modified)
            return
        self._send(200, body, page.content_type, send_body, etag=etag, modified=page.modified)

    def _not_modified(self, etag: str, modified: datetime) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            return etag in [tag.strip() for tag in if_none_match.split(",")] or \
                if_none_match.strip() == "*"
        if_modified_since = self.headers.get("If-Modified-Since")
        if if_modified_since:
            try:
                return modified.replace(microsecond=0) <= parsedate_to_datetime(if_modified_since)
            except (TypeError, ValueError):
                return False
        return False

    def _send(self, status: int, body: bytes, content_type: str | None, send_body: bool, *,
              etag: str | None = None, modified: datetime | None = None) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        if etag:
            self.send_header("ETag", etag)
        if modified:
            self.send_header("Last-Modified", format_datetime(modified, usegmt=True))
        self.end_headers()
        if send_body and status != 304:
            self.wfile.write(body)


@dataclass
class CorpusServers(Mapping[str, CorpusServer]):
    """The running servers of a corpus, by site name."""

    servers: dict[str, CorpusServer] = field(default_factory=dict)

    def __getitem__(self, name: str) -> CorpusServer:
        return self.servers[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.servers)

    def __len__(self) -> int:
        return len(self.servers)

    def site_configs(self) -> list[dict[str, object]]:
        """The ``sites:`` entries of a newswatch config reading every article once."""
        return [{"name": name, "feeds": [f"{server.base_url}/rss.xml"],
                 "sitemaps": [f"{server.base_url}/sitemap.xml",
                              f"{server.base_url}/sitemap-news.xml"]}
                for name, server in self.servers.items()]

    def hits(self) -> Counter[tuple[str, str]]:
        total: Counter[tuple[str, str]] = Counter()
        for name, server in self.servers.items():
            with server._lock:
                total.update({(name, path): n for path, n in server.hits.items()})
        return total

    def count_hits(self, *, kind: str | None = None, not_modified: bool = False) -> int:
        """Requests served, of one kind (see ``CorpusServer.kind_of``) or all; or only 304s."""
        total = 0
        for server in self.servers.values():
            with server._lock:
                counter = dict(server.not_modified if not_modified else server.hits)
            total += sum(n for path, n in counter.items()
                         if kind is None or server.kind_of(path) == kind)
        return total

    def reset_hits(self) -> None:
        for server in self.servers.values():
            server.reset_hits()


@contextmanager
def serve_corpus(corpus: Corpus, *, delay: float = 0.0, listed: int | None = None,
                 prerender: bool = False) -> Iterator[CorpusServers]:
    """Serve every site of ``corpus`` on its own loopback port, in background threads.

    ``delay`` holds each response back (seconds); ``listed`` limits what the listings show to
    each site's newest articles (see :meth:`Corpus.page`). ``prerender`` makes every page
    before the servers start (``CorpusServer.prerender``): 100 KB of memory per article, and
    a timed crawl no longer pays for making the pages it reads.
    """
    servers = CorpusServers()
    with ExitStack() as stack:
        for site in corpus.sites:
            server = CorpusServer(corpus, site.name, delay=delay, listed=listed)
            if prerender:
                server.prerender()
            servers.servers[site.name] = stack.enter_context(
                serving(server, f"corpus-{site.name}"))
        yield servers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.corpus",
                                     description="Serve a generated news corpus on loopback.")
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    corpus = Corpus(args.articles, seed=args.seed)
    with serve_corpus(corpus) as servers:
        for name, server in servers.items():
            print(f"{name}: {server.base_url}/  ({len(server.site.articles)} articles, "
                  f"feed /rss.xml, sitemaps /sitemap.xml /sitemap-news.xml)")
        print("Press Ctrl-C to stop.")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
