"""spiders.handoff: what the crawl child hands back, read by its parent."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from spiders.handoff import CrawlProgress, read_progress


@pytest.mark.parametrize(("progress", "percent"), [
    (CrawlProgress(), 0.0),
    (CrawlProgress(requests=10, pages=5), 50.0),
    (CrawlProgress(requests=10, pages=10), 99.0),  # more may be queued yet: 100 means ended
    (CrawlProgress(requests=4, pages=9), 99.0),
    (CrawlProgress(requests=10, pages=3, finished=True), 100.0),
])
def test_percent(progress, percent):
    assert progress.percent == percent


def test_from_stats_counts_failed_downloads_as_answered():
    stats = {"scheduler/enqueued": 12, "scheduler/dequeued": 9, "response_received_count": 6,
             "downloader/exception_count": 2, "newswatch/items/written": 5}
    # 8 answered, 3 still queued, 1 downloading.
    assert CrawlProgress.from_stats(stats, in_flight=1) == CrawlProgress(
        requests=12, pages=8, articles=5)


def test_from_stats_never_answers_more_than_it_asked():
    # What a finished crawl of a site with robots.txt, a page it forbids and a retry leaves:
    # robots.txt is never scheduled, the forbidden page is dropped before the download.
    stats = {"scheduler/enqueued": 8, "scheduler/dequeued": 8, "response_received_count": 8,
             "downloader/exception_count": 1, "robotstxt/request_count": 1}
    progress = CrawlProgress.from_stats(stats, finished=True)
    assert progress.pages == progress.requests == 9


def test_read_progress(tmp_path):
    path = tmp_path / "site.progress.json"
    assert read_progress(path) is None  # not written yet
    path.write_text('{"requests": 3, "pag')  # the child replaces it atomically; still, no crash
    assert read_progress(path) is None
    path.write_text(json.dumps({"requests": 3, "pages": 2, "articles": 1, "finished": True}))
    assert read_progress(path) == CrawlProgress(requests=3, pages=2, articles=1, finished=True)


def test_the_parent_side_never_imports_scrapy():
    code = ("import sys, spiders.runner, flows.run\n"
            "print(sorted(m for m in ('scrapy', 'twisted', 'trafilatura') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"
