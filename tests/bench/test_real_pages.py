"""The real-page benchmark's rules: its split, its reference text, what "agree" means."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bench.overlap import overlap
from bench.real_pages import (
    DATASET_ENV,
    DatasetMissing,
    agrees_published,
    agrees_text,
    dataset_dir,
    expected_text,
    half_of,
    pages,
)


def test_the_split_is_fixed_by_the_folder_name():
    # sha256("bbc-1") ends in an odd digit, sha256("aclu") in an even one.
    assert half_of("bbc-1") == "held_out"
    assert half_of("aclu") == "tuning"
    names = [f"page-{i}" for i in range(200)]
    held_out = sum(half_of(name) == "held_out" for name in names)
    assert 70 < held_out < 130  # about half


def test_reference_text_keeps_words_of_adjacent_blocks_apart():
    html = "<div><h2>Heading</h2><p>First para.</p><ul><li>one</li><li>two</li></ul></div>"
    words = expected_text(html.encode()).split()
    assert words == ["Heading", "First", "para.", "one", "two"]


def test_reference_text_is_read_as_utf8():
    assert "新电脑" in expected_text("<p>DeepMind新电脑已可利用记忆自学</p>".encode())


def test_overlap_counts_shingles_of_words():
    reference = "the council voted on tuesday to close the old library"
    assert overlap(reference, reference).f1 == 1.0
    half = overlap("the council voted on tuesday", reference)
    assert half.precision == 1.0 and half.recall == pytest.approx(2 / 7)
    assert overlap("", reference).f1 == 0.0


@pytest.mark.parametrize(("found", "expected"), [
    ("Obama admits US gun laws are his 'biggest frustration'",
     "Obama admits US gun laws are his ‘biggest frustration’"),
    ("Get your Frontend JavaScript Code Covered",
     "Get your Frontend JavaScript Code Covered | Code"),
    ("Erin Cunningham", "By Erin Cunningham"),
    ("Lucas Nolan", "by Lucas Nolan22 Dec 2016651"),
    ("宇航员在太空中喝酒会怎么样？后果很严重",
     "宇航员在太空中喝酒会怎么样？后果很严重 _探索者 _光明网"),
])
def test_text_agrees_when_one_holds_the_other(found, expected):
    assert agrees_text(found, expected)


@pytest.mark.parametrize(("found", "expected"), [
    (None, "Jane Doe"), ("", "Jane Doe"), ("Richard Eskow", "Joanna Rothkopf"),
    ("Lorem", "RTL Test"),
])
def test_text_disagrees(found, expected):
    assert not agrees_text(found, expected)


def test_published_with_a_zone_is_the_same_instant():
    expected = "2015-07-24T05:36:09+01:00"
    assert agrees_published(datetime(2015, 7, 24, 4, 36, 9, tzinfo=UTC), expected)
    assert not agrees_published(datetime(2015, 7, 24, 5, 36, 9, tzinfo=UTC), expected)
    assert agrees_published(datetime(2021, 11, 1, 9, 52, 50, tzinfo=UTC),
                            "2021-11-01T10:52:50+0100")


def test_published_without_a_zone_is_that_clock_time_in_some_zone():
    expected = "2018-04-05T06:00"
    assert agrees_published(datetime(2018, 4, 5, 6, 0, tzinfo=UTC), expected)
    assert agrees_published(datetime(2018, 4, 5, 10, 0, tzinfo=UTC), expected)  # UTC-4
    assert agrees_published(datetime(2018, 4, 5, 6, 0, tzinfo=timezone(timedelta(hours=5,
                                                                                  minutes=30))),
                            expected)
    assert not agrees_published(datetime(2018, 4, 5, 6, 7, tzinfo=UTC), expected)
    assert not agrees_published(datetime(2018, 4, 7, 6, 0, tzinfo=UTC), expected)


def test_published_date_only_is_that_date_somewhere():
    assert agrees_published(datetime(2020, 9, 21, tzinfo=UTC), "2020-09-21")
    assert agrees_published(datetime(2020, 9, 22, 3, 0, tzinfo=UTC), "2020-09-21")  # UTC-5
    assert not agrees_published(datetime(2020, 9, 23, 3, 0, tzinfo=UTC), "2020-09-21")
    assert not agrees_published(None, "2020-09-21")


def test_a_bare_date_found_is_compared_as_a_date():
    assert agrees_published("2015-10-15", "2015-10-15T02:19:15.607Z")
    assert not agrees_published("2015-10-16", "2015-10-15T02:19:15.607Z")


def test_a_missing_dataset_says_where_it_looked_and_what_to_set(tmp_path, monkeypatch):
    monkeypatch.setenv(DATASET_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(DatasetMissing) as raised:
        dataset_dir()
    message = str(raised.value)
    assert str(tmp_path / "nowhere") in message and DATASET_ENV in message
    assert "\n" not in message


def test_pages_are_read_with_their_expectations(tmp_path, monkeypatch):
    for name, readerable in (("one", True), ("two", False)):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "source.html").write_text("<html><body><p>x</p></body></html>")
        (folder / "expected.html").write_text("<p>x</p>")
        (folder / "expected-metadata.json").write_text(json.dumps(
            {"title": name, "readerable": readerable}))
    monkeypatch.setenv(DATASET_ENV, str(tmp_path))

    found = list(pages())

    assert [(p.name, p.is_article, p.expected["title"]) for p in found] == [
        ("one", True, "one"), ("two", False, "two")]
    assert found[0].source == tmp_path / "one" / "source.html"


def test_the_benchmark_scores_both_halves_beside_trafilatura(tmp_path, monkeypatch):
    from bench.bench_extract_real import run

    # The real pages kept as test fixtures all come from the tuning half.
    real = Path(__file__).parents[1] / "spiders" / "sample_data" / "real"
    for name, opening in (("wapo-1", "CAIRO — Gunmen opened fire on visitors"),
                          ("tmz-1", "Lupita Nyong'o's now-famous Oscar dress"),
                          ("aclu", "I don't use Facebook.")):
        folder = tmp_path / name
        folder.mkdir()
        shutil.copy(real / name / "source.html", folder / "source.html")
        shutil.copy(real / name / "expected-metadata.json", folder / "expected-metadata.json")
        (folder / "expected.html").write_text(f"<div><p>{opening}</p></div>", encoding="utf-8")
    monkeypatch.setenv(DATASET_ENV, str(tmp_path))

    figures = run()

    assert [f.name for f in figures] == ["extract_real", "extract_real"]
    assert [f.values["half"] for f in figures] == ["tuning", "held_out"]
    assert [f.key for f in figures] == ["extract_real.tuning", "extract_real.held_out"]
    assert [f.values["pages"] for f in figures] == [3, 0]
    for figure in figures:
        assert figure.values["ours_no_article"] == 0
        assert set(figure.values) >= {"ours_f1", "trafilatura_f1", "ours_recall",
                                      "trafilatura_recall", "ours_title", "ours_published",
                                      "ours_ms_median"}
        assert figure.line().startswith(f"BENCH extract_real half={figure.values['half']} ")


def test_without_the_dataset_the_line_says_so(tmp_path, monkeypatch):
    from bench.bench_extract_real import run

    monkeypatch.setenv(DATASET_ENV, str(tmp_path))
    (figure,) = run()

    assert figure.line().startswith("BENCH extract_real pages=unavailable reason=no readability")
