"""Two hundred malformed or hostile documents: article pages, feeds and sitemaps.

:func:`hostile_documents` returns them, each a :class:`Doc` with a name saying what is wrong,
whether it is served as a page (``html``) or as a listing (``xml``), and its bytes. The set is
the same on every call. Families (each tried in several variants to make up 200):

- XML entity tricks: billion laughs, quadratic blow-up, external entities (a local file, a
  loopback URL), parameter entities, an external DTD, XInclude;
- gzip bombs and broken gzip; byte-order marks, UTF-16, bogus encodings, NUL bytes, invalid
  UTF-8, random bytes;
- structure: deep nesting, thousands of elements, huge attributes and text nodes,
  unclosed everything, unterminated comments and CDATA, wrong root elements;
- content: links with ``javascript:``/``data:``/enormous URLs, impossible dates, broken or
  deeply nested JSON-LD, character references to surrogates and NUL.
"""

from __future__ import annotations

import gzip
import random
from collections import Counter
from dataclasses import dataclass

__all__ = ["Doc", "SECRET", "hostile_documents"]

#: Text of a local file the XXE documents point at; it must never come out of a parser.
SECRET = "TOP-SECRET-7d1c9e"

COUNT = 200


@dataclass(frozen=True)
class Doc:
    name: str
    kind: str  # "html": an article page; "xml": a feed or sitemap
    body: bytes


_ARTICLE_TEXT = (
    "The council approved the new budget on Tuesday after a long debate about the cost of "
    "repairing the old bridge, which has been closed to lorries since the spring floods. "
) * 4


def _laughs(levels: int, width: int = 10) -> bytes:
    lines = ['<!ENTITY lol0 "lol">']
    for level in range(1, levels + 1):
        refs = f"&lol{level - 1};" * width
        lines.append(f'<!ENTITY lol{level} "{refs}">')
    return ("<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n" + "\n".join(lines) + "\n]>\n"
            f"<rss><channel><item><title>&lol{levels};</title><link>http://a.example/x</link>"
            "</item></channel></rss>").encode()


def _quadratic(size: int, refs: int) -> bytes:
    blob = "A" * size
    return (f'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY a "{blob}">]><urlset>'
            + "<url><loc>http://a.example/&a;</loc></url>" * refs + "</urlset>").encode()


def _xxe(target: str, root: str = "rss") -> bytes:
    if root == "rss":
        inner = "<channel><item><title>&xxe;</title><link>http://a.example/&xxe;</link></item></channel>"
    else:
        inner = "<url><loc>http://a.example/&xxe;</loc></url>"
    return (f'<?xml version="1.0"?><!DOCTYPE {root} [<!ENTITY xxe SYSTEM "{target}">]>'
            f"<{root}>{inner}</{root}>").encode()


def _xml_docs(secret_file: str) -> list[Doc]:
    docs: list[Doc] = []
    for levels in (3, 5, 8, 9, 10):
        docs.append(Doc(f"billion-laughs-{levels}", "xml", _laughs(levels)))
    docs.append(Doc("billion-laughs-wide", "xml", _laughs(6, width=40)))
    for size, refs in ((10_000, 1_000), (50_000, 200), (100_000, 100)):
        docs.append(Doc(f"quadratic-{size}x{refs}", "xml", _quadratic(size, refs)))
    for target in (f"file://{secret_file}", secret_file, "file:///etc/passwd",
                   "http://127.0.0.1:9/evil.dtd", "ftp://127.0.0.1:9/x"):
        docs.append(Doc(f"xxe-rss-{target[:20]}", "xml", _xxe(target)))
        docs.append(Doc(f"xxe-sitemap-{target[:20]}", "xml", _xxe(target, "urlset")))
    docs.append(Doc("parameter-entity", "xml", (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY % p SYSTEM "file://{secret_file}">'
        '%p;]><rss><channel><item><link>http://a.example/p</link></item></channel></rss>'
    ).encode()))
    docs.append(Doc("external-dtd", "xml", (
        b'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "http://127.0.0.1:9/rss.dtd"><rss><channel>'
        b"<item><link>http://a.example/dtd</link></item></channel></rss>")))
    docs.append(Doc("xinclude", "xml", (
        '<?xml version="1.0"?><rss xmlns:xi="http://www.w3.org/2001/XInclude"><channel><item>'
        f'<title><xi:include href="file://{secret_file}" parse="text"/></title>'
        "<link>http://a.example/xi</link></item></channel></rss>").encode()))
    docs.append(Doc("xslt-pi", "xml", (
        b'<?xml version="1.0"?><?xml-stylesheet type="text/xsl" href="file:///etc/passwd"?>'
        b"<rss><channel><item><link>http://a.example/xsl</link></item></channel></rss>"
    )))
    zeros = gzip.compress(b"<urlset>" + b" " * 30_000_000 + b"</urlset>", compresslevel=9)
    docs.append(Doc("gzip-bomb-30mb", "xml", zeros))
    nested_bomb = gzip.compress(gzip.compress(b"\0" * 5_000_000))
    docs.append(Doc("gzip-in-gzip", "xml", nested_bomb))
    good = (b'<?xml version="1.0"?><urlset><url><loc>http://a.example/1</loc></url></urlset>')
    packed = gzip.compress(good)
    docs.append(Doc("gzip-truncated", "xml", packed[: len(packed) // 2]))
    docs.append(Doc("gzip-magic-only", "xml", b"\x1f\x8b"))
    docs.append(Doc("gzip-garbage", "xml", b"\x1f\x8b\x08\x00" + bytes(range(256)) * 4))
    docs.append(Doc("utf16-feed", "xml", '\ufeff<?xml version="1.0" encoding="UTF-16"?><rss>'
                    "<channel><item><link>http://a.example/u16</link></item></channel></rss>"
                    .encode("utf-16-le")))
    docs.append(Doc("bogus-encoding", "xml", b'<?xml version="1.0" encoding="x-no-such"?><rss>'
                    b"<channel><item><link>http://a.example/enc</link></item></channel></rss>"))
    docs.append(Doc("nul-bytes", "xml", b"<rss><channel><item><link>http://a.example/\0x"
                    b"</link><title>a\0b</title></item></channel></rss>"))
    docs.append(Doc("invalid-utf8", "xml", b"<urlset><url><loc>http://a.example/\xff\xfe\xc3"
                    b"</loc></url></urlset>"))
    docs.append(Doc("deep-nesting", "xml", b"<rss>" + b"<a>" * 5_000 + b"</a>" * 5_000
                    + b"</rss>"))
    docs.append(Doc("deep-unclosed", "xml", b"<urlset>" + b"<url><loc>" * 5_000))
    docs.append(Doc("many-items", "xml", b"<rss><channel>" + b"".join(
        b"<item><link>http://a.example/%d</link></item>" % i for i in range(5_000))
        + b"</channel></rss>"))
    docs.append(Doc("same-url-5k", "xml", b"<urlset>" + b"<url><loc>http://a.example/same</loc>"
                    b"</url>" * 5_000 + b"</urlset>"))
    docs.append(Doc("huge-attribute", "xml", b'<rss x="' + b"a" * 2_000_000 + b'"><channel>'
                    b"</channel></rss>"))
    docs.append(Doc("huge-text", "xml", b"<rss><channel><item><title>" + b"t" * 1_000_000
                    + b"</title><link>http://a.example/t</link></item></channel></rss>"))
    for scheme in ("javascript:alert(1)", "data:text/html,<script>x</script>", "file:///etc/passwd",
                   "mailto:a@b.c", "//no-scheme.example/x", "http://" + "a" * 70_000 + ".example/",
                   "http://[::1", "http://a.example/\u202e\u200b", "   ", ""):
        docs.append(Doc(f"link-{scheme[:16]}", "xml", (
            f"<rss><channel><item><link>{scheme}</link></item></channel></rss>").encode()))
    for date in ("99999-99-99", "0000-00-00T00:00:00Z", "1e309", "Tue, 31 Feb 2024 25:61:61 GMT",
                 "-2024-01-01", "2024-13-45", "9" * 500, "NaN", "\u0661\u0662"):
        docs.append(Doc(f"date-{date[:12]}", "xml", (
            "<rss><channel><item><link>http://a.example/d</link>"
            f"<pubDate>{date}</pubDate></item></channel></rss>").encode()))
        docs.append(Doc(f"lastmod-{date[:12]}", "xml", (
            f"<urlset><url><loc>http://a.example/d</loc><lastmod>{date}</lastmod></url></urlset>"
        ).encode()))
    for root in (b"<html><body>x</body></html>", b"<svg/>", b"<?xml version='1.0'?>",
                 b"<", b"<>", b"</rss>", b"<rss", b"<!-- only a comment -->",
                 b"<![CDATA[<rss></rss>]]>", b"<rss><![CDATA[", b"<rss><!-- never ends",
                 b"<feed xmlns='http://www.w3.org/2005/Atom'><entry><link/></entry></feed>",
                 b"<a:rss xmlns:a='urn:x'><a:channel/></a:rss>", b"<sitemapindex><sitemap>"
                 b"<loc>http://a.example/s.xml</loc></sitemap><sitemap><loc>"):
        docs.append(Doc(f"root-{root[:16]!r}", "xml", root))
    for text in (b"", b"   \n\t ", b"\xef\xbb\xbf", b"http://a.example/1\nnot a url\n",
                 b"http://a.example/1 javascript:x", b"\x00" * 1000):
        docs.append(Doc(f"text-{text[:10]!r}", "xml", text))
    return docs


def _page(body: str, head: str = "") -> bytes:
    return (f"<!doctype html><html lang='en'><head><title>Bridge budget</title>{head}</head>"
            f"<body><article><h1>Bridge budget approved</h1>{body}</article></body></html>"
            ).encode()


def _html_docs() -> list[Doc]:
    text = f"<p>{_ARTICLE_TEXT}</p>"
    docs: list[Doc] = []
    docs.append(Doc("deep-divs", "html", _page("<div>" * 3_000 + text + "</div>" * 3_000)))
    docs.append(Doc("deep-unclosed-divs", "html", _page("<div><span>" * 3_000 + text)))
    docs.append(Doc("many-elements", "html", _page("<i></i>" * 10_000 + text)))
    docs.append(Doc("many-paragraphs", "html", _page("<p>a</p>" * 3_000 + text)))
    docs.append(Doc("huge-attribute", "html", _page(f"<p class='{'c' * 300_000}'>x</p>{text}")))
    docs.append(Doc("huge-text-node", "html", _page("<p>" + "word " * 60_000 + "</p>")))
    docs.append(Doc("no-tags-at-all", "html", b"plain " * 20_000))
    docs.append(Doc("empty", "html", b""))
    docs.append(Doc("whitespace", "html", b" \n\t " * 100))
    docs.append(Doc("nul-bytes", "html", _page(f"<p>{_ARTICLE_TEXT}\0\0{_ARTICLE_TEXT}</p>")))
    docs.append(Doc("invalid-utf8", "html",
                    _page(text) + b"\xff\xfe\xfd\xc3\x28\xa0\xa1\xe2\x28\xa1"))
    docs.append(Doc("utf16-no-bom", "html", _page(text).decode().encode("utf-16-le")))
    docs.append(Doc("utf16-declared-utf8-bytes", "html",
                    _page(text, "<meta charset='utf-16'>")))
    docs.append(Doc("bogus-charset", "html", _page(text, "<meta charset='x-no-such-charset'>")))
    docs.append(Doc("script-only", "html", b"<html><script>" + b"var a=1;" * 20_000
                    + b"</script></html>"))
    docs.append(Doc("style-only", "html", b"<style>" + b"a{color:red}" * 20_000 + b"</style>"))
    docs.append(Doc("title-only", "html", b"<title>Only a title</title>"))
    docs.append(Doc("unterminated-comment", "html", _page(text + "<!-- and never closed")))
    docs.append(Doc("comment-swallows-all", "html", b"<!--" + _page(text)))
    docs.append(Doc("cdata", "html", _page(f"<![CDATA[{_ARTICLE_TEXT}]]>{text}")))
    docs.append(Doc("billion-laughs-html", "html", _laughs(8).replace(b"<rss>", b"<html><body>")))
    docs.append(Doc("xxe-html", "html", (
        '<?xml version="1.0"?><!DOCTYPE html [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        f"<html><body><article><h1>x</h1><p>&x;</p>{text}</article></body></html>").encode()))
    for reference in ("&#xD800;", "&#0;", "&#99999999;", "&#x110000;", "&bogus;", "&amp",
                      "&#x;", "&#-1;"):
        docs.append(Doc(f"charref-{reference}", "html",
                        _page(f"<p>{reference * 50}</p>{text}")))
    for bad in ("{", '{"@type": 5}', '{"@type": "NewsArticle", "datePublished": {}}',
                '{"@graph": ' + "[" * 5_000 + "]" * 5_000 + "}",
                '[{"@type": "NewsArticle", "headline": ' + '"h",' * 10_000 + '"h"}]',
                '{"@type": ["NewsArticle", null, 7], "author": [null, {"name": []}]}',
                '{"@type": "NewsArticle", "datePublished": "99999-99-99T99:99"}',
                '{"@type": "CollectionPage"}', "\0\0\0", "null", '"string"'):
        docs.append(Doc(f"json-ld-{bad[:24]}", "html",
                        _page(text, f"<script type='application/ld+json'>{bad}</script>")))
    for date in ("99999-99-99", "0000-00-00", "1e309", "-1", "2024-02-30T25:00:00+99:00",
                 "9" * 300, "yesterday", ""):
        docs.append(Doc(f"meta-date-{date[:12]}", "html", _page(
            f"{text}<time datetime='{date}'>{date}</time>",
            f"<meta property='article:published_time' content='{date}'>")))
    for href in ("javascript:alert(1)", "data:text/html,x", "http://" + "a" * 100_000,
                 "http://[::1", "\0", "//evil.example/", "file:///etc/passwd"):
        docs.append(Doc(f"canonical-{href[:14]}", "html", _page(
            text, f"<link rel='canonical' href='{href}'><base href='{href}'>")))
    for lang in ("x" * 10_000, "", "en-GB-oed-x-" + "a" * 500, "\u202e"):
        docs.append(Doc(f"lang-{lang[:8]}", "html",
                        f"<html lang='{lang}'><body><h1>t</h1>{text}</body></html>".encode()))
    docs.append(Doc("rtl-and-zero-width", "html",
                    _page(f"<p>\u202e{_ARTICLE_TEXT}\u200b\u200d\ufeff\U0001F600</p>")))
    docs.append(Doc("nested-tables", "html", _page("<table><tr><td>" * 1_000 + text)))
    docs.append(Doc("nested-lists", "html", _page("<ul><li>" * 2_000 + text)))
    docs.append(Doc("form-bomb", "html", _page("<form><input>" * 2_000 + text)))
    docs.append(Doc("svg-bomb", "html", _page("<svg>" + "<g>" * 3_000 + "</svg>" + text)))
    docs.append(Doc("frameset", "html", b"<frameset><frame src='javascript:x'></frameset>"))
    docs.append(Doc("meta-refresh-loop", "html",
                    _page(text, "<meta http-equiv='refresh' content='0;url=javascript:x'>")))
    return docs


def hostile_documents(secret_file: str = "/nonexistent/secret.txt") -> list[Doc]:
    """The 200 documents; XXE documents point at ``secret_file``."""
    docs = _xml_docs(secret_file) + _html_docs()
    # Random bytes, some dressed as markup, make up the rest: the same bytes on every call.
    rng = random.Random(8)
    index = 0
    while len(docs) < COUNT:
        size = rng.choice((16, 512, 4096, 65_536))
        noise = bytes(rng.getrandbits(8) for _ in range(size))
        prefix = rng.choice((b"", b"<", b"<?xml version='1.0'?><rss>", b"<html><body><p>",
                             b"\x1f\x8b", b"\xef\xbb\xbf<urlset>"))
        kind = "html" if prefix.startswith(b"<html") or index % 2 else "xml"
        docs.append(Doc(f"noise-{index}", kind, prefix + noise))
        index += 1
    if len(docs) != COUNT:
        raise AssertionError(f"{len(docs)} hostile documents, expected {COUNT}")
    seen: Counter[str] = Counter()
    named = []
    for doc in docs:  # names are ids: make repeats unique
        seen[doc.name] += 1
        name = doc.name if seen[doc.name] == 1 else f"{doc.name}-{seen[doc.name]}"
        named.append(Doc(name, doc.kind, doc.body))
    return named
