"""Real deliveries on loopback: webhook, Slack, SMTP; hostile text; failures; secrets."""

from __future__ import annotations

import logging
import re
import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from apprise import NotifyFormat
from apprise.conversion import convert_between
from apprise.plugins.slack import NotifySlack

from alerts.deliver import Channel, DeliveryOutcome, mask_url, send_digest, send_text
from alerts.digest import Copy, Digest, DigestItem, Message, WatchInfo, render
from tests.alerts.conftest import SLACK_URL
from tests.alerts.receivers import HttpReceiver, SmtpReceiver, html_elements

ARTICLE_URL = "https://news.example/story?id=7&lang=en"
MARK_STYLE = "background-color:#fde68a;color:#1f2937;font-weight:bold;padding:0 2px"


def item(headline: str = "Putin lands in Paris", snippet: str = "Putin arrived today.",
         site: str = "Le Monde", **extra) -> DigestItem:
    values = dict(
        headline=headline, site=site, url=ARTICLE_URL,
        published=datetime(2024, 5, 1, 12, 3, tzinfo=UTC), snippet=snippet, marks=((0, 5),),
    )
    return DigestItem(**(values | extra))


DIGEST = Digest(watch=WatchInfo(name="putin-visit"), items=(item(),))
WATCH = WatchInfo(name="putin-visit", query="Putin visit", index=0, config="newswatch.yaml")


def test_json_webhook(http_receiver: HttpReceiver) -> None:
    outcome = send_digest(http_receiver.url("json", "/hook"), DIGEST, rate_limit=False, tz=UTC)
    assert outcome == DeliveryOutcome(ok=True, parts=1, delivered=(0,))
    [request] = http_receiver.requests
    assert request.path == "/hook"
    assert request.json["title"] == "putin-visit: 1 new story"
    assert request.json["message"] == (
        "Putin lands in Paris\n"
        f"{ARTICLE_URL}\n"
        "Le Monde · 2024-05-01 12:03 UTC\n"
        "*Putin* arrived today."
    )


def test_json_webhook_gets_every_field_as_data(http_receiver: HttpReceiver) -> None:
    copy = Copy("BBC", "https://bbc.example/x")
    digest = Digest(watch=WATCH, items=(item(also_on=(copy,)),))
    # A key the URL adds to the payload stays; ours goes beside it.
    url = http_receiver.url("json", "/hook?:source=newswatch")
    assert send_digest(url, digest, rate_limit=False, tz=UTC).ok
    payload = http_receiver.requests[0].json
    assert payload["source"] == "newswatch"
    assert payload["message"].startswith("Query: Putin visit\n\nPutin lands in Paris\n")
    assert payload["digest"] == {
        "watch": {"name": "putin-visit", "query": "Putin visit", "config_key": "watches[0]",
                  "config_file": "newswatch.yaml"},
        "count": 1, "part": 1, "parts": 1,
        "try_command": 'newswatch watch test "Putin visit" --since 7d',
        "stories": [{
            "headline": "Putin lands in Paris", "url": ARTICLE_URL, "site": "Le Monde",
            "published": "2024-05-01T12:03:00+00:00", "snippet": "Putin arrived today.",
            "marks": [[0, 5]], "also_on": [{"site": "BBC", "url": "https://bbc.example/x"}],
        }],
    }


def test_other_webhooks_get_text(http_receiver: HttpReceiver) -> None:
    assert send_digest(http_receiver.url("form", "/f"), DIGEST, rate_limit=False).ok
    form = http_receiver.requests[0].text
    assert "digest" not in form and "Putin+lands+in+Paris" in form


def test_slack_webhook(slack_receiver: HttpReceiver) -> None:
    outcome = send_digest(SLACK_URL, DIGEST, rate_limit=False, tz=UTC)
    assert outcome == DeliveryOutcome(ok=True, parts=1, delivered=(0,))
    [request] = slack_receiver.requests
    assert request.path == "/services/T1ABCDEFG/B2HIJKLMN/c3secrettokenvalue"
    header, section = slack_blocks(request.json)
    assert header == "putin-visit: 1 new story"
    assert section == (
        "*<https://news.example/story?id=7&amp;lang=en|Putin lands in Paris>*\n"
        "Le Monde · 2024-05-01 12:03 UTC\n"
        "> *Putin* arrived today."
    )


def test_email_has_html_and_text_parts(smtp_receiver: SmtpReceiver) -> None:
    outcome = send_digest(smtp_receiver.url(), DIGEST, rate_limit=False, tz=UTC)
    assert outcome == DeliveryOutcome(ok=True, parts=1, delivered=(0,))
    [mail] = smtp_receiver.messages
    assert mail.mail_from == "a@x.example" and mail.rcpt_tos == ("b@y.example",)
    assert mail.message["Subject"] == "putin-visit: 1 new story"
    assert mail.message.get_content_type() == "multipart/alternative"
    html = mail.part("text/html")
    assert ('<a href="https://news.example/story?id=7&amp;lang=en" style="text-decoration:none">'
            "Putin lands in Paris</a>") in html
    assert re.search(r'<b style="[^"]*">Putin</b> arrived today\.', html)
    # The text part is the digest's own plain text, links included, not one derived from HTML.
    [message] = render(DIGEST, "email", tz=UTC)
    assert mail.part("text/plain").replace("\r\n", "\n") == message.text
    assert message.text == (
        "putin-visit · 1 new story\n\n"
        f"Putin lands in Paris\n{ARTICLE_URL}\nLe Monde · 2024-05-01 12:03 UTC\n"
        "*Putin* arrived today."
    )


def test_other_html_keeps_apprises_text_part(smtp_receiver: SmtpReceiver) -> None:
    with Channel(smtp_receiver.url()) as channel:
        assert channel.send([Message(title="t", body="<p>Hello <b>you</b></p>",
                                     body_format="html")]).ok
    assert smtp_receiver.messages[0].part("text/plain").strip() == "Hello you"


def test_email_with_login(smtp_receiver: SmtpReceiver) -> None:
    url = smtp_receiver.url(creds="newswatch:s3cret-pass")
    assert send_digest(url, DIGEST, rate_limit=False).ok
    assert len(smtp_receiver.messages) == 1


def test_an_email_sent_with_a_key_has_it_as_its_only_message_id(
    smtp_receiver: SmtpReceiver,
) -> None:
    with Channel(smtp_receiver.url(), rate_limit=False) as channel:
        messages = channel.render(DIGEST)
        for _ in range(2):  # the same message, sent again
            assert channel.send(messages, keys=["newswatch.5f3a"]).ok
        assert channel.send(messages).ok  # no key: Apprise's own, new every time
    ids = [envelope.message.get_all("Message-ID") for envelope in smtp_receiver.messages]
    assert ids[:2] == [["<newswatch.5f3a@127.0.0.1>"]] * 2
    assert len(ids[2]) == 1 and ids[2][0] != ids[0][0]


def test_markdown_channel(http_receiver: HttpReceiver) -> None:
    # Mattermost over plain http: a markdown-style service Apprise can reach on loopback.
    url = http_receiver.url("mmost", "/hooktoken1234")
    assert send_digest(url, DIGEST, rate_limit=False, tz=UTC).ok
    text = http_receiver.requests[0].json["text"]
    assert "**[Putin lands in Paris](<https://news.example/story?id=7&lang=en>)**" in text


def test_long_digest_goes_out_in_parts(slack_receiver: HttpReceiver) -> None:
    items = tuple(item(headline=f"Story {n}", snippet="word " * 80) for n in range(20))
    started = time.monotonic()
    digest = Digest(watch=WatchInfo(name="w"), items=items)
    outcome = send_digest(SLACK_URL, digest, rate_limit=False)
    assert time.monotonic() - started < 1.0  # no 1.2 s pause between parts
    assert outcome.ok and outcome.parts > 1
    titles = [slack_blocks(r.json)[0] for r in slack_receiver.requests]
    assert titles == [f"w: 20 new stories ({n}/{outcome.parts})"
                      for n in range(1, outcome.parts + 1)]
    bodies = "".join(slack_blocks(r.json)[1] for r in slack_receiver.requests)
    assert sorted(re.findall(r"\|Story (\d+)>", bodies), key=int) == [str(n) for n in range(20)]
    assert sorted(outcome.delivered) == list(range(20))


def test_send_text(http_receiver: HttpReceiver) -> None:
    outcome = send_text(http_receiver.url("json", "/t"), "Newswatch test", "It works.",
                        rate_limit=False)
    assert outcome == DeliveryOutcome(ok=True, parts=1)
    assert outcome.answer == "Sent JSON POST notification."
    assert http_receiver.requests[0].json["message"] == "It works."


# -- hostile text, delivered for real -------------------------------------------------------

HOSTILE = [
    "<!channel>",
    "<!here>",
    "<!everyone|everyone>",
    "<@U123ABC>",
    "<#C024BE7LR|general>",
    "<http://evil.example|click me>",
    "<https://evil.example>",
    "[x](http://evil.example)",
    "![img](http://evil.example/i.png)",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><a href="http://evil.example">win</a>',
    "Subject\r\nBcc: victim@evil.example",
    "line\nTo: victim@evil.example\r\n\r\n<b>body</b>",
    "@here",
    "@channel @everyone",
    "@\u200bhere",
    "&lt;!channel&gt;",
    "&amp;lt;script&amp;gt;",
    "\u202e<!channel>\u202c",
    "\u2066@here\u2069",
    "*bold* _it_ ~st~ `code` ```block```",
    "\x1b]8;;http://evil.example\x07link\x1b]8;;\x07 \x1b[2J",
    "# Heading\n- list\n1. item\n> quote",
]


COPY_URL = "https://copy.example/a?b=1&c=2"


def hostile_digest(text: str) -> Digest:
    return Digest(
        watch=WATCH,
        items=(item(headline=text, snippet=f"before {text} after", site=text,
                    also_on=(Copy(text, COPY_URL),), marks=((0, 6), (7, 7 + len(text)))),),
    )


# The same digest with ordinary words: what hostile text must not change the shape of.
BENIGN = hostile_digest("words")


def assert_no_live_mentions(text: str) -> None:
    assert re.search(r"(?<![\w\u200b])@(?=\w)", text) is None, text


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_text_in_slack(hostile: str, slack_receiver: HttpReceiver) -> None:
    assert send_digest(SLACK_URL, hostile_digest(hostile), rate_limit=False).ok
    header, section = slack_blocks(slack_receiver.requests[0].json)
    assert "\n" not in header and "\r" not in header
    links = re.findall(r"<([^<>|]*)\|[^<>]*>", section)
    assert links == ["https://news.example/story?id=7&amp;lang=en", COPY_URL.replace("&", "&amp;")]
    rest = re.sub(r"<https://(news|copy)\.example/[^<>|]*\|[^<>]*>", "", section)
    rest = re.sub(r"^> ", "", rest, flags=re.MULTILINE)  # our quote of the snippet
    # Without < and > Slack makes no mention, channel link or link; & only as an entity.
    assert "<" not in rest and ">" not in rest, rest
    assert re.search(r"&(?!amp;|lt;|gt;)", rest) is None, rest
    assert "\r" not in section and "\x1b" not in section and "\u202e" not in section
    [benign] = render(BENIGN, "slack")
    assert len(section.split("\n")) == len(benign.body.split("\n"))
    assert_no_live_mentions(section)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_text_in_email(hostile: str, smtp_receiver: SmtpReceiver) -> None:
    assert send_digest(smtp_receiver.url(), hostile_digest(hostile), rate_limit=False).ok
    [mail] = smtp_receiver.messages
    assert mail.rcpt_tos == ("b@y.example",)
    assert mail.message["Bcc"] is None and mail.message["To"] == "b@y.example"
    assert mail.message["Subject"] == "putin-visit: 1 new story"
    html = mail.part("text/html")
    [benign] = render(BENIGN, "email")
    # Only the tags and attributes of an ordinary digest: the text added none.
    assert [(tag, set(attrs)) for tag, attrs in html_elements(html) if tag != "b"] == [
        (tag, set(attrs)) for tag, attrs in html_elements(benign.body) if tag != "b"]
    for tag, attrs in html_elements(html):
        assert attrs.get("href", ARTICLE_URL) in (ARTICLE_URL, COPY_URL), attrs
        assert tag != "b" or attrs in ({}, {"style": MARK_STYLE}), attrs  # the watch, a mark
    assert "\x1b" not in html and "\u202e" not in html
    text = mail.part("text/plain").replace("\r\n", "\n")
    assert not re.search(r"^(Bcc|To):", text, re.MULTILINE)
    assert len(text.split("\n")) == len(benign.text.split("\n"))
    assert "\x1b" not in text and "\u202e" not in text and "\r" not in text
    assert_no_live_mentions(text)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_text_in_json(hostile: str, http_receiver: HttpReceiver) -> None:
    assert send_digest(http_receiver.url("json", "/h"), hostile_digest(hostile),
                       rate_limit=False).ok
    payload = http_receiver.requests[0].json
    assert "\n" not in payload["title"]
    lines = payload["message"].split("\n")
    [benign] = render(BENIGN, "json")
    assert len(lines) == len(benign.body.split("\n")) and lines[3] == ARTICLE_URL
    assert not any(ch in payload["message"] for ch in "\r\x1b\x07\u202e\u2066\u2028")
    assert_no_live_mentions(payload["message"])
    [story] = payload["digest"]["stories"]
    for field in (story["headline"], story["site"], story["snippet"],
                  story["also_on"][0]["site"]):
        assert not any(ch in field for ch in "\r\n\x1b\x07\u202e\u2066\u2028"), field
        assert_no_live_mentions(field)
    assert (story["url"], story["also_on"][0]["url"]) == (ARTICLE_URL, COPY_URL)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_text_in_markdown(hostile: str, http_receiver: HttpReceiver) -> None:
    url = http_receiver.url("mmost", "/hooktoken1234")
    for digest in (BENIGN, hostile_digest(hostile)):
        assert send_digest(url, digest, rate_limit=False).ok
    benign_text, text = (request.json["text"] for request in http_receiver.requests)
    # Rendered to HTML as Apprise does for HTML services, only our own markup shows up.
    html = convert_between(NotifyFormat.MARKDOWN, NotifyFormat.HTML, text)
    benign_html = convert_between(NotifyFormat.MARKDOWN, NotifyFormat.HTML, benign_text)
    # Only the elements of an ordinary digest (marks aside): the text added none.
    assert [tag for tag, _ in html_elements(html) if tag != "strong"] == [
        tag for tag, _ in html_elements(benign_html) if tag != "strong"], html
    for _, attrs in html_elements(html):
        assert attrs.get("href", ARTICLE_URL) in (ARTICLE_URL, COPY_URL)
    assert_no_live_mentions(text)


# -- failures ---------------------------------------------------------------------------------


def test_server_error_is_a_failed_outcome(http_receiver: HttpReceiver) -> None:
    http_receiver.status = 503
    outcome = send_digest(http_receiver.url("json", "/hook"), DIGEST, rate_limit=False)
    assert not outcome.ok and outcome.parts == 0
    assert outcome.error.startswith(f"json://127.0.0.1:{http_receiver.port}: ")
    assert "error=503" in outcome.error and "\n" not in outcome.error


def test_slack_server_error(slack_receiver: HttpReceiver) -> None:
    slack_receiver.status = 500
    outcome = send_digest(SLACK_URL, DIGEST, rate_limit=False)
    assert not outcome.ok
    assert outcome.error.startswith("slack://T...G: ") and "error=500" in outcome.error


def test_failure_midway_reports_the_part(slack_receiver: HttpReceiver) -> None:
    items = tuple(item(headline=f"Story {n}", snippet="word " * 80) for n in range(20))

    class FailSecond(list):
        def append(self, request) -> None:
            if self:
                slack_receiver.status = 503
            super().append(request)

    slack_receiver.requests = FailSecond()
    digest = Digest(watch=WatchInfo(name="w"), items=items)
    outcome = send_digest(SLACK_URL, digest, rate_limit=False)
    assert not outcome.ok and outcome.parts == 1
    assert re.search(r"part 2/\d+: ", outcome.error)
    assert len(slack_receiver.requests) == 2  # stopped at the first refusal
    # The stories of the accepted first part, by their position in the digest.
    first = re.findall(r"\|Story (\d+)>", slack_blocks(slack_receiver.requests[0].json)[1])
    assert sorted(outcome.delivered) == sorted(int(n) for n in first) and first


@pytest.mark.parametrize("scheme", ["json", "form", "xml"])
@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_in_seconds_comes_back_with_the_failure(
    scheme: str, status: int, http_receiver: HttpReceiver
) -> None:
    http_receiver.status, http_receiver.headers = status, {"Retry-After": "120"}
    outcome = send_digest(http_receiver.url(scheme, "/hook"), DIGEST, rate_limit=False)
    assert not outcome.ok and outcome.retry_after == timedelta(seconds=120)
    assert outcome.error.endswith("(Retry-After: 120 s)") and f"error={status}" in outcome.error


def test_retry_after_as_an_http_date_counts_from_the_answers_date(
    http_receiver: HttpReceiver,
) -> None:
    # The receiver's Date header is its own clock; the wait is measured against it.
    later = datetime.now(UTC) + timedelta(minutes=30)
    http_receiver.status = 503
    http_receiver.headers = {"Retry-After": format_datetime(later, usegmt=True)}
    outcome = send_digest(http_receiver.url("json", "/hook"), DIGEST, rate_limit=False)
    assert timedelta(minutes=29) < outcome.retry_after <= timedelta(minutes=30, seconds=1)


def test_slack_rate_limit_comes_back_with_its_retry_after(slack_receiver: HttpReceiver) -> None:
    slack_receiver.status, slack_receiver.headers = 429, {"Retry-After": "30"}
    outcome = send_digest(SLACK_URL, DIGEST, rate_limit=False)
    assert not outcome.ok and outcome.retry_after == timedelta(seconds=30)
    assert "error=429" in outcome.error


@pytest.mark.parametrize(
    ("status", "headers"),
    [(500, {"Retry-After": "120"}), (429, {}), (429, {"Retry-After": "soon"}), (200, {})],
)
def test_no_retry_after_without_a_usable_header_on_a_429_or_503(
    status: int, headers: dict[str, str], http_receiver: HttpReceiver
) -> None:
    http_receiver.status, http_receiver.headers = status, headers
    outcome = send_digest(http_receiver.url("json", "/hook"), DIGEST, rate_limit=False)
    assert outcome.retry_after is None and "Retry-After" not in (outcome.error or "")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_connection_refused() -> None:
    port = free_port()
    outcome = send_digest(f"json://127.0.0.1:{port}/hook", DIGEST, rate_limit=False)
    assert not outcome.ok
    assert outcome.error.startswith(f"json://127.0.0.1:{port}: ")
    assert "Connection error" in outcome.error


def test_smtp_refused() -> None:
    url = f"mailto://127.0.0.1:{free_port()}?from=a@x.example&to=b@y.example&cto=2"
    outcome = send_digest(url, DIGEST, rate_limit=False)
    assert not outcome.ok and outcome.error.startswith("mailto://127.0.0.1:")


def test_timeout(http_receiver: HttpReceiver) -> None:
    http_receiver.delay = 1.0
    # rto: Apprise's read timeout, in seconds.
    outcome = send_digest(http_receiver.url("json", "/slow?rto=0.2"), DIGEST, rate_limit=False)
    assert not outcome.ok and outcome.error.startswith("json://127.0.0.1:")


@pytest.mark.parametrize(
    "url", ["", "not a url", "nosuchscheme://host/x", "json://", "slack://onlyonetoken",
            "mailto://", "https://hooks.slack.com/services/T1/B2"],
)
def test_unusable_url_is_a_failed_outcome(url: str) -> None:
    outcome = send_digest(url, DIGEST)
    assert not outcome.ok and outcome.parts == 0
    assert "not a usable Apprise URL" in outcome.error


# -- secrets -------------------------------------------------------------------------------

SECRETS = ("s3cret-pass", "hdr-t0ken-value", "c3secrettokenvalue", "T1ABCDEFG", "qs-t0ken-99",
           "path-t0ken-42")


@pytest.mark.parametrize(
    ("template", "usable"),
    [
        ("json://user:s3cret-pass@127.0.0.1:{http}/hook?+X-Token=hdr-t0ken-value", True),
        ("json://127.0.0.1:{http}/hook?token=qs-t0ken-99", True),
        ("json://127.0.0.1:{http}/hooks/path-t0ken-42", True),  # request lines print paths
        ("form://127.0.0.1:{http}/hook?-apikey=qs-t0ken-99", True),
        ("mailto://newswatch:s3cret-pass@127.0.0.1:{smtp}?from=a@x.example&to=b@y.example",
         True),
        (SLACK_URL, True),
        ("slack://T1ABCDEFG/c3secrettokenvalue", False),  # one token short
        ("nosuchscheme://user:s3cret-pass@host/c3secrettokenvalue", False),
        ("c3secrettokenvalue", False),
        ("slack:/T1ABCDEFG/B2HIJKLMN/c3secrettokenvalue", False),
    ],
)
@pytest.mark.parametrize("status", [200, 503, "refused"])
def test_secrets_stay_out_of_errors_and_logs(
    template: str, usable: bool, status: int | str, slack_receiver: HttpReceiver,
    smtp_receiver: SmtpReceiver, caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    if status == "refused":
        closed = free_port()
        monkeypatch.setattr(NotifySlack, "webhook_url", f"http://127.0.0.1:{closed}/services")
        url = template.format(http=closed, smtp=closed)
    else:
        slack_receiver.status = status
        url = template.format(http=slack_receiver.port, smtp=smtp_receiver.port)
    outcome = send_digest(url, DIGEST, rate_limit=False)
    masked = mask_url(url)
    # Email goes to the SMTP server, which does not fail on 503.
    expect_ok = usable and (status == 200 or (status == 503 and "{smtp}" in template))
    assert outcome.ok == expect_ok, outcome
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in SECRETS:
        assert secret not in (outcome.error or ""), outcome
        assert secret not in logged, logged
        assert secret not in masked, masked
    assert logging.getLogger("apprise").getEffectiveLevel() >= logging.INFO


def test_mask_url() -> None:
    masked = mask_url("json://user:pw-secret@127.0.0.1:8080/hook?+X-Token=abc123&to=ok")
    assert masked.startswith("json://user:****@127.0.0.1:8080****?")  # paths may hold tokens
    assert "X-Token=****" in masked and "abc123" not in masked and "pw-secret" not in masked
    assert mask_url(SLACK_URL).startswith("slack://T...G/B...N/c...e/")
    assert mask_url("slack://T1ABCDEFG/c3secrettokenvalue") == "slack://****"
    assert mask_url("garbage") == "?://****"


def slack_blocks(payload: dict) -> tuple[str, str]:
    """The header text and the section text of an Apprise Slack Block Kit payload."""
    blocks = payload["attachments"][0]["blocks"]
    header = next(b["text"]["text"] for b in blocks if b["type"] == "header")
    section = next(b["text"] for b in blocks if b["type"] == "section")
    assert section["type"] == "mrkdwn"
    return header, section["text"]

