"""Fingerprints: what counts as the same words, stable keys, and the resemblance measures."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store.fingerprint import MIN_SHARED, Fingerprint, fingerprint, key, resemblance, words
from tests.store.story_pairs import ECB, PUTIN


def test_words_ignore_case_accents_and_punctuation():
    assert words("“Türkiye’s ÉLYSÉE talks,” he said... Yes! Café au lait, s’il vous plaît.") == [
        ["turkiye’s", "elysee", "talks", "he", "said"],
        ["cafe", "au", "lait", "s’il", "vous", "plait"],
    ]


def test_sentences_end_at_stops_and_lines_and_short_ones_are_dropped():
    assert words("The U.S. said so.\nIt was a quiet day. No.\n\nNew paragraph here") == [
        ["it", "was", "a", "quiet", "day"],
        ["new", "paragraph", "here"],
    ]


def test_chinese_and_japanese_characters_are_words():
    assert words("習近平は北京で会談した。次の文です") == [
        ["習", "近", "平", "は", "北", "京", "て", "会", "談", "し", "た"],
        ["次", "の", "文", "て", "す"],
    ]


def test_keys_are_the_same_in_every_process():
    # The keys are stored: changing how they are made needs a migration rebuilding story_keys.
    assert key(b"putin will visit china next") == 5519961175525301923
    body = fingerprint(PUTIN)
    assert (len(body.keys), body.size, min(body.keys)) == (16, 159, 1297441232003019174)


def test_a_copy_in_another_layout_has_the_same_fingerprint():
    relaid = PUTIN.replace("\n\n", " ").upper().replace("“", '"').replace("”", '"')
    assert fingerprint(relaid).keys == fingerprint(PUTIN).keys


def test_resemblance_of_a_body_with_itself_and_with_another():
    same = resemblance(fingerprint(PUTIN), fingerprint(PUTIN))
    assert (same.containment, same.lead_overlap, same.density, same.is_copy) == (1, 1, 1, True)
    other = resemblance(fingerprint(PUTIN), fingerprint(ECB))
    assert other.shared == 0 and not other.is_copy


def test_too_little_text_is_never_a_copy():
    brief = "Putin will visit China next month, the Kremlin said on Tuesday."
    alike = resemblance(fingerprint(brief), fingerprint(brief))
    assert alike.shared < MIN_SHARED and not alike.is_copy


TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=400)
SENTENCES = st.lists(
    st.lists(st.sampled_from("the of kremlin said putin visit china trade gas xi".split()),
             min_size=3, max_size=12).map(lambda w: " ".join(w) + "."),
    max_size=20,
).map(" ".join)


@settings(deadline=None)
@given(TEXT | SENTENCES)
def test_any_text_has_a_fingerprint(text):
    body = fingerprint(text)
    assert len(set(body.shingles)) == body.size and len(body.keys) <= body.size


@settings(deadline=None)
@given(SENTENCES, SENTENCES)
def test_resemblance_is_symmetric(a, b):
    first, second = fingerprint(a), fingerprint(b)
    assert resemblance(first, second) == resemblance(second, first)


@settings(deadline=None)
@given(TEXT | SENTENCES)
def test_a_fingerprint_survives_its_json_form(text):
    body = fingerprint(text)
    assert Fingerprint.from_json(body.to_json()) == body


@pytest.mark.parametrize("data", [
    {}, {"shingles": "AAAA"}, {"shingles": "not base64!", "keys": []},
    {"shingles": "AAA=", "keys": []}, {"shingles": "AAAA", "keys": ["x"]},
    {"shingles": 4, "keys": []},
])
def test_anything_else_is_not_a_fingerprint(data):
    with pytest.raises(ValueError, match="not a body fingerprint"):
        Fingerprint.from_json(data)
