from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest

from spiders.listings import Entry, ListingError, parse_listing

BASE = "https://news.example/feeds/all.xml"

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>News</title>
  <item><title>First story</title><link>https://news.example/world/first-story-here</link>
    <pubDate>Sat, 30 Nov 2024 10:15:00 GMT</pubDate></item>
  <item><title>Relative link</title><link>/world/relative-story-link</link></item>
  <item><title>Guid only</title>
    <guid isPermaLink="true">https://news.example/world/guid-only-story</guid></item>
  <item><title>Opaque guid</title><guid isPermaLink="false">tag:news.example,2024:1</guid></item>
  <item><title>Repeat</title><link>https://news.example/world/first-story-here</link></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>News</title>
  <entry><title>Atom story</title>
    <link rel="self" href="https://news.example/api/1"/>
    <link rel="alternate" type="text/html" href="https://news.example/world/atom-story-one"/>
    <published>2024-11-30T10:15:00+01:00</published><updated>2024-11-30T12:00:00Z</updated>
  </entry>
  <entry><title>No rel</title><link href="/world/atom-story-two"/>
    <updated>2024-11-29T08:00:00Z</updated></entry>
</feed>"""

RDF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://news.example/"><title>News</title></channel>
  <item rdf:about="https://news.example/world/rdf-story"><title>RDF story</title>
    <link>https://news.example/world/rdf-story</link><dc:date>2024-11-30T10:15:00Z</dc:date>
  </item>
</rdf:RDF>"""

NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>https://news.example/world/news-story</loc>
    <lastmod>2024-11-30T11:00:00Z</lastmod>
    <news:news><news:publication><news:name>News</news:name><news:language>en</news:language>
      </news:publication>
      <news:publication_date>2024-11-30T10:15:00+00:00</news:publication_date>
      <news:title>News sitemap story</news:title></news:news></url>
  <url><loc>https://news.example/about-us</loc><lastmod>2024-01-01</lastmod></url>
</urlset>"""

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://news.example/sitemap-news.xml</loc><lastmod>2024-11-30</lastmod></sitemap>
  <sitemap><loc>https://news.example/sitemap-2019.xml.gz</loc></sitemap>
</sitemapindex>"""


def test_rss():
    listing = parse_listing(RSS, BASE)

    assert listing.kind == "feed"
    assert listing.entries == (
        Entry(url="https://news.example/world/first-story-here", title="First story",
              published=datetime(2024, 11, 30, 10, 15, tzinfo=UTC)),
        Entry(url="https://news.example/world/relative-story-link", title="Relative link"),
        Entry(url="https://news.example/world/guid-only-story", title="Guid only"),
    )


def test_atom():
    listing = parse_listing(ATOM, BASE)

    assert listing.kind == "feed"
    first, second = listing.entries
    assert first.url == "https://news.example/world/atom-story-one"
    assert first.published == datetime(2024, 11, 30, 9, 15, tzinfo=UTC)
    assert first.when == first.published
    assert second.url == "https://news.example/world/atom-story-two"
    assert second.when == datetime(2024, 11, 29, 8, 0, tzinfo=UTC)


def test_rdf():
    listing = parse_listing(RDF, BASE)

    assert listing.kind == "feed"
    assert listing.entries == (Entry(url="https://news.example/world/rdf-story",
                                     title="RDF story",
                                     published=datetime(2024, 11, 30, 10, 15, tzinfo=UTC)),)


def test_news_sitemap_keeps_the_news_block():
    listing = parse_listing(NEWS_SITEMAP, BASE)

    assert listing.kind == "sitemap"
    news, plain = listing.entries
    assert news.title == "News sitemap story"
    assert news.published == datetime(2024, 11, 30, 10, 15, tzinfo=UTC)
    assert news.modified == datetime(2024, 11, 30, 11, 0, tzinfo=UTC)
    assert plain == Entry(url="https://news.example/about-us",
                          modified=datetime(2024, 1, 1, tzinfo=UTC))


def test_sitemap_index():
    listing = parse_listing(INDEX, BASE)

    assert listing.kind == "sitemapindex"
    assert [e.url for e in listing.entries] == ["https://news.example/sitemap-news.xml",
                                                "https://news.example/sitemap-2019.xml.gz"]


@pytest.mark.parametrize("mangle", [
    lambda body: b"\xef\xbb\xbf" + body,
    lambda body: b"\n\n   " + body,
    lambda body: b"\xef\xbb\xbf\r\n" + body,
    lambda body: body.replace(b"First story", b"First &amp; &nbsp; story"),
    lambda body: body.replace(b"</channel></rss>", b""),
    gzip.compress,
], ids=["bom", "leading-whitespace", "bom-and-newline", "html-entity", "truncated", "gzip"])
def test_tolerates_what_real_feeds_do(mangle):
    listing = parse_listing(mangle(RSS), BASE)

    assert listing.kind == "feed"
    assert listing.entries[0].url == "https://news.example/world/first-story-here"


def test_entities_are_never_expanded():
    body = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd"><!ENTITY big "BIGBIGBIG">]>
<rss version="2.0"><channel><item><title>&secret;&big;</title>
<link>https://news.example/world/entity-story-here</link></item></channel></rss>"""
    listing = parse_listing(body, BASE)

    (entry,) = listing.entries
    assert "root:" not in (entry.title or "")
    assert "BIG" not in (entry.title or "")


def test_plain_text_sitemap():
    body = b"https://news.example/world/one-story-here\nhttps://news.example/world/two-story\n"
    listing = parse_listing(body, BASE)

    assert listing.kind == "sitemap"
    assert [e.url for e in listing.entries] == ["https://news.example/world/one-story-here",
                                                "https://news.example/world/two-story"]


@pytest.mark.parametrize(("body", "says"), [
    (b"<!doctype html><html><body><p>Hello</p></body></html>", "an HTML page"),
    (b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
     "an HTML page (title: '502 Bad Gateway')"),
    (b"<?xml version='1.0'?><html><body><p>Hello</p></body></html>", "an HTML page"),
    (b"<foo><bar/></foo>", "the document is <foo>"),
    (b"User-agent: *\nDisallow: /", "starts with 'User-agent"),
    (b"", "the response is empty"),
    (b"  \r\n ", "the response is empty"),
    (b"\x1f\x8bnot really gzip", "broken gzip"),
])
def test_other_documents_are_refused_with_a_reason(body, says):
    with pytest.raises(ListingError, match="not a feed or sitemap") as caught:
        parse_listing(body, BASE)
    assert says in str(caught.value)


def test_gzip_bomb_is_bounded():
    with pytest.raises(ListingError, match="larger than 1000 bytes"):
        parse_listing(gzip.compress(RSS + b" " * 10_000), BASE, max_size=1000)


def test_sample_feed_and_sitemaps(sample_site, page):
    base = sample_site.base_url
    feed = parse_listing(page("/courier/rss.xml").encode(), base + "/courier/rss.xml")
    news = parse_listing(page("/ledger/sitemap-news.xml").encode(), base + "/x")
    index = parse_listing(page("/ledger/sitemap.xml").encode(), base + "/x")

    assert len(feed.entries) == 5
    assert feed.entries[0].title == "Putin to visit China next month, Kremlin says"
    assert all(e.published and e.published <= sample_site.now for e in feed.entries)
    assert len(news.entries) == 4 and all(e.title and e.published for e in news.entries)
    assert [e.url for e in index.entries] == [base + "/ledger/sitemap-news.xml",
                                              base + "/ledger/sitemap-archive-2019.xml"]
