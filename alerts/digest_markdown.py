"""A digest in CommonMark, for chat services that render it (Discord, Telegram, Matrix, ...).

Every scraped piece goes through `escape_markdown`, so only this module's links, `**` and
code spans are markup; link targets are `safe_url`s in `<...>`, which no character can leave.
"""

from __future__ import annotations

from alerts.digest_content import Entry, Format, Heading, marked, more_copies, plain
from alerts.safetext import escape_markdown


def story(entry: Entry) -> str:
    headline = escape_markdown(plain(entry.headline))
    lines = [f"**[{headline}](<{entry.url}>)**" if entry.url else f"**{headline}**"]
    if entry.meta:
        lines.append(escape_markdown(entry.meta))
    if entry.snippet:  # not quoted: a CommonMark quote would take the next line in too
        lines.append(marked(entry.snippet, escape_markdown, "**", "**"))
    if entry.copies:
        copies = (_link(copy.url, copy.site) for copy in entry.copies)
        lines.append("Also on: " + ", ".join(copies) + escape_markdown(more_copies(entry)))
    return "\n".join(lines)


def body(heading: Heading, stories: list[str]) -> str:
    """Under the service's title (watch and count), the query, then the stories."""
    blocks = [f"Query: {code(heading.query)}" if heading.query else "", *stories]
    if heading.more:
        blocks.append(f"*{escape_markdown(heading.more)}*")
    if heading.last:
        blocks.append(footer(heading))
    return "\n\n".join(block for block in blocks if block)


def footer(heading: Heading) -> str:
    lines = []
    if heading.try_command:
        lines.append(f"Try changes: {code(heading.try_command)}")
    if heading.config_key:
        where = f" in {escape_markdown(heading.config_file)}" if heading.config_file else ""
        lines.append(f"This watch: {code(heading.config_key)}{where}")
    return "\n".join(lines)


def code(text: str) -> str:
    """`text` as a code span (literal inside), or escaped text when it holds a backquote."""
    return escape_markdown(text) if "`" in text else f"`{text}`"


def _link(url: str | None, label: str) -> str:
    return f"[{escape_markdown(label)}](<{url}>)" if url else escape_markdown(label)


MARKDOWN = Format(body_format="markdown", story=story, body=body)
