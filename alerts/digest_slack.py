"""A digest in Slack mrkdwn: headlines as `<url|headline>`, snippets quoted, copies linked.

Every scraped piece goes through `escape_slack`, so only this module's `<url|label>`, `*`
and `>` are markup. Slack takes at most 10 stories in a message here; a digest with more
goes on in numbered parts, each but the last ending with "… and N more".
"""

from __future__ import annotations

from alerts.digest_content import Entry, Format, Heading, marked, more_copies, plain
from alerts.safetext import escape_slack

MAX_STORIES = 10


def story(entry: Entry) -> str:
    headline = escape_slack(plain(entry.headline))
    lines = [f"*<{escape_slack(entry.url)}|{headline}>*" if entry.url else f"*{headline}*"]
    if entry.meta:
        lines.append(escape_slack(entry.meta))
    if entry.snippet:
        lines.append("> " + marked(entry.snippet, escape_slack, "*", "*"))
    if entry.copies:
        copies = (_link(copy.url, copy.site) for copy in entry.copies)
        lines.append("Also on: " + ", ".join(copies) + more_copies(entry))
    return "\n".join(lines)


def body(heading: Heading, stories: list[str]) -> str:
    """Under Slack's header block (the title: watch and count), the query, then the stories."""
    blocks = [f"Query: {code(heading.query)}" if heading.query else "", *stories]
    if heading.more:
        blocks.append(f"_{escape_slack(heading.more)}_")
    if heading.last:
        blocks.append(footer(heading))
    return "\n\n".join(block for block in blocks if block)


def footer(heading: Heading) -> str:
    lines = []
    if heading.try_command:
        lines.append(f"Try changes: {code(heading.try_command)}")
    if heading.config_key:
        where = f" in {escape_slack(heading.config_file)}" if heading.config_file else ""
        lines.append(f"This watch: {code(heading.config_key)}{where}")
    return "\n".join(lines)


def code(text: str) -> str:
    """`text` as inline code, or escaped plain text when a backquote would end the code."""
    return escape_slack(text) if "`" in text else f"`{escape_slack(text)}`"


def _link(url: str | None, label: str) -> str:
    return f"<{escape_slack(url)}|{escape_slack(label)}>" if url else escape_slack(label)


SLACK = Format(body_format="markdown", story=story, body=body, max_stories=MAX_STORIES)
