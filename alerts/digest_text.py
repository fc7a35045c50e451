"""A digest in plain text: for the console, a webhook's `message`, and an email's text part.

Marked words are shown as `*word*`; links as the bare URL under the headline and as
`site <url>` for copies. Nothing else is markup, so nothing needs escaping; the text is
cleaned (`alerts.digest_content`), so it cannot start a header or hide characters.
"""

from __future__ import annotations

from alerts.digest_content import Entry, Format, Heading, marked, more_copies, plain

_RULE = "-- "  # a plain-text mail's signature line: readers show what follows as a footer


def story(entry: Entry) -> str:
    lines = [plain(entry.headline)]
    if entry.url:
        lines.append(entry.url)
    if entry.meta:
        lines.append(entry.meta)
    if entry.snippet:
        lines.append(marked(entry.snippet, str, "*", "*"))
    if entry.copies:
        copies = (f"{copy.site} <{copy.url}>" if copy.url else copy.site
                  for copy in entry.copies)
        lines.append("Also on: " + ", ".join(copies) + more_copies(entry))
    return "\n".join(lines)


def header_line(heading: Heading) -> str:
    """ "putin-visit · query: Putin visit · 3 new stories", for a body read without its title."""
    parts = [heading.watch, f"query: {heading.query}" if heading.query else "",
             heading.stories, heading.part_label]
    return " · ".join(part for part in parts if part)


def footer(heading: Heading) -> str:
    lines = []
    if heading.try_command:
        lines.append(f"Try changes: {heading.try_command}")
    if heading.where:
        lines.append(f"This watch: {heading.where}")
    return "\n".join([_RULE, *lines]) if lines else ""


def body(heading: Heading, stories: list[str]) -> str:
    """Under a title that names the watch and the count: the query, then the stories."""
    return _join(f"Query: {heading.query}" if heading.query else "", heading, stories)


def email_body(heading: Heading, stories: list[str]) -> str:
    """An email's text part: the subject is not part of it, so the header says it all."""
    return _join(header_line(heading), heading, stories)


def _join(header: str, heading: Heading, stories: list[str]) -> str:
    blocks = [header, *stories, heading.more, footer(heading) if heading.last else ""]
    return "\n\n".join(block for block in blocks if block)


TEXT = Format(body_format="text", story=story, body=body)
EMAIL_TEXT = Format(body_format="text", story=story, body=email_body)
