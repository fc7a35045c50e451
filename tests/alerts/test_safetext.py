"""Escaping for the run report's Markdown, checked by rendering it with a CommonMark parser."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from alerts.safetext import escape_gfm, one_line

# Prefect's UI renders artifacts as GitHub-flavoured Markdown: tables and strikethrough on top of
# CommonMark (raw HTML, images and links included).
GFM = MarkdownIt("commonmark").enable(["table", "strikethrough"])

HOSTILE = [
    "![pixel](http://tracker.example/p.gif)",
    "[click here](http://evil.example/login) now",
    '<img src="http://tracker.example/i.gif"> and <script>alert(1)</script>',
    "<http://evil.example/autolink>",
    "[ref]: http://evil.example/definition",
    "# Breaking",
    "### Breaking ###",
    "> quoted",
    "- listed",
    "+ listed",
    "* listed",
    "12. numbered",
    "3) numbered",
    "---",
    "===",
    "```python",
    "~~~",
    "    indented code",
    "**bold** __bold__ *em* _em_ ~~struck~~ `code`",
    "a | b | c",
    "a \\| b \\\\| c",
    "&lt;img src=x&gt; &#x3C;b&#x3E; &amp;",
    "Headline\n\n# Injected heading\n![x](http://tracker.example/p.gif)",
    "Headline\r\n| --- | --- |\n| x | y |",
    "Zero\u200bwidth\u202ebidi\x1b[31mansi",
    "ends with a backslash \\",
]


def rendered_text(markdown: str) -> list[tuple[str, str]]:
    """(token type, content) of every token the parser makes of ``markdown``, inline included."""
    tokens = []
    for token in GFM.parse(markdown):
        tokens.append((token.type, token.content if token.type == "inline" else ""))
        tokens += [(child.type, child.content) for child in token.children or ()]
    return tokens


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_renders_as_exactly_that_text_and_nothing_else(text):
    escaped = escape_gfm(text)

    tokens = rendered_text(escaped)
    assert [t for t, _ in tokens] == ["paragraph_open", "inline", "text", "paragraph_close"]
    assert tokens[2][1] == one_line(text)


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_stays_in_its_table_cell(text):
    table = f"| site | errors |\n| --- | --- |\n| one | {escape_gfm(text)} |\n"

    tokens = rendered_text(table)
    assert [kind for kind, _ in tokens].count("td_open") == 2
    texts = [content for kind, content in tokens if kind not in ("inline",) and content]
    assert texts == ["site", "errors", "one", one_line(text)]
    assert {kind for kind, _ in tokens} <= {
        "table_open", "thead_open", "tr_open", "th_open", "inline", "text", "th_close",
        "tr_close", "thead_close", "tbody_open", "td_open", "td_close", "tbody_close",
        "table_close",
    }


@pytest.mark.parametrize("prefix", ["- ", "### ", "- **site**: "])
def test_escaped_text_after_report_markup_adds_no_markup(prefix):
    for text in HOSTILE:
        tokens = rendered_text(prefix + escape_gfm(text))
        assert not {"link_open", "image", "html_inline", "html_block", "code_inline",
                    "em_open", "s_open", "blockquote_open", "fence", "code_block"} & {
            kind for kind, _ in tokens}, text
        assert [kind for kind, _ in tokens].count("heading_open") == (prefix == "### "), text


@pytest.mark.parametrize(("text", "escaped"), [
    # Bare URLs and addresses become links in GitHub-flavoured Markdown (and in Prefect's UI).
    ("see http://evil.example/x", "see http\\://evil.example/x"),
    ("HTTPS://evil.example", "HTTPS\\://evil.example"),
    ("ftp://evil.example", "ftp\\://evil.example"),
    ("visit www.evil.example or WWW.x", "visit www\\.evil.example or WWW\\.x"),
    ("mail bob@evil.example", "mail bob\\@evil.example"),
])
def test_links_that_need_no_brackets_are_broken_too(text, escaped):
    assert escape_gfm(text) == escaped


@pytest.mark.parametrize("text", [
    "Putin to visit China next month, Kremlin says",
    "putin-visit: 09:30, 2-1 (a.m.) #1 + 50% = 'ok'",
    "2024 in review",
])
def test_what_renders_the_same_either_way_stays_readable(text):
    assert escape_gfm(text) == text
