"""Canonical URLs: one article, one URL, whatever tracking or variant the link carried."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

_TRACKING_PARAMS = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|ocid|cmpid|icid|ito|_ga|igshid|"
    r"ref_src|ref_url|smid|sh|CMP|at_medium|at_campaign|taid|cid|xtor)$",
    re.IGNORECASE,
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str) -> str:
    """The canonical form of ``url``; never raises, gives the input back when it is not a URL."""
    try:
        parts = urlsplit(url.strip())
        if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
            return url.strip()
        query = [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not _TRACKING_PARAMS.match(k)
        ]
        host = parts.hostname.lower()
        port = parts.port
        netloc = host if port in (None, _DEFAULT_PORTS[parts.scheme.lower()]) else f"{host}:{port}"
        cleaned = urlunsplit(
            (parts.scheme.lower(), netloc, parts.path or "/", urlencode(query), "")
        )
        return canonicalize_url(cleaned, keep_fragments=False)
    except ValueError:
        return url.strip()
