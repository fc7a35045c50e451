"""Fetching one page outside a crawl, for the commands a person runs by hand.

``newswatch extract URL``, ``spider check URL`` and ``spider new NAME URL`` fetch a page or two
where starting Scrapy would cost more than the download. They identify themselves with the same
User-Agent as the crawler and stop reading at ``DOWNLOAD_MAXSIZE``. Like the crawler, they open
no connection to a loopback, private or otherwise non-public address unless it is the host of
the URL given, or the policy allows private addresses (:mod:`spiders.addresses`); every
connection is checked, so a redirect meets the rule too.
"""

from __future__ import annotations

import http.client
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from spiders import settings as defaults
from spiders.addresses import AddressPolicy, AddressRefused
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
          max_bytes: int = defaults.DOWNLOAD_MAXSIZE, policy: AddressPolicy | None = None
          ) -> Fetched:
    """GET ``url``; raises :class:`FetchError` for network errors, HTTP errors, pages over
    ``max_bytes`` and addresses ``policy`` refuses (default: all but public addresses and the
    host of ``url``)."""
    policy = policy or AddressPolicy.for_urls([url])
    request = urllib.request.Request(url, headers={"User-Agent": user_agent(contact)})
    try:
        with _opener(policy).open(request, timeout=timeout) as response:
            body = response.read(max_bytes + 1)
            if len(body) > max_bytes:
                raise FetchError(f"{url}: larger than {max_bytes} bytes")
            return Fetched(url=response.geturl(), body=body,
                           content_type=response.headers.get("Content-Type", ""))
    except urllib.error.HTTPError as exc:
        raise FetchError(f"{url}: HTTP {exc.code}") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, AddressRefused):
            raise FetchError(f"{url}: refused: {exc.reason} (give --allow-private to reach "
                             "private addresses)") from None
        raise FetchError(f"{url}: {exc.reason}") from None
    except (OSError, ValueError) as exc:
        raise FetchError(f"{url}: {exc}") from None


def _opener(policy: AddressPolicy) -> urllib.request.OpenerDirector:
    """urllib's opener, whose every connection (redirects included) goes through
    :func:`_connect` with ``policy``."""

    def connect(address: tuple[str, int], timeout: float = socket.getdefaulttimeout() or 30,
                source_address: tuple[str, int] | None = None, *_: object) -> socket.socket:
        return _connect(address, timeout, source_address, policy)

    # http.client sets ``_create_connection`` on each connection; every connect() calls it.
    class Connection(http.client.HTTPConnection):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._create_connection = connect

    class TLSConnection(http.client.HTTPSConnection):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._create_connection = connect

    class Handler(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(Connection, req)

    class TLSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(TLSConnection, req, context=self._context)

    # Only HTTP(S): urllib's default opener also follows redirects to ftp:// and reads file://.
    opener = urllib.request.OpenerDirector()
    for handler in (Handler(), TLSHandler(), urllib.request.HTTPDefaultErrorHandler(),
                    urllib.request.HTTPRedirectHandler(), urllib.request.HTTPErrorProcessor(),
                    urllib.request.ProxyHandler(), urllib.request.UnknownHandler()):
        opener.add_handler(handler)
    return opener


def _connect(address: tuple[str, int], timeout: float, source_address: tuple[str, int] | None,
             policy: AddressPolicy) -> socket.socket:
    """A TCP connection to ``address`` whose host resolves only to addresses ``policy``
    allows; the connection goes to the checked address, so a second lookup cannot differ."""
    host, port = address
    resolved = [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
    for ip in resolved:
        refusal = policy.refusal(host, ip)
        if refusal is not None:
            raise refusal
    error: OSError | None = None
    for ip in resolved:
        try:
            return socket.create_connection((ip, port), timeout, source_address)
        except OSError as exc:
            error = exc
    raise error or OSError(f"{host}: no address")
