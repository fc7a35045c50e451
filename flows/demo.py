"""``newswatch demo``: the whole pipeline, twice, offline, against the bundled sample news site."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import yaml

DEMO_QUERY = "Putin visit"


def demo_config(base_url: str, workdir: Path) -> dict:
    """A config for the sample site: two outlets, one watch, alerts printed in the terminal."""
    return {
        "database": f"sqlite:///{workdir / 'newswatch-demo.db'}",
        "crawl": {"settings": {"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0}},
        "channels": {"terminal": "console://"},
        "sites": [
            {"name": "courier", "feeds": [f"{base_url}/courier/rss.xml"]},
            {
                "name": "ledger",
                "sitemaps": [f"{base_url}/ledger/sitemap-news.xml"],
                "start_urls": [f"{base_url}/ledger/world/"],
            },
        ],
        "watches": [{"name": "putin-visit", "query": DEMO_QUERY, "notify": ["terminal"]}],
    }


def run_demo() -> int:
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    logging.getLogger("apprise").setLevel(logging.WARNING)  # the alert itself is the output
    from flows.run import newswatch_run
    from spiders.sample_server import serve_sample_site

    with serve_sample_site() as base_url, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        config_path = workdir / "newswatch.yaml"
        config_path.write_text(yaml.safe_dump(demo_config(base_url, workdir), sort_keys=False))
        print(f"Sample news site: {base_url}/ (two outlets: courier, ledger)")
        print(f"Watching for: {DEMO_QUERY}\n")

        print("== First run: crawl, store, match, deliver ==")
        first = newswatch_run(config_path=str(config_path), return_state=True)
        if not first.is_completed():
            print(f"The demo run failed:\n{first.message}")
            return 1
        print(f"\n{first.message}\n")

        print("== Second run: the same site again ==")
        second = newswatch_run(config_path=str(config_path), return_state=True)
        if not second.is_completed():
            print(f"The demo run failed:\n{second.message}")
            return 1
        summary = second.result()
        if summary.deliveries.sent:
            print("Unexpected: the second run sent alerts again.")
            return 1
        print(f"{second.message}: nothing new, so nothing was sent.")
    return 0
