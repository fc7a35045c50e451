"""Extraction on saved pages with the furniture of real outlets: every article paragraph is kept,
none of the furniture is.

Each ``sample_data/extract/NAME.html`` has its label beside it, ``NAME.txt``: the article as a
reader sees it, paragraph by paragraph (the standfirst when the page shows one, subheadings and
list items as paragraphs of their own).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from spiders.extract import declared_url, extract_article

PAGES = Path(__file__).with_name("sample_data") / "extract"
NAMES = sorted(path.stem for path in PAGES.glob("*.html"))

# Words of the furniture these pages carry; no body may contain one.
FURNITURE = [
    "Read more", "READ MORE", "Related:", "Lire aussi", "Lesen Sie auch", "Leer más",
    "İLGİLİ HABER", "اقرأ أيضا", "Recommended Stories", "More on this story", "Most read",
    "Most viewed", "Sign up", "newsletter", "Subscribe", "Loading", "Sponsor Message",
    "Ad Feedback", "Advertisement", "cookies", "Accept all", "Zustimmen", "Share this",
    "Artikel teilen", "Haberi paylaş", "Image caption", "Photograph:", "hide caption",
    "1 of 3", "This content is not available", "View this post on Instagram",
    "Embedded video", "Reporting by", "contributed to this report", "Edited by",
    "with AFP", "avec AFP", "SOURCE:", "المصدر", "Follow", "Trust Project", "Your feedback",
    "Article réservé", "Issued on", "Güncelleme", "Leave a Reply", "Posted in",
    "Print this page", "Putin to visit India",
]


def paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]


def extract(name: str):
    html = (PAGES / f"{name}.html").read_text(encoding="utf-8")
    return extract_article(html, declared_url(html) or f"https://pages.example/{name}", "test")


def test_there_are_at_least_twenty_pages():
    assert len(NAMES) >= 20
    assert all((PAGES / f"{name}.txt").exists() for name in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_body_is_the_article_paragraph_for_paragraph(name):
    article = extract(name)
    expected = paragraphs((PAGES / f"{name}.txt").read_text(encoding="utf-8"))

    assert article is not None
    got = paragraphs("\n\n".join(p for p in (article.standfirst, article.text) if p))
    missing = [p for p in expected if p not in got]
    furniture = [p for p in got if p not in expected]
    assert missing == [], "article paragraphs lost"
    assert furniture == [], "furniture kept"
    assert got == expected  # and in the page's order


@pytest.mark.parametrize("name", NAMES)
def test_no_furniture_words_in_the_body(name):
    article = extract(name)
    body = f"{article.standfirst}\n{article.text}"
    label = (PAGES / f"{name}.txt").read_text(encoding="utf-8")

    for words in FURNITURE:
        if words not in label:  # the article itself may use the word
            assert words not in body, words


@pytest.mark.parametrize("name", NAMES)
def test_metadata_is_read(name):
    article = extract(name)

    assert article.title and "|" not in article.title
    assert article.language
    assert article.canonical_url.startswith("http")
    if "div-soup" not in name:  # that page dates itself only in prose
        assert article.published is not None and article.published.tzinfo is not None
