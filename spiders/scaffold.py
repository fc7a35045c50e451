"""``newswatch spider new NAME URL``: a site spider module and its test, from one live URL.

The URL may be a feed, a sitemap, a section page or an article. It is fetched, along with one
article it leads to; both pages are saved next to the test as fixtures, so the test runs offline
and pins what the spider extracts today. The spider subclasses NewsSpider and sets only its
name and its sources; the comments show the hooks to override when the site needs more.
"""

from __future__ import annotations

import json
import keyword
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from spiders.addresses import AddressPolicy
from spiders.fetch import Fetched, FetchError, fetch
from spiders.single import Sniffed, response_for, sniff
from store.items import Article
from store.urls import canonical_url

__all__ = ["Scaffold", "ScaffoldError", "module_name", "write_scaffold"]

_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_MAX_LINE = 100


class ScaffoldError(ValueError):
    """The spider cannot be written; the message says why."""


@dataclass(frozen=True, kw_only=True)
class Scaffold:
    """What ``spider new`` wrote."""

    name: str
    kind: str
    spider: Path
    test: Path
    pages: tuple[Path, ...]
    title: str


def module_name(name: str) -> str:
    """The module (file) name for a spider name: ``le-monde`` → ``le_monde``."""
    if not _NAME.match(name):
        raise ScaffoldError(f"{name!r} is not a spider name; use lowercase letters, digits, "
                            "'-' or '_', starting with a letter")
    module = name.replace("-", "_")
    if keyword.iskeyword(module):
        raise ScaffoldError(f"{name!r} is a Python keyword; choose another name")
    return module


def write_scaffold(name: str, url: str, *, spiders_dir: Path, tests_dir: Path,
                   force: bool = False, contact: str | None = None,
                   allow_private: bool = False) -> Scaffold:
    """Fetch ``url`` (and one article it leads to) and write the spider, its test and pages.

    Only ``url``'s own host and public addresses are reached, unless ``allow_private``."""
    module = module_name(name)
    spider_path = spiders_dir / f"{module}.py"
    test_path = tests_dir / f"test_{module}.py"
    pages_dir = tests_dir / "pages" / module
    for path in (spider_path, test_path):
        if path.exists() and not force:
            raise ScaffoldError(f"{path} exists already (give --force to overwrite it)")

    try:
        policy = AddressPolicy.for_urls([url], allow_private=allow_private)
        found = sniff(url, contact=contact, policy=policy)
        article_page = found.fetched if found.kind == "article" else _first_article(
            found, contact, policy)
    except FetchError as exc:
        raise ScaffoldError(str(exc)) from None
    article = _extracted(article_page)
    if article is None:
        raise ScaffoldError(f"{article_page.url}: no article could be extracted from it; "
                            "try the URL of a feed, a sitemap or one article")

    pages_dir.mkdir(parents=True, exist_ok=True)
    pages = []
    source_file = None
    if found.kind != "article":
        source_file = "listing.xml" if found.kind in ("feed", "sitemap") else "section.html"
        (pages_dir / source_file).write_bytes(found.fetched.body)
        pages.append(pages_dir / source_file)
    (pages_dir / "article.html").write_bytes(article_page.body)
    pages.append(pages_dir / "article.html")

    spiders_dir.mkdir(parents=True, exist_ok=True)
    spider_path.write_text(_spider_module(name, url, found, article.title), encoding="utf-8")
    tests_dir.mkdir(parents=True, exist_ok=True)
    init = tests_dir / "__init__.py"
    if not init.exists():
        init.write_text("", encoding="utf-8")
    test_path.write_text(
        _test_module(name, module, found, source_file, article_page, article),
        encoding="utf-8")
    return Scaffold(name=name, kind=found.kind, spider=spider_path, test=test_path,
                    pages=tuple(pages), title=article.title)


def _first_article(found: Sniffed, contact: str | None, policy: AddressPolicy) -> Fetched:
    """The first article page the feed, sitemap or section page leads to."""
    from spiders.news import NewsSpider
    from store.items import SiteSpec

    if found.listing is not None:
        entries = list(found.listing.entries)
        if found.listing.kind == "sitemapindex" and entries:
            child = sniff(entries[0].url, contact=contact, policy=policy)
            entries = list(child.listing.entries) if child.listing else []
        urls = [entry.url for entry in entries]
    else:
        spider = NewsSpider(site=SiteSpec(name="scaffold"))
        urls = spider.section_links(response_for(found.fetched))
    for candidate in urls[:5]:
        page = fetch(candidate, contact=contact, policy=policy)
        if _extracted(page) is not None:
            return page
    raise FetchError(f"{found.fetched.url}: none of the first {min(len(urls), 5)} links it "
                     "lists is an article Newswatch can extract")


def _extracted(page: Fetched) -> Article | None:
    from spiders.extract import extract_article
    from spiders.pages import NotHtml, read_html

    try:
        html = read_html(response_for(page)).html
    except NotHtml:
        return None
    return extract_article(html, page.url, "scaffold")


def _class_name(module: str) -> str:
    return "".join(part.capitalize() for part in module.split("_")) + "Spider"


def _str(text: str) -> str:
    """A double-quoted Python string literal (JSON's escapes are Python's too)."""
    return json.dumps(text, ensure_ascii=False)


def _line(text: str) -> str:
    return text + "  # noqa: E501" if len(text) > _MAX_LINE else text


def _spider_module(name: str, url: str, found: Sniffed, title: str) -> str:
    host = urlsplit(found.fetched.url).hostname or ""
    if found.kind == "feed":
        sources = _line(f"    feeds = ({_str(url)},)")
    elif found.kind == "sitemap":
        sources = _line(f"    sitemaps = ({_str(url)},)")
    elif found.kind == "section":
        sources = _line(f"    start_urls = ({_str(url)},)")
    else:
        home = f"{urlsplit(url).scheme}://{urlsplit(url).netloc}/"
        sources = ("    # The URL given was an article: start from the home page (check it).\n"
                   + _line(f"    start_urls = ({_str(home)},)"))
    return f'''"""{name}: {host}.

Written by ``newswatch spider new`` from the {found.kind}
{_ellipsis(url, 96)}
whose first article was "{_ellipsis(title, 70)}".
The generic NewsSpider does the rest: override only what this site needs (the hooks are
is_article_url, article_request, extract and complete_article; see spiders/news.py).
"""

from __future__ import annotations

from spiders.news import NewsSpider


class {_class_name(module_name(name))}(NewsSpider):
    name = {_str(name)}
{sources}

    # Which links of section pages and plain sitemaps are articles (regular expressions);
    # by default, links whose last segment is a slug of words or a long numeric id.
    # article_url_allow = (r"/news/\\d+",)
    # article_url_deny = (r"/live/",)
'''


def _test_module(name: str, module: str, found: Sniffed, source_file: str | None,
                 article_page: Fetched, article: Article) -> str:
    article_url = canonical_url(article_page.url)
    first_words = " ".join(article.text.split()[:8])
    lines = [
        f'"""The {name} spider on pages saved from {found.kind} '
        f'{_ellipsis(found.fetched.url, 50)}.',
        "",
        "The expected values are what the spider extracted when it was written: check that they",
        "are right, then keep them as a regression test.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from pathlib import Path",
        "",
        "from scrapy.http import Request",
        "from scrapy.utils.test import get_crawler",
        "",
        "from spiders.fetch import Fetched",
        "from spiders.registry import spider_for",
        "from spiders.single import response_for",
        "from store.items import SiteSpec",
        "",
        f'PAGES = Path(__file__).parent / "pages" / {_str(module)}',
        _line(f"SOURCE_URL = {_str(found.fetched.url)}"),
        _line(f"SOURCE_TYPE = {_str(found.fetched.content_type)}"),
        _line(f"ARTICLE_URL = {_str(article_url)}"),
        _line(f"ARTICLE_TYPE = {_str(article_page.content_type)}"),
        "",
        "",
        "def page(file: str, url: str, content_type: str):",
        '    """The saved page as the response the spider got, for ``url``."""',
        "    fetched = Fetched(url=url, body=(PAGES / file).read_bytes(), "
        "content_type=content_type)",
        "    response = response_for(fetched)",
        "    response.request = Request(url)",
        "    return response",
        "",
        "",
        "def make_spider():",
        f"    cls = spider_for({_str(name)})",
        f"    assert cls.__name__ == {_str(_class_name(module))}",
        "    # Saved listings grow old: keep their entries whatever their age.",
        '    crawler = get_crawler(cls, settings_dict={"NEWSWATCH_MAX_AGE": 0})',
        f"    return cls.from_crawler(crawler, site=SiteSpec(name={_str(name)}))",
        "",
    ]
    if source_file is not None:
        parse = "parse_listing" if source_file == "listing.xml" else "parse_section"
        lines += [
            "",
            f"def test_the_{found.kind}_leads_to_the_article():",
            f"    response = page({_str(source_file)}, SOURCE_URL, SOURCE_TYPE)",
            "",
            f"    urls = [request.url for request in make_spider().{parse}(response)]",
            "",
            "    assert ARTICLE_URL in urls",
            "",
        ]
    lines += [
        "",
        "def test_the_article_is_extracted():",
        '    response = page("article.html", ARTICLE_URL, ARTICLE_TYPE)',
        "",
        "    (item,) = make_spider().parse_article(response)",
        "",
        _line(f'    assert item["title"] == {_str(article.title)}'),
        _line(f'    assert item["text"].startswith({_str(first_words)})'),
        f'    assert len(item["text"]) >= {max(len(article.text) * 9 // 10, 1)}',
    ]
    if article.published is not None:
        published = _str(article.published.isoformat())
        lines.append(_line(f'    assert item["published"] == {published}'))
    return "\n".join(lines) + "\n"


def _ellipsis(text: str, width: int) -> str:
    """``text`` on one line, at most ``width`` characters, safe inside a docstring."""
    text = " ".join(text.replace("\\", "/").replace('"', "'").split())
    return text if len(text) <= width else text[: width - 1] + "…"
