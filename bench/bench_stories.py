"""Stories: the cost of finding a new article's story, and how well copies are grouped.

``BENCH story_lookup ms_1k=… ms_100k=… ratio=… bytes_per_article=… cpu_ms_1k=… …``
    One lookup (``store.stories.look_up``: the indexed probe of a new body's keys within the
    story window, then the exact comparison with the likely candidates' stored shingles) for
    the same 400 new articles, half of them copies, against a SQLite store of 1,000 articles
    and one of 100,000, every one of them inside the window. Rounds alternate between the two
    stores; each figure is the median round, in wall-clock time and (``cpu_ms_*``) in the
    process's own CPU time, which waiting for a busy machine's CPU does not inflate.
    ``bytes_per_article`` is the story index (``story_keys`` with its index, and
    ``story_shingles``) over the articles it holds.
    ``fingerprint_ms`` is the cost of fingerprinting the new body, paid once per article
    whatever the store holds, and not counted in the lookup.
``BENCH story_quality recall=… false_merges=…``
    10,000 generated articles (``bench.stories_corpus``: 10% copies, and same-topic reports,
    follow-ups, live-blog pages and quote sharers) saved in the order they are fetched through
    ``store.articles.save_article``, as a run does. Recall: copies in their source's story.
    False merges: articles in a story that another piece of journalism started.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, text

from bench.report import Figure
from bench.stories_corpus import START, Corpus, Item
from store.articles import content_hash, save_article
from store.db import create_db_engine, session_factory, upgrade
from store.fingerprint import fingerprint
from store.items import Article as Crawled
from store.models import Article, Story, StoryKey, StoryShingles
from store.stories import CROWDED, DEFAULT_WINDOW, look_up

SMALL, LARGE = 1_000, 100_000
PROBES = 400
ROUNDS = 7
QUALITY_ARTICLES = 10_000
CHUNK = 5_000  # articles generated and fingerprinted per worker task
DAYS = 6  # every stored article sits inside the 7-day window of every probe


def run() -> list[Figure]:
    return [story_lookup(), story_quality()]


# -- lookup cost ----------------------------------------------------------------------------


def story_lookup() -> Figure:
    with tempfile.TemporaryDirectory(prefix="newswatch-bench-") as tmp:
        chunks = _generate(LARGE)
        small_url = f"sqlite:///{Path(tmp) / 'small.db'}"
        large_url = f"sqlite:///{Path(tmp) / 'large.db'}"
        first = chunks[0][: SMALL]
        _bulk_store(small_url, [first])
        _bulk_store(large_url, chunks)

        probes = _probes(first)
        bodies = [fingerprint(p.body) for p in probes]
        started = time.perf_counter()
        for probe in probes:
            fingerprint(probe.body)
        fingerprint_ms = (time.perf_counter() - started) * 1000 / len(probes)

        at = int((START + timedelta(days=DAYS / 2)).timestamp())
        small, large = session_factory(small_url), session_factory(large_url)
        wall: dict[str, list[float]] = {"small": [], "large": []}
        cpu: dict[str, list[float]] = {"small": [], "large": []}
        found: dict[str, int] = {}
        for _ in range(ROUNDS + 1):  # the first round warms the caches and is dropped
            for name, factory in (("small", small), ("large", large)):
                with factory() as session:
                    started, used = time.perf_counter(), time.process_time()
                    hits = sum(
                        look_up(session, body, at=at, window=DEFAULT_WINDOW).copy_of is not None
                        for body in bodies
                    )
                    wall[name].append((time.perf_counter() - started) * 1000 / len(bodies))
                    cpu[name].append((time.process_time() - used) * 1000 / len(bodies))
                found[name] = hits
        ms_small, ms_large = (statistics.median(wall[n][1:]) for n in ("small", "large"))
        cpu_small, cpu_large = (statistics.median(cpu[n][1:]) for n in ("small", "large"))
        index_bytes = _index_bytes(large_url)
    return Figure(
        "story_lookup",
        {
            "ms_1k": round(ms_small, 4),
            "ms_100k": round(ms_large, 4),
            "ratio": round(ms_large / ms_small, 3),
            "bytes_per_article": round(index_bytes / LARGE),
            "cpu_ms_1k": round(cpu_small, 4),
            "cpu_ms_100k": round(cpu_large, 4),
            "fingerprint_ms": round(fingerprint_ms, 4),
            "copies_found_1k": found["small"],
            "copies_found_100k": found["large"],
            "probes": len(bodies),
        },
    )


def _generate(total: int) -> list[list[tuple[Item, frozenset[int], bytes]]]:
    """``total`` articles with their keys and packed shingles, in chunks made by worker
    processes."""
    seeds = range(100, 100 + total // CHUNK)
    with ProcessPoolExecutor() as pool:
        return list(pool.map(_chunk, seeds))


def _chunk(seed: int) -> list[tuple[Item, frozenset[int], bytes]]:
    items = Corpus(seed).generate(CHUNK, days=DAYS)
    return [(item, body.keys, body.pack()) for item in items for body in [fingerprint(item.body)]]


def _bulk_store(url: str, chunks: list[list[tuple[Item, frozenset[int], bytes]]]) -> None:
    """Store articles and their keys as ``save_article`` would, without looking copies up."""
    engine = create_db_engine(url)
    upgrade(engine)
    engine.dispose()
    held: Counter[int] = Counter()
    next_id = 1
    with engine.connect() as connection:
        # A scratch database: no journal, no syncing, for a quick build. Lookups run on it later
        # through store.db with the usual settings.
        driver = connection.connection.driver_connection
        driver.execute("PRAGMA journal_mode=OFF")
        driver.execute("PRAGMA synchronous=OFF")
        transaction = connection.begin()
        for chunk in chunks:
            stories, articles, keys, shingles = [], [], [], []
            for item, body_keys, packed in chunk:
                when = item.time
                stories.append({"id": next_id, "title": item.title, "created": when})
                articles.append(
                    {
                        "id": next_id,
                        "canonical_url": f"https://{item.site}.example/{next_id}",
                        "url": f"https://{item.site}.example/{next_id}",
                        "site": item.site,
                        "title": item.title,
                        "standfirst": "",
                        "body": item.body,
                        "author": None,
                        "language": "en",
                        "published": when,
                        "fetched": when,
                        "updated": None,
                        "content_hash": content_hash(item.title, item.body),
                        "previous_hash": None,
                        "story_id": next_id,
                    }
                )
                at = int(when.timestamp())
                row = {"at": at, "article_id": next_id, "key_count": len(body_keys)}
                for key in body_keys:
                    held[key] += 1
                    if held[key] <= CROWDED:  # all within one window: the write-time limit
                        keys.append({**row, "key": key})
                shingles.append({"article_id": next_id, "shingles": packed})
                next_id += 1
            connection.execute(insert(Story), stories)
            connection.execute(insert(Article), articles)
            connection.execute(insert(StoryKey), keys)
            connection.execute(insert(StoryShingles), shingles)
        transaction.commit()
        driver.execute("PRAGMA journal_mode=WAL")
    engine.dispose()


def _probes(stored: list[tuple[Item, frozenset[int], bytes]]) -> list[Item]:
    """New articles: copies of stored ones (every other one) and fresh stories."""
    corpus = Corpus(7)
    fresh = corpus.generate(PROBES // 2, copies=0, days=DAYS)
    sources = [item for item, *_ in stored if item.kind in ("original", "report")][: PROBES // 2]
    copies = [corpus.copy(source) for source in sources]
    return [p for pair in zip(fresh, copies, strict=False) for p in pair]


def _index_bytes(url: str) -> int:
    engine = create_db_engine(url)
    with engine.connect() as connection:
        size = connection.execute(
            text(
                "SELECT sum(pgsize) FROM dbstat "
                "WHERE name IN ('story_keys', 'ix_story_keys_article_id', 'story_shingles')"
            )
        ).scalar_one()
    engine.dispose()
    return int(size)


# -- quality --------------------------------------------------------------------------------


def story_quality() -> Figure:
    items = Corpus(4).generate(QUALITY_ARTICLES)
    with tempfile.TemporaryDirectory(prefix="newswatch-bench-") as tmp:
        factory = session_factory(f"sqlite:///{Path(tmp) / 'quality.db'}")
        story_of: dict[int, int] = {}
        started = time.perf_counter()
        for start in range(0, len(items), 200):  # one transaction per crawl-sized batch
            with factory.begin() as session:
                for item in items[start : start + 200]:
                    saved = save_article(session, crawled(item))
                    assert saved is not None
                    story_of[item.id] = saved.story_id
        save_ms = (time.perf_counter() - started) * 1000 / len(items)
    return Figure("story_quality", {**grouping(items, story_of), "save_ms": round(save_ms, 3)})


def crawled(item: Item) -> Crawled:
    url = f"https://{item.site}.example/news/{item.id}"
    return Crawled(
        url=url,
        canonical_url=url,
        site=item.site,
        title=item.title,
        text=item.body,
        published=item.time,
        fetched=item.time,
        language="en",
    )


def grouping(items: list[Item], story_of: dict[int, int]) -> dict[str, object]:
    """Recall of copies, and the articles merged into another piece of journalism's story."""
    by_id = {item.id: item for item in items}
    copies = [item for item in items if item.kind == "copy"]
    joined = sum(story_of[c.id] == story_of[c.source] for c in copies)
    first_label: dict[int, int] = {}
    for item in items:  # in the order they were saved: the first article started the story
        first_label.setdefault(story_of[item.id], item.label)
    merged = Counter(
        by_id[i].kind for i in story_of if first_label[story_of[i]] != by_id[i].label
    )
    return {
        "recall": round(joined / len(copies), 4),
        "false_merges": sum(merged.values()),
        "articles": len(items),
        "copies": len(copies),
        **{f"merged_{kind}": n for kind, n in sorted(merged.items())},
    }
