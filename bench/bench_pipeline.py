"""The whole pipeline over the generated corpus, beside news-please and beside extraction alone.

Figures (see docs/benchmarks.md):

``crawl_pipeline``     ``newswatch run`` over both corpus sites, pages/s, beside news-please
                       crawling, extracting and storing the newest pages of the same sites
``crawl_overhead``     the same run beside trafilatura alone over the same pages, one
                       process per core
``recrawl_unchanged``  a second ``newswatch run`` over the unchanged corpus: article pages
                       downloaded, feed and sitemap requests, time as a share of the first run

``NEWSWATCH_BENCH_ARTICLES`` (default 2000), ``NEWSWATCH_BENCH_NEWSPLEASE_PAGES`` (default 200)
and ``NEWSWATCH_BENCH_EXTRACT_PAGES`` (default 1000; 0 for all) change the sizes. news-please and
extraction alone read a subset of the same pages (the newest of each site, the first 1,000):
the figures are rates, and the subsets keep ``make bench`` within its time.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from bench.corpus import Corpus, serve_corpus
from bench.extract_alone import extraction_rate
from bench.newsplease import NewsPleaseUnavailable, run_newsplease
from bench.report import Figure
from bench.runs import HookReceiver, crawl_seconds, newswatch_run, prefect_server, write_config

ARTICLES = int(os.environ.get("NEWSWATCH_BENCH_ARTICLES", "2000"))
NEWSPLEASE_PAGES = int(os.environ.get("NEWSWATCH_BENCH_NEWSPLEASE_PAGES", "200"))
EXTRACT_PAGES = int(os.environ.get("NEWSWATCH_BENCH_EXTRACT_PAGES", "1000")) or None
SEED = 8


def run() -> list[Figure]:
    corpus = Corpus(ARTICLES, seed=SEED)
    corpus_args = {"articles": ARTICLES, "seed": SEED, "now": corpus.now}
    work = Path(tempfile.mkdtemp(prefix="newswatch-bench-pipeline-"))
    try:
        with prefect_server(work / "prefect") as api_url:
            first, second = _newswatch_twice(corpus, work, api_url)
        peer = _newsplease(corpus, work)
        alone = extraction_rate(corpus_args, limit=EXTRACT_PAGES)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    ours_pps = first["pages"] / first["seconds"]
    pipeline = {"pages": first["pages"], "ours_pps": ours_pps, "ours_s": first["seconds"],
                "ours_crawl_s": first["crawl_s"], "stored": first["stored"]}
    if isinstance(peer, str):
        pipeline.update(newsplease_pps="unavailable", reason=peer.replace(" ", "_"))
    else:
        pipeline.update(newsplease_pages=peer["pages"], newsplease_pps=peer["pps"],
                        newsplease_stored=peer["stored"], ratio=ours_pps / peer["pps"],
                        target=">=5")
    overhead = {"pipeline_pps": ours_pps, "extract_pps": alone.pps, "extract_pages": alone.pages,
                "workers": alone.workers, "ratio": ours_pps / alone.pps, "target": ">=0.7"}
    recrawl = {"article_downloads": second["pages"], "feed_requests": second["listings"],
               "feeds_not_modified": second["not_modified"], "listings": second["listing_urls"],
               "seconds": second["seconds"], "time_share": second["seconds"] / first["seconds"],
               "target": "article_downloads=0,feed_requests=listings"}
    return [Figure("crawl_pipeline", pipeline), Figure("crawl_overhead", overhead),
            Figure("recrawl_unchanged", recrawl)]


def _newswatch_twice(corpus: Corpus, work: Path, api_url: str) -> tuple[dict, dict]:
    database = f"sqlite:///{work / 'newswatch.db'}"
    with serve_corpus(corpus, prerender=True) as servers, HookReceiver() as hook:
        config = write_config(work / "newswatch.yaml", database=database,
                              sites=servers.site_configs(), channels={"hook": hook.url()})
        runs = []
        last_id = 0
        for _ in range(2):
            servers.reset_hits()
            result = newswatch_run(config, api_url=api_url, home=work / "home")
            if result.returncode != 0:
                raise RuntimeError(f"newswatch run failed ({result.returncode}): "
                                   f"{' '.join(result.stderr.split()[-60:])}")
            crawl_s, last_id = crawl_seconds(database, after_id=last_id)
            runs.append({
                "seconds": result.seconds,
                "crawl_s": crawl_s,
                "pages": servers.count_hits(kind="article"),
                "listings": servers.count_hits(kind="listing"),
                "not_modified": servers.count_hits(kind="listing", not_modified=True),
                "listing_urls": sum(len(s.site.listing_paths()) for s in servers.values()),
                "digests": len(hook.bodies),
            })
        runs[0]["stored"] = _stored(database)
    return runs[0], runs[1]


def _stored(database: str) -> int:
    from sqlalchemy import func, select

    from store.db import session_factory
    from store.models import Article

    with session_factory(database)() as session:
        return session.scalar(select(func.count()).select_from(Article)) or 0


def _newsplease(corpus: Corpus, work: Path) -> dict | str:
    """news-please over the newest pages of each site; a reason string when it cannot run."""
    per_site = max(1, NEWSPLEASE_PAGES // len(corpus.sites))
    try:
        with serve_corpus(corpus, listed=per_site, prerender=True) as servers:
            result = run_newsplease([s.base_url for s in servers.values()], work / "newsplease")
            pages = servers.count_hits(kind="article")
    except NewsPleaseUnavailable as exc:
        return str(exc)
    if pages == 0 or result.stored == 0:
        return f"news-please fetched {pages} pages and stored {result.stored} (see its log)"
    return {"pages": pages, "pps": pages / result.seconds, "stored": result.stored,
            "seconds": result.seconds}
