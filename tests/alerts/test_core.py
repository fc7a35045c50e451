"""alerts._core: each compiled inner loop gives what its twin in Python gives."""

from __future__ import annotations

import shutil
import sysconfig
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import alerts.matching
import alerts.prefilter
from alerts.matching import (
    SNIPPET_CHARS,
    Document,
    Matcher,
    _Article,
    _Evaluator,
    snippet_in_python,
    verify_in_python,
)
from alerts.prefilter import TITLE_MARK, WatchIndex
from alerts.qsnippet import ELLIPSIS, MIN_SHARE
from alerts.query import parse
from alerts.text import (
    is_plain,
    split_run,
    split_sentences,
    split_sentences_in_python,
    word_key_for,
)

try:
    from alerts import _core as core
except ImportError:  # installed without a C compiler: the tests below that need it skip
    core = None

needs_core = pytest.mark.skipif(core is None, reason="alerts._core is not built (no C compiler)")

KEY = word_key_for("en")
_WORDS = ["putin", "visit", "china", "xi", "talks", "gaza", "summit", "trade", "ankara", "rates"]
_words = st.sampled_from(_WORDS)


def _watch_texts():
    word = _words | _words.map(lambda w: f"title:{w}")
    phrase = st.lists(_words, min_size=2, max_size=3).map(lambda ws: '"' + " ".join(ws) + '"')
    leaf = word | phrase | st.sampled_from(["site:bbc.com", "lang:de"])
    return st.recursive(leaf, lambda inner: st.one_of(
        st.tuples(inner, inner).map(" ".join),
        st.tuples(inner, inner).map(" OR ".join),
        st.tuples(inner, inner).map(lambda t: f"({t[0]}) AND ({t[1]})"),
        st.tuples(_words, st.integers(0, 3), _words).map("{0[0]} NEAR/{0[1]} {0[2]}".format),
        st.tuples(inner, _words).map(lambda t: f"{t[0]} -{t[1]}"),
    ), max_leaves=5)


@needs_core
@settings(max_examples=200, deadline=None)
@given(st.lists(_watch_texts(), min_size=1, max_size=30),
       st.sets(_words, max_size=8), st.sets(_words, max_size=3))
def test_postings_look_up_what_the_index_looks_up_in_python(texts, body, title):
    index = WatchIndex([parse(text) for text in texts], KEY)
    keys = {KEY(w) for w in body} | {TITLE_MARK + KEY(w) for w in title}
    compiled = core.Postings(index.posted, index.always, TITLE_MARK)
    assert compiled.lookup(keys) == index.lookup_in_python(keys)
    assert compiled.lookup(frozenset(keys)) == index.lookup_in_python(keys)


@needs_core
def test_postings_hold_many_watches_and_long_phrases():
    phrase = '"' + " ".join(_WORDS) + '"'  # nine keys besides the one posted under
    texts = [f"{a} {b}" for a in _WORDS for b in _WORDS] * 50 + [phrase, "site:x"]
    index = WatchIndex([parse(text) for text in texts], KEY)
    compiled = core.Postings(index.posted, index.always, TITLE_MARK)
    for keys in ({KEY(w) for w in _WORDS}, {KEY("putin"), KEY("visit")}, set()):
        assert compiled.lookup(keys) == index.lookup_in_python(keys)


@needs_core
def test_postings_refuse_what_is_not_a_set_of_keys():
    compiled = core.Postings({"putin": ((0, frozenset()),)}, [], TITLE_MARK)
    with pytest.raises(TypeError, match="set of keys"):
        compiled.lookup(["putin"])
    with pytest.raises(TypeError, match="a posting must be"):
        core.Postings({"putin": ((0,),)}, [], TITLE_MARK)


# Words of every kind the word finder knows: accents, Cyrillic, Chinese characters, acronyms,
# numbers, elisions, joined words, signs stuck to words, line breaks, tabs and ellipses.
_PIECES = ["Putin", "visit", "Türkiye", "Путин", "визит", "中国", "U.S.", "3.5", "$190", "l'Élysée",
           "Xi-Putin", "talks,", "(Gaza)", "“quoted”", "deal.", "…", "-", "\n", "\t", "  ",
           "extraordinarily", "summit", "Mr.", "नमस्ते", "e\u0301t\u0301e"]


@needs_core
@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=6),
       st.lists(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=60), max_size=8),
       st.data())
def test_snippets_are_what_the_python_twin_makes(title, paragraphs, data):
    separator = data.draw(st.sampled_from([" ", ". ", ".\n"]))
    text = separator.join(" ".join(words) for words in paragraphs)
    article = _Article(Document(title=" ".join(title), text=text, language="en"))
    snippets = core.Snippets(article.doc.title, article.doc.text, article.sentences,
                             article.first, article.keys, split_run, is_plain, SNIPPET_CHARS,
                             MIN_SHARE, ELLIPSIS)
    words = range(len(article.keys))
    for _ in range(3):
        marks = frozenset(data.draw(st.lists(st.sampled_from(words), max_size=12))
                          if article.keys else [])
        assert snippets.snippet(marks) == snippet_in_python(article, marks)


@needs_core
def test_snippets_refuse_marks_outside_the_article():
    article = _Article(Document(title="Putin visit", text="Talks in China.", language="en"))
    snippets = core.Snippets(article.doc.title, article.doc.text, article.sentences,
                             article.first, article.keys, split_run, is_plain, SNIPPET_CHARS,
                             MIN_SHARE, ELLIPSIS)
    with pytest.raises(IndexError, match="not in the article"):
        snippets.snippet(frozenset({99}))
    with pytest.raises(ValueError, match="first words must count up"):
        core.Snippets(article.doc.title, article.doc.text, article.sentences, [0, 9],
                      article.keys, split_run, is_plain, SNIPPET_CHARS, MIN_SHARE, ELLIPSIS)


# What sentence splitting looks at: stops, quotes and brackets after them, abbreviations,
# initials, acronyms, numbers, openers, the signs of Chinese, Hindi and Arabic, white space.
_SENTENCE_PIECES = ["Mr.", "U.S.", "e.g.", "Inc.", "No.", "Vol.", "3.5", "Jan.", "The", "the",
                    "A.", "x.", "Putin.", "talks", "Officials", "!", "?", "…", "...", "?!", '"',
                    "”", "’", "»", ")", "]", "。", "！", "？", "।", "॥", "؟", "」", "』", "）",
                    " ", "  ", "\n", "\r", "\t", "\u00a0", "\u2003", "Über.", "x_y.", "_.",
                    "10", "²", "г.", "Дж.", "l'état.", "Xi-Jinping.", "'s."]


@needs_core
@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(_SENTENCE_PIECES), max_size=40).map("".join)
       | st.lists(st.sampled_from(_SENTENCE_PIECES), max_size=30).map(" ".join)
       | st.text(max_size=60))
def test_sentences_are_split_as_the_python_twin_splits_them(text):
    assert split_sentences(text) == split_sentences_in_python(text)  # the first in the core


def _sentences():
    return st.lists(st.lists(_words, min_size=1, max_size=8).map(
        lambda ws: " ".join(ws).capitalize() + "."), min_size=1, max_size=6).map(" ".join)


@needs_core
@settings(max_examples=300, deadline=None)
@given(st.lists(_watch_texts(), min_size=1, max_size=30), st.lists(_words, max_size=4),
       _sentences(), st.none() | st.sets(_words.map(KEY)))
def test_checks_mark_what_the_checks_in_python_mark(texts, title, body, indexed):
    matcher = Matcher({f"w{number}": text for number, text in enumerate(texts)})
    article = _Article(Document(title=" ".join(title), text=body, language="en"))
    if indexed is not None:  # as for many candidates: some keys' positions found up front
        article.index_words(indexed)
    index = matcher._index(article)
    everyone = list(range(len(texts)))
    evaluator = _Evaluator(article, index.term_keys)
    compiled = index.core_checks.run(everyone, article.keys, article.sentence_of,
                                     lambda n: index.check(n)(evaluator))
    assert compiled == verify_in_python(index, everyone, _Evaluator(article, index.term_keys))


@needs_core
def test_checks_refuse_plans_they_do_not_know_and_watches_that_are_not_there():
    article = _Article(Document(title="Putin visit", text="Talks in China.", language="en"))
    place = (article.keys, article.sentence_of, lambda n: None)
    with pytest.raises(ValueError, match="unknown kind: guess"):
        core.Checks(1, lambda number: ("guess", ())).run([0], *place)
    with pytest.raises(IndexError, match="no such watch"):
        core.Checks(1, lambda number: ("words", ())).run([1], *place)
    with pytest.raises(ValueError, match="a near plan not shaped as qcheck.plan_check makes"):
        core.Checks(1, lambda number: ("near", "putin")).run([0], *place)


@needs_core
@settings(max_examples=60, deadline=None)
@given(st.lists(_watch_texts(), min_size=1, max_size=40), st.lists(_words, max_size=4),
       _sentences())
def test_the_matcher_matches_alike_with_and_without_the_core(texts, title, body):
    watches = {f"w{number}": text for number, text in enumerate(texts)}
    document = Document(title=" ".join(title), text=body, site="bbc", language="en")
    compiled = Matcher(watches).match(document)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(alerts.prefilter, "Postings", None)
        patch.setattr(alerts.prefilter, "Checks", None)
        patch.setattr(alerts.matching, "Snippets", None)
        assert Matcher(watches).match(document) == compiled


def test_the_core_is_built_where_a_c_compiler_is():
    # The extension is optional, so a failed build is silent, and matching many watches
    # several times slower.
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None or not Path(sysconfig.get_paths()["include"],
                                                  "Python.h").exists():
        pytest.skip(f"no C compiler ({compiler}) or no Python headers to build alerts._core")
    assert core is not None, "alerts._core did not build: run `make clean test`, read pip's output"
