import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.matching import (
    SNIPPET_CHARS,
    Document,
    Match,
    Matcher,
    _Article,
    _Evaluator,
    _snippets,
    matches,
)
from alerts.qsnippet import Piece, build_snippet
from alerts.query import QuerySyntaxError, parse
from alerts.text import tokenize

PUTIN = Document(
    title="Russia's Putin to visit China",
    text=(
        "The Kremlin said on Monday that Mr. Putin would travel to Beijing next month.\n"
        "The visit, his first since 2023, comes as the U.S. weighs new sanctions worth "
        "$190 billion. Trade grew 3.5% last year, officials said.\n"
        '"We will visit our friends," Putin said. Officials in Türkiye were not consulted.\n'
        "Putin praised Xi Jinping, calling the Chinese leader a true friend of Russia."
    ),
    site="trtworld",
    url="https://www.trtworld.com/europe/putin-china-123",
    language="en",
)

RUSSIAN = Document(
    title="Визит Путина в Китай",
    text="Президент России Владимир Путин прибыл в Пекин. Переговоры продлятся два дня.",
    site="ria",
    url="https://ria.ru/20240516/putin.html",
    language="ru",
)

CHINESE = Document(
    title="习近平会见普京",
    text="国家主席习近平在北京会见俄罗斯总统普京。双方举行会谈。",
    language="zh",
)


def doc(text, title="", **fields):
    return Document(title=title, text=text, **fields)


@pytest.mark.parametrize(
    ("query", "document", "expected"),
    [
        # bare words: one sentence, the headline counting as one
        ("Putin visit", PUTIN, True),
        ("putin VISIT", PUTIN, True),
        ("Putin visits", PUTIN, True),
        ("visited Putin", PUTIN, True),
        ("Kremlin sanctions", PUTIN, False),
        ("Kremlin Beijing", PUTIN, True),
        ("Putin visit", doc("Putin spoke. The visit was cancelled."), False),
        ("Putin visit", doc("Putin spoke. the visit was cancelled."), True),
        ("Putin visit", doc("Mr. Putin will visit."), True),
        ("Putin visit", doc("Putin spoke on Jan. 5 about the visit."), True),
        ("Putin visit", doc("Putin and the U.S. President discussed a visit."), True),
        ("Putin visit", doc("Putin met the U.S. The visit was short."), False),
        ("Putin visit", doc("Putin\nvisit"), False),
        ("Putin visit", doc("Visit", title="Putin"), False),
        ("Putin visit", doc('"We will visit," Putin said.'), True),
        ("Putin visit", doc('Putin said: "No." A visit followed.'), False),
        ("Putin trip", PUTIN, False),
        ("Putin and Xi", doc("Putin and Xi met."), True),
        ("Putin and Xi", doc("Putin met Xi."), False),
        # phrases: consecutive words, stemmed
        ('"Putin visit"', PUTIN, False),
        ('"Putin to visit"', PUTIN, True),
        ('"Putin visits"', doc("Putin visited Beijing."), True),
        ('"state visit"', doc("a state. Visit"), False),
        ('"Xi Jinping"', PUTIN, True),
        ("Xi-Jinping", PUTIN, True),
        ('"Jinping Xi"', PUTIN, False),
        # AND, OR, parentheses
        ("Kremlin AND sanctions", PUTIN, True),
        ("Kremlin AND Ukraine", PUTIN, False),
        ("Ukraine OR Kremlin", PUTIN, True),
        ("Ukraine OR Zelensky", PUTIN, False),
        ("Putin (trip OR visit)", PUTIN, True),
        ("Kremlin (sanctions OR Beijing)", PUTIN, True),
        ("Kremlin (sanctions OR billion)", PUTIN, False),
        ("(Kremlin OR Ukraine) AND (sanctions OR Gaza)", PUTIN, True),
        ("Zelensky visit OR Xi friend", PUTIN, True),
        ("Putin and visit", PUTIN, False),
        ("Putin AND visit AND Ukraine OR Beijing", PUTIN, True),
        # NEAR/n: at most n other words between, either order, within title or body
        ("Putin NEAR/2 visit", PUTIN, True),
        ("Putin NEAR/0 visit", PUTIN, False),
        ("visit NEAR/1 Putin", PUTIN, True),
        ("Kremlin NEAR/5 Putin", PUTIN, True),
        ("Kremlin NEAR/4 Putin", PUTIN, False),
        ("China NEAR/1 Kremlin", PUTIN, False),  # headline and body are apart
        ("Beijing NEAR/3 visit", PUTIN, True),  # across sentences
        ('"Xi Jinping" NEAR/2 praised', PUTIN, True),
        ("(Xi OR Modi) NEAR/1 praised", PUTIN, True),
        ("visit NEAR/20 visit", doc("visit"), False),
        ("visit NEAR/20 visit", doc("visit and visit"), True),
        ("Putin NEAR/1 visit NEAR/3 China", PUTIN, True),
        # exclusions hold for the whole article
        ("Putin -Ukraine", PUTIN, True),
        ("Putin -Beijing", PUTIN, False),
        ("Putin visit -Turkiye", PUTIN, False),
        ('Putin -"true friend"', PUTIN, False),
        ('Putin -"friend true"', PUTIN, True),
        ("Putin -(Gaza OR Ukraine)", PUTIN, True),
        ("Putin -(Gaza OR Kremlin)", PUTIN, False),
        ("Putin -site:rt.com", PUTIN, True),
        # accents, case, stemming
        ("Turkiye", PUTIN, True),
        ("TÜRKİYE", PUTIN, True),
        ("Türkiye", doc("Talks in Turkiye."), True),
        ("Élysée", doc("L'Elysee a confirmé.", language="fr"), True),
        ("Russia", PUTIN, True),
        ("friends", PUTIN, True),
        ("calls", PUTIN, True),
        # numbers and acronyms
        ('"$190 billion"', PUTIN, True),
        ("3.5%", PUTIN, True),
        ("3", PUTIN, False),
        ("2023", PUTIN, True),
        ("U.S. sanctions", PUTIN, True),
        ("US sanctions", PUTIN, True),
        # non-Latin scripts
        ("Путин визит", RUSSIAN, True),
        ("путин пекин", RUSSIAN, True),
        ("Путин переговоры", RUSSIAN, False),
        ("Путин AND переговоры", RUSSIAN, True),
        ("Путин визит", RUSSIAN.__class__(title=RUSSIAN.title, text="", language=None), True),
        ("习近平 普京", CHINESE, True),
        ('"习近平会见"', CHINESE, True),
        ("习近平 会谈", CHINESE, False),
        ("Επίσκεψη", doc("Η επισκεψη του πρωθυπουργού.", language="el"), True),
        # fields
        ("title:Putin", PUTIN, True),
        ("title:Kremlin", PUTIN, False),
        ('title:"visit China"', PUTIN, True),
        ("title:China Kremlin", PUTIN, True),
        ("site:trtworld", PUTIN, True),
        ("site:TRTWORLD Putin", PUTIN, True),
        ("site:trtworld.com Putin", PUTIN, True),
        ("site:www.trtworld.com", PUTIN, True),
        ("site:world.com", PUTIN, False),
        ("site:bbc.co.uk Putin", PUTIN, False),
        ("lang:en Putin", PUTIN, True),
        ("lang:ru Putin", PUTIN, False),
        ("lang:en", doc("x", language="en-GB"), True),
        ("lang:en-gb", doc("x", language="en"), False),
        ("lang:en", doc("x"), False),
        ("Putin (visit OR lang:de)", PUTIN, True),
    ],
)
def test_matches(query, document, expected):
    assert (matches(query, document) is not None) is expected


def marked(match):
    return [match.snippet[start:end] for start, end in match.marks]


def test_match_snippet_is_the_sentence_with_the_marks():
    match = matches("Putin visit", PUTIN)
    assert match == Match(watch="Putin visit", snippet='"We will visit our friends," Putin said.',
                          marks=((9, 14), (29, 34)))


def test_match_snippet_shows_the_headline_only_when_the_body_has_no_match():
    only_headline = doc("The talks were about trade.", title="Putin to visit China")
    match = matches("Putin visit", only_headline)
    assert match.snippet == "Putin to visit China" and marked(match) == ["Putin", "visit"]
    # A word marked in the body leaves the headline out, though another is only up there.
    match = matches("China AND Chinese", PUTIN)
    assert match.snippet.startswith("Putin praised Xi Jinping")
    assert marked(match) == ["Chinese"]


def test_match_snippet_shows_each_matched_word_once_at_least():
    match = matches("Kremlin AND sanctions", PUTIN)
    assert match.snippet.startswith("The Kremlin said")
    assert " … " not in match.snippet  # the two sentences follow each other
    assert marked(match) == ["Kremlin", "sanctions"]


def test_match_snippet_joins_sentences_apart_with_an_ellipsis():
    match = matches("Kremlin AND Chinese", PUTIN)
    assert match.snippet.startswith("The Kremlin said on Monday")
    assert " … Putin praised Xi Jinping" in match.snippet
    assert marked(match) == ["Kremlin", "Chinese"]


def test_match_snippet_is_trimmed_around_the_marks():
    filler = " ".join(["word"] * 200)
    match = matches("needle", doc(f"{filler} needle {filler}."))
    assert len(match.snippet) <= SNIPPET_CHARS + 2
    assert match.snippet.startswith("…") and match.snippet.endswith("…")
    assert marked(match) == ["needle"]
    assert "wor…" not in match.snippet and "…ord" not in match.snippet


def test_match_snippet_keeps_both_ends_of_a_long_sentence():
    filler = " ".join(["word"] * 200)
    match = matches("alpha omega", doc(f"alpha {filler} omega"))
    assert marked(match) == ["alpha", "omega"]
    assert " … " in match.snippet


def test_match_without_words_shows_the_lede():
    match = matches("site:trtworld", PUTIN)
    assert match.snippet.startswith("The Kremlin said on Monday") and match.marks == ()
    assert matches("lang:en", doc("", title="Only a headline", language="en")).snippet == (
        "Only a headline")


def test_marks_point_at_accented_and_non_latin_words():
    assert marked(matches("Turkiye", PUTIN)) == ["Türkiye"]
    assert marked(matches("Путин визит", RUSSIAN)) == ["Визит", "Путина"]


def test_matcher_names_matches_after_watches_in_order():
    matcher = Matcher({"b-watch": "Putin visit", "a-watch": parse("Kremlin"), "none": "Gaza"})
    assert [m.watch for m in matcher.match(PUTIN)] == ["b-watch", "a-watch"]


def test_matcher_refuses_a_malformed_watch():
    with pytest.raises(QuerySyntaxError):
        Matcher({"bad": 'Putin "visit'})


def candidates(matcher, article):
    """The watches the matcher's pre-filter lets through for an article, in order."""
    return matcher._index(article).lookup(article.key_set)[0]


def test_prefilter_skips_watches_whose_rarest_word_is_missing():
    matcher = Matcher({"rare": "Putin Zelenskyy", "any": "site:trtworld", "either": "Gaza OR Xi"})
    article = _Article(PUTIN)
    assert candidates(matcher, article) == [1, 2]


def test_prefilter_needs_every_word_of_one_way_to_match():
    matcher = Matcher({
        "common-words-only": "Putin Beijing",
        "one-missing": "Putin Kremlin Zelenskyy",
        "either-side": "(Zelenskyy OR Xi) AND Kremlin",
        "neither-side": "(Zelenskyy OR Gaza) AND Kremlin",
        "headline": "title:China",
        "not-headline": "title:Kremlin",
        "near-missing": "Putin NEAR/3 Gaza",
        "exclusion-only-spared": "Putin -Gaza",
    })
    assert candidates(matcher, _Article(PUTIN)) == [0, 2, 4, 7]


def test_prefilter_prefers_a_key_few_watches_share():
    watches = {f"w{n}": f"Putin word{n}" for n in range(50)}
    matcher = Matcher(watches)
    matcher.match(PUTIN)
    index = matcher._indexes["english"]
    assert "putin" not in index.posted
    assert len(index.posted) == 50


def test_watches_sharing_parts_match_as_alone():
    watches = {"a": "Putin visit", "b": "Putin visit -Gaza", "c": "(Putin visit) OR Gaza",
               "d": "Putin NEAR/2 visit", "e": "title:Putin visit"}
    together = Matcher(watches).match(PUTIN)
    alone = [m for name, q in watches.items() for m in Matcher({name: q}).match(PUTIN)]
    assert together == alone and len(together) == 5


# -- differential: many watches at once equal each watch alone ------------------------------

_VOCABULARY = ["Putin", "visit", "visits", "China", "Xi", "talks", "U.S.", "Türkiye", "and",
               "Mr."]
_words = st.sampled_from(_VOCABULARY + ["turkiye", "visited", "gaza"])


_near_side = st.one_of(
    _words,
    st.lists(_words, min_size=2, max_size=2).map(lambda ws: '"' + " ".join(ws) + '"'),
    st.lists(_words, min_size=2, max_size=3).map(lambda ws: "(" + " OR ".join(ws) + ")"),
)


def _queries():
    leaf = st.one_of(
        _words,
        st.lists(_words, min_size=2, max_size=3).map(lambda ws: '"' + " ".join(ws) + '"'),
        _words.map(lambda w: f"title:{w}"),
        st.sampled_from(["site:trtworld", "site:bbc.com", "lang:en", "lang:de"]),
    )

    def extend(inner):
        return st.one_of(
            st.tuples(inner, inner).map(" ".join),
            st.tuples(inner, inner).map(" AND ".join),
            st.tuples(inner, inner).map(" OR ".join),
            st.tuples(_words, st.integers(0, 4), _words).map("{0[0]} NEAR/{0[1]} {0[2]}".format),
            st.tuples(_near_side, st.integers(0, 4), _near_side).map(
                "{0[0]} NEAR/{0[1]} {0[2]}".format),
            st.tuples(inner, inner).map(lambda t: f"{t[0]} -{t[1]}"),
            inner.map(lambda q: f"({q})"),
        )

    return st.recursive(leaf, extend, max_leaves=6)


def _valid(text):
    try:
        return parse(text)
    except QuerySyntaxError:
        return None


_sentences = st.lists(_words, min_size=1, max_size=7).map(lambda ws: " ".join(ws) + ".")
_documents = st.builds(
    lambda title, body, site, language: Document(
        title=" ".join(title), text=" ".join(body), site=site, language=language,
        url=f"https://www.{site}.com/a"),
    st.lists(_words, max_size=5),
    st.lists(_sentences, max_size=5),
    st.sampled_from(["trtworld", "bbc"]),
    st.sampled_from([None, "en", "de"]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_queries(), min_size=1, max_size=12), _documents)
def test_matcher_equals_each_watch_alone(texts, document):
    queries = [q for q in map(_valid, texts) if q is not None]
    watches = {f"w{i}": q for i, q in enumerate(queries)}
    together = Matcher(watches).match(document)
    alone = [m for name, q in watches.items() for m in Matcher({name: q}).match(document)]
    assert together == alone
    # and the pre-filter drops nothing that verifying every watch would match, each on a fresh
    # evaluator, so nothing one watch worked out can leak into another's result
    article = _Article(document)
    assert [m.watch for m in together] == [
        name for name, q in watches.items() if _Evaluator(article).evaluate(q) is not None]
    for match in together:
        ends = [0, *(n for mark in match.marks for n in mark), len(match.snippet)]
        assert ends == sorted(ends)  # in order, within the snippet, never overlapping


@settings(max_examples=150, deadline=None)
@given(st.lists(_queries(), min_size=1, max_size=12), _documents)
def test_compiled_checks_mark_what_the_evaluator_marks(texts, document):
    queries = [q for q in map(_valid, texts) if q is not None]
    matcher = Matcher({f"w{i}": q for i, q in enumerate(queries)})
    article = _Article(document)
    index = matcher._index(article)
    for number, (_, query) in enumerate(matcher._watches):
        compiled = index.check(number)(_Evaluator(article, index.term_keys))
        assert compiled == _Evaluator(article).evaluate(query), str(query)


def _snippet(article, marks):
    return _snippets(article, [marks])[0]


def _plain_snippet(article, marks):
    """The snippet worked out the plain way: greedy over every sentence, offsets by tokenize."""
    keys, sentence_of = article.keys, article.sentence_of
    if any(sentence_of[w] > 0 for w in marks):  # the headline's marks when the body has none
        marks = {w for w in marks if sentence_of[w] > 0}
    by_sentence = {}
    for w in sorted(marks):
        by_sentence.setdefault(sentence_of[w], []).append(w)
    chosen, missing = [], {keys[w] for w in marks}
    while missing:
        best = max(by_sentence, key=lambda s: len(missing & {keys[w] for w in by_sentence[s]}))
        chosen.append(best)
        missing -= {keys[w] for w in by_sentence.pop(best)}
    if not chosen:  # the first sentence of the body with words, else the headline
        with_words = [s for s, (a, b) in enumerate(article.sentences) if b > a]
        chosen = [next((s for s in with_words if s > 0), 0)]
    pieces = []
    for number in sorted(chosen):
        begin, end = article.sentences[number]
        text = article.source(number)[begin:end]
        tokens = [token[1:] for token in tokenize(text)]
        first = article.first[number]
        spans = tuple(tokens[w - first] for w in sorted(marks) if sentence_of[w] == number)
        pieces.append(Piece(number, text, spans))
    return build_snippet(pieces, SNIPPET_CHARS)


@settings(max_examples=150, deadline=None)
@given(st.lists(_queries(), min_size=1, max_size=12), _documents)
def test_snippets_are_the_plain_greedy_ones(texts, document):
    queries = [q for q in map(_valid, texts) if q is not None]
    article = _Article(document)
    for query in queries:
        marks = _Evaluator(article).evaluate(query)
        if marks is not None:
            assert _snippet(article, marks) == _plain_snippet(article, marks), str(query)


# -- differential: snippet building against the code it replaced -----------------------------
# The reference below is the earlier trimming and joining, kept verbatim apart from names:
# the pieces joined one generator at a time, spaces searched one character at a time.

def _reference_window(text, low, high, size):
    room = max(size - (high - low), 0)
    start = max(0, low - room // 2)
    end = min(len(text), high + room - (low - start))
    start = max(0, min(start, end - max(size, high - low)))
    if start > 0 and not text[start - 1].isspace():
        space = next((k for k in range(start, low) if text[k].isspace()), None)
        start = low if space is None else space + 1
    if end < len(text) and not text[end].isspace():
        space = next((k for k in range(end - 1, high - 1, -1) if text[k].isspace()), None)
        end = high if space is None else space
    while start < low and text[start].isspace():
        start += 1
    while end > high and text[end - 1].isspace():
        end -= 1
    return start, end


def _reference_trim(text, marks, share):
    if len(text) <= share:
        return text, marks
    clusters = []
    for mark in sorted(marks):
        if clusters and mark[1] - clusters[-1][0][0] <= share:
            clusters[-1].append(mark)
        else:
            clusters.append([mark])
    windows = [_reference_window(text, c[0][0], max(e for _, e in c), share // len(clusters))
               for c in clusters] or [_reference_window(text, 0, 0, share)]
    merged = []
    for start, end in windows:
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    out, shifted = "…" if merged[0][0] > 0 else "", []
    for number, (start, end) in enumerate(merged):
        if number:
            out += " … "
        shifted.extend((a - start + len(out), b - start + len(out))
                       for a, b in marks if start <= a and b <= end)
        out += text[start:end]
    if merged[-1][1] < len(text):
        out += "…"
    return out, tuple(shifted)


def _reference_build(pieces, limit):
    total = sum(len(piece.text) for piece in pieces) + 3 * (len(pieces) - 1)
    share = limit if len(pieces) <= 1 else max(limit // len(pieces), 80)
    out, marks, previous = "", [], None
    for piece in pieces:
        text = piece.text.replace("\n", " ").replace("\r", " ").replace("\t", " ")
        spans = piece.marks
        if total > limit:
            text, spans = _reference_trim(text, spans, share)
        if previous is not None:
            follows = previous >= 1 and piece.sentence == previous + 1
            gap = follows or out.endswith("…") or text.startswith("…")
            out += " " if gap else " … "
        marks.extend((start + len(out), end + len(out)) for start, end in spans)
        out += text
        previous = piece.sentence
    return out, tuple(marks)


_FILLER = ["the", "Putin", "visit,", "U.S.", "Beijing.", "3.5%", "don't", "Türkiye", "e.g.",
           "talks:", '"We', 'said."', "—", "", "Xi-Jinping", "l'Élysée", "习近平", "sanctions!",
           "a", "B.", "190,000", "word_word", "naïve", "(again)", "…", "Mr.", "x\u0301y"]


def _long_document(rng):
    """An article of many sentences, long and short, some far past the snippet's length."""
    lines = []
    for _ in range(rng.randint(1, 4)):
        words = [rng.choice(_FILLER) for _ in range(rng.randint(3, 120))]
        lines.append(" ".join(words) + rng.choice([".", "", "!", "…"]))
    title = " ".join(rng.choice(_FILLER) for _ in range(rng.randint(0, 8)))
    return Document(title=title, text=rng.choice(["\n", "\n\n", " "]).join(lines), language="en")


def test_snippets_of_long_articles_are_the_plain_greedy_ones():
    rng = random.Random(4)
    for _ in range(300):
        article = _Article(_long_document(rng))
        words = len(article.keys)
        for _ in range(6):
            marks = frozenset(rng.sample(range(words), min(words, rng.randint(0, 6))))
            assert _snippet(article, marks) == _plain_snippet(article, marks)


_pieces = st.lists(
    st.tuples(st.text(alphabet=st.sampled_from(list("ab …\n\t\r.\u00a0\u3000")), max_size=200),
              st.integers(0, 3)),
    min_size=1, max_size=4)


@given(_pieces, st.integers(40, 400), st.randoms(use_true_random=False))
def test_build_snippet_is_the_reference_one(parts, limit, rng):
    pieces, sentence = [], -1
    for text, step in parts:
        sentence += step + 1
        count = min(len(text) + 1, 2 * rng.randint(0, 3)) // 2 * 2  # an even number of ends
        cuts = sorted(rng.sample(range(len(text) + 1), count))
        marks = tuple(zip(cuts[::2], cuts[1::2], strict=True))
        pieces.append(Piece(sentence, text, marks))
    assert build_snippet(pieces, limit) == _reference_build(pieces, limit)


def test_words_indexed_for_some_keys_are_found_for_every_key():
    article = _Article(PUTIN)
    everything = {key: article.positions(key) for key in article.key_set}
    some = _Article(PUTIN)
    some.index_words({"putin", "visit"})
    assert {key: some.positions(key) for key in article.key_set} == everything
    assert some.positions("gaza") == []
