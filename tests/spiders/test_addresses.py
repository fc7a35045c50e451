from __future__ import annotations

import pytest

from spiders.addresses import AddressPolicy, AddressRefused, address_kind, url_host


@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "loopback"),
    ("127.0.0.2", "loopback"),
    ("::1", "loopback"),
    ("10.0.0.5", "private"),
    ("172.16.3.4", "private"),
    ("192.168.1.1", "private"),
    ("fd12:3456::1", "private"),
    ("169.254.169.254", "link-local"),  # cloud metadata
    ("fe80::1", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("ff02::1", "multicast"),
    ("100.64.0.1", "shared"),  # carrier-grade NAT
    ("100.127.255.254", "shared"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("240.0.0.1", "private"),
    ("255.255.255.255", "private"),
    ("192.0.2.10", "private"),  # documentation
    ("198.18.0.1", "private"),  # benchmarking
    ("0.1.2.3", "private"),  # "this network"
    ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
    ("::ffff:169.254.169.254", "link-local"),
    ("::ffff:10.0.0.5", "private"),
    ("2002:7f00:1::", "loopback"),  # 6to4 wrapping 127.0.0.1
    ("2002:a9fe:a9fe::1", "link-local"),  # 6to4 wrapping 169.254.169.254
    ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 of 169.254.169.254
    ("64:ff9b::7f00:1", "loopback"),
])
def test_addresses_inside_the_network_are_refused(address, kind):
    assert address_kind(address) == kind


@pytest.mark.parametrize("address", [
    "93.184.215.14", "151.101.0.81", "8.8.8.8", "100.128.0.1", "100.63.255.255",
    "2a04:4e42::81", "::ffff:8.8.8.8", "2002:0808:0808::1", "64:ff9b::808:808",
])
def test_public_addresses_are_not(address):
    assert address_kind(address) is None


def test_text_that_is_no_address_is_an_error():
    with pytest.raises(ValueError):
        address_kind("localhost")


def test_url_host_is_compared_in_one_form():
    assert url_host("http://WWW.Example.COM.:8080/a") == "www.example.com"
    assert url_host("http://[::FFFF:7f00:1]:81/") == "::ffff:7f00:1"
    assert url_host("http://127.0.0.1:4200/api/") == "127.0.0.1"
    assert url_host("not a url") == ""
    assert url_host("http://[::1/") == ""


SITE = AddressPolicy.for_urls(["http://127.0.0.1:8001/rss.xml", "https://intranet.corp/news/",
                               "https://www.bbc.co.uk/news"])


def test_a_public_address_may_be_reached_from_any_host():
    assert SITE.refusal("www.bbc.co.uk", "151.101.0.81") is None
    assert SITE.refusal("feeds.example.org", "151.101.0.81") is None


def test_the_sites_own_hosts_may_reach_their_private_addresses():
    assert SITE.refusal("127.0.0.1", "127.0.0.1") is None
    assert SITE.refusal("intranet.corp", "10.0.0.5") is None
    assert SITE.refusal("INTRANET.corp.", "10.0.0.5") is None


def test_exactly_the_sites_own_hosts():
    refusal = SITE.refusal("127.0.0.2", "127.0.0.2")
    assert isinstance(refusal, AddressRefused)
    assert refusal.kind == "loopback"
    assert str(refusal) == "127.0.0.2 is a loopback address"
    # Another name for the site's own address is another host.
    assert str(SITE.refusal("localhost", "127.0.0.1")) == (
        "localhost resolves to 127.0.0.1, which is a loopback address")


def test_a_public_name_resolving_to_a_private_address_is_refused():
    refusal = SITE.refusal("news.example.com", "10.0.0.5")
    assert refusal is not None and refusal.kind == "private"
    assert SITE.refusal("metadata.example", "169.254.169.254").kind == "link-local"
    assert SITE.refusal("v6.example", "::ffff:10.0.0.5").kind == "private"


def test_an_answer_that_is_no_address_is_refused():
    assert SITE.refusal("odd.example", "not-an-address").kind == "unknown"


def test_allow_private_reaches_everything():
    policy = AddressPolicy.for_urls(["http://127.0.0.1:8001/"], allow_private=True)
    assert policy.refusal("127.0.0.2", "127.0.0.2") is None
    assert policy.refusal("anything.example", "169.254.169.254") is None


def test_literal_refusal_judges_addresses_and_leaves_names_to_resolution():
    assert SITE.literal_refusal("169.254.169.254").kind == "link-local"
    assert SITE.literal_refusal("::ffff:127.0.0.2").kind == "loopback"
    assert SITE.literal_refusal("127.0.0.1") is None
    assert SITE.literal_refusal("93.184.215.14") is None
    assert SITE.literal_refusal("localhost") is None


def test_trusts_the_sites_own_hosts_or_everything_with_allow_private():
    assert SITE.trusts("Intranet.Corp") and SITE.trusts("127.0.0.1")
    assert not SITE.trusts("localhost") and not SITE.trusts("127.0.0.2")
    assert AddressPolicy(allow_private=True).trusts("localhost")


def test_for_hosts_normalises_like_urls():
    policy = AddressPolicy.for_hosts(["Intranet.Corp.", "[::1]", "", "127.0.0.1"])
    assert policy.own_hosts == frozenset({"intranet.corp", "::1", "127.0.0.1"})
