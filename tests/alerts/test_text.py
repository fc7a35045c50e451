import pytest
from hypothesis import given
from hypothesis import strategies as st

from alerts.text import (
    _STOP,
    WordSpans,
    _plain_run_spans,
    _run_spans,
    _stops,
    _token_pattern,
    fold,
    guess_language,
    snowball_language,
    split_sentences,
    stemmer_for,
    tokenize,
    word_key_for,
    word_pattern,
    words_of,
)


def sentences(text):
    return [text[start:end] for start, end in split_sentences(text)]


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Türkiye", "turkiye"),
        ("ÉLYSÉE", "elysee"),
        ("Straße", "strasse"),
        ("İstanbul", "istanbul"),
        ("Łódź", "lodz"),
        ("ﬁnance", "finance"),
        ("Ёлка", "елка"),
        ("Йемен", "йемен"),  # й is a letter of its own, not и with an accent
        ("Επίσκεψη", "επισκεψη"),
        ("हिन्दी", "हिन्दी"),  # Devanagari vowel signs are kept
        ("Tu\u0308rkiye", "turkiye"),  # decomposed input
    ],
)
def test_fold(text, folded):
    assert fold(text) == folded


def test_tokenize_gives_offsets_into_the_text():
    text = "Russia's Putin, 3.5% and $190,000 (U.S.) Xi-Putin"
    tokens = tokenize(text)
    assert [t.word for t in tokens] == [
        "Russia's", "Putin", "3.5", "and", "190,000", "U.S.", "Xi", "Putin"]
    assert all(text[t.start:t.end] == t.word for t in tokens)


_pieces = st.sampled_from(list("aZ09 .,'’-_\n\"()!?…") + [
    "é", "ß", "Ж", "ı", "İ", "ﬁ", "²", "½", "\u0301", "习", "ー", "𝔸", "कि", "U.S.", "3.5"])


@given(st.lists(_pieces, max_size=30).map("".join))
def test_quick_word_pattern_finds_the_same_words(text):
    full = _token_pattern()
    assert [m.span() for m in word_pattern(text).finditer(text)] == [
        m.span() for m in full.finditer(text)]


def test_words_of_gives_each_span_its_words():
    text = "Putin met Xi. The U.S. said 3.5% – हिन्दी समाचार, 习近平."
    spans = [(0, 13), (14, 40), (40, len(text))]
    words, counts = words_of(text, spans)
    assert words == [t.word for start, end in spans for t in tokenize(text[start:end])]
    assert counts == [len(tokenize(text[start:end])) for start, end in spans]


def test_tokenize_offset_is_added():
    assert tokenize("a b", 10)[1].start == 12


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("हिन्दी समाचार", ["हिन्दी", "समाचार"]),
        ("مُحَمَّد", ["مُحَمَّد"]),
        ("习近平访问", ["习", "近", "平", "访", "问"]),
        ("end.Next", ["end", "Next"]),
        ("l’Élysée", ["l’Élysée"]),
        ("!!! --- ...", []),
    ],
)
def test_tokenize_scripts_and_punctuation(text, words):
    assert [t.word for t in tokenize(text)] == words


@pytest.mark.parametrize(
    ("language", "word", "key"),
    [
        ("en", "visits", "visit"),
        ("en", "Visited", "visit"),
        ("en", "Russia's", "russia"),
        ("en", "U.S.", "us"),
        ("en", "3.5", "3.5"),
        (None, "visiting", "visit"),
        ("fr", "l'Élysée", word_key_for("fr")("Elysée")),
        ("tr", "Türkiye'nin", word_key_for("tr")("Türkiye")),
        ("ru", "Путина", "путин"),
        ("xx", "visits", "visit"),  # unsupported: English
    ],
)
def test_word_key(language, word, key):
    assert word_key_for(language)(word) == key


@pytest.mark.parametrize(
    ("language", "algorithm"),
    [(None, "english"), ("", "english"), ("en-GB", "english"), ("pt_BR", "portuguese"),
     ("RU", "russian"), ("german", "german"), ("zh", "english"), ("klingon", "english")],
)
def test_snowball_language(language, algorithm):
    assert snowball_language(language) == algorithm


def test_stemmer_for_is_cached_and_stems():
    assert stemmer_for("en") is stemmer_for("english")
    assert stemmer_for("de")("häuser") == stemmer_for("de")("häuser")
    assert stemmer_for(None)("visits") == "visit"


@pytest.mark.parametrize(
    ("text", "language"),
    [("Визит Путина в Китай", "russian"), ("Η επίσκεψη του πρωθυπουργού", "greek"),
     ("Putin to visit China", None), ("زيارة بوتين", "arabic")],
)
def test_guess_language(text, language):
    assert guess_language(text) == language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Putin spoke. The visit was cancelled.", ["Putin spoke.", "The visit was cancelled."]),
        ("Mr. Putin met Dr. Smith on Jan. 5 in Washington.",
         ["Mr. Putin met Dr. Smith on Jan. 5 in Washington."]),
        ("The U.S. President spoke. Then he left.", ["The U.S. President spoke.", "Then he left."]),
        ("Sanctions on the U.S. The move angered Moscow.",
         ["Sanctions on the U.S.", "The move angered Moscow."]),
        ("Apple Inc. The company said.", ["Apple Inc.", "The company said."]),
        ("Apple Inc. Chief Tim Cook said.", ["Apple Inc. Chief Tim Cook said."]),
        ("It is worth $190 billion. Prices rose 3.5%. Good.",
         ["It is worth $190 billion.", "Prices rose 3.5%.", "Good."]),
        ('He said: "We will visit." Then he left.', ['He said: "We will visit."', "Then he left."]),
        ('"Will you go?" he asked. No.', ['"Will you go?" he asked.', "No."]),
        ("J. R. Smith agreed... The end", ["J. R. Smith agreed...", "The end"]),
        ("Wait! Who? Me.", ["Wait!", "Who?", "Me."]),
        ("First paragraph\nSecond paragraph", ["First paragraph", "Second paragraph"]),
        ("  padded.   \n\n  ", ["padded."]),
        ("At 5 p.m. Moscow time.", ["At 5 p.m. Moscow time."]),
        ("e.g. the one", ["e.g. the one"]),
        ("新しい文。次の文。", ["新しい文。", "次の文。"]),
        ("यह वाक्य है। दूसरा वाक्य।", ["यह वाक्य है।", "दूसरा वाक्य।"]),
        ("В г. Москве прошла встреча. Путин прибыл.",
         ["В г. Москве прошла встреча.", "Путин прибыл."]),
        ("", []),
    ],
)
def test_split_sentences(text, expected):
    assert sentences(text) == expected


@pytest.mark.parametrize(
    "text",
    ["Putin met Xi-Jinping in the U.S. on Jan. 5, 2024; trade grew 3.5% to $190,000.",
     "l'Élysée and Türkiye'nin, naïve café", "习近平会见普京。", "नमस्ते दुनिया", "", "  ...  ",
     "two  spaces,\ta tab and\u00a0a no-break space  ", " U.S.  e.g. x"],
)
def test_word_spans_are_the_offsets_tokenize_finds(text):
    for start, end in [(0, len(text)), (3, max(3, len(text) - 4))]:
        expected = [(t.start, t.end) for t in tokenize(text[start:end], start)]
        spans = WordSpans(text, start, end)
        assert [spans[number] for number in range(len(expected))] == expected


@given(st.text(alphabet=st.sampled_from(list("ab1.,'’ \n-éü\u0301习。U.S")), max_size=60))
def test_span_keys_are_the_keys_of_words_of(text):
    spans = split_sentences(text)
    key = word_key_for("en")
    words, counts = words_of(text, spans)
    assert key.span_keys(text, spans) == (key.keys(words), counts)


@given(st.text(alphabet=st.sampled_from(list("ab1.,'’ \t\u00a0-éü\u0301习。U.S")), max_size=40))
def test_word_spans_agree_with_tokenize_on_any_text(text):
    expected = [(t.start, t.end) for t in tokenize(text)]
    spans = WordSpans(text, 0, len(text))
    assert [spans[number] for number in range(len(expected))] == expected


# Plain text, as most news is: runs of letters, with signs, digits and dotted acronyms.
_PLAIN = st.text(alphabet=st.sampled_from(list("abcXY  ,.;:!?'’-_1\"é")), max_size=120)


@given(_PLAIN)
def test_word_spans_of_plain_text_agree_with_tokenize(text):
    expected = [(t.start, t.end) for t in tokenize(text)]
    spans = WordSpans(text, 0, len(text))
    assert [spans[number] for number in range(len(expected))] == expected
    assert spans.within(range(len(expected))) == tuple(expected)


@given(st.text(alphabet=st.sampled_from(list("abXé_1.,'’-!\"")), min_size=1, max_size=8))
def test_plain_runs_worked_out_are_the_runs_looked_up(run):
    assert _plain_run_spans(run) == _run_spans(run)


@given(st.text(alphabet=st.sampled_from(list(".!?… \n\t\"'”’»)]aZ1")), max_size=40))
def test_stops_are_what_the_stop_pattern_finds(text):
    assert [m.span() for m in _stops(text)] == [m.span() for m in _STOP.finditer(text)]
    assert [m.span("next") for m in _stops(text)] == [m.span("next") for m in _STOP.finditer(text)]
