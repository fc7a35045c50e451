"""Crawl runs: a row per crawl of a site, for the report and for noticing broken sites."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from store.models import CrawlRun


def record_crawl_run(
    session: Session,
    *,
    site: str,
    started: datetime,
    finished: datetime,
    pages: int,
    articles_found: int,
    articles_new: int,
    articles_updated: int,
    failed: bool,
    errors: list[str],
) -> CrawlRun:
    run = CrawlRun(
        site=site,
        started=started,
        finished=finished,
        pages=pages,
        articles_found=articles_found,
        articles_new=articles_new,
        articles_updated=articles_updated,
        failed=failed,
        errors=errors,
    )
    session.add(run)
    return run
