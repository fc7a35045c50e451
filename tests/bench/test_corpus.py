"""The benchmark corpus: prerendered servers answer exactly what servers making pages do."""

from __future__ import annotations

import urllib.error
import urllib.request

from bench.corpus import Corpus, serve_corpus


def fetch(url: str, **headers: str) -> tuple[int, bytes, str | None]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(), response.headers.get("ETag")
    except urllib.error.HTTPError as error:
        return error.code, b"", error.headers.get("ETag")


def test_prerendered_pages_are_the_pages_made_on_request():
    corpus = Corpus(20, seed=3, page_bytes=8_000)
    site = corpus.sites[0]
    paths = ["/robots.txt", "/", *site.listing_paths(), *list(site.by_path)[:5], "/missing"]
    with serve_corpus(corpus) as made, serve_corpus(corpus, prerender=True) as ready:
        for path in paths:
            answers = []
            for servers in (made, ready):
                base = servers[site.name].base_url
                status, body, _ = fetch(base + path)
                answers.append((status, body.replace(base.encode(), b"{base}")))
            assert answers[0] == answers[1], path
            assert answers[0][0] == (404 if path == "/missing" else 200)

        article = next(iter(site.by_path))
        status, _, etag = fetch(ready[site.name].base_url + article)
        assert etag and fetch(ready[site.name].base_url + article,
                              **{"If-None-Match": etag})[0] == 304
        assert ready.count_hits(kind="article") == 5 + 2  # every request is still counted
