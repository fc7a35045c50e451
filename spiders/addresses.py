"""Which network addresses a crawl may reach: public ones, and the site's own.

A feed, a sitemap or a redirect can name any host, so a crawl could otherwise be led to the
network it runs in: cloud metadata (169.254.169.254), a local Prefect API, a database on
10.0.0.5. :class:`AddressPolicy` answers for one (host, address) pair, where the address is what
the host resolved to: a public name that resolves to a private address is refused like the
address itself. The exceptions are the host names and addresses of the site's own configured
URLs (exactly those: a site on ``127.0.0.1`` does not reach ``127.0.0.2`` nor ``localhost``),
and ``allow_private``, which lets a site reach any address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["AddressPolicy", "AddressRefused", "address_kind", "url_host"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Shared address space (RFC 6598, carrier-grade NAT): neither private nor global in Python.
_SHARED = ipaddress.ip_network("100.64.0.0/10")
# NAT64 (RFC 6052): the last 32 bits are the IPv4 address that is really reached.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class AddressRefused(OSError):
    """A request was not sent because its host is, or resolves to, an address the crawl may
    not reach."""

    def __init__(self, host: str, address: str, kind: str) -> None:
        self.host, self.address, self.kind = host, address, kind
        resolved = "is" if host == address else f"resolves to {address}, which is"
        super().__init__(f"{host} {resolved} a {kind} address")


def address_kind(address: str | IPAddress) -> str | None:
    """Why ``address`` is not a public one ("loopback", "private", "link-local", "multicast",
    "shared", "unspecified", "reserved"), or None when it is public.

    An IPv6 address that carries an IPv4 one (IPv4-mapped, 6to4, Teredo, NAT64) is judged by
    the IPv4 address it reaches. Raises ValueError for text that is not an IP address.
    """
    ip = address if isinstance(address, IPAddress) else ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return "link-local"
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return address_kind(embedded)
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip in _SHARED:
        return "shared"
    if ip.is_private:
        return "private"
    if ip.is_reserved or not ip.is_global:
        return "reserved"
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # the client's address; the server half is public by design
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def url_host(url: str) -> str:
    """The host of ``url`` as the policy compares it: lower case, no trailing dot, an IP
    address in its canonical form; empty when the URL has none."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return _normal_host(host)


def _normal_host(host: str) -> str:
    host = host.strip("[]").rstrip(".").lower()
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


@dataclass(frozen=True, kw_only=True)
class AddressPolicy:
    """What one crawl may reach: public addresses, plus any address for ``own_hosts``; with
    ``allow_private``, everything."""

    #: Host names and IP addresses (as :func:`url_host` gives them) of the site's own URLs.
    own_hosts: frozenset[str] = frozenset()
    allow_private: bool = False

    @classmethod
    def for_urls(cls, urls: Iterable[str], *, allow_private: bool = False) -> AddressPolicy:
        """The policy of a site whose configured URLs are ``urls``."""
        return cls(own_hosts=frozenset(filter(None, map(url_host, urls))),
                   allow_private=allow_private)

    @classmethod
    def for_hosts(cls, hosts: Iterable[str], *, allow_private: bool = False) -> AddressPolicy:
        """The policy of a site whose own host names and addresses are ``hosts``."""
        return cls(own_hosts=frozenset(filter(None, map(_normal_host, hosts))),
                   allow_private=allow_private)

    def trusts(self, host: str) -> bool:
        """Whether ``host`` may be reached whatever its address: it is the site's own, or the
        policy allows private addresses."""
        return self.allow_private or _normal_host(host) in self.own_hosts

    def refusal(self, host: str, address: str) -> AddressRefused | None:
        """Why a connection to ``address``, which ``host`` resolved to, may not be opened; None
        when it may. Text that is not an IP address is refused: nothing can be said of it."""
        host = _normal_host(host)
        if self.trusts(host):
            return None
        try:
            kind = address_kind(address.strip("[]"))
        except ValueError:
            return AddressRefused(host, address, "unknown")
        return None if kind is None else AddressRefused(host, address, kind)

    def literal_refusal(self, host: str) -> AddressRefused | None:
        """The refusal for a host written as an IP address; None for a name, which is judged
        once it is resolved, or for an address that may be reached."""
        host = _normal_host(host)
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return None
        return self.refusal(host, host)
