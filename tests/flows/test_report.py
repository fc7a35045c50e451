"""A run's artifacts, read back through the Prefect API: the markdown report and the table."""

from __future__ import annotations

import html
import itertools
import json
import re

import yaml
from markdown_it import MarkdownIt
from prefect import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    ArtifactFilterKey,
    FlowRunFilter,
    FlowRunFilterName,
    TaskRunFilter,
    TaskRunFilterFlowRunId,
)
from prefect.client.schemas.sorting import FlowRunSort

from alerts.safetext import one_line
from flows.report import matches_key, report_key
from spiders.sample_server import sample_site_server
from tests.flows.test_run import TEST_CRAWL, closed_port, write_config


def latest_run_of(client, name: str, config: str):
    runs = client.read_flow_runs(
        flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[name])),
        sort=FlowRunSort.START_TIME_DESC,
    )
    return next(r for r in runs if r.parameters.get("config_path") == config)


def artifacts_of(client, run) -> list:
    return client.read_artifacts(
        artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run.id]))
    )


def test_a_run_publishes_its_report_and_new_matches(
    tmp_path, sqlite_url, sample_site, http_receiver, newswatch
):
    channels = {"hook": http_receiver.url("json", "/hook"),
                "down": f"json://127.0.0.1:{closed_port()}/down"}
    config = write_config(tmp_path, sqlite_url, sample_site, channels, broken=True)
    result = newswatch("run", "--config", config, "--site", "courier", "--site", "erroring")
    assert result.returncode == 1, result.stderr[-3000:]

    with get_client(sync_client=True) as client:
        run = latest_run_of(client, "run-courier-erroring", config)
        artifacts = artifacts_of(client, run)
        on_artifacts_page = client.read_latest_artifacts()
        task_runs = client.read_task_runs(
            task_run_filter=TaskRunFilter(flow_run_id=TaskRunFilterFlowRunId(any_=[run.id]))
        )
    by_key = {a.key: a for a in artifacts if a.key}
    report = by_key[report_key("courier-erroring")].data

    # Per site: counts, extraction, health and errors.
    courier_row = next(line for line in report.splitlines() if line.startswith("| courier |"))
    assert "| 5/5 |" in courier_row and "| ok |" in courier_row
    erroring_row = next(line for line in report.splitlines() if line.startswith("| erroring |"))
    assert "| bad run 1/3: the crawl failed |" in erroring_row
    assert erroring_row.count("HTTP 500") == 1, erroring_row  # said once, under errors

    # Only the watch that matched has a table: its story by headline, the sites, where it went.
    assert {key for key in by_key if key.startswith("new-matches-")} == {
        matches_key("putin-visit")}
    matches = by_key[matches_key("putin-visit")]
    assert matches.type == "table"
    assert matches.description == "putin-visit: 1 new story in run courier-erroring"
    (putin,) = json.loads(matches.data)
    assert set(putin) == {"headline", "sites", "published", "url", "sent to"}
    assert "Putin" in putin["headline"] and putin["sites"] == "courier"
    sent_to = putin["sent to"].split("; ")
    assert sent_to[0] == "hook: sent", putin["sent to"]
    assert sent_to[1].startswith("down: failed (") and "127.0.0.1" in sent_to[1], sent_to

    # Per watch in the report: the new story with its link. Deliveries: what went out.
    assert "### putin-visit" in report
    assert f"]({'<'}{putin['url']}>)" in report
    assert "- putin-visit → hook: sent 1 story" in report
    assert "0 new articles" not in report and "1 new match, 1 alert sent" in report
    assert "- sent: 1 story in 1 digest\n" in report
    assert "- failed: 1 story (" in report
    assert len(http_receiver.requests) == 1

    # Each crawl showed its progress, on its task only (no key: not on the Artifacts page);
    # a finished one shows 100 %, every page asked for answered, robots.txt included.
    crawl_task = {t.name: t.id for t in task_runs}["crawl-courier"]
    (progress,) = [a for a in artifacts if a.task_run_id == crawl_task]
    assert progress.key is None
    assert "progress" not in {a.type for a in on_artifacts_page}
    assert progress.type == "progress" and float(progress.data) == 100
    done = re.fullmatch(r"courier: (\d+) of (\d+) pages fetched, 5 articles", progress.description)
    assert done and done[1] == done[2], progress.description
    assert int(done[1]) == int(courier_row.split("|")[2])  # the report's pages

    names = {t.name for t in task_runs}
    assert {"crawl-courier", "crawl-erroring", "store-courier", "store-erroring"} <= names

    # A run that matches nothing publishes no matches table, and the watch's last one stays.
    again = newswatch("run", "--config", config, "--site", "courier")
    assert again.returncode == 0, again.stderr[-3000:]  # the down channel waits for its retry
    with get_client(sync_client=True) as client:
        quiet = latest_run_of(client, "run-courier", config)
        assert quiet.tags == ["site-courier"]  # as serve's runs, for the UI's tag filter
        assert set(run.tags) == {"site-courier", "site-erroring"}
        assert not [a.key for a in artifacts_of(client, quiet)
                    if (a.key or "").startswith("new-matches-")]
        history = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=[matches_key("putin-visit")]),
            flow_run_id=ArtifactFilterFlowRunId(any_=[run.id, quiet.id])))
    assert [a.flow_run_id for a in history] == [run.id]


HOSTILE_HEADLINE = ("Putin to visit <img src=http://tracker.example/i.gif> "
                    "![pixel](http://tracker.example/p.gif) [click](http://evil.example/login) "
                    "| broken | cells | # not a heading, see www.evil.example")
# What a URL can carry through percent-encoding: emphasis, strikethrough, bare links.
HOSTILE_PATH = "/news/**bold**_em_~~struck~~/http://tracker.example/x/bob@evil.example.html"
ARTICLE_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{title}</title><meta property="og:title" content="{title}">
<meta property="article:published_time" content="{{{{published:-1h}}}}"></head>
<body><article><h1>{title}</h1>
<p>Russian President Vladimir Putin will visit China next month for talks with President Xi
Jinping, the Kremlin said on Tuesday, in what would be his second trip to Beijing this year.</p>
<p>Kremlin spokesman Dmitry Peskov told reporters that preparations for the visit were under
way and that the two leaders would discuss trade, energy and the international situation.</p>
<p>Officials in Beijing did not immediately confirm the visit, but said the two sides kept in
close contact at all levels and would announce any arrangements in due course.</p>
</article></body></html>"""
FEED = """<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Hostile</title>
<item><title>{title}</title><link>{{{{base}}}}/news/putin.html</link>
<pubDate>{{{{rfc822:-1h}}}}</pubDate></item>
<item><title>missing</title><link>{{{{base}}}}{path}</link>
<pubDate>{{{{rfc822:-1h}}}}</pubDate></item>
</channel></rss>"""
GFM = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def tokens_of(markdown: str) -> list:
    tokens = []
    for token in GFM.parse(markdown):
        tokens += [token, *(token.children or ())]
    return tokens


def test_scraped_text_cannot_add_markup_to_the_report(tmp_path, sqlite_url, http_receiver,
                                                       newswatch):
    root = tmp_path / "site"
    (root / "news").mkdir(parents=True)
    (root / "rss.xml").write_text(FEED.format(title=html.escape(HOSTILE_HEADLINE),
                                              path=html.escape(HOSTILE_PATH)))
    (root / "news" / "putin.html").write_text(ARTICLE_PAGE.format(
        title=html.escape(HOSTILE_HEADLINE)))
    with sample_site_server(root=root) as site:
        config = tmp_path / "newswatch.yaml"
        config.write_text(yaml.safe_dump({
            "database": sqlite_url, "crawl": TEST_CRAWL,
            "channels": {"hook": http_receiver.url("json", "/hook")},
            "sites": [{"name": "hostile", "feeds": [f"{site.base_url}/rss.xml"]}],
            "watches": [{"name": "putin-visit", "query": "Putin visit", "notify": ["hook"]}],
        }))
        result = newswatch("run", "--config", str(config))
    assert result.returncode == 0, result.stderr[-3000:]

    with get_client(sync_client=True) as client:
        run = latest_run_of(client, "run-all-sites", str(config))
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run.id])))
    by_key = {a.key: a for a in artifacts}
    report = by_key[report_key("all-sites")].data
    table = json.loads(by_key[matches_key("putin-visit")].data)

    # The headline and the error are there, shown as the text they are and nothing more.
    tokens = tokens_of(report)
    shown = " ".join(t.content for t in tokens if t.type == "text")
    assert one_line(HOSTILE_HEADLINE) in shown
    assert f"{HOSTILE_PATH}: HTTP 404" in shown
    assert not {"image", "html_inline", "html_block", "strong_open", "em_open", "s_open"} & {
        t.type for t in tokens}
    # Bare URLs and addresses, which Prefect's UI (GitHub-flavoured) would make links of.
    assert not re.search(r"(?<!\\)(://(tracker|evil)|www\.evil|@evil)", report)
    links = [t.attrs["href"] for t in tokens if t.type == "link_open"]
    assert links == [table[0]["url"]] and links[0].startswith(site.base_url + "/news/putin")
    headings = [t.map[0] for t in tokens if t.type == "heading_open"]
    assert [report.splitlines()[line] for line in headings] == [
        "# Newswatch run: all-sites", "## Sites", "## New stories by watch", "### putin-visit",
        "## Deliveries"]
    rows = [t for t in GFM.parse(report) if t.type in ("tr_open", "th_open", "td_open")]
    cells_per_row = [len(list(group)) for _, group in
                     itertools.groupby(rows[1:], key=lambda t: t.type == "tr_open")][::2]
    assert cells_per_row == [9, 9]  # the header and the site's row: no cell added or lost

    # Prefect's UI renders each table cell as Markdown of its own.
    (row,) = table
    for column, cell in row.items():
        cell_tokens = tokens_of(cell)
        assert {t.type for t in cell_tokens} <= {"paragraph_open", "inline", "text",
                                                 "paragraph_close"}, column
    assert tokens_of(row["headline"])[2].content == one_line(HOSTILE_HEADLINE)
