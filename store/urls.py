"""Canonical URLs: one article, one URL, whatever tracking or variant the link carried.

``canonical_url`` drops what only says how a reader arrived (tracking parameters, the
fragment, a default port), normalises what has several spellings (scheme and host case,
percent-encoding, query order, through w3lib) and collapses the AMP and mobile editions onto
the main one. It stays a URL the crawler can fetch, and it never merges two articles: a
parameter that might select content is kept (a copy reached through it still joins its story,
see ``store.stories``). ``<link rel="canonical">`` is preferred by the extractor when it points
to the same site (``spiders.extract``); this module makes any URL canonical.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Parameters that only say where a click came from: analytics and ad platforms, newsletters,
# share buttons and feed readers.
_TRACKING_PARAMS = re.compile(
    r"""^(?:
        utm_\w+ | mtm_\w+ | pk_\w+ | piwik_\w+ | at_\w+ | ns_\w+ | hsa_\w+ | oly_\w+ | vero_\w+
        | int_(?:source|medium|campaign|content|term)
        | fbclid | gclid | gclsrc | dclid | wbraid | gbraid | msclkid | yclid | twclid | ttclid
        | li_fat_id | igshid | srsltid | s_kwcid | ef_id | epik | rb_clickid | mkt_tok
        | mc_cid | mc_eid | _ga | _gl | _hsenc | _hsmi | __tn__ | __cft__\[\d+\]
        | ocid | cmpid | icid | intcmp | ito | xtor | s_cid | ncid | smid | smtyp | emc
        | cmp | taid | ref_src | ref_url | sr_share | soc_src | soc_trk | wt\.mc_id | wt_mc
        | feedtype | feedname | partner | amp | outputtype | maca
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_VARIANT_HOST = re.compile(r"^(?:m|mobile|amp)\.(?=[^.]+\.[^.]+)")  # m.bbc.co.uk, not m.co
_AMP_PATH = (
    (re.compile(r"^(?:/amp)+(?=/)"), ""),  # /amp/news/123
    (re.compile(r"(?:/amp)+(/?)$"), r"\1"),  # /news/123/amp, /2024/05/slug/amp/
    (re.compile(r"(?:\.amp)+(\.html?)?$"), r"\1"),  # /news/123.amp, /news/123.amp.html
)


def canonical_url(url: str) -> str:
    """The canonical form of ``url``; never raises, gives the input back when it is not a URL.

    Applying it twice changes nothing.
    """
    try:
        first = _canonical(url.strip())
        second = _canonical(first)
    except ValueError:
        return url.strip()
    if second == first:  # settled: a third pass would give the same again
        return second
    # One pass is enough for every URL the tests know; a second one settles the rest (w3lib
    # may re-encode what the first pass decoded), and a URL still moving is left as it came.
    return second if _canonical(second) == second else url.strip()


def _canonical(url: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return url
    host = _VARIANT_HOST.sub("www.", parts.hostname.lower().rstrip("."))
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    port = parts.port
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if parts.username or parts.password:  # kept as given: they are rare and never tracking
        netloc = f"{parts.netloc.rsplit('@', 1)[0]}@{netloc}"
    path = parts.path or "/"
    for pattern, replacement in _AMP_PATH:
        path = pattern.sub(replacement, path) or "/"
    # Pairs are kept as they were written: decoding and encoding again could change them.
    query = "&".join(
        pair
        for pair in parts.query.split("&")
        if pair and not _TRACKING_PARAMS.match(unquote_plus(pair.split("=", 1)[0]))
    )
    cleaned = urlunsplit((scheme, netloc, path, query, ""))
    return canonicalize_url(cleaned, keep_fragments=False)
