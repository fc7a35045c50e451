"""Canonical URLs: real-world shapes of one article's URL collapse to one; nothing else does."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store.urls import canonical_url

CASES = [
    # Tracking parameters, one platform at a time.
    (
        "https://www.bbc.co.uk/news/world-europe-68123456?at_medium=RSS&at_campaign=KARANGA",
        "https://www.bbc.co.uk/news/world-europe-68123456",
    ),
    (
        "https://www.theguardian.com/world/2024/may/16/putin-xi-beijing?CMP=share_btn_tw",
        "https://www.theguardian.com/world/2024/may/16/putin-xi-beijing",
    ),
    (
        "https://www.reuters.com/world/europe/putin-china-2024-05-14/"
        "?utm_source=twitter&utm_medium=social&utm_campaign=wire&utm_content=x",
        "https://www.reuters.com/world/europe/putin-china-2024-05-14/",
    ),
    (
        "https://apnews.com/article/russia-china-putin-xi-4a1b2c?fbclid=IwAR0Zx-1y2_abc",
        "https://apnews.com/article/russia-china-putin-xi-4a1b2c",
    ),
    (
        "https://www.nytimes.com/2024/05/16/world/asia/putin-xi.html?smid=nytcore-ios-share",
        "https://www.nytimes.com/2024/05/16/world/asia/putin-xi.html",
    ),
    (
        "https://www.nytimes.com/2024/05/16/world/asia/putin-xi.html?partner=rss&emc=rss",
        "https://www.nytimes.com/2024/05/16/world/asia/putin-xi.html",
    ),
    (
        "https://www.example.com/news/putin?gclid=Cj0KCQjw&gclsrc=aw.ds&msclkid=3f2a",
        "https://www.example.com/news/putin",
    ),
    (
        "https://www.ledger.example/news/88412?mc_cid=5e1f2a&mc_eid=9b8c7d",
        "https://www.ledger.example/news/88412",
    ),
    (
        "https://www.msn.com/en-gb/news/world/putin-to-visit-china/ar-BB1mA2x?ocid=msedgntp",
        "https://www.msn.com/en-gb/news/world/putin-to-visit-china/ar-BB1mA2x",
    ),
    (
        "https://www.lefigaro.fr/international/poutine-pekin-20240516?xtor=RSS-3208&page=2",
        "https://www.lefigaro.fr/international/poutine-pekin-20240516?page=2",
    ),
    (
        "https://www.independent.co.uk/news/world/putin-xi-b2545678.html?WT.mc_id=tw",
        "https://www.independent.co.uk/news/world/putin-xi-b2545678.html",
    ),
    (
        "https://www.instagram-news.example/p/abc/?igshid=MzRlODBiNWFlZA&_ga=2.1.2&_gl=1*x",
        "https://www.instagram-news.example/p/abc/",
    ),
    (
        "https://www.example.com/article?ns_mchannel=social&ns_source=fb&ns_campaign=bbc",
        "https://www.example.com/article",
    ),
    # Fragments, ports, case, percent-encoding, query order.
    (
        "https://www.aljazeera.com/news/2024/5/16/putin-and-xi-meet#comments",
        "https://www.aljazeera.com/news/2024/5/16/putin-and-xi-meet",
    ),
    (
        "https://www.dw.com:443/en/putin-in-china/a-69099999",
        "https://www.dw.com/en/putin-in-china/a-69099999",
    ),
    ("http://www.example.com:80/news/1", "http://www.example.com/news/1"),
    (
        "http://127.0.0.1:8000/courier/world/x-1.html",
        "http://127.0.0.1:8000/courier/world/x-1.html",
    ),
    ("HTTPS://WWW.Example.COM/News/Story-1", "https://www.example.com/News/Story-1"),
    (
        "https://www.lemonde.fr/international/article/2024/05/16/poutine-%c3%a0-p%c3%a9kin_1.html",
        "https://www.lemonde.fr/international/article/2024/05/16/poutine-%C3%A0-p%C3%A9kin_1.html",
    ),
    (
        "https://www.lemonde.fr/international/article/2024/05/16/poutine-à-pékin_1.html",
        "https://www.lemonde.fr/international/article/2024/05/16/poutine-%C3%A0-p%C3%A9kin_1.html",
    ),
    ("https://www.example.com/%7Eeditor/story", "https://www.example.com/~editor/story"),
    (
        "https://www.example.com/story.php?id=7&b=2&a=1",
        "https://www.example.com/story.php?a=1&b=2&id=7",
    ),
    ("https://www.example.com./news/1", "https://www.example.com/news/1"),
    ("https://www.example.com", "https://www.example.com/"),
    ("  https://www.example.com/news/1?utm_source=rss#top  ", "https://www.example.com/news/1"),
    # DW tags every feed link with the feed it came from.
    ("https://www.dw.com/en/bundestag-passes-electoral-reform/a-70912001"
     "?maca=en-rss-en-world-4025-rdf",
     "https://www.dw.com/en/bundestag-passes-electoral-reform/a-70912001"),
    # AMP editions.
    (
        "https://www.bbc.co.uk/news/world-europe-68123456.amp",
        "https://www.bbc.co.uk/news/world-europe-68123456",
    ),
    (
        "https://www.example.com/amp/news/2024/05/16/putin",
        "https://www.example.com/news/2024/05/16/putin",
    ),
    (
        "https://www.example.com/2024/05/16/putin-xi/amp/",
        "https://www.example.com/2024/05/16/putin-xi/",
    ),
    (
        "https://www.example.com/news/2024/putin-xi/amp",
        "https://www.example.com/news/2024/putin-xi",
    ),
    ("https://www.example.com/news/putin-xi?amp", "https://www.example.com/news/putin-xi"),
    (
        "https://www.example.com/news/putin-xi?amp=1&id=3",
        "https://www.example.com/news/putin-xi?id=3",
    ),
    (
        "https://amp.theguardian.com/world/2024/may/16/putin-xi-beijing",
        "https://www.theguardian.com/world/2024/may/16/putin-xi-beijing",
    ),
    (
        "https://edition.cnn.com/2024/05/16/europe/putin-xi/index.amp.html",
        "https://edition.cnn.com/2024/05/16/europe/putin-xi/index.html",
    ),
    (
        "https://www.washingtonpost.com/world/2024/05/16/putin-xi/?outputType=amp",
        "https://www.washingtonpost.com/world/2024/05/16/putin-xi/",
    ),
    # Mobile editions.
    (
        "https://m.economictimes.com/news/international/putin/articleshow/110.cms",
        "https://www.economictimes.com/news/international/putin/articleshow/110.cms",
    ),
    ("https://mobile.reuters.com/article/idUSKBN2X0", "https://www.reuters.com/article/idUSKBN2X0"),
    (
        "https://m.bbc.co.uk/news/world-europe-68123456",
        "https://www.bbc.co.uk/news/world-europe-68123456",
    ),
    # What must stay apart, or alone.
    ("https://m.co/news/1", "https://m.co/news/1"),  # m.co is a site, not a mobile edition
    ("https://www.example.com/article.php?id=123", "https://www.example.com/article.php?id=123"),
    ("https://www.example.com/news/1?page=2", "https://www.example.com/news/1?page=2"),
    ("https://www.example.com/x;jsessionid=1", "https://www.example.com/x;jsessionid=1"),
    ("https://[::1]:443/news/1", "https://[::1]/news/1"),
    ("not a url", "not a url"),
    ("mailto:desk@example.com", "mailto:desk@example.com"),
    ("javascript:void(0)", "javascript:void(0)"),
    ("http://example.com:abc/", "http://example.com:abc/"),
    ("", ""),
]


@pytest.mark.parametrize(("url", "expected"), CASES)
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    "variants",
    [
        [
            "https://www.bbc.co.uk/news/world-europe-68123456",
            "https://www.bbc.co.uk/news/world-europe-68123456.amp",
            "https://m.bbc.co.uk/news/world-europe-68123456?at_medium=RSS#comments",
            "https://WWW.BBC.CO.UK:443/news/world-europe-68123456?utm_source=x&utm_medium=y",
        ],
        [
            "https://www.theguardian.com/world/2024/may/16/putin-xi",
            "https://amp.theguardian.com/world/2024/may/16/putin-xi?CMP=Share_iOSApp_Other",
            "https://www.theguardian.com/world/2024/may/16/putin-xi?amp&fbclid=x",
            "https://www.theguardian.com/amp/world/2024/may/16/putin-xi",
        ],
    ],
)
def test_one_article_has_one_canonical_url(variants):
    assert len({canonical_url(v) for v in variants}) == 1


TRACKING = st.sampled_from(["utm_source", "utm_campaign", "fbclid", "gclid", "mc_cid", "ocid"])
WORD = st.text("abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=12)
URLS = st.builds(
    lambda scheme, host, path, query: f"{scheme}://{host}.example/{'/'.join(path)}{query}",
    st.sampled_from(["http", "https", "HTTPS"]),
    WORD,
    st.lists(WORD, max_size=4),
    st.lists(st.tuples(WORD, WORD), max_size=3).map(
        lambda pairs: "?" + "&".join(f"{k}={v}" for k, v in pairs) if pairs else ""
    ),
)


@settings(deadline=None)
@given(st.text())
def test_any_string_is_taken_and_idempotent(text):
    once = canonical_url(text)
    assert canonical_url(once) == once


@settings(deadline=None)
@given(URLS | st.text(alphabet=st.characters(), max_size=60).map(lambda t: "https://" + t))
def test_urls_are_idempotent(url):
    once = canonical_url(url)
    assert canonical_url(once) == once


@settings(deadline=None)
@given(URLS, TRACKING, WORD)
def test_tracking_parameters_never_make_another_article(url, name, value):
    joiner = "&" if "?" in url else "?"
    assert canonical_url(f"{url}{joiner}{name}={value}#frag") == canonical_url(url)
