from __future__ import annotations

import pytest
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import HtmlResponse, Request, Response
from scrapy.utils.test import get_crawler
from twisted.internet.error import ConnectionRefusedError as TwistedConnectionRefused
from twisted.internet.error import DNSLookupError
from twisted.python.failure import Failure

from spiders.middlewares import AlreadyStored
from spiders.outcomes import ERRORS_KEY, PageOutcomeMiddleware, describe_exception, record_error

URL = "https://news.example/world/some-story-here"


@pytest.fixture
def crawler():
    return get_crawler(settings_dict={"NEWSWATCH_MAX_ERRORS": 3})


@pytest.fixture
def middleware(crawler):
    return PageOutcomeMiddleware.from_crawler(crawler)


def stat(crawler, key):
    return crawler.stats.get_value(key)


def test_good_responses_are_counted(crawler, middleware):
    request = Request(URL)
    response = Response(URL, status=200, request=request)

    assert middleware.process_response(request, response) is response
    assert stat(crawler, "newswatch/pages/ok") == 1
    assert stat(crawler, ERRORS_KEY) is None


def test_error_responses_become_error_lines(crawler, middleware):
    request = Request(URL)
    middleware.process_response(request, Response(URL, status=500, request=request))

    assert stat(crawler, "newswatch/pages/failed") == 1
    assert stat(crawler, ERRORS_KEY) == [f"{URL}: HTTP 500"]


def test_download_errors_name_the_reason(crawler, middleware):
    assert middleware.process_exception(Request(URL), DownloadConnectionRefusedError()) is None
    assert stat(crawler, ERRORS_KEY) == [f"{URL}: Connection refused"]


def test_robots_txt_is_not_a_page(crawler, middleware):
    robots = Request("https://news.example/robots.txt", meta={"dont_obey_robotstxt": True})
    middleware.process_response(robots, Response(robots.url, status=404, request=robots))
    middleware.process_exception(robots, DownloadTimeoutError())

    assert stat(crawler, "newswatch/pages/ok") is None
    assert stat(crawler, "newswatch/pages/failed") is None


def test_skipped_articles_are_no_failure(crawler, middleware):
    middleware.process_exception(Request(URL), AlreadyStored("stored"))
    middleware.process_exception(Request(URL), IgnoreRequest("Forbidden by robots.txt"))

    assert stat(crawler, "newswatch/pages/failed") is None


def test_a_source_forbidden_by_robots_is_a_failure(crawler, middleware):
    feed = Request("https://news.example/rss.xml", meta={"newswatch_source": "feed"})
    middleware.process_exception(feed, IgnoreRequest("Forbidden by robots.txt"))

    assert stat(crawler, ERRORS_KEY) == ["https://news.example/rss.xml: forbidden by robots.txt"]


def test_callback_errors_are_recorded(crawler, middleware):
    response = HtmlResponse(URL, body=b"<html></html>")
    middleware.spider_error(Failure(ValueError("bad date")), response, None)

    assert stat(crawler, ERRORS_KEY) == [f"{URL}: ValueError: bad date"]


def test_error_lines_are_bounded_but_all_counted(crawler):
    for number in range(5):
        record_error(crawler.stats, f"{URL}/{number}", "HTTP 404", limit=3)

    assert len(stat(crawler, ERRORS_KEY)) == 3
    assert stat(crawler, "newswatch/errors/count") == 5


def test_negative_max_errors_is_refused():
    with pytest.raises(ValueError, match=r"NEWSWATCH_MAX_ERRORS \(-1\) must be 0 or more"):
        PageOutcomeMiddleware.from_crawler(get_crawler(settings_dict={"NEWSWATCH_MAX_ERRORS": -1}))


@pytest.mark.parametrize(("exception", "reason"), [
    (DownloadConnectionRefusedError("x"), "Connection refused"),
    (TwistedConnectionRefused(), "Connection refused"),
    (DownloadTimeoutError("took too long"), "Timed out"),
    (DNSLookupError("no such host"), "DNS lookup failed"),
    (DownloadCancelledError("Expected to receive 52428800 bytes which is larger than download "
                            "max size (10485760) in request <GET x>."),
     "Too large (50 MiB): over DOWNLOAD_MAXSIZE"),
    (DownloadCancelledError(), "Too large: cut off at DOWNLOAD_MAXSIZE while streaming"),
    (RuntimeError("odd\nthing"), "RuntimeError: odd thing"),
    (RuntimeError(), "RuntimeError"),
])
def test_describe_exception(exception, reason):
    assert describe_exception(exception) == reason
