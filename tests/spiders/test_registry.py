from __future__ import annotations

import sys

import pytest

from spiders.news import NewsSpider
from spiders.registry import site_spiders, spider_for

SITE_MODULE = '''
import scrapy

from spiders.news import NewsSpider


class TownTimesSpider(NewsSpider):
    name = "towntimes"
    article_url_allow = (r"/story/",)


class Helper:
    name = "not a spider"
'''


@pytest.fixture
def sites_package(tmp_path, monkeypatch):
    """A throwaway ``sites`` package with one site spider, importable as ``sites_for_test``."""
    package = tmp_path / "sites_for_test"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "towntimes.py").write_text(SITE_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield package
    for name in [n for n in sys.modules if n.startswith("sites_for_test")]:
        del sys.modules[name]


def test_site_spider_is_found_by_name(sites_package):
    spiders = site_spiders("sites_for_test")

    assert list(spiders) == ["towntimes"]
    assert spider_for("towntimes", "sites_for_test").__name__ == "TownTimesSpider"


def test_unknown_sites_use_the_generic_spider(sites_package):
    assert spider_for("ledger", "sites_for_test") is NewsSpider
    assert spider_for("ledger") is NewsSpider


def test_two_spiders_with_one_name_are_an_error(sites_package):
    (sites_package / "copy.py").write_text(SITE_MODULE)

    with pytest.raises(ValueError, match="two spiders are named 'towntimes'"):
        site_spiders("sites_for_test")
