from __future__ import annotations

import pytest

from spiders.crawl import main


@pytest.mark.parametrize("args", [
    ["--site-json", "not json", "--output", "o", "--stats", "s"],
    ["--site-json", '{"feeds": []}', "--output", "o", "--stats", "s"],
    ["--site-json", '{"name": "x"}', "--output", "o", "--stats", "s", "--settings-json", "[]"],
    ["--output", "o", "--stats", "s"],
])
def test_bad_arguments_exit_with_status_2(args, capsys):
    with pytest.raises(SystemExit) as exited:
        main(args)

    assert exited.value.code == 2
    assert "python -m spiders.crawl" in capsys.readouterr().err


def test_address_settings_name_the_sites_own_hosts(monkeypatch):
    from spiders.crawl import address_settings
    from spiders.news import NewsSpider
    from store.items import SiteSpec

    class Intranet(NewsSpider):
        name = "intranet"
        feeds = ("http://10.0.0.5/rss.xml",)
        start_urls = ("http://News.Corp./world/",)

    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("https_proxy", "proxy.corp:3128")
    monkeypatch.setenv("no_proxy", "localhost")

    assert address_settings(SiteSpec(name="intranet"), Intranet) == {
        "NEWSWATCH_OWN_HOSTS": ["10.0.0.5", "news.corp", "proxy.corp"]}
    site = SiteSpec(name="intranet", sitemaps=("http://[::1]:8080/sitemap.xml",),
                    allow_private=True)
    assert address_settings(site, Intranet) == {
        "NEWSWATCH_OWN_HOSTS": ["10.0.0.5", "::1", "news.corp", "proxy.corp"],
        "NEWSWATCH_ALLOW_PRIVATE": True}
