"""A generated, labelled news corpus for the story benchmarks: copies and hard negatives.

Every article carries the label of the piece of journalism it is. A copy has its source's label:
another headline and dateline, up to a quarter of its sentences reworded, dropped or added, a
third of them cut to their first 40 to 80%, some copies of copies, one in ten fetched before
its source. Everything else has a label of its own, however close it sits to another article:

- **reports** by other outlets on the same topic: the same names, places and stock phrases;
- **follow-ups**: a new lead and new reporting first, then the first story's sentences (a fifth
  to a half of the text) among more new ones;
- **live-blog pages**, each at its own URL: a standing intro, the newest entries first, the
  previous page's latest entry at the bottom;
- **quote sharers**: a short piece built around the same long quote as another article.

The text is made of pseudo-words drawn with a Zipf law, plus real function words and stock news
phrases, so that unrelated articles share what real ones share: common words and phrases, not
sentences. Seeded: the same arguments give the same corpus.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate

START = datetime(2026, 11, 1, tzinfo=UTC)

FUNCTION_WORDS = (  # the head of the Zipf law, most frequent first
    "the of to and a in that said for on is was with by as at it from his he has have be are "
    "were will would not its an after their who but they this had been about which more than "
    "also over into two new one year last some could when up out there while other against "
    "since most under them before government people"
).split()
STOCK_PHRASES = (
    "said on {day}",
    "told reporters on {day}",
    "said in a statement",
    "according to officials",
    "the country's",
    "last year",
    "for the first time",
    "in recent weeks",
    "the government said",
    "is expected to",
    "did not immediately respond to a request for comment",
    "the ministry said",
    "it was not immediately clear",
    "earlier this month",
)
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SYLLABLES = (
    "ba be bi bo bu ca ce co cu da de di do du fa fe fi fo ga ge go gu ha he hi ho ja jo ka ke "
    "ki ko la le li lo lu ma me mi mo mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so "
    "su ta te ti to tu va ve vi vo za ze zo an en in on ar er or ur al el il ol st tr pr"
).split()
AGENCIES = ("Reuters", "AFP", "AP", "Wire", "DPA")


@dataclass(frozen=True, kw_only=True)
class Item:
    """One generated article: its body, its time and which piece of journalism it is."""

    id: int
    label: int  # copies share their source's label
    kind: str  # original, report, followup, live, quote, copy
    site: str
    title: str
    body: str
    time: datetime
    source: int | None = None  # a copy: the id of the article it copies


class Writer:
    """Sentences in the corpus language (one vocabulary for every seed), drawn from ``rng``."""

    def __init__(self, rng: random.Random, vocabulary: int = 8000) -> None:
        self.rng = rng
        letters = random.Random(0)
        words: set[str] = set()
        while len(words) < vocabulary:
            words.add("".join(letters.choices(SYLLABLES, k=letters.choice((2, 2, 3, 3, 4)))))
        self.words = sorted(words)
        letters.shuffle(self.words)
        self.pool = FUNCTION_WORDS + self.words
        self.cumulative = list(accumulate(1 / rank for rank in range(1, len(self.pool) + 1)))

    def name(self) -> str:
        first, last = self.rng.sample(range(200, len(self.words)), 2)
        return f"{self.words[first].capitalize()} {self.words[last].capitalize()}"

    def topic(self) -> Topic:
        rng = self.rng
        return Topic(
            names=tuple(self.name() for _ in range(rng.randint(3, 5))),
            terms=tuple(self.words[i] for i in rng.sample(range(100, 3000), 12)),
            quotes=tuple(self.words_run(rng.randint(28, 45)) for _ in range(2)),
        )

    def words_run(self, count: int) -> str:
        return " ".join(self.rng.choices(self.pool, cum_weights=self.cumulative, k=count))

    def sentence(self, topic: Topic) -> str:
        return self.sentences(topic, 1)[0]

    def sentences(self, topic: Topic, count: int) -> list[str]:
        """``count`` sentences of 10 to 28 drawn words, each with one to three of the topic's
        terms, often one of its names, sometimes a stock phrase ("said on Tuesday")."""
        rng = self.rng
        lengths = [rng.randint(10, 28) for _ in range(count)]
        drawn = rng.choices(self.pool, cum_weights=self.cumulative, k=sum(lengths))
        out, start = [], 0
        for length in lengths:
            words = drawn[start : start + length]
            start += length
            extras = rng.sample(topic.terms, rng.randint(1, 3))
            if rng.random() < 0.6:
                extras.append(rng.choice(topic.names))
            if rng.random() < 0.35:
                extras.append(rng.choice(STOCK_PHRASES).format(day=rng.choice(DAYS)))
            for extra in extras:
                words.insert(int(rng.random() * (len(words) + 1)), extra)
            text = " ".join(words)
            out.append(text[0].upper() + text[1:] + ".")
        return out

    def quote(self, topic: Topic, quote: str) -> str:
        return f"“{quote[0].upper()}{quote[1:]},” {self.rng.choice(topic.names)} said."

    def title(self, topic: Topic) -> str:
        words = [self.rng.choice(topic.names), *self.words_run(6).split()]
        return " ".join(words).capitalize()


@dataclass(frozen=True)
class Topic:
    names: tuple[str, ...]
    terms: tuple[str, ...]
    quotes: tuple[str, ...]


def body(sentences: list[str], rng: random.Random) -> str:
    """Sentences into paragraphs of one or two sentences."""
    paragraphs, i = [], 0
    while i < len(sentences):
        take = rng.choice((1, 1, 2))
        paragraphs.append(" ".join(sentences[i : i + take]))
        i += take
    return "\n\n".join(paragraphs)


class Corpus:
    """Builds the labelled corpus: ``Corpus(seed).generate(total, copies=0.1)``."""

    def __init__(self, seed: int = 4) -> None:
        self.rng = random.Random(seed)
        self.writer = Writer(self.rng)
        self.items: list[Item] = []
        self._labels = 0

    # -- the pieces of journalism ------------------------------------------------------------

    def _add(self, sentences: list[str], **fields) -> Item:
        if "label" not in fields:
            self._labels += 1
            fields["label"] = self._labels
        item = Item(id=len(self.items), body=body(sentences, self.rng), **fields)
        self.items.append(item)
        return item

    def _site(self) -> str:
        return f"site{self.rng.randrange(60)}"

    def original(self, topic: Topic, time: datetime, kind: str = "original") -> Item:
        rng, w = self.rng, self.writer
        sentences = w.sentences(topic, rng.randint(7, 20))
        if rng.random() < 0.5:
            sentences.insert(rng.randint(2, len(sentences)), w.quote(topic, topic.quotes[0]))
        if kind == "original" and rng.random() < 0.5:
            agency = rng.choice(AGENCIES)
            sentences[0] = f"{rng.choice(topic.names).upper()} ({agency}) - {sentences[0]}"
        return self._add(sentences, kind=kind, site=self._site(), title=w.title(topic), time=time)

    def follow_up(self, topic: Topic, first: Item) -> Item:
        """A later story on the same events: the new development first, then the background,
        a fifth to a half of the text, taken from the first story (its lede, its quotes)."""
        rng, w = self.rng, self.writer
        old = sentences_in(first.body)
        new = w.sentences(topic, rng.randint(4, 14))
        recycled_share = rng.uniform(0.2, 0.5)
        count = round(len(new) * recycled_share / (1 - recycled_share))
        recycled = rng.sample(old, k=min(len(old), max(1, count)))
        top = max(2, round(len(new) * rng.uniform(0.5, 1.0)))
        sentences = new[:top] + _interleave(new[top:], recycled, rng)
        time = first.time + timedelta(hours=rng.uniform(3, 60))
        return self._add(sentences, kind="followup", site=self._site(), title=w.title(topic),
                         time=time)

    def live_pages(self, topic: Topic, time: datetime, pages: int) -> list[Item]:
        """Pages of one live blog, each at its own URL: the standing intro, the newest entries
        first, and the previous page's latest entry at the bottom."""
        rng, w = self.rng, self.writer
        intro = w.sentences(topic, rng.randint(1, 2))
        site, items, previous = self._site(), [], []
        for page in range(pages):
            entries = [
                [f"{(8 + page * 6 + i) % 24:02d}:{rng.randrange(60):02d} GMT", w.sentence(topic)]
                + [w.sentence(topic) for _ in range(rng.randint(0, 2))]
                for i in range(rng.randint(4, 8))
            ]
            carried = previous[:1]
            sentences = list(intro)
            for entry in [*reversed(entries), *carried]:
                sentences += [f"{entry[0]}: {entry[1]}", *entry[2:]]
            items.append(self._add(sentences, kind="live", site=site, title=w.title(topic),
                                   time=time + timedelta(hours=6 * page)))
            previous = list(reversed(entries))
        return items

    def quote_sharer(self, topic: Topic, time: datetime) -> Item:
        """A short piece built around the long quote that the topic's original carries."""
        rng, w = self.rng, self.writer
        sentences = w.sentences(topic, rng.randint(2, 4))
        sentences.insert(1, w.quote(topic, topic.quotes[0]))
        return self._add(sentences, kind="quote", site=self._site(), title=w.title(topic),
                         time=time + timedelta(hours=rng.uniform(-6, 24)))

    def copy(self, source: Item) -> Item:
        """A syndicated copy: other headline and dateline, up to a quarter of sentences edited,
        sometimes shortened; it may arrive before its source."""
        rng, w = self.rng, self.writer
        sentences = sentences_in(source.body)  # the source may come from another corpus
        if len(sentences) > 5 and rng.random() < 0.3:
            sentences = sentences[: max(3, round(len(sentences) * rng.uniform(0.4, 0.8)))]
        sentences[0] = _redateline(sentences[0], rng)
        edits = rng.sample(range(len(sentences)), k=int(len(sentences) * rng.uniform(0, 0.25)))
        topic = Topic(names=(w.name(),), terms=tuple(rng.sample(w.words[100:3000], 5)), quotes=())
        for index in sorted(edits, reverse=True):
            action = rng.choice(("reword", "reword", "drop", "add"))
            if action == "reword":
                sentences[index] = _reword(sentences[index], w)
            elif action == "drop" and len(sentences) > 3:
                del sentences[index]
            else:
                sentences.insert(index + 1, w.sentence(topic))
        if rng.random() < 0.3:
            sentences.append(f"Reporting by {w.name()}; editing by {w.name()}.")
        offset = timedelta(minutes=rng.uniform(-60, -5) if rng.random() < 0.1 else
                           rng.uniform(5, 2 * 24 * 60))
        return self._add(sentences, label=source.label, kind="copy", site=self._site(),
                         title=w.title(topic), time=source.time + offset, source=source.id)

    # -- the whole set -----------------------------------------------------------------------

    def generate(self, total: int, *, copies: float = 0.1, days: float = 14) -> list[Item]:
        """``total`` articles, ``copies`` of them copies, in the order they are fetched."""
        rng = self.rng
        wanted_copies = round(total * copies)
        while len(self.items) < total - wanted_copies:
            topic = self.writer.topic()
            time = START + timedelta(days=rng.uniform(0, days))
            first = self.original(topic, time)
            for _ in range(rng.choice((0, 1, 1, 2, 3))):
                self.original(topic, time + timedelta(hours=rng.uniform(-12, 24)), "report")
            if rng.random() < 0.4:
                self.follow_up(topic, first)
            if rng.random() < 0.15:
                self.live_pages(topic, time, rng.randint(2, 4))
            if rng.random() < 0.2 and "“" in first.body:
                self.quote_sharer(topic, time)
        del self.items[total - wanted_copies :]
        for _ in range(wanted_copies):
            pool = self.items if rng.random() < 0.2 else self.items[: total - wanted_copies]
            source = rng.choice([i for i in rng.sample(pool, 5) if i.kind != "live"] or pool[:1])
            self.copy(source)
        return sorted(self.items, key=lambda i: (i.time, i.id))


def sentences_in(text: str) -> list[str]:
    """The sentences of a generated body (they end with a full stop and a space)."""
    return [s for p in text.split("\n\n") for s in re.split(r"(?<=\.) ", p) if s]


def _interleave(a: list[str], b: list[str], rng: random.Random) -> list[str]:
    out, a, b = [], list(a), list(b)
    while a or b:
        out.append((a if a and (not b or rng.random() < 0.5) else b).pop(0))
    return out


def _redateline(sentence: str, rng: random.Random) -> str:
    if " - " in sentence[:60] and rng.random() < 0.7:
        return sentence.split(" - ", 1)[1]
    if rng.random() < 0.3:
        return f"{rng.choice(AGENCIES).upper()} - {sentence}"
    return sentence


def _reword(sentence: str, writer: Writer) -> str:
    """Another wording: a share of the words replaced, the clauses maybe swapped."""
    rng = writer.rng
    words = sentence.rstrip(".").split()
    for i in rng.sample(range(len(words)), k=max(1, int(len(words) * rng.uniform(0.2, 0.6)))):
        words[i] = rng.choice(writer.words[:2000])
    if len(words) > 8 and rng.random() < 0.5:
        cut = rng.randrange(3, len(words) - 3)
        words = words[cut:] + words[:cut]
    return " ".join(words) + "."
