"""``extract_real``: extraction on real pages nobody here wrote, ours beside plain trafilatura.

One figure per half of the data set (:mod:`bench.real_pages`), both sides on the same pages in
the same run; ``docs/benchmarks.md`` explains every value. ``python -m bench.bench_extract_real
[tuning|held_out]`` prints the page-by-page scores of one half (the tuning half by default).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import trafilatura
from scrapy.http import HtmlResponse

from bench.overlap import Overlap, overlap
from bench.real_pages import (
    HALVES,
    DatasetMissing,
    RealPage,
    agrees_published,
    agrees_text,
    pages,
)
from bench.report import Figure
from spiders.extract import declared_url
from spiders.pages import read_html
from spiders.single import extract_source

__all__ = ["run"]

#: trafilatura as a user would call it for the same job: body and metadata, without the
#: fallback extractors (as ours runs it), its defaults otherwise.
TRAFILATURA_OPTIONS = {"with_metadata": True, "fast": True}


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """What one side made of one page."""

    body: str = ""
    title: str | None = None
    byline: str | None = None
    published: datetime | str | None = None
    seconds: float = 0.0

    @property
    def no_article(self) -> bool:
        return not self.body.strip()


@dataclass(frozen=True, kw_only=True)
class Scored:
    page: RealPage
    ours: Outcome
    theirs: Outcome
    ours_body: Overlap
    theirs_body: Overlap


def newswatch(page: RealPage) -> Outcome:
    """The article as ``newswatch extract --json FILE`` gives it (the same function)."""
    started = time.process_time()
    extracted = extract_source(str(page.source))
    seconds = time.process_time() - started
    article = extracted.article
    if article is None:
        return Outcome(seconds=seconds)
    body = "\n\n".join(part for part in (article.standfirst, article.text) if part)
    return Outcome(body=body, title=article.title, byline=article.author,
                   published=article.published, seconds=seconds)


def plain_trafilatura(page: RealPage) -> Outcome:
    """trafilatura on the same text and URL ``newswatch extract`` reads from the file."""
    raw = page.source.read_bytes()
    html = read_html(HtmlResponse(declared_url(raw) or page.source.resolve().as_uri(),
                                  body=raw)).html
    url = declared_url(raw)
    started = time.process_time()
    document = trafilatura.bare_extraction(html, url=url, **TRAFILATURA_OPTIONS)
    seconds = time.process_time() - started
    if document is None:
        return Outcome(seconds=seconds)
    # What trafilatura.extract() prints: the body, then the comments it kept.
    body = "\n".join(part for part in (document.text, document.comments) if part)
    return Outcome(body=body, title=document.title, byline=document.author,
                   published=document.date, seconds=seconds)


def score(page: RealPage) -> Scored:
    expected = page.expected_body()
    ours, theirs = newswatch(page), plain_trafilatura(page)
    return Scored(page=page, ours=ours, theirs=theirs, ours_body=overlap(ours.body, expected),
                  theirs_body=overlap(theirs.body, expected))


def summary(half: str, scored: list[Scored]) -> Figure:
    articles = [s for s in scored if s.page.is_article]
    others = [s for s in scored if not s.page.is_article]
    values: dict[str, object] = {"half": half, "pages": len(articles),
                                 "other_pages": len(others)}
    for side in ("ours", "trafilatura"):
        bodies = [s.ours_body if side == "ours" else s.theirs_body for s in articles]
        for name in ("f1", "precision", "recall"):
            values[f"{side}_{name}"] = _mean([getattr(b, name) for b in bodies])
    for side in ("ours", "trafilatura"):
        values[f"{side}_no_article"] = sum(_side(s, side).no_article for s in articles)
        values[f"{side}_no_article_other"] = sum(_side(s, side).no_article for s in others)
    for key, field, agrees in (("title", "title", agrees_text), ("byline", "byline", agrees_text),
                               ("published", "publishedTime", agrees_published)):
        judged = [s for s in articles if (s.page.expected.get(field) or "").strip()]
        values[f"{key}_pages"] = len(judged)
        for side in ("ours", "trafilatura"):
            values[f"{side}_{key}"] = _mean([
                float(agrees(getattr(_side(s, side), key), s.page.expected[field]))
                for s in judged])
    for side in ("ours", "trafilatura"):
        seconds = [_side(s, side).seconds for s in scored]
        values[f"{side}_ms_median"] = round(1000 * statistics.median(seconds), 2) if seconds \
            else 0.0
    return Figure("extract_real", values)


def run() -> list[Figure]:
    try:
        everything = list(pages())
    except DatasetMissing as exc:
        return [Figure("extract_real", {"pages": "unavailable", "reason": str(exc)})]
    scored = [score(page) for page in everything]
    return [summary(half, [s for s in scored if s.page.half == half]) for half in HALVES]


def _side(scored: Scored, side: str) -> Outcome:
    return scored.ours if side == "ours" else scored.theirs


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 4) if values else 0.0


def _print_pages(half: str, show: Callable[[str], None] = print) -> None:
    """One line per page of ``half``, ours beside trafilatura, then the half's figure. The
    letters T, B and D mark a title, byline or published time of ours that disagrees."""
    scored = [score(page) for page in pages() if page.half == half]
    for s in scored:
        page = s.page
        flags = "".join(
            letter if (page.expected.get(field) or "").strip()
            and not agrees(getattr(s.ours, key), page.expected[field]) else "."
            for letter, key, field, agrees in (
                ("T", "title", "title", agrees_text), ("B", "byline", "byline", agrees_text),
                ("D", "published", "publishedTime", agrees_published)))
        show(f"{page.name:42} {'art' if page.is_article else 'not'} "
             f"ours F{s.ours_body.f1:.2f} P{s.ours_body.precision:.2f} R{s.ours_body.recall:.2f}"
             f"  traf F{s.theirs_body.f1:.2f} P{s.theirs_body.precision:.2f} "
             f"R{s.theirs_body.recall:.2f}  {'NONE ' if s.ours.no_article else ''}{flags}")
    show(summary(half, scored).line())


if __name__ == "__main__":
    _print_pages(sys.argv[1] if len(sys.argv) > 1 else "tuning")
