from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from spiders.clean import clean_blocks
from spiders.extract import MIN_BODY_CHARS, extract_article, page_blocks, text_weight

COURIER_WIRE = "/courier/world/putin-to-visit-china-next-month-kremlin-says-20417.html"
COURIER_FARM = "/courier/world/eu-agrees-overhaul-of-farm-subsidies-20411.html"
LEDGER_WIRE = "/ledger/news/88412/kremlin-confirms-putin-trip-to-beijing"
LEDGER_MARATHON = "/ledger/news/88377/kipruto-breaks-berlin-marathon-course-record"

# (path, title, first words of the body, last words of the body)
SAMPLE_ARTICLES = [
    (COURIER_WIRE, "Putin to visit China next month, Kremlin says",
     "MOSCOW (Wire) — Russian President Vladimir Putin will visit China",
     "through Mongolia."),
    (COURIER_FARM, "EU agrees overhaul of farm subsidies after months of protests",
     "European Union agriculture ministers agreed", "had pushed for since the spring."),
    ("/courier/weather/storm-bert-to-bring-heavy-rain-and-gales-20419.html",
     "Storm Bert to bring heavy rain and gales across the west",
     "Storm Bert is expected", "free flood warning service."),
    ("/courier/sport/late-okafor-winner-sends-rovers-top-20402.html",
     "Late Okafor winner sends Rovers top of the league",
     "Samuel Okafor came off the bench", "on Tuesday night."),
    ("/courier/business/rail-fares-to-rise-in-march-20395.html",
     "Rail fares to rise by 4.6% in March, government confirms",
     "Rail fares in England will rise", "by the devolved governments."),
    (LEDGER_WIRE, "Kremlin confirms Putin trip to Beijing",
     "Russian President Vladimir Putin will visit China", "through Mongolia."),
    ("/ledger/news/88405/eurozone-inflation-eases-as-energy-prices-fall",
     "Eurozone inflation eases to 2.3% as energy prices fall",
     "Inflation in the eurozone eased", "rose to 3.0% in Spain."),
    ("/ledger/news/88398/floods-force-thousands-from-homes-in-southern-brazil",
     "Floods force thousands from their homes in southern Brazil",
     "More than 12,000 people", "early next week."),
    (LEDGER_MARATHON, "Kipruto breaks Berlin marathon course record",
     "Kenya’s Amos Kipruto broke", "take a long rest."),
    ("/ledger/news/88409/heatwave-warning-for-southern-spain",
     "Heatwave warning issued for southern Spain as temperatures near 44C",
     "Spain’s national weather agency", "until at least Friday."),
]

# Text of the sample pages' furniture; none of it may reach an article's body.
FURNITURE = [
    "Read More", "Related", "Also read", "Most read", "Most popular", "Putin to visit India",
    "cookies", "Accept all", "newsletter", "Sign up to our", "Subscribe", "Loading",
    "Share this", "Share on",
    "Facebook", "WhatsApp", "Copy link", "All rights reserved", "©", "Advertisement",
    "Trending", "Topics:", "Photograph:", "Comments",
]


def extract(page: Callable[[str], str], base_url: str, path: str, **kwargs):
    return extract_article(page(path), base_url + path, "sample", **kwargs)


@pytest.mark.parametrize(("path", "title", "first", "last"), SAMPLE_ARTICLES,
                         ids=[row[0].rsplit("/", 1)[-1][:30] for row in SAMPLE_ARTICLES])
def test_sample_article_body_holds_the_article_and_no_furniture(
        page, base_url, path, title, first, last):
    article = extract(page, base_url, path)

    assert article is not None
    assert article.title == title
    assert article.text.startswith(first)
    assert article.text.endswith(last)
    for furniture in FURNITURE:
        assert furniture.casefold() not in article.text.casefold(), furniture
    assert title not in article.text  # the headline is a field, not the body's first line
    assert article.standfirst and article.standfirst not in article.text
    assert article.site == "sample"
    assert article.language == "en"
    assert article.author
    assert article.published is not None and article.published.tzinfo is not None


def test_body_paragraphs_are_separated_by_blank_lines(page, base_url):
    article = extract(page, base_url, COURIER_WIRE)

    paragraphs = article.text.split("\n\n")
    assert len(paragraphs) == 6
    assert all(paragraph.strip() == paragraph and "\n" not in paragraph
               for paragraph in paragraphs)
    assert "Putin will visit China next month" in paragraphs[0]


def test_farm_article_never_mentions_putin_although_its_boxes_do(page, base_url):
    html = page(COURIER_FARM)
    assert html.count("Putin to visit India") >= 3  # read-more box, most-read list, ticker

    article = extract(page, base_url, COURIER_FARM)

    for field in (article.title, article.standfirst, article.text):
        assert "putin" not in field.casefold()


def test_syndicated_copy_differs_from_the_original(page, base_url):
    original = extract(page, base_url, COURIER_WIRE)
    copy = extract(page, base_url, LEDGER_WIRE)

    assert original.title != copy.title
    assert original.text != copy.text
    shared = set(original.text.split("\n\n")) & set(copy.text.split("\n\n"))
    assert len(shared) == 3  # three paragraphs verbatim, three edited


def test_published_time_comes_from_the_page_in_utc(page, base_url, sample_site):
    article = extract(page, base_url, COURIER_WIRE)

    assert article.published == sample_site.now - timedelta(hours=2)
    assert article.published.utcoffset() == timedelta(0)


def test_date_only_publication_is_midnight_utc(page, base_url, sample_site):
    article = extract(page, base_url, LEDGER_MARATHON)

    day = (sample_site.now - timedelta(days=1)).date()
    assert article.published == datetime(day.year, day.month, day.day, tzinfo=UTC)


def test_canonical_link_on_the_same_host_is_used(page, base_url):
    url = base_url + COURIER_WIRE + "?utm_source=rss&utm_medium=feed"
    article = extract_article(page(COURIER_WIRE), url, "courier")

    assert article.url == url
    assert article.canonical_url == base_url + COURIER_WIRE


def test_canonical_link_to_another_host_is_ignored(page, base_url):
    assert "newswire.example" in page(LEDGER_WIRE)

    url = base_url + LEDGER_WIRE + "?utm_campaign=x#comments"
    article = extract_article(page(LEDGER_WIRE), url, "ledger")

    assert article.canonical_url == base_url + LEDGER_WIRE


def test_fetched_defaults_to_now_and_can_be_given(page, base_url):
    before = datetime.now(UTC)
    article = extract(page, base_url, COURIER_WIRE)
    assert before <= article.fetched <= datetime.now(UTC)

    fetched = datetime(2024, 11, 30, 12, 0, tzinfo=UTC)
    assert extract(page, base_url, COURIER_WIRE, fetched=fetched).fetched == fetched


def test_bytes_in_are_read_like_text(page, base_url):
    html = page(COURIER_FARM)
    url = base_url + COURIER_FARM

    from_bytes = extract_article(html.encode("utf-8"), url, "x")
    from_text = extract_article(html, url, "x")
    assert from_bytes == replace(from_text, fetched=from_bytes.fetched)


@pytest.mark.parametrize("path", ["/ledger/world/", "/ledger/", "/courier/"])
def test_section_pages_are_not_articles(page, base_url, path):
    assert extract(page, base_url, path) is None


@pytest.mark.parametrize("html", ["", "   ", "plain text, no markup", b"\x00\x01\x02",
                                  "<html><body><p>Too short.</p></body></html>"])
def test_pages_without_a_body_are_not_articles(html):
    assert extract_article(html, "http://example.com/a/b-c-d", "x") is None


PROSE = (
    "<p>The council voted on Tuesday to close the old library on Mill Street and move its "
    "collection to the new civic centre, ending a campaign that lasted three years.</p>"
    "<p>Residents who opposed the move said the new building was too far from the town "
    "centre for older readers, many of whom do not drive.</p>"
    "<p>The council said a mobile library would visit Mill Street twice a week from March.</p>"
)


def _page(head: str = "", body_top: str = "", lang: str = "en-GB") -> str:
    return (f'<html lang="{lang}"><head>{head}</head><body><article>{body_top}'
            f"<h1>Library to close after council vote</h1>{PROSE}</article></body></html>")


def test_json_ld_gives_published_time_and_author():
    head = ('<script type="application/ld+json">{"@context": "https://schema.org", "@graph": '
            '[{"@type": "WebSite", "name": "Town Times"}, {"@type": "NewsArticle", '
            '"headline": "Library to close after council vote", '
            '"datePublished": "2024-11-30T09:15:00+01:00", '
            '"author": [{"@type": "Person", "name": "Jo Bloggs"}]}]}</script>')
    article = extract_article(_page(head), "https://town.example/news/library-to-close", "town")

    assert article.published == datetime(2024, 11, 30, 8, 15, tzinfo=UTC)
    assert article.author == "Jo Bloggs"


def test_opengraph_published_time_is_read():
    head = '<meta property="article:published_time" content="2024-11-30T10:00:00Z">'
    article = extract_article(_page(head), "https://town.example/news/library-to-close", "t")

    assert article.published == datetime(2024, 11, 30, 10, 0, tzinfo=UTC)


def test_time_element_is_read_when_nothing_else_dates_the_page():
    top = '<p class="dateline"><time datetime="2024-11-30T10:00:00+02:00">Today</time></p>'
    article = extract_article(_page(body_top=top), "https://town.example/news/library", "t")

    assert article.published == datetime(2024, 11, 30, 8, 0, tzinfo=UTC)


def test_language_falls_back_to_html_lang():
    article = extract_article(_page(lang="de-AT"), "https://town.example/news/library", "t")
    assert article.language == "de"


def test_headline_falls_back_to_opengraph_without_title_or_h1():
    html = ('<html><head><meta property="og:title" content="Library to close">'
            f"</head><body><div>{PROSE}</div></body></html>")
    article = extract_article(html, "https://town.example/news/library-to-close", "t")

    assert article.title == "Library to close"


def test_description_repeating_the_lede_is_no_standfirst():
    head = ('<meta name="description" content="The council voted on Tuesday to close the old '
            'library on Mill Street and move its collection…">')
    article = extract_article(_page(head), "https://town.example/news/library-to-close", "t")

    assert article.standfirst == ""
    assert article.text.startswith("The council voted on Tuesday")


def test_min_chars_is_adjustable():
    html = _page()
    url = "https://town.example/news/library-to-close"
    assert extract_article(html, url, "t", min_chars=10_000) is None
    assert extract_article(html, url, "t", min_chars=10) is not None


def test_published_hint_beats_a_guess_but_not_the_page():
    url = "https://town.example/news/library-to-close"
    hint = datetime(2024, 11, 30, 7, 30, tzinfo=UTC)
    dated = '<meta property="article:published_time" content="2024-11-30T10:00:00Z">'

    assert extract_article(_page(), url, "t", published_hint=hint).published == hint
    assert extract_article(_page(dated), url, "t", published_hint=hint).published == datetime(
        2024, 11, 30, 10, 0, tzinfo=UTC)


def test_a_page_time_it_cannot_have_had_gives_way_to_the_hint():
    url = "https://town.example/news/library-to-close"
    fetched = datetime.now(UTC)
    hint = fetched - timedelta(hours=3)

    def dated(when: str) -> str:
        return _page(f'<meta property="article:published_time" content="{when}">')

    far = dated("9999-12-31T23:30:00Z")
    assert extract_article(far, url, "t", fetched=fetched, published_hint=hint).published == hint
    assert extract_article(far, url, "t", fetched=fetched).published is None
    assert extract_article(far, url, "t", fetched=fetched,
                           published_hint=datetime(9999, 12, 31, tzinfo=UTC)).published is None
    in_two_days = dated((fetched + timedelta(days=2)).isoformat())
    assert extract_article(in_two_days, url, "t", fetched=fetched,
                           published_hint=hint).published == hint
    soon = (fetched + timedelta(hours=5)).replace(microsecond=0)
    assert extract_article(dated(soon.isoformat()), url, "t", fetched=fetched,
                           published_hint=hint).published == soon
    assert extract_article(dated("1989-06-01T10:00:00Z"), url, "t", fetched=fetched,
                           published_hint=hint).published == hint


URL = "https://town.example/news/library-to-close"
DECLARED = '<meta property="og:type" content="article">'
SHORT = "<p>The library on Mill Street closes on Friday, the council said.</p>"  # 64 characters


def _short_page(head: str = "", body: str = SHORT) -> str:
    return (f'<html lang="en"><head><title>Library closes | Town Times</title>{head}</head>'
            f"<body><article><h1>Library closes</h1>{body}</article></body></html>")


def test_text_weight_counts_what_a_script_says_per_character():
    assert text_weight("Library closes") == 14
    assert text_weight("图书馆关闭") == 20
    assert text_weight("도서관") == 9


def test_a_short_article_that_says_it_is_one_is_kept():
    assert extract_article(_short_page(), URL, "t") is None  # two lines of nothing in particular

    article = extract_article(_short_page(DECLARED), URL, "t")

    assert article.title == "Library closes"
    assert article.text == "The library on Mill Street closes on Friday, the council said."


@pytest.mark.parametrize("body", ["", "<p>Loading...</p>", "<p>Share this article</p>",
                                  "<p>Read more</p>"])
def test_an_empty_shell_is_no_article_whatever_it_says_it_is(body):
    assert extract_article(_short_page(DECLARED, body), URL, "t") is None


def test_a_chinese_article_is_weighed_by_what_it_says():
    body = ("<p>市图书馆周五起闭馆装修，预计明年三月重新开放。"
            "读者可在此期间前往新区分馆借阅图书。</p>")
    html = (f'<html lang="zh"><head><title>市图书馆闭馆装修</title></head><body><article>'
            f"<h1>市图书馆闭馆装修</h1>{body}</article></body></html>")

    article = extract_article(html, URL, "t")

    assert len(article.text) < MIN_BODY_CHARS <= text_weight(article.text)


def test_a_page_without_any_headline_is_headed_by_its_first_sentence():
    html = f"<html><body><div>{PROSE}</div></body></html>"

    article = extract_article(html, URL, "t")

    assert article.title.startswith("The council voted on Tuesday to close the old library")
    assert len(article.title) <= 101 and article.title.endswith("…")
    assert article.text.startswith("The council voted on Tuesday")


def _story(head: str = "", first: str = "") -> str:
    """A page whose article opens with ``first``, under its headline."""
    return (f'<html lang="en"><head>{head}</head><body><article>'
            f"<h1>Library to close after council vote</h1>{first}{PROSE}</article></body></html>")


def _with_body(article_body: str, first: str = "") -> str:
    data = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle",
                       "headline": "Library to close after council vote",
                       "articleBody": article_body})
    return _story(f'<script type="application/ld+json">{data}</script>', first)


def test_the_publishers_article_body_restores_a_paragraph_the_cleaning_dropped():
    linked = ('<p><a href="/council">The council</a> <a href="/vote">voted 9-2</a> <a href="/x">'
              'after a four-hour meeting</a>.</p>')
    stated = ("The council voted 9-2 after a four-hour meeting.\n"
              "The council voted on Tuesday to close the old library on Mill Street and move "
              "its collection to the new civic centre, ending a campaign that lasted three years.")
    plain = extract_article(_story(first=linked), URL, "t")
    assert "after a four-hour meeting" not in plain.text  # mostly links: a teaser, it seems

    article = extract_article(_with_body(stated, linked), URL, "t")

    assert article.text.startswith("The council voted 9-2 after a four-hour meeting.")


def test_an_article_body_the_page_does_not_show_is_ignored():
    hidden = "Subscribers read the whole story here, with the full list of councillors. " * 6

    article = extract_article(_with_body(hidden), URL, "t")

    assert "Subscribers" not in article.text
    assert article.text.startswith("The council voted on Tuesday")


def test_words_that_say_furniture_stay_out_even_in_the_article_body():
    box = '<p><a href="/other">Read More: Council sells the old town hall</a></p>'
    stated = ("Read More: Council sells the old town hall\n"
              "The council voted on Tuesday to close the old library on Mill Street.")

    article = extract_article(_with_body(stated, box), URL, "t")

    assert "Read More" not in article.text and "town hall" not in article.text


def test_line_breaks_keep_words_apart():
    code = "<pre>$ emcc hello.cpp -o hello.wasm<br>$ wasmer run hello.wasm<br>hello, world!</pre>"
    article = extract_article(_story(first=code), URL, "t")

    assert "hello.wasm $ wasmer run hello.wasm hello, world!" in article.text


def test_when_the_cleaning_would_take_most_of_an_article_trafilaturas_text_is_kept():
    # A briefing whose every paragraph is mostly its links: alone, each looks like a teaser.
    items = [("Rail strike", "called off after a late offer from the operator"),
             ("Flood warnings", "lifted along the river as the water level falls"),
             ("School meals", "to be free for every primary pupil from September"),
             ("Bus fares", "frozen for another year by the combined authority")]
    body = "".join(f'<p><a href="/news/{n}">{topic} {rest}</a>, the council said.</p>'
                   for n, (topic, rest) in enumerate(items))
    html = _short_page(DECLARED, body)
    cleaned = clean_blocks(page_blocks(html))

    article = extract_article(html, URL, "t")

    assert cleaned == [] or len(cleaned) < 2
    assert article.text.count("the council said.") == 4
