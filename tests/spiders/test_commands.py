"""``newswatch extract`` and ``newswatch spider list|check|new``, against the loopback site."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from flows.cli import build_parser
from spiders.sample_server import SampleSiteServer, sample_site_server
from tests.spiders.conftest import FAST

PROJECT = Path(__file__).resolve().parents[2]
WIRE = "/courier/world/putin-to-visit-china-next-month-kremlin-says-20417.html"
FARM = "/courier/world/eu-agrees-overhaul-of-farm-subsidies-20411.html"
LEDGER_WIRE = "/ledger/news/88412/kremlin-confirms-putin-trip-to-beijing"


# A server of this module's own: the session's sample site counts hits other tests assert on.
@pytest.fixture(scope="module")
def sample_site() -> Iterator[SampleSiteServer]:
    with sample_site_server() as server:
        yield server


@pytest.fixture(scope="module")
def base_url(sample_site: SampleSiteServer) -> str:
    return sample_site.base_url


@pytest.fixture(scope="module")
def page(sample_site: SampleSiteServer) -> Callable[[str], str]:
    def render(path: str) -> str:
        return sample_site.render(sample_site.resolve(path).read_text(encoding="utf-8"))

    return render


def newswatch(*argv: str) -> int:
    """Run a command in this process (no Prefect needed), as ``newswatch ARGV`` would."""
    args = build_parser().parse_args(argv)
    return args.handler(args)


@pytest.fixture
def saved_pages(tmp_path, page) -> list[Path]:
    paths = []
    for number, path in enumerate([WIRE, FARM, LEDGER_WIRE] * 20):
        file = tmp_path / f"page-{number:02}.html"
        file.write_text(page(path), encoding="utf-8")
        paths.append(file)
    return paths


@pytest.fixture
def config(tmp_path, base_url) -> Path:
    path = tmp_path / "newswatch.yaml"
    path.write_text(yaml.safe_dump({
        "crawl": {"settings": FAST, "contact": "https://ops.example/newswatch"},
        "sites": [{"name": "courier", "feeds": [f"{base_url}/courier/rss.xml"]}],
    }))
    return path


# -- extract -----------------------------------------------------------------------------------

def test_extract_json_gives_one_line_per_input_with_exactly_the_keys(saved_pages, capsys,
                                                                      base_url):
    assert newswatch("extract", "--json", *map(str, saved_pages)) == 0

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 60
    first = json.loads(lines[0])
    assert list(first) == ["source", "url", "title", "text", "published", "author", "language"]
    assert first["source"] == str(saved_pages[0])
    assert first["url"] == base_url + WIRE  # the saved page's canonical link
    assert first["title"] == "Putin to visit China next month, Kremlin says"
    assert "Putin will visit China next month" in first["text"]
    assert first["author"] == "Anna Petrova" and first["language"] == "en"
    assert first["published"].endswith("+00:00")
    farm = json.loads(lines[1])
    assert "putin" not in farm["text"].casefold()  # its Read More and most-read boxes are gone


def test_extract_a_live_url_as_text(capsys, base_url):
    assert newswatch("extract", base_url + LEDGER_WIRE) == 0

    out = capsys.readouterr().out
    assert out.startswith(f"== {base_url + LEDGER_WIRE}\nTitle:     Kremlin confirms Putin trip")
    assert "Author:    Ledger wire desk" in out
    assert "Russian President Vladimir Putin will visit China next month" in out


def test_extract_reports_inputs_without_an_article(tmp_path, capsys, saved_pages, base_url):
    missing = tmp_path / "missing.html"

    status = newswatch("extract", "--json", str(missing), str(saved_pages[0]),
                       f"{base_url}/ledger/world/")

    assert status == 1
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert [line["title"] is None for line in lines] == [True, False, True]
    assert lines[0] == {"source": str(missing), "url": None, "title": None, "text": None,
                        "published": None, "author": None, "language": None}
    assert f"newswatch: {missing}: " in captured.err
    assert f"{base_url}/ledger/world/: no article found" in captured.err


def test_extract_many_files_in_one_process_is_fast(saved_pages):
    """Hundreds of files must not cost a process each: 60 pages in one call, in seconds."""
    command = [str(Path(sys.executable).with_name("newswatch")), "extract", "--json",
               *map(str, saved_pages * 5)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "NEWSWATCH_HOME": str(saved_pages[0].parent)})

    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 300


# -- spider list / check -----------------------------------------------------------------------

def test_spider_list_shows_config_sites(config, capsys, base_url):
    assert newswatch("spider", "list", "--config", str(config)) == 0

    assert capsys.readouterr().out.split() == ["courier", "config", "feed",
                                               f"{base_url}/courier/rss.xml"]


def test_spider_check_a_configured_site(config, capsys, base_url):
    assert newswatch("spider", "check", "courier", "--config", str(config), "--limit", "3") == 0

    out = capsys.readouterr().out
    assert out.count("\n1. ") == 1 and "\n3. " in out and "\n4. " not in out
    assert "1. Storm Bert to bring heavy rain and gales across the west" in out  # newest first
    assert " UTC · by Priya Nair · " in out and " chars · en" in out
    assert "   | Storm Bert is expected to bring heavy rain" in out
    assert "courier: 3 articles shown; 1 of 1 feeds, sitemaps and section pages read; " \
           "0 problems" in out


def test_spider_check_an_article_url_needs_no_crawl(capsys, base_url):
    assert newswatch("spider", "check", base_url + WIRE) == 0

    out = capsys.readouterr().out
    assert out.startswith(f"{base_url + WIRE}: an article\n\n1. Putin to visit China next month")


def test_spider_check_unknown_name(config, capsys):
    assert newswatch("spider", "check", "nosuchsite", "--config", str(config)) == 2
    assert "no site or spider named 'nosuchsite' (known: courier)" in capsys.readouterr().err


# -- spider new --------------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "kind", "pages"), [
    ("/courier/rss.xml", "feed", ["article.html", "listing.xml"]),
    ("/ledger/world/", "section", ["article.html", "section.html"]),
])
def test_spider_new_writes_a_spider_and_a_passing_test(tmp_path, capsys, base_url, url, kind,
                                                       pages):
    sites, tests = tmp_path / "sites", tmp_path / "tests"

    assert newswatch("spider", "new", "town-times", base_url + url, "--spiders-dir", str(sites),
                     "--tests-dir", str(tests)) == 0

    assert f"is a {kind}; its first article:" in capsys.readouterr().out
    spider = (sites / "town_times.py").read_text()
    assert "class TownTimesSpider(NewsSpider):" in spider
    assert 'name = "town-times"' in spider
    assert sorted(p.name for p in (tests / "pages" / "town_times").iterdir()) == pages
    lint = subprocess.run([str(Path(sys.executable).with_name("ruff")), "check", "--config",
                           str(PROJECT / "pyproject.toml"), str(sites), str(tests)],
                          capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout
    # The generated test passes offline, with the spider picked up by name from spiders.sites.
    run = subprocess.run([sys.executable, "-c", (
        "import sys, pytest, spiders.sites\n"
        f"spiders.sites.__path__.append({str(sites)!r})\n"
        f"sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', {str(tests)!r}]))")],
        capture_output=True, text=True, cwd=PROJECT, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert " passed" in run.stdout


def test_spider_new_refuses_to_overwrite(tmp_path, capsys, base_url):
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "ledger.py").write_text("# mine\n")

    status = newswatch("spider", "new", "ledger", f"{base_url}/ledger/world/", "--spiders-dir",
                       str(sites), "--tests-dir", str(tmp_path / "tests"))

    assert status == 1
    assert "exists already (give --force to overwrite it)" in capsys.readouterr().err
    assert (sites / "ledger.py").read_text() == "# mine\n"


def test_spider_new_refuses_bad_names(tmp_path, capsys, base_url):
    assert newswatch("spider", "new", "Le Monde", base_url, "--spiders-dir", str(tmp_path),
                     "--tests-dir", str(tmp_path)) == 1
    assert "'Le Monde' is not a spider name" in capsys.readouterr().err


def test_extract_follows_no_redirect_into_the_network_unless_allowed(capsys):
    from tests.spiders.insidesite import pointing_site

    with pointing_site(metadata=False) as site:
        assert newswatch("extract", f"{site.base_url}/redirect") == 1
        refused = capsys.readouterr().err
        assert site.inside.hits == 0
        assert newswatch("extract", "--allow-private", f"{site.base_url}/redirect") == 0
        allowed = capsys.readouterr().out

    assert "refused: 127.0.0.2 is a loopback address (give --allow-private" in refused
    assert allowed.startswith(f"== {site.base_url}/redirect\nTitle:     Le café de la place")
    assert site.inside.other_loopback.hits["/redirected"] == 1
