from __future__ import annotations

from spiders import settings
from spiders.crawl import build_settings


def test_the_trap_settings_are_off():
    assert settings.REMOTE_CONTROL_ENABLED is False
    assert settings.TELNETCONSOLE_ENABLED is False
    assert settings.LOG_INSTALL_ROOT_HANDLER is False


def test_politeness():
    assert settings.ROBOTSTXT_OBEY is True
    assert settings.AUTOTHROTTLE_ENABLED is True
    assert settings.USER_AGENT == "Newswatch/0.1 (+https://github.com/newswatch/newswatch)"
    assert 0 < settings.DOWNLOAD_MAXSIZE <= 50 * 1024 * 1024
    assert 0 < settings.DOWNLOAD_TIMEOUT <= 60
    assert settings.CONCURRENT_REQUESTS_PER_DOMAIN <= 2
    assert settings.NEWSWATCH_CONDITIONAL_ENABLED is True
    assert settings.NEWSWATCH_MAX_AGE == 3 * 24 * 60 * 60


def test_all_lists_every_setting_in_order():
    names = [name for name in vars(settings) if name.isupper()]
    assert sorted(settings.__all__) == settings.__all__
    assert sorted(names) == settings.__all__


def test_overrides_and_fixed_values():
    built = build_settings({"AUTOTHROTTLE_ENABLED": False, "NEWSWATCH_OUTPUT": "ignored"},
                           output="/tmp/out.jsonl", database_url="sqlite:///x.db")

    assert built.getbool("AUTOTHROTTLE_ENABLED") is False
    assert built.get("NEWSWATCH_OUTPUT") == "/tmp/out.jsonl"
    assert built.get("NEWSWATCH_DATABASE_URL") == "sqlite:///x.db"
    assert built.getbool("TELNETCONSOLE_ENABLED") is False
    middlewares = built.getdict("DOWNLOADER_MIDDLEWARES")
    assert middlewares["spiders.outcomes.PageOutcomeMiddleware"]
    # Both judge final outcomes, so both sit below RetryMiddleware (550).
    assert middlewares["spiders.conditional.ConditionalRequestMiddleware"] < 550


def test_site_custom_settings_beat_caller_overrides():
    built = build_settings({"DOWNLOAD_DELAY": 0})
    built.setdict({"DOWNLOAD_DELAY": 5}, priority="spider")

    assert built.getfloat("DOWNLOAD_DELAY") == 5
