"""Crawl runs: a row per crawl of a site, for the report and for noticing broken sites."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from store.health import SiteCheck
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
    check: SiteCheck | None = None,
) -> CrawlRun:
    """Add the row; ``check`` (site health's view of the run) fills its health columns."""
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
        **(check.columns() if check else {}),
    )
    session.add(run)
    return run
