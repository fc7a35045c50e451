"""``newswatch run`` over a site whose feed, sitemap index and redirect point inside the network.

Nothing inside is reached, the run does not fail for it, and its report names each refusal;
with ``allow_private: true`` on the site, the same run reaches them.
"""

from __future__ import annotations

import yaml
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

from alerts.safetext import escape_gfm
from flows.report import report_key
from tests.flows.test_report import latest_run_of
from tests.flows.test_run import TEST_CRAWL
from tests.spiders.insidesite import METADATA_URL, PointingSite, pointing_site


def write_config(tmp_path, sqlite_url: str, site: PointingSite, **options: object) -> str:
    config = tmp_path / "newswatch.yaml"
    config.write_text(yaml.safe_dump({
        "database": sqlite_url,
        "crawl": TEST_CRAWL,
        "sites": [{"name": "pointing", "feeds": [f"{site.base_url}/feed.xml"],
                   "sitemaps": [f"{site.base_url}/sitemap-index.xml"], **options}],
    }))
    return str(config)


def run_report(config: str) -> str:
    with get_client(sync_client=True) as client:
        run = latest_run_of(client, "run-pointing", config)
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run.id])))
    return {a.key: a for a in artifacts}[report_key("pointing")].data


def test_a_run_reaches_nothing_inside_and_its_report_names_the_refusals(
    tmp_path, sqlite_url, newswatch
):
    with pointing_site() as site:
        config = write_config(tmp_path, sqlite_url, site)
        result = newswatch("run", "--config", config, "--site", "pointing")

    assert result.returncode == 0, result.stderr[-3000:]
    assert site.inside.hits == 0, (site.inside.other_loopback.hits, site.inside.own_address.hits)
    assert site.hits["/ok"] == 1
    assert "6 requests to private addresses refused" in result.stdout + result.stderr

    report = run_report(config)
    line = next(line for line in report.splitlines() if line.startswith("- pointing: refused"))
    assert line.startswith("- pointing: refused 6 requests to private addresses: ")
    assert line.endswith("; … 3 more")
    metadata = escape_gfm(f"{METADATA_URL} (169.254.169.254 is a link-local address)")
    assert metadata in report, report
    # The site itself is healthy: a refusal is no error of its own.
    row = next(line for line in report.splitlines() if line.startswith("| pointing |"))
    assert row.endswith("| ok | none |"), row


def test_allow_private_on_the_site_reaches_them(tmp_path, sqlite_url, newswatch):
    # No metadata address here: nothing answering there is ours to ask.
    with pointing_site(metadata=False) as site:
        config = write_config(tmp_path, sqlite_url, site, allow_private=True)
        result = newswatch("run", "--config", config, "--site", "pointing")

    assert result.returncode == 0, result.stderr[-3000:]
    assert site.inside.other_loopback.hits["/listed"] == 1
    assert site.inside.other_loopback.hits["/redirected"] == 1
    assert site.inside.own_address.hits["/by-name"] == 1
    assert "Refused requests" not in run_report(config)
