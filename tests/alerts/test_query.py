from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import alerts.query
from alerts.query import (
    And,
    Lang,
    Near,
    Not,
    Or,
    Query,
    QueryError,
    QuerySyntaxError,
    Sentence,
    Site,
    Term,
    parse,
)


def t(*words, title=False):
    return Term(tuple(words), title)


def test_exported_members():
    assert alerts.query.__all__ == sorted(alerts.query.__all__)
    assert set(alerts.query.__all__) == {
        "And", "Lang", "Near", "Not", "Or", "Query", "QueryError", "QuerySyntaxError",
        "Sentence", "Site", "Term", "parse"}


def test_error_hierarchy():
    assert issubclass(QuerySyntaxError, QueryError)
    assert issubclass(QueryError, ValueError)


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("Putin", t("Putin")),
        ("Putin visit", Sentence((t("Putin"), t("visit")))),
        ('"Putin visit"', t("Putin", "visit")),
        ("“Putin visit”", t("Putin", "visit")),
        ("Xi-Putin", t("Xi", "Putin")),
        ("Putin AND visit", And((t("Putin"), t("visit")))),
        ("Putin OR Xi", Or((t("Putin"), t("Xi")))),
        ("Putin and visit", Sentence((t("Putin"), t("and"), t("visit")))),
        ("Putin NEAR/3 visit", Near(t("Putin"), t("visit"), 3)),
        ("a b NEAR/2 c", Sentence((t("a"), Near(t("b"), t("c"), 2)))),
        ("a NEAR/1 b NEAR/2 c", Near(Near(t("a"), t("b"), 1), t("c"), 2)),
        ("(a OR b) NEAR/2 c", Near(Or((t("a"), t("b"))), t("c"), 2)),
        ("a b OR c AND d", Or((Sentence((t("a"), t("b"))), And((t("c"), t("d")))))),
        ("a (b OR c)", Sentence((t("a"), Or((t("b"), t("c")))))),
        ("a (b c) d", Sentence((t("a"), t("b"), t("c"), t("d")))),
        ("Putin visit -Ukraine", And((Sentence((t("Putin"), t("visit"))), Not(t("Ukraine"))))),
        ('Putin -"state visit"', And((t("Putin"), Not(t("state", "visit"))))),
        ("-Ukraine Putin", And((t("Putin"), Not(t("Ukraine"))))),
        ("title:Putin visit", And((t("visit"), t("Putin", title=True)))),
        ('title:"Putin visit"', t("Putin", "visit", title=True)),
        ("Putin site:bbc.co.uk", And((t("Putin"), Site("bbc.co.uk")))),
        ("Putin site:https://www.BBC.co.uk/news", And((t("Putin"), Site("bbc.co.uk")))),
        ("Putin lang:EN_gb", And((t("Putin"), Lang("en-gb")))),
        ("Putin -site:rt.com", And((t("Putin"), Not(Site("rt.com"))))),
        ("a -(b OR c)", And((t("a"), Not(Or((t("b"), t("c"))))))),
        ("((a))", t("a")),
        ("a AND (b AND c)", And((t("a"), t("b"), t("c")))),
        ("a OR (b OR c)", Or((t("a"), t("b"), t("c")))),
        ("NEARBY near", Sentence((t("NEARBY"), t("near")))),
        ("Putin:", t("Putin")),
        ("U.S. sanctions", Sentence((t("U.S."), t("sanctions")))),
        ("site:bbc", Site("bbc")),
    ],
)
def test_parse(text, tree):
    assert parse(text) == tree


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("  Putin   visit ", "Putin visit"),
        ("Xi-Putin", '"Xi Putin"'),
        ("-Ukraine Putin", "Putin -Ukraine"),
        ("(a OR b) AND c", "(a OR b) AND c"),
        ("a AND (b OR c) d", "a AND (b OR c) d"),
        ("a NEAR/1 (b NEAR/2 c)", "a NEAR/1 (b NEAR/2 c)"),
        ("-(a NEAR/2 b) c", "c -(a NEAR/2 b)"),
        ('"AND" OR "NEAR"', '"AND" OR "NEAR"'),
        ("TITLE:x site:www.bbc.com", "title:x site:bbc.com"),
        ("x AND title:y z", "x AND z title:y"),
        ("a -(-b)", "a -(-b)"),
    ],
)
def test_str_is_the_normalised_query(text, normalised):
    assert str(parse(text)) == normalised
    assert parse(normalised) == parse(text)


@pytest.mark.parametrize(
    ("text", "position", "words"),
    [
        ('Putin "visit', 6, "expected a closing quote for the quote at position 6"),
        ("(Putin visit", 0, "expected ')' to close the '(' at position 0, found end of query"),
        ("a (b (c) d", 2, "expected ')' to close the '(' at position 2"),
        ("Putin visit)", 11, "found a ')' that closes no '('"),
        ("Putin OR", 6, "after OR at position 6, found end of query"),
        ("OR Putin", 0, "at position 0, found OR"),
        ("a AND AND b", 2, "after AND at position 2, found AND"),
        ("a AND", 2, "after AND at position 2"),
        ("a AND )", 2, "found ')'"),
        ("()", 1, "found ')'"),
        ("a NEAR b", 2, "expected a number after NEAR at position 2"),
        ("a NEAR/ b", 2, "found 'NEAR/'"),
        ("a NEAR/x b", 2, "found 'NEAR/x'"),
        ("a NEAR/2", 2, "after NEAR/2 at position 2, found end of query"),
        ("a NEAR/2 -b", 2, "after NEAR/2 at position 2, found '-'"),
        ("a NEAR/2 title:b", 2, "on the right of NEAR/2"),
        ("site:x NEAR/2 b", 7, "on the left of NEAR/2"),
        ("", 0, "empty query"),
        ("   ", 0, "empty query"),
        ("Putin foo:bar", 6, "found unknown field 'foo:'"),
        ('foo:"bar"', 0, "unknown field"),
        ("title:", 0, "expected a value right after title:"),
        ("title: Putin", 0, "found ' '"),
        ("-Putin", 0, "found only exclusions"),
        ('-Putin -"state visit"', 0, "found only exclusions"),
        ("x OR -y", 5, "found only exclusions"),
        ("(-y)", 0, "found only exclusions"),
        ("- Putin", 0, "right after the '-' at position 0"),
        ("a --b", 2, "right after the '-' at position 2"),
        ("!!!", 0, "expected a word with letters or digits at position 0, found '!!!'"),
        ('""', 0, "found ''"),
        ("lang:english", 0, "expected a language code"),
        ("site:/", 0, "expected a site name or domain"),
        ('Putin "visit" "trip', 14, "for the quote at position 14"),
    ],
)
def test_syntax_errors(text, position, words):
    with pytest.raises(QuerySyntaxError) as caught:
        parse(text)
    error = caught.value
    assert error.position == position
    assert error.query == text
    assert words in str(error)
    assert str(error).endswith(f" in {text!r}")


_PIECES = st.sampled_from([
    "a", "b", "Putin", "visit", "AND", "OR", "NEAR", "NEAR/2", "NEAR/", "(", ")", '"', "“",
    "-", "title:", "site:", "lang:", "foo:", "en", ":", "!", " ", " ", " ", "x-y", "U.S.",
])


def test_parse_returns_a_query_or_raises_a_query_error():
    outcomes: Counter[str] = Counter()

    @settings(deadline=None)  # the first parse of a process takes a second or two to set up
    @given(st.one_of(st.text(max_size=40), st.lists(_PIECES, max_size=12).map("".join)))
    def run(text):
        try:
            query = parse(text)
        except QueryError as error:
            assert 0 <= error.position <= len(text)
            outcomes["refused"] += 1
            return
        assert isinstance(query, Query)
        assert parse(str(query)) == query  # the normalised form means the same
        assert str(parse(str(query))) == str(query)
        outcomes["parsed"] += 1

    run()
    # Both answers really happen: a parser that refused everything would pass the checks.
    assert outcomes["parsed"] >= 10 and outcomes["refused"] >= 10, outcomes
