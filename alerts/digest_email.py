"""A digest as an HTML email: one column, inline styles, readable at 360 px and in dark mode.

Per story: the headline as the link, the site and time, the snippet with the matched words
marked, and "Also on:" with each copy's site linked to that copy; a header naming the watch,
its query and the count; a footer saying how to try changes and where the watch is set.

Colours: text, background and links are left to the mail client, which knows its own
light and dark themes; secondary lines are the text colour made fainter (`opacity`), and the
marked words carry their own dark-on-amber pair, readable on any background. The `color-scheme`
meta tells clients that honour it that the message suits both themes.

Every scraped piece goes through `escape_html` (quotes included); `href`s are `safe_url`s.
"""

from __future__ import annotations

from alerts.digest_content import Entry, Format, Heading, marked, more_copies, plain
from alerts.safetext import escape_html

_FONT = "font-family:Helvetica,Arial,sans-serif"
_FAINT = "opacity:0.72"
_SMALL = "font-size:13px;line-height:1.4"
_MONO = "font-family:Menlo,Consolas,monospace"
# The marked words: a pair of colours of their own, so they read in light and dark themes.
_MARK = "background-color:#fde68a;color:#1f2937;font-weight:bold;padding:0 2px"

_HEAD = (
    "<!DOCTYPE html>\n"
    '<html><head><meta charset="utf-8">\n'
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
    '<meta name="color-scheme" content="light dark">\n'
    '<meta name="supported-color-schemes" content="light dark">\n'
    "<title>{title}</title></head>\n"
    '<body style="margin:0;padding:0">\n'
    f'<div style="max-width:600px;margin:0 auto;padding:16px;{_FONT};font-size:15px;'
    'line-height:1.5;overflow-wrap:break-word;word-wrap:break-word">\n'
)
_TAIL = "\n</div>\n</body></html>"


def story(entry: Entry) -> str:
    headline = escape_html(plain(entry.headline))
    if entry.url:
        headline = f'<a href="{escape_html(entry.url)}" style="text-decoration:none">{headline}</a>'
    lines = [f'<div style="font-size:17px;line-height:1.3;font-weight:bold">{headline}</div>']
    if entry.meta:
        lines.append(f'<div style="{_SMALL};{_FAINT};margin:2px 0 0 0">'
                     f"{escape_html(entry.meta)}</div>")
    if entry.snippet:
        snippet = marked(entry.snippet, escape_html, f'<b style="{_MARK}">', "</b>")
        lines.append(f'<div style="margin:4px 0 0 0">{snippet}</div>')
    if entry.copies:
        copies = ", ".join(_link(copy.url, copy.site) for copy in entry.copies)
        lines.append(f'<div style="{_SMALL};margin:4px 0 0 0"><span style="{_FAINT}">Also on:'
                     f"</span> {copies}{escape_html(more_copies(entry))}</div>")
    return '<div style="margin:0 0 22px 0">\n' + "\n".join(lines) + "\n</div>"


def body(heading: Heading, stories: list[str]) -> str:
    title = f"{heading.watch}: {heading.stories}"
    blocks = [_HEAD.format(title=escape_html(title)) + header(heading), *stories]
    if heading.more:
        blocks.append(f'<div style="{_FAINT}"><i>{escape_html(heading.more)}</i></div>')
    if heading.last:
        blocks.append(footer(heading))
    return "\n".join(block for block in blocks if block) + _TAIL


def header(heading: Heading) -> str:
    parts = [f"<b>{escape_html(heading.watch)}</b>"]
    if heading.query:
        parts.append(_code(heading.query))
    parts.append(escape_html(heading.stories))
    if heading.part_label:
        parts.append(escape_html(heading.part_label))
    return (f'<div style="{_SMALL};margin:0 0 18px 0;padding:0 0 10px 0;'
            f'border-bottom:1px solid rgba(128,128,128,0.45)">' + " · ".join(parts) + "</div>")


def footer(heading: Heading) -> str:
    lines = []
    if heading.query:
        lines.append(f"<div>Query: {_code(heading.query)}</div>")
    if heading.try_command:
        lines.append(f"<div>Try changes: {_code(heading.try_command)}</div>")
    if heading.where:
        where = f" in {escape_html(heading.config_file)}" if heading.config_file else ""
        lines.append(f"<div>This watch: {_code(heading.config_key)}{where}</div>")
    if not lines:
        return ""
    return (f'<div style="{_SMALL};{_FAINT};margin:8px 0 0 0;padding:10px 0 0 0;'
            f'border-top:1px solid rgba(128,128,128,0.45)">\n' + "\n".join(lines) + "\n</div>")


def _code(text: str) -> str:
    return f'<span style="{_MONO}">{escape_html(text)}</span>'


def _link(url: str | None, label: str) -> str:
    label = escape_html(label)
    return f'<a href="{escape_html(url)}">{label}</a>' if url else label


EMAIL = Format(body_format="html", story=story, body=body)
