"""news-please, the peer that also crawls, extracts and stores, run beside Newswatch.

It lives in its own virtualenv, ``bench/.venv-newsplease`` (made here with ``python3 -m venv``
and pip from the registry when missing), because its pins clash with ours.

Its defaults are kept except for three changes a loopback corpus needs, each one a line of
``config.cfg`` below:

- its allowed-domains filter turns ``127.0.0.1:PORT`` into a domain that no URL matches, so
  Scrapy's offsite middlewares are turned off;
- its default newspaper extractor downloads every image of every page, so the no-images
  extractor it ships (``newspaper_extractor_no_images``) takes its place;
- its article heuristic wants ``og:type=article`` plus link ratios, so the pass condition is
  ``crawler_contains_only_article_alikes`` (its SitemapCrawler lists only articles).

Each site runs in its own ``single_crawler.py`` process, as news-please's launcher starts them,
both at once; the launcher itself is skipped because it polls its crawlers every 10 s, which
would add up to 10 s to a run that has finished.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["NewsPleaseRun", "NewsPleaseUnavailable", "ensure_newsplease", "run_newsplease"]

VENV = Path(__file__).with_name(".venv-newsplease")
REQUIREMENT = "news-please>=1.6"
INSTALL_TIMEOUT_S = 600

CONFIG = """\
[Crawler]
default = SitemapCrawler
fallbacks = {{"SitemapCrawler": None}}
check_crawler_has_urls_to_scan = False
check_certificate = True
hours_to_pass_for_redownload_by_rss_crawler = 6
number_of_parallel_crawlers = 5
number_of_parallel_daemons = 10
ignore_file_extensions = "(pdf)|(docx?)|(jpe?g)|(png)|(gif)|(css)"
ignore_regex = "(mail[tT]o)|([jJ]avascript)|(tel)|(fax)"
sitemap_allow_subdomains = True
sitemap_patterns = []

[Heuristics]
# change 3 of 3: the sitemap crawler lists only articles
enabled_heuristics = {{"crawler_contains_only_article_alikes": True}}
pass_heuristics_condition = "crawler_contains_only_article_alikes"
min_headlines_for_linked_test = 5

[Files]
relative_to_start_processes_file = False
url_input_file_name = sitelist.hjson
working_path = {work}
local_data_directory = {data_path}
format_relative_path = True

[ArticleMasterExtractor]
# change 2 of 3: newspaper without downloading every image
extractors = {extractors}

[DateFilter]
start_date = None
end_date = None
strict_mode = False

[Scrapy]
LOG_LEVEL = INFO
LOG_FORMAT = [%(name)s:%(lineno)d|%(levelname)s] %(message)s
LOG_DATEFORMAT = %Y-%m-%d %H:%M:%S
LOG_STDOUT = False
LOG_ENCODING = utf-8
BOT_NAME = 'news-please'
SPIDER_MODULES = ['newsplease.crawler.spiders']
NEWSPIDER_MODULE = 'newsplease.crawler.spiders'
JOBDIRNAME = .resume_jobdir
ROBOTSTXT_OBEY=True
CONCURRENT_REQUESTS=16
CONCURRENT_REQUESTS_PER_DOMAIN=4
TELNETCONSOLE_ENABLED = False
USER_AGENT = 'news-please (+http://www.example.com/)'
# change 1 of 3: no offsite filtering (its allowed domain keeps host:port)
DOWNLOADER_MIDDLEWARES = {{'scrapy.downloadermiddlewares.offsite.OffsiteMiddleware': None}}
ITEM_PIPELINES = {{'newsplease.pipeline.pipelines.ArticleMasterExtractor': 100,
                  'newsplease.pipeline.pipelines.HtmlFileStorage': 200,
                  'newsplease.pipeline.pipelines.JsonFileStorage': 300}}
ITEM_CLASS = 'newsplease.crawler.items.NewscrawlerItem'
"""


# news-please's own default layout for stored pages.
DATA_PATH = ("%working_path/data/%appendmd5_full_domain(32)/%appendmd5_url_directory_string(60)_"
             "%appendmd5_max_url_file_name_%timestamp_download.html")
# Its default list, with the newspaper extractor swapped for the one that fetches no images.
EXTRACTORS = repr(["newspaper_extractor_no_images", "readability_extractor", "date_extractor",
                   "lang_detect_extractor"])


class NewsPleaseUnavailable(RuntimeError):
    """news-please could not be installed or started here; the message says why."""


@dataclass(frozen=True, kw_only=True)
class NewsPleaseRun:
    seconds: float
    stored: int  # articles news-please wrote as JSON
    returncodes: tuple[int, ...]
    log: Path


def python() -> Path:
    return VENV / "bin" / "python"


def ensure_newsplease() -> Path:
    """The venv's python with news-please importable; installs it on first use."""
    if _importable():
        return python()
    try:
        if not python().exists():
            subprocess.run(["python3",
                            "-m", "venv", str(VENV)], check=True, capture_output=True,
                           timeout=120)
        subprocess.run([str(python()), "-m", "pip", "install", "--quiet", REQUIREMENT],
                       check=True, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
    except subprocess.CalledProcessError as exc:
        tail = " ".join((exc.stderr or exc.stdout or "").split()[-30:])
        raise NewsPleaseUnavailable(f"pip install {REQUIREMENT} failed: {tail}") from exc
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise NewsPleaseUnavailable(f"cannot make {VENV}: {exc}") from exc
    if not _importable():
        raise NewsPleaseUnavailable(f"news-please installed in {VENV} but does not import")
    return python()


def run_newsplease(base_urls: list[str], workdir: Path, *, timeout: float = 600) -> NewsPleaseRun:
    """Crawl each site (its robots.txt names its sitemap) with news-please, all at once."""
    interpreter = ensure_newsplease()
    workdir.mkdir(parents=True, exist_ok=True)
    config_dir = workdir / "config"
    config_dir.mkdir(exist_ok=True)
    data = workdir / "repo"
    (config_dir / "config.cfg").write_text(CONFIG.format(work=data, data_path=DATA_PATH,
                                                         extractors=EXTRACTORS))
    sites = {"base_urls": [{"url": f"{url}/", "crawler": "SitemapCrawler"} for url in base_urls]}
    (config_dir / "sitelist.hjson").write_text(json.dumps(sites, indent=1))
    single = subprocess.run(
        [str(interpreter), "-c", "import newsplease.single_crawler as m; print(m.__file__)"],
        check=True, capture_output=True, text=True).stdout.strip()
    log = workdir / "newsplease.log"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    with log.open("wb") as out:
        started = time.perf_counter()
        children = [
            subprocess.Popen([str(interpreter), single, str(config_dir / "config.cfg"),
                              str(config_dir / "sitelist.hjson"), str(index), "False", "False"],
                             stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                             env=env, cwd=workdir)
            for index in range(len(base_urls))
        ]
        codes = []
        for child in children:
            remaining = max(1.0, timeout - (time.perf_counter() - started))
            try:
                codes.append(child.wait(timeout=remaining))
            except subprocess.TimeoutExpired:
                child.kill()
                codes.append(child.wait())
        seconds = time.perf_counter() - started
    stored = sum(1 for _ in data.rglob("*.json")) if data.exists() else 0
    return NewsPleaseRun(seconds=seconds, stored=stored, returncodes=tuple(codes), log=log)


def _importable() -> bool:
    if not python().exists():
        return False
    probe = subprocess.run([str(python()), "-c", "import newsplease.single_crawler"],
                           capture_output=True, timeout=120)
    return probe.returncode == 0
