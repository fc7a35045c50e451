from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spiders.clean import MAX_FURNITURE_CHARS, Block, clean_blocks, is_furniture

FURNITURE = [
    "Read More: Putin to visit India for talks on oil and defence",
    "READ MORE | Farmers block roads in Brussels",
    "Read more",
    "Also read: Dutch farmers’ party tops regional polls",
    "Related: ECB holds rates but signals cuts ahead",
    "Related stories",
    "See also – How storms get their names",
    "More on this story",
    "Most read",
    "Most popular",
    "Trending now",
    "You may also like",
    "Watch: Storm Bert batters the coast",
    "Loading...",
    "Loading…",
    "Advertisement",
    "We use cookies to improve your experience. By clicking Accept all you agree.",
    "This site uses cookies. Read our cookie policy to find out more, or click OK to accept.",
    "Sign up to our free newsletter for the day's top stories.",
    "Get the Ledger Daily in your inbox. Subscribe to our newsletter every weekday morning.",
    "Subscribe",
    "Share this article",
    "Share Facebook X WhatsApp Email Copy link",
    "Facebook Twitter LinkedIn",
    "© The Daily Courier Ltd. All rights reserved.",
    "Follow us on Instagram",
]

PROSE = [
    "Kremlin spokesman Dmitry Peskov told reporters that preparations for the visit were "
    "under way.",
    "Related to this, the minister said the plan would be reviewed next year.",
    "Readers of the report will find more detail on page 12.",
    "Small farms will also receive a higher share of direct payments.",
    "The Environment Agency urged people to sign up for its free flood warning service.",
    "Watchdogs said the merger would reduce competition.",
    "Live music venues have closed at a rate of two a week, the trade body said.",
    "Most economists expect a rate cut in December.",
]


@pytest.mark.parametrize("text", FURNITURE)
def test_furniture_is_recognised(text):
    assert is_furniture(Block(text=text))


@pytest.mark.parametrize("text", PROSE)
def test_prose_is_kept(text):
    assert not is_furniture(Block(text=text))


def test_long_prose_mentioning_cookies_and_newsletters_is_kept():
    text = ("Regulators said the company had agreed to stop placing tracking cookies without "
            "consent and to let readers unsubscribe from its newsletter in one click. " * 3)
    assert len(text) > MAX_FURNITURE_CHARS
    assert not is_furniture(Block(text=text))


def test_a_paragraph_that_is_mostly_a_link_is_furniture():
    text = "Putin to visit India for talks on oil and defence"
    assert is_furniture(Block(text=text, link_chars=len(text)))
    assert not is_furniture(Block(text=PROSE[0], link_chars=10))


@pytest.mark.parametrize(("text", "author", "byline"), [
    ("By Reuters", "Reuters", True),
    ("Reuters staff, in Brussels", "Reuters", True),
    ("Ann Lee, Senior Correspondent", "Ann Lee", True),
    # The article speaking of its source or its author is the article.
    ("Reuters reported on Monday that the talks had stalled.", "Reuters", False),
    ("Ann Lee’s report was cited by the minister.", "Ann Lee", False),
])
def test_a_short_block_opening_with_the_authors_name_is_the_byline_unless_a_sentence(
        text, author, byline):
    block, body = Block(text=text), Block(text=PROSE[0])
    assert clean_blocks([block, body], author=author) == ([body] if byline else [block, body])


def test_list_after_a_furniture_heading_goes_with_it():
    blocks = [
        Block(text=PROSE[0]),
        Block(text="Most read", kind="head"),
        Block(text="1 Farmers block roads", kind="item", link_chars=18, group=1),
        Block(text="2 A long unlinked teaser that has no link at all", kind="item", group=1),
        Block(text=PROSE[3]),
    ]
    assert [b.text for b in clean_blocks(blocks)] == [PROSE[0], PROSE[3]]


def test_a_mostly_linked_list_goes_as_a_whole():
    blocks = [
        Block(text="Putin to visit India", kind="item", link_chars=20, group=1),
        Block(text="House prices edge higher", kind="item", link_chars=24, group=1),
        Block(text="An unlinked teaser line", kind="item", group=1),
        Block(text=PROSE[1]),
    ]
    assert [b.text for b in clean_blocks(blocks)] == [PROSE[1]]


def test_a_list_in_the_article_is_kept():
    blocks = [
        Block(text="The plan has three parts:"),
        Block(text="cheaper fares for students", kind="item", group=1),
        Block(text="more trains at weekends", kind="item", group=1),
    ]
    assert clean_blocks(blocks) == blocks


def test_only_the_list_right_after_a_label_is_dropped():
    blocks = [
        Block(text="Read More:"),
        Block(text="Other story", kind="item", link_chars=11, group=1),
        Block(text="A bullet point of the article", kind="item", group=2),
    ]
    assert [b.text for b in clean_blocks(blocks)] == ["A bullet point of the article"]


@given(st.lists(st.text(max_size=80).map(lambda t: Block(text=t)), max_size=12))
def test_cleaning_keeps_order_and_is_idempotent(blocks):
    cleaned = clean_blocks(blocks)
    assert clean_blocks(cleaned) == cleaned
    remaining = iter(blocks)
    assert all(any(kept is block for block in remaining) for kept in cleaned)  # a subsequence
