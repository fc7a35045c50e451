"""Disk full while the crawl writes its output: a clear error and no partial article stored.

The crawl children write their articles, stats and logs to a temporary folder; ``TMPDIR``
points it at a 96 KiB tmpfs, which the sites' articles fill. The run must fail those sites
with a reason that says the disk is full and store no article cut short; the next run, with
room again, must store everything once.

Mounting a tmpfs needs root (as CI and the developers' machines have); elsewhere this skips.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from sqlalchemy import select

from bench.corpus import Corpus, serve_corpus
from store.db import forget_databases, session_factory
from store.models import Article

ARTICLES = 40


@pytest.fixture(scope="module")
def tiny_disk(tmp_path_factory):
    mount = tmp_path_factory.mktemp("tiny")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k,mode=1777", "tmpfs",
                           str(mount)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def run(config: Path, prefect_api_url: str, home: Path, tmpdir: Path | None):
    env = {**os.environ, "PREFECT_API_URL": prefect_api_url, "NEWSWATCH_HOME": str(home)}
    if tmpdir is not None:
        env["TMPDIR"] = str(tmpdir)
    command = Path(sys.executable).with_name("newswatch")
    return subprocess.run([str(command), "run", "--config", str(config)], env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def disk_full(tmp_path_factory, tiny_disk, prefect_api_url):
    """One run whose crawl output fills the disk; the corpus stays up for the next run."""
    work = tmp_path_factory.mktemp("disk-full")
    database = f"sqlite:///{work / 'newswatch.db'}"
    corpus = Corpus(ARTICLES, seed=9, page_bytes=8_000)
    with serve_corpus(corpus) as servers:
        config = work / "newswatch.yaml"
        config.write_text(yaml.safe_dump({
            "database": database,
            "crawl": {"settings": {"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0},
                      "timeout": "2m"},
            "sites": servers.site_configs(),
        }))
        result = run(config, prefect_api_url, work / "home", tiny_disk)
        yield SimpleNamespace(result=result, corpus=corpus, database=database, config=config,
                              home=work / "home")


def failure_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode == 1, result.stderr[-3000:]
    return result.stderr.split("newswatch: the run failed:\n")[1].splitlines()


def test_disk_full_stores_no_partial_article(disk_full):
    assert failure_lines(disk_full.result)
    forget_databases()
    with session_factory(disk_full.database)() as session:
        partial = list(session.scalars(select(Article)))
    corpus = disk_full.corpus
    for article in partial:  # whatever was stored is whole
        path = "/" + article.url.split("/", 3)[3]
        expected = next(a for a in corpus.articles if a.path == path)
        assert article.title == expected.title
        assert corpus.paragraphs(expected)[-1][-60:] in article.body, article.url
    assert len(partial) < ARTICLES


def test_disk_full_is_a_clear_error(disk_full):
    lines = failure_lines(disk_full.result)
    assert lines[0].strip() == "2 of 2 sites failed: gazette, herald", lines
    for line in lines[1:]:
        assert line.startswith("  site ") and "No space left on device" in line, line
        assert len(line) < 500, f"{len(line)} characters: {line[:300]}..."


def test_after_a_full_disk_the_next_run_stores_everything(disk_full, prefect_api_url):
    again = run(disk_full.config, prefect_api_url, disk_full.home, None)
    assert again.returncode == 0, again.stderr[-3000:]
    forget_databases()
    with session_factory(disk_full.database)() as session:
        urls = list(session.scalars(select(Article.canonical_url)))
    assert len(urls) == len(set(urls))
    assert len(urls) == ARTICLES, f"{ARTICLES - len(urls)} articles lost for good"
