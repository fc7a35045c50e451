"""Fetching one page by hand reaches no private address but the URL's own host, as the crawl."""

from __future__ import annotations

import pytest

from spiders.addresses import AddressPolicy
from spiders.fetch import FetchError, fetch
from tests.spiders.insidesite import pointing_site


def test_a_redirect_into_the_network_is_refused_before_connecting():
    with pointing_site(metadata=False) as site:
        with pytest.raises(FetchError) as refused:
            fetch(f"{site.base_url}/redirect")

    assert str(refused.value) == (
        f"{site.base_url}/redirect: refused: 127.0.0.2 is a loopback address "
        "(give --allow-private to reach private addresses)")
    assert site.hits["/redirect"] == 1
    assert site.inside.hits == 0


def test_a_name_is_judged_by_the_address_it_resolves_to():
    with pointing_site(metadata=False) as site:
        by_name = f"http://localhost:{site.inside.own_address.port}/by-name"
        policy = AddressPolicy.for_urls([f"{site.base_url}/feed.xml"])
        with pytest.raises(FetchError, match="localhost resolves to 127.0.0.1, which is a "
                                             "loopback address"):
            fetch(by_name, policy=policy)
        # The same server by the site's own address: its host, so it may be reached.
        fetched = fetch(f"http://127.0.0.1:{site.inside.own_address.port}/by-address",
                        policy=policy)

    assert site.inside.own_address.hits == {"/by-address": 1}
    assert fetched.body.startswith(b"<!doctype html>")


def test_the_urls_own_host_and_allow_private_may_be_reached():
    with pointing_site(metadata=False) as site:
        listed = f"http://127.0.0.2:{site.inside.other_loopback.port}/listed"
        assert fetch(listed).url == listed
        redirected = fetch(f"{site.base_url}/redirect",
                           policy=AddressPolicy.for_urls([site.base_url], allow_private=True))

    assert redirected.url == site.redirect_target
    assert site.inside.other_loopback.hits == {"/listed": 1, "/redirected": 1}
