from __future__ import annotations

import re
import urllib.error
import urllib.request
from datetime import timedelta
from email.utils import format_datetime

import pytest

from spiders.dates import parse_date
from spiders.sample_server import SAMPLE_SITE, serve_sample_site


def get(url: str, **headers: str):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


@pytest.mark.parametrize(("path", "content_type"), [
    ("/courier/rss.xml", "application/rss+xml"),
    ("/ledger/sitemap-news.xml", "application/xml"),
    ("/ledger/world/", "text/html"),
    ("/ledger/news/88412/kremlin-confirms-putin-trip-to-beijing", "text/html"),
    ("/robots.txt", "text/plain"),
])
def test_pages_are_served_with_their_content_type(base_url, path, content_type):
    status, headers, body = get(base_url + path)

    assert status == 200
    assert headers["Content-Type"].startswith(content_type)
    assert "{{" not in body


def test_placeholders_are_filled_relative_to_the_server_start(sample_site, base_url):
    _, _, feed = get(base_url + "/courier/rss.xml")

    first = re.search(r"<pubDate>([^<]+)</pubDate>", feed).group(1)
    assert parse_date(first) == sample_site.now - timedelta(hours=2)
    assert f"<link>{base_url}/courier/" in feed


def test_every_placeholder_kind(sample_site):
    rendered = sample_site.render("{{base}}|{{published:-90m}}|{{rfc822:-1h}}|{{date:-1d}}|"
                                  "{{human:+0s}}|{{published}}")
    base, iso, rfc, day, human, now = rendered.split("|")

    assert base == sample_site.base_url
    assert parse_date(iso) == sample_site.now - timedelta(minutes=90)
    assert rfc == format_datetime(sample_site.now - timedelta(hours=1), usegmt=True)
    assert day == (sample_site.now - timedelta(days=1)).date().isoformat()
    assert human.endswith("GMT") and str(sample_site.now.year) in human
    assert parse_date(now) == sample_site.now


@pytest.mark.parametrize("path", ["/broken/", "/broken/rss.xml", "/broken/a/b/c"])
def test_broken_answers_500(base_url, path):
    assert get(base_url + path)[0] == 500


@pytest.mark.parametrize("path", ["/nothing-here", "/courier/missing.xml",
                                  "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd"])
def test_missing_and_outside_files_are_404(base_url, path):
    assert get(base_url + path)[0] == 404


def test_conditional_requests(base_url):
    status, headers, _ = get(base_url + "/courier/rss.xml")
    assert status == 200

    assert get(base_url + "/courier/rss.xml", **{"If-None-Match": headers["ETag"]})[0] == 304
    assert get(base_url + "/courier/rss.xml",
               **{"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    assert get(base_url + "/courier/rss.xml", **{"If-None-Match": '"other"'})[0] == 200


def test_hits_are_counted(sample_site, base_url):
    before = sample_site.hits["/courier/"]
    get(base_url + "/courier/")
    assert sample_site.hits["/courier/"] == before + 1


def test_serve_sample_site_yields_a_loopback_url():
    with serve_sample_site() as base:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base)
        assert get(base + "/robots.txt")[0] == 200


def test_the_site_ships_ten_articles():
    pages = [p for p in SAMPLE_SITE.rglob("*.html") if p.name != "index.html"]
    assert len(pages) == 10
