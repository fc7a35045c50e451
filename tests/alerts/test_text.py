import pytest
from hypothesis import given
from hypothesis import strategies as st

from alerts.text import (
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
