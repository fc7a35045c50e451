"""Two hundred malformed or hostile documents: no crash, no hang, no secret read, each counted.

Every document goes through both readers a crawl has, whatever it claims to be: the feed and
sitemap parser (:func:`spiders.listings.parse_listing`) and the article extractor
(:func:`spiders.extract.extract_article`). Each answer is one of a listing, a refusal
(``ListingError``), an article or "not an article"; any other exception fails the test, and a
watchdog ends the run if one document hangs.
"""

from __future__ import annotations

import faulthandler
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from spiders.extract import extract_article
from spiders.listings import Entry, Listing, ListingError, parse_listing
from tests.faults.hostile import COUNT, SECRET, Doc, hostile_documents

#: A document that takes longer than this to read is a hang in the making.
PER_DOCUMENT_S = 10
#: Bound on decompressed listings, as a crawl passes DOWNLOAD_MAXSIZE.
MAX_SIZE = 10 * 1024 * 1024
BASE = "http://127.0.0.1:9/feed.xml"


@pytest.fixture(scope="module")
def secret_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("secret") / "secret.txt"
    path.write_text(SECRET)
    return str(path)


@pytest.fixture(scope="module")
def documents(secret_file: str) -> list[Doc]:
    return hostile_documents(secret_file)


@pytest.fixture(autouse=True)
def watchdog() -> Iterator[None]:
    """A document that hangs ends the whole run with a traceback instead of blocking CI."""
    faulthandler.dump_traceback_later(120, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


def read_listing(doc: Doc) -> str:
    try:
        listing = parse_listing(doc.body, BASE, max_size=MAX_SIZE)
    except ListingError:
        return "refused"
    assert isinstance(listing, Listing)
    for entry in listing.entries:
        assert entry.url.startswith(("http://", "https://")), entry.url
        assert SECRET not in entry.url and SECRET not in (entry.title or "")
        assert "root:" not in (entry.title or ""), "/etc/passwd was read"
    return f"{listing.kind}"


def read_page(doc: Doc) -> str:
    article = extract_article(doc.body, "http://127.0.0.1:9/news/hostile-page-1", "hostile")
    if article is None:
        return "not an article"
    assert SECRET not in article.text and "root:x:0:0" not in article.text
    assert len(article.title) < 100_000
    return "article"


READERS = {"listing": read_listing, "page": read_page}


def test_two_hundred_documents_each_read_once_within_bounds(documents: list[Doc]) -> None:
    assert len(documents) == COUNT
    outcomes: dict[str, Counter[str]] = {"listing": Counter(), "page": Counter()}
    slow, crashes = [], []
    for number, doc in enumerate(documents):
        for reader, read in READERS.items():
            started = time.perf_counter()
            try:
                outcome = read(doc)
            except AssertionError:
                raise
            except Exception as exc:  # anything else is a crash of that reader
                crashes.append(f"document {number} ({doc.name}): {reader} reader raised "
                               f"{type(exc).__name__}: {exc}")
                outcome = "crash"
            took = time.perf_counter() - started
            if took > PER_DOCUMENT_S:
                slow.append(f"{number} {doc.name} ({reader}): {took:.1f} s")
            outcomes[reader][outcome] += 1
    assert not crashes, crashes
    assert not slow, slow
    # Each document counted exactly once by each reader.
    assert sum(outcomes["listing"].values()) == COUNT
    assert sum(outcomes["page"].values()) == COUNT
    # Most of them are refused as listings; the readable ones still read.
    assert outcomes["listing"]["refused"] > 60
    assert outcomes["listing"]["feed"] + outcomes["listing"]["sitemap"] > 20
    assert outcomes["page"]["article"] > 20
    assert outcomes["page"]["not an article"] > 20


@pytest.mark.parametrize("levels", [5, 8, 10])
def test_billion_laughs_is_refused_quickly(levels: int) -> None:
    from tests.faults.hostile import _laughs

    started = time.perf_counter()
    with pytest.raises(ListingError, match="entities expand past the XML parser's limit"):
        parse_listing(_laughs(levels), BASE)
    assert time.perf_counter() - started < 2


def test_a_short_entity_chain_is_read_with_its_references_unexpanded() -> None:
    from tests.faults.hostile import _laughs

    listing = parse_listing(_laughs(3), BASE)

    assert listing == Listing(kind="feed", entries=(Entry(url="http://a.example/x",
                                                          title="&lol3;"),))


@pytest.mark.parametrize("target", ["file://{secret}", "{secret}", "file:///etc/passwd",
                                    "http://127.0.0.1:9/evil.dtd"])
def test_external_entities_are_not_read(secret_file: str, target: str) -> None:
    from tests.faults.hostile import _xxe

    target = target.format(secret=secret_file)
    feed = parse_listing(_xxe(target, "rss"), BASE)
    sitemap = parse_listing(_xxe(target, "urlset"), BASE)

    # Each entry is read with the reference as written, never what it points at.
    assert feed == Listing(kind="feed", entries=(Entry(url="http://a.example/&xxe",
                                                       title="&xxe;"),))
    assert sitemap == Listing(kind="sitemap", entries=(Entry(url="http://a.example/&xxe"),))
