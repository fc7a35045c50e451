"""Extraction: the furniture-trap regression set, and speed, ours beside plain trafilatura.

The pages are ``tests/spiders/sample_data/extract/*.html``: page shapes written here after real
outlets, each full of furniture (read-more boxes, placeholders, captions, newsletter, cookie
and comment boxes), and beside each a ``.txt`` holding the article as a reader sees it
(standfirst when the page shows one, then the body's paragraphs; no headline, captions, credits
or boxes). The cleaning was written against them, so they show regressions, not quality: that
is ``extract_real`` (:mod:`bench.bench_extract_real`), on pages nobody here wrote.

``extract_traps``: F1 over 4-word shingles of the extracted text against the label, averaged
over the pages. Ours is ``spiders.extract.extract_article`` (standfirst and body); plain
trafilatura is ``trafilatura.extract`` with its defaults.

``extract_speed``: pages per second over the same pages, in this one process, taking turns for
several rounds so that a machine busy with other work slows each alike; time is CPU time of
this process. ``trafilatura_pps`` is trafilatura doing the same job as ours, body *and*
metadata (``bare_extraction(with_metadata=True)``, its defaults otherwise); ratio = ours /
that: what our structured-data reading, markup repair and cleaning cost on top.
``trafilatura_text_pps`` is ``trafilatura.extract`` with its defaults, which skips metadata,
shown for reference.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import trafilatura

from bench.overlap import overlap
from bench.report import Figure
from spiders.extract import declared_url, extract_article

PAGES = Path(__file__).resolve().parent.parent / "tests" / "spiders" / "sample_data" / "extract"
SPEED_ROUNDS = 4
ROUND_SECONDS = 1.0  # s of CPU per side and round, at least


def scores(output: str, label: str) -> tuple[float, float, float]:
    """Precision, recall and F1 of ``output``'s shingles against ``label``'s."""
    found = overlap(output, label)
    return found.precision, found.recall, found.f1


def pages() -> list[tuple[str, str, str]]:
    """(html, url, label) for every labelled page."""
    found = []
    for path in sorted(PAGES.glob("*.html")):
        html = path.read_text(encoding="utf-8")
        url = declared_url(html) or f"https://pages.example/{path.stem}"
        found.append((html, url, path.with_suffix(".txt").read_text(encoding="utf-8")))
    return found


def ours(html: str, url: str) -> str:
    article = extract_article(html, url, "bench")
    if article is None:
        return ""
    return "\n\n".join(part for part in (article.standfirst, article.text) if part)


def plain_trafilatura(html: str, url: str) -> str:
    return trafilatura.extract(html, url=url) or ""


def trafilatura_with_metadata(html: str, url: str) -> object:
    return trafilatura.bare_extraction(html, url=url, with_metadata=True)


def traps(corpus: list[tuple[str, str, str]]) -> Figure:
    ours_scores = [scores(ours(html, url), label) for html, url, label in corpus]
    theirs = [scores(plain_trafilatura(html, url), label) for html, url, label in corpus]

    def mean(values: list[tuple[float, float, float]], index: int) -> float:
        return round(sum(v[index] for v in values) / len(values), 4)

    return Figure("extract_traps", {
        "pages": len(corpus),
        "ours_f1": mean(ours_scores, 2), "trafilatura_f1": mean(theirs, 2),
        "ours_precision": mean(ours_scores, 0), "trafilatura_precision": mean(theirs, 0),
        "ours_recall": mean(ours_scores, 1), "trafilatura_recall": mean(theirs, 1),
    })


def timed(extract: Callable[[str, str], object], corpus: list[tuple[str, str, str]]
          ) -> tuple[int, float]:
    """Pages done and CPU seconds spent, going round ``corpus`` for ``ROUND_SECONDS``."""
    done = 0
    started = time.process_time()
    while True:
        for html, url, _ in corpus:
            extract(html, url)
        done += len(corpus)
        elapsed = time.process_time() - started
        if elapsed >= ROUND_SECONDS:
            return done, elapsed


def speed(corpus: list[tuple[str, str, str]]) -> Figure:
    sides = {"ours": ours, "trafilatura": trafilatura_with_metadata,
             "trafilatura_text": plain_trafilatura}
    for html, url, _ in corpus:  # warm every side up: imports, caches
        for extract in sides.values():
            extract(html, url)
    totals = {name: [0, 0.0] for name in sides}
    for _ in range(SPEED_ROUNDS):
        for name, extract in sides.items():
            done, seconds = timed(extract, corpus)
            totals[name][0] += done
            totals[name][1] += seconds
    pps = {name: done / seconds for name, (done, seconds) in totals.items()}
    return Figure("extract_speed", {
        "pages": len(corpus),
        "ours_pps": round(pps["ours"], 1), "trafilatura_pps": round(pps["trafilatura"], 1),
        "ratio": round(pps["ours"] / pps["trafilatura"], 3),
        "trafilatura_text_pps": round(pps["trafilatura_text"], 1),
    })


def run() -> list[Figure]:
    corpus = pages()
    return [traps(corpus), speed(corpus)]


if __name__ == "__main__":
    for figure in run():
        print(figure.line())
