"""alerts.prefilter: which watches an article's words make candidates."""

from __future__ import annotations

from alerts.prefilter import TITLE_MARK, WatchIndex
from alerts.query import parse
from alerts.text import word_key_for

KEY = word_key_for("en")


def candidates(watches: list[str], words: str, title: str = "") -> list[int]:
    index = WatchIndex([parse(w) for w in watches], KEY)
    keys = {KEY(w) for w in words.split()}
    keys |= {TITLE_MARK + KEY(w) for w in title.split()}
    return index.lookup(keys)[0]


def test_a_watch_is_a_candidate_only_when_the_article_holds_all_it_needs():
    watches = ["Putin visit", '"interest rates"', "Erdogan Ankara summit"]
    assert candidates(watches, "putin visits china") == [0]
    assert candidates(watches, "putin stays home") == []
    assert candidates(watches, "rates of interest") == [1]  # the phrase is verified later
    assert candidates(watches, "erdogan ankara") == []
    assert candidates(watches, "summit in ankara erdogan said") == [2]


def test_each_way_of_matching_is_enough():
    watches = ["(Putin OR Xi) visit", "Putin visit OR Xi trip"]
    assert candidates(watches, "xi visit") == [0]
    assert candidates(watches, "xi trip") == [1]
    assert candidates(watches, "putin visit") == [0, 1]


def test_fields_alone_need_no_word_and_exclusions_are_left_to_verification():
    watches = ["site:courier", "lang:en", "Putin -football"]
    assert candidates(watches, "anything at all") == [0, 1]
    assert candidates(watches, "putin football") == [0, 1, 2]


def test_title_words_are_needed_in_the_headline():
    watches = ["title:Putin visit"]
    assert candidates(watches, "putin visit") == []
    assert candidates(watches, "visit", title="putin") == [0]


def test_lookup_gives_the_keys_that_let_candidates_through():
    index = WatchIndex([parse(w) for w in ["Putin visit", "title:China trade", "Gaza talks"]], KEY)
    keys = {KEY(w) for w in "putin visits china trade talks".split()} | {TITLE_MARK + KEY("China")}
    found, wanted = index.lookup(keys)
    assert found == [0, 1]
    assert wanted == {KEY("Putin"), KEY("visit"), KEY("China"), KEY("trade")}  # marks left off
