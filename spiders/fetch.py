"""Fetching one page outside a crawl, for the commands a person runs by hand.

``newswatch extract URL``, ``spider check URL`` and ``spider new NAME URL`` fetch a page or two
where starting Scrapy would cost more than the download. They identify themselves with the same
User-Agent as the crawler and stop reading at ``DOWNLOAD_MAXSIZE``.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass

from spiders import settings as defaults
from spiders.crawl import user_agent

__all__ = ["FetchError", "Fetched", "fetch"]


class FetchError(OSError):
    """The page could not be fetched; the message names the URL and the reason."""


@dataclass(frozen=True, kw_only=True)
class Fetched:
    """A fetched page: where it ended up after redirects, its bytes and its Content-Type."""

    url: str
    body: bytes
    content_type: str = ""


def fetch(url: str, *, contact: str | None = None, timeout: float = defaults.DOWNLOAD_TIMEOUT,
          max_bytes: int = defaults.DOWNLOAD_MAXSIZE) -> Fetched:
    """GET ``url``; raises :class:`FetchError` for network errors, HTTP errors and pages over
    ``max_bytes``."""
    request = urllib.request.Request(url, headers={"User-Agent": user_agent(contact)})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = response.read(max_bytes + 1)
            if len(body) > max_bytes:
                raise FetchError(f"{url}: larger than {max_bytes} bytes")
            return Fetched(url=response.geturl(), body=body,
                           content_type=response.headers.get("Content-Type", ""))
    except urllib.error.HTTPError as exc:
        raise FetchError(f"{url}: HTTP {exc.code}") from None
    except urllib.error.URLError as exc:
        raise FetchError(f"{url}: {exc.reason}") from None
    except (OSError, ValueError) as exc:
        raise FetchError(f"{url}: {exc}") from None
