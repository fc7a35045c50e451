"""What a page says about itself: headline, author, publication time, on real pages first.

The real pages are ``sample_data/real/``, each with what Mozilla Readability expects of it; the
metadata an alert shows (headline, author, published time) must agree with it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from trafilatura.utils import load_html

from spiders.extract import extract_article
from spiders.metadata import PageMetadata
from spiders.single import extract_source

REAL = Path(__file__).with_name("sample_data") / "real"


def read(html: str) -> PageMetadata:
    return PageMetadata.read(load_html(html), "https://news.example/a/story")


def real(name: str):
    return extract_source(str(REAL / name / "source.html")).article


def expected(name: str) -> dict[str, object]:
    return json.loads((REAL / name / "expected-metadata.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["003-metadata-preferred", "parsely-metadata", "aclu",
                                  "medium-3", "002", "wapo-1", "salon-1"])
def test_headline_is_the_one_the_page_states(name):
    assert real(name).title == expected(name)["title"]


def test_dublin_core_beats_opengraph_and_a_property_beats_a_name():
    article = real("003-metadata-preferred")  # every kind of <meta> title and author at once

    assert article.title == "Dublin Core property title"
    assert article.author == "Dublin Core property author"


def test_a_property_may_name_several_keys():
    # <meta property="x:title dc:title" …>, <meta property="dc:creator twitter:site_name" …>
    article = real("004-metadata-space-separated-properties")

    assert article.title == "Preferred title"
    assert article.author == "Creator Name"  # not the <meta name="author" content="FAIL">


def test_parsely_metadata_is_read():
    article = real("parsely-metadata")

    assert (article.title, article.author) == ("Some Other Title", "Jane Doe")
    assert article.published == datetime(2024, 4, 20, 4, 20, tzinfo=UTC)


def test_json_ld_wrapped_in_cdata_is_read():
    assert "<![CDATA[" in (REAL / "aclu" / "source.html").read_text(encoding="utf-8")
    article = real("aclu")

    assert article.author == "Daniel Kahn Gillmor"
    assert article.published == datetime(2018, 4, 5, 6, 0, tzinfo=UTC)  # no zone given: UTC


def test_json_ld_publication_time_beats_the_opengraph_one():
    # Medium's article:published_time is a later edit; its NewsArticle gives the first.
    article = real("medium-3")

    assert article.published == datetime(2015, 10, 15, 2, 19, 15, 607000, tzinfo=UTC)
    assert article.published.isoformat().startswith(str(expected("medium-3")["publishedTime"])
                                                     [:19])


def test_byline_element_is_read_when_no_metadata_names_the_author():
    article = real("salon-1")  # rel="author", after a sidebar of other writers' names

    # Readability takes the first writer's name in the sidebar ("Joanna Rothkopf"); the
    # article is Richard Eskow's (his rel="author" link, and the page's analytics say so).
    assert expected("salon-1")["byline"] == "Joanna Rothkopf"
    assert article.author == "Richard (R.J.) Eskow"


def test_title_element_beats_a_logo_in_h1():
    html = ("<html><head><title>Conversations with a Cryptid - Chapter 1 - Archive</title>"
            "</head><body><h1>Archive of Our Own beta</h1><p>Text.</p></body></html>")
    assert read(html).headline == "Conversations with a Cryptid - Chapter 1"


def test_title_element_keeps_a_short_head_whole():
    html = "<html><head><title>Google - Site Reliability Engineering</title></head></html>"
    assert read(html).headline == "Google - Site Reliability Engineering"


def test_title_that_is_the_h1_and_the_sites_name_gives_the_h1():
    html = ("<html><head><title>城市地铁三号线下月开通_本地新闻</title></head>"
            "<body><h1>城市地铁三号线下月开通</h1></body></html>")
    assert read(html).headline == "城市地铁三号线下月开通"


def test_json_ld_headline_or_name_closer_to_the_title_wins():
    html = ('<html><head><title>New Zealand - Wikipedia</title><script type="application/ld+'
            'json">{"@type": "Article", "name": "New Zealand", "headline": "constitutional '
            'monarchy in Oceania"}</script></head></html>')
    assert read(html).headline == "New Zealand"


def test_several_authors_of_one_kind_are_all_named():
    html = ('<html><head><meta name="DC.Creator" content="Kooman, F."><meta name="DC.Creator" '
            'content="Jong, Michiel de"></head></html>')
    assert read(html).author == "Kooman, F.; Jong, Michiel de"


def test_an_author_in_a_sidebar_is_not_the_byline():
    html = ('<html><body><aside><span class="author">Katie Couric</span></aside>'
            '<div class="rail-sidebar"><ul><li class="author-follow">Matt Bai</li></ul></div>'
            '<div aria-hidden="true"><span class="author">Michael Isikoff</span></div>'
            '<article><h1>Story</h1><div class="byline">By Nataliya Vasilyeva</div>'
            '<p>Text.</p></article></body></html>')
    assert read(html).author == "Nataliya Vasilyeva"


def test_a_published_time_without_one_on_the_page_comes_from_the_feed():
    html = (REAL / "wapo-1" / "source.html").read_text(encoding="utf-8")
    hint = datetime(2015, 3, 18, 15, 0, tzinfo=UTC)

    article = extract_article(html, "https://www.washingtonpost.com/world/x", "wapo",
                              published_hint=hint)

    assert article.published == hint


def test_a_byline_names_the_writer_not_the_editor():
    # <p class="byline">Written by Rob Ewaschuk<br/>Edited by Betsy Beyer</p>
    assert expected("google-sre-book-1")["byline"].split() == \
        "Written by Rob Ewaschuk Edited by Betsy Beyer".split()
    assert real("google-sre-book-1").author == "Rob Ewaschuk"


@pytest.mark.parametrize(("byline", "author"), [
    # A name link beside the writer's role, in one byline box.
    ('<div class="author"><a class="author-link" href="/author/ben">Ben Silverman</a>'
     '<div class="author-title">Games Editor</div></div>', "Ben Silverman"),
    # "By", the name, then the time the story went up.
    ('<div class="byline"><span>By </span><span class="fn">GILLIAN MOHNEY</span> '
     '<span>March 11, 2015 3:46 PM</span></div>', "GILLIAN MOHNEY"),
    ('<div class="author-box"><span class="author-name">James Akinaka</span> • 8h</div>',
     "James Akinaka"),
    # Several writers: the page's own words for them, "and" included.
    ('<p class="byline">By <a class="author" href="/a">Ann Lee</a> and '
     '<a class="author" href="/b">Bo Kim</a></p>', "Ann Lee and Bo Kim"),
])
def test_a_byline_box_gives_the_names_only(byline, author):
    html = f"<html><body><article><h1>Story</h1>{byline}<p>Text.</p></article></body></html>"
    assert read(html).author == author


def test_a_json_ld_author_given_by_reference_is_named():
    # WordPress's SEO plug-ins describe the writer once in the graph and point to it.
    data = json.dumps({"@context": "https://schema.org", "@graph": [
        {"@type": "NewsArticle", "headline": "Story", "author": {"@id": "#/person/1"}},
        {"@type": "Person", "@id": "#/person/1", "name": "Ann Lee"}]})
    html = (f'<html><head><script type="application/ld+json">{data}</script></head>'
            '<body><p class="byline">Staff</p></body></html>')
    assert read(html).author == "Ann Lee"


@pytest.mark.parametrize("author", [{"@id": {"nested": 1}}, {"@id": "#/person/none"},
                                    {"name": {"@value": "Ann"}}, [None, 3, {"@id": []}]])
def test_a_json_ld_author_of_another_shape_names_nobody(author):
    data = json.dumps({"@type": "NewsArticle", "headline": "Story", "author": author})
    html = f'<html><head><script type="application/ld+json">{data}</script></head></html>'
    assert read(html).author is None
