"""Crawling one site from any process, and judging how it went.

:func:`crawl_site` starts ``python -m spiders.crawl`` in a child process (Scrapy's reactor runs
once per process), waits for it, reads the articles and stats it wrote, and judges the crawl by
its stats: a crawl whose every request failed still finishes "finished". The child parses
hostile pages, so its environment holds only what it needs to run (``_CHILD_ENV_NAMES``), never
the secrets that channels or Prefect read.

The child keeps its own time limit (``timeout``: Scrapy stops it gracefully, keeping what it
has, and it kills itself ``NEWSWATCH_STOP_GRACE`` seconds later if it is stuck) and memory
limit (``MEMUSAGE_LIMIT_MB``), and it dies with the process that started it
(:mod:`spiders.lifeline`); this process kills it only when all of that failed.

A crawl fails when the child exits non-zero, runs past ``timeout`` or its memory limit,
fetches no page at all, or cannot read any of the site's feeds, sitemaps and section pages.
Pages that fail on their own are reported in ``errors`` (one "URL: reason" line each) without
failing the site; so is a crawl that stopped at its ``max_pages`` (:mod:`spiders.budget`).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from spiders import settings as defaults
from spiders.handoff import (
    CRAWL_ERROR_KEY,
    ERRORS_KEY,
    EXIT_NO_SPACE,
    EXIT_OUTPUT_ERROR,
    CrawlProgress,
    ShardRequest,
    ShardSite,
    read_progress,
)
from spiders.lifeline import PARENT_ENV
from store.items import Article, CrawlResult, SiteSpec

__all__ = ["budget_notes", "crawl_site", "failure_reasons"]

logger = logging.getLogger(__name__)

# The project root, put on the child's import path so it finds ``spiders`` and ``store``
# whether or not the project is installed.
_PROJECT_ROOT = Path(__file__).resolve().parent.parent
_LOG_TAIL_LINES = 20
_PROGRESS_POLL_S = 1.0
# How long past the child's own hard limit this process waits before killing it itself.
_LAST_RESORT_S = 30.0
_PROBLEM = re.compile(r"\] (WARNING|ERROR|CRITICAL): ")
# The crawl child's whole environment: the interpreter and its loader, locale, time, temporary
# files, proxies and CA certificates; libpq's own variables for the stored-article lookups; a
# preloaded libfaketime's clock. Everything else (channel secrets, PREFECT_API_KEY) is left out.
_CHILD_ENV_NAMES = frozenset({
    "HOME", "PATH", "LANG", "LANGUAGE", "TZ", "TMPDIR", "PYTHONHOME",
    "LD_LIBRARY_PATH", "LD_PRELOAD",
    "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
    "SSL_CERT_FILE", "SSL_CERT_DIR",
})
_CHILD_ENV_PREFIXES = ("LC_", "PG", "FAKETIME")


def crawl_site(
    site: SiteSpec,
    *,
    workdir: Path,
    database_url: str | None = None,
    settings: dict[str, Any] | None = None,
    timeout: float = 600,
    on_progress: Callable[[CrawlProgress], None] | None = None,
) -> CrawlResult:
    """Crawl ``site`` in a child process; never raises for a failed crawl.

    ``workdir`` receives ``NAME.jsonl`` (articles), ``NAME.stats.json`` and ``NAME.log`` (the
    child's log). With ``database_url``, article URLs already stored there are not fetched.
    ``settings`` overrides Newswatch's Scrapy settings (:mod:`spiders.settings`). ``timeout``
    is in seconds; a crawl past it is stopped and failed, keeping the articles written so far.
    ``on_progress`` is called with the crawl's progress every few seconds while it runs
    (``NEWSWATCH_PROGRESS_INTERVAL``) and once at its end.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    output, stats_path, log_path, progress_path = _site_paths(workdir, site)
    for path in (output, stats_path, progress_path):
        path.unlink(missing_ok=True)

    command = [
        sys.executable, "-m", "spiders.crawl",
        "--site-json", json.dumps(site.to_dict()),
        "--output", str(output),
        "--stats", str(stats_path),
        "--progress", str(progress_path),
        "--settings-json", json.dumps(settings or {}),
        "--timeout", repr(float(timeout)),
    ]
    grace = float((settings or {}).get("NEWSWATCH_STOP_GRACE", defaults.NEWSWATCH_STOP_GRACE))
    logger.info("Crawling %(site)s (log: %(log)s)", {"site": site.name, "log": log_path})
    errors: list[str] = []
    with log_path.open("wb") as log:
        # Started and waited for by this thread: the child dies when it ends (spiders.lifeline).
        child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log,
                                 stderr=subprocess.STDOUT, env=_child_env(database_url))
        returncode = _wait(child, timeout + grace + _LAST_RESORT_S, [progress_path], on_progress)
        if returncode is None:
            errors.append(f"crawl timed out after {timeout:g} s and did not stop; killed")
    return _judged(site, returncode, output=output, stats_path=stats_path, log_path=log_path,
                   timeout=timeout, grace=grace, errors=errors)


def crawl_sites(
    sites: Sequence[SiteSpec],
    *,
    workdir: Path,
    database_url: str | None = None,
    settings: dict[str, Any] | None = None,
    timeout: float = 600,
    on_progress: Callable[[CrawlProgress], None] | None = None,
) -> list[CrawlResult]:
    """Crawl ``sites`` in one child process, a shard (:mod:`spiders.shard`), one result per
    site in their order; never raises for a failed crawl.

    Each site is judged as :func:`crawl_site` judges it, from its own articles and stats in
    ``workdir``; the shard's log is ``workdir/shard-FIRST.log``. ``timeout`` bounds each site's
    crawl, and so the shard's. ``on_progress`` gets the shard's progress, its sites' added up.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    entries = []
    for site in sites:
        output, stats_path, _, progress_path = _site_paths(workdir, site)
        for path in (output, stats_path, progress_path):
            path.unlink(missing_ok=True)
        entries.append(ShardSite(site=site, output=output, stats=stats_path,
                                 progress=progress_path))
    if not entries:
        return []
    request = ShardRequest(sites=tuple(entries), settings=settings or {}, timeout=float(timeout))
    log_path = workdir / f"shard-{entries[0].output.stem}.log"
    grace = float((settings or {}).get("NEWSWATCH_STOP_GRACE", defaults.NEWSWATCH_STOP_GRACE))
    logger.info("Crawling %(count)d sites in one process (log: %(log)s)",
                {"count": len(entries), "log": log_path})
    errors: list[str] = []
    with log_path.open("wb") as log:
        child = subprocess.Popen([sys.executable, "-m", "spiders.shard"], stdin=subprocess.PIPE,
                                 stdout=log, stderr=subprocess.STDOUT,
                                 env=_child_env(database_url))
        try:
            child.stdin.write(request.to_json().encode())
            child.stdin.close()
        except BrokenPipeError:  # it died at once; its status and log say why
            pass
        returncode = _wait(child, timeout + grace + _LAST_RESORT_S,
                           [entry.progress for entry in entries if entry.progress], on_progress)
        if returncode is None:
            errors.append(f"crawl timed out after {timeout:g} s and did not stop; killed")
    # A site that wrote its stats ended on its own, and is judged by them; the others by how
    # the shard ended.
    return [_judged(entry.site, 0 if entry.stats.exists() else returncode, output=entry.output,
                    stats_path=entry.stats, log_path=log_path, timeout=timeout, grace=grace,
                    errors=[] if entry.stats.exists() else list(errors))
            for entry in entries]


def _site_paths(workdir: Path, site: SiteSpec) -> tuple[Path, Path, Path, Path]:
    """A site's articles, stats, log and progress files in ``workdir``."""
    stem = re.sub(r"[^\w.-]", "_", site.name) or "site"
    return (workdir / f"{stem}.jsonl", workdir / f"{stem}.stats.json", workdir / f"{stem}.log",
            workdir / f"{stem}.progress.json")


def _judged(site: SiteSpec, returncode: int | None, *, output: Path, stats_path: Path,
            log_path: Path, timeout: float, grace: float, errors: list[str]) -> CrawlResult:
    """The site's crawl as it went: its articles, stats and errors, failed or not."""
    workdir = output.parent
    tail = _tail(log_path)

    articles, bad_lines = _read_articles(output)
    stats = _read_stats(stats_path)
    errors.extend(bad_lines)
    errors.extend(stats.get(ERRORS_KEY) or [])
    untold = int(stats.get("newswatch/errors/count", 0)) - len(stats.get(ERRORS_KEY) or [])
    if untold > 0:
        errors.append(f"… and {untold} more failures (see {log_path})")

    failed = bool(returncode) or returncode is None
    # A shard's site whose articles could not be written says so in its stats alone.
    if returncode in (EXIT_NO_SPACE, EXIT_OUTPUT_ERROR) or stats.get("newswatch/output/error"):
        failed = True
        reason = stats.get("newswatch/output/error") or (
            os.strerror(errno.ENOSPC) if returncode == EXIT_NO_SPACE else "write failed")
        errors.insert(0, f"could not write the crawl's output in {workdir}: {reason}")
    elif returncode == -signal.SIGALRM:
        errors.insert(0, f"crawl timed out after {timeout:g} s and was stopped "
                         f"{grace:g} s later, stuck")
    elif returncode:
        errors.insert(0, f"crawler exited with status {returncode}: {_last_line(tail)}")
    elif stats.get(CRAWL_ERROR_KEY):
        failed = True
        errors.insert(0, f"crawler could not run: {stats[CRAWL_ERROR_KEY]}")
    elif stats.get("finish_reason") == "closespider_timeout":
        failed = True
        errors.insert(0, f"crawl timed out after {timeout:g} s")
    elif stats.get("finish_reason") == "memusage_exceeded":
        failed = True
        errors[:0] = failure_reasons(stats)
    elif returncode == 0:
        reasons = failure_reasons(stats)
        failed = bool(reasons)
        if reasons and not errors:
            errors.extend(reasons)
    errors.extend(budget_notes(stats))
    if failed:
        logger.warning("Crawl of %(site)s failed: %(errors)s\n%(problems)s",
                       {"site": site.name, "errors": "; ".join(errors),
                        "problems": "\n".join(_problem_lines(log_path))})
    logger.info("Crawled %(site)s: %(articles)d articles, %(errors)d errors",
                {"site": site.name, "articles": len(articles), "errors": len(errors)})
    return CrawlResult(site=site.name, articles=tuple(articles), stats=stats,
                       errors=tuple(errors), failed=failed)


def _wait(child: subprocess.Popen[bytes], timeout: float, progress_paths: Sequence[Path],
          on_progress: Callable[[CrawlProgress], None] | None) -> int | None:
    """The child's exit status, or None when it ran past ``timeout`` and was killed."""
    deadline = time.monotonic() + timeout
    last: CrawlProgress | None = None
    while True:
        remaining = deadline - time.monotonic()
        try:
            returncode = child.wait(timeout=max(0.0, min(_PROGRESS_POLL_S, remaining)))
        except subprocess.TimeoutExpired:
            returncode = None
        if on_progress is not None:
            progress = _progress_of(progress_paths)
            if progress is not None and progress != last:
                on_progress(progress)
                last = progress
        if returncode is not None:
            return returncode
        if remaining <= 0:
            child.kill()
            child.wait()
            return None


def _progress_of(paths: Sequence[Path]) -> CrawlProgress | None:
    """The progress of the crawls writing ``paths``, added up; None before any wrote one."""
    found = [p for p in map(read_progress, paths) if p is not None]
    if not found:
        return None
    return CrawlProgress(requests=sum(p.requests for p in found),
                         pages=sum(p.pages for p in found),
                         articles=sum(p.articles for p in found),
                         finished=len(found) == len(paths) and all(p.finished for p in found))


def failure_reasons(stats: dict[str, Any]) -> list[str]:
    """Why a crawl that ran to its end counts as failed, judged by its stats; empty if not."""
    if not stats:
        return ["the crawl left no stats"]
    if stats.get("finish_reason") == "memusage_exceeded":
        peak = int(stats.get("memusage/max", 0)) // 1_048_576
        return [f"the crawl was stopped at its memory limit, MEMUSAGE_LIMIT_MB (peak {peak} MiB)"]
    if not stats.get("newswatch/pages/ok"):
        return [f"no page could be fetched (finish reason: {stats.get('finish_reason')})"]
    if stats.get("newswatch/sources/requested") and not stats.get("newswatch/sources/ok"):
        return ["no feed, sitemap or section page could be read"]
    return []


def budget_notes(stats: dict[str, Any]) -> list[str]:
    """What the crawl left out to stay within its budget (:mod:`spiders.budget`), one line each."""
    notes = []
    if stats.get("newswatch/budget/max_pages"):
        notes.append(f"stopped at max_pages={stats['newswatch/budget/max_pages']}: "
                     f"{stats.get('newswatch/budget/dropped', 0)} more listing pages and "
                     "articles not requested")
    if stats.get("newswatch/budget/too_deep"):
        notes.append(f"{stats['newswatch/budget/too_deep']} sitemaps nested deeper than "
                     "NEWSWATCH_MAX_SITEMAP_DEPTH not read")
    return notes


def _child_env(database_url: str | None) -> dict[str, str]:
    """Only what the interpreter, the network and the database need: the child parses hostile
    pages, so the secrets that ``${VAR}`` channels and Prefect read stay in this process."""
    env = {name: value for name, value in os.environ.items()
           if name in _CHILD_ENV_NAMES or name.startswith(_CHILD_ENV_PREFIXES)}
    paths = [str(_PROJECT_ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    # Its log reaches the file as it is written: nothing is left to flush at exit, where a full
    # disk would turn the status that says so into Python's 120.
    env["PYTHONUNBUFFERED"] = "1"
    env[PARENT_ENV] = str(os.getpid())
    if database_url:
        env["NEWSWATCH_DATABASE_URL"] = database_url
    return env


def _read_articles(path: Path) -> tuple[list[Article], list[str]]:
    articles: list[Article] = []
    problems: list[str] = []
    if not path.exists():
        return articles, problems
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                articles.append(Article.from_dict(json.loads(line)))
            except (ValueError, TypeError, KeyError) as exc:
                problems.append(f"{path.name} line {number}: unreadable article ({exc})")
    return articles, problems


def _read_stats(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _tail(path: Path) -> list[str]:
    try:
        with path.open(encoding="utf-8", errors="replace") as log:
            return [line.rstrip("\n") for line in deque(log, maxlen=_LOG_TAIL_LINES)]
    except OSError:
        return []


def _problem_lines(path: Path) -> list[str]:
    """The child's last warnings and errors, the part of its log worth repeating."""
    try:
        with path.open(encoding="utf-8", errors="replace") as log:
            problems = (line.rstrip("\n") for line in log if _PROBLEM.search(line))
            return list(deque(problems, maxlen=_LOG_TAIL_LINES))
    except OSError:
        return []


def _last_line(lines: list[str]) -> str:
    meaningful = [line.strip() for line in lines if line.strip()]
    return meaningful[-1] if meaningful else "no output"
