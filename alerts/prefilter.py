"""The term pre-filter of the matcher: which watches an article can possibly match.

As Lucene's Monitor does: each watch is reduced to the sets of words one of which a matching
article must hold all of (``Putin visit OR Xi trip`` needs {putin, visit} or {xi, trip}), and
each set is posted under its rarest word only. An article is then checked against the watches
posted under its own words, and only those whose whole set it holds are verified; a watch that
cannot match costs nothing unless its rarest word is in the article.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterable

from alerts.qcheck import Check, Plan, build_check, plan_check
from alerts.query import And, Near, Not, Or, Query, Sentence, Term
from alerts.text import WordKeys

try:
    from alerts._core import Checks, Postings
except ImportError:  # installed without a C compiler: the look-up and checks run in Python
    Checks = Postings = None

__all__ = ["TITLE_MARK", "WatchIndex"]

# Headline words are known to the pre-filter twice: as themselves and with this in front.
TITLE_MARK = "\0"


# How many ways of matching a watch the pre-filter keeps apart: "(a OR b) (c OR d)" is four,
# {a, c}, {a, d}, {b, c}, {b, d}. Past this, a part is left out, which only lets more through.
_MAX_ALTERNATIVES = 16


def _needs(node: Query, key: Callable[[str], str]) -> frozenset[frozenset[str]] | None:
    """Sets of keys such that any matching article holds every key of one of them.

    None when the node asks for no word at all (exclusions, site:, lang:).
    """
    if isinstance(node, Term):
        mark = TITLE_MARK if node.title else ""
        return frozenset({frozenset(mark + key(word) for word in node.words)})
    if isinstance(node, Or):
        options: set[frozenset[str]] = set()
        for part in node.parts:
            part_needs = _needs(part, key)
            if part_needs is None:
                return None
            options |= part_needs
        return frozenset(options)
    if isinstance(node, (And, Sentence, Near)):
        parts = node.parts if not isinstance(node, Near) else (node.left, node.right)
        result: frozenset[frozenset[str]] | None = None
        for part in parts:
            part_needs = _needs(part, key)
            if part_needs is None:
                continue
            if result is None:
                result = part_needs
            elif len(result) * len(part_needs) <= _MAX_ALTERNATIVES:
                result = frozenset(a | b for a in result for b in part_needs)
            elif len(part_needs) < len(result):
                result = part_needs  # either side alone is still needed
        return result
    return None


# Words found in a large share of news articles, by stemming language. A watch posted under
# one of them would be a candidate for most articles, so they count as this much more shared.
_COMMON_WEIGHT = 50
_COMMON_WORDS = {
    "english": """
        a about after again against all also an and any are as at back be because been before
        being between both but by can could day did do does down during each even first for
        from get had has have he her here him his how if in into is it its just last like made
        make many may me more most much must my new no not now of off on one only or other our
        out over own people said same say says see she should since so some still such than
        that the their them then there these they this those through time to too two under up
        us very was way we well were what when where which while who why will with would year
        years you your according added ago announced another around asked billion called city
        company country court week today monday tuesday wednesday thursday friday saturday
        sunday january february march april june july august september october november
        december month percent government minister president official police report told news
        state national world public million group political party three four five local home
        leader military security economy market price money business work plan law statement
        spokesman""",
    "german": """
        der die das und in zu den von mit sich des auf für ist im dem nicht ein eine als auch es
        an werden aus er hat dass sie nach wird bei einer um am sind noch wie einem über einen so
        zum war haben nur oder aber vor zur bis mehr durch man sagte jahr jahre prozent""",
    "french": """
        le la les de des du un une et en à au aux pour que qui dans sur par plus pas ne se ce il
        elle ils est sont a ont été être avec son sa ses leur mais ou comme selon après avant
        an ans année pourcent""",
    "spanish": """
        el la los las de del un una y en a al por para con que se no su sus es son fue ha han
        como más pero o sobre entre según tras año años""",
    "russian": """
        и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только
        ее мне было вот от меня еще нет о из ему теперь когда даже ну ли если уже или ни быть был
        него до вас при это год года""",
}


@functools.cache
def _common_words(algorithm: str) -> frozenset[str]:
    return frozenset(_COMMON_WORDS.get(algorithm, "").split())


def _common_keys(key: WordKeys) -> frozenset[str]:
    return frozenset(map(key, _common_words(key.algorithm)))


class WatchIndex:
    """Watches by the rarest key of each way they can match, for one stemming language.

    A watch is posted under one key per set of keys it needs (``_needs``) together with the
    rest of that set, and is a candidate only when the article holds the whole set: a watch
    that cannot match costs nothing unless its rarest key is in the article. Rarity is guessed
    from how many watches share a key (a word in many watches is likely a common one, and
    posting under it would make long lists), weighed up for common news words, then from length.
    """

    def __init__(self, queries: Iterable[Query], key: WordKeys) -> None:
        queries_list = list(queries)
        needs = [_needs(query, key) for query in queries_list]
        shared = Counter(k for options in needs if options for keys in options for k in keys)
        common = _common_keys(key)

        def cost(k: str) -> tuple[int, int, str]:
            return shared[k] * (_COMMON_WEIGHT if k in common else 1), -len(k), k

        # Each Term node's keys, by identity: worked out here once rather than per article.
        self.term_keys: dict[int, list[str]] = {}
        for query in queries_list:
            _collect_term_keys(query, key, self.term_keys)
        # Each watch's flat check, compiled the first time it is a candidate.
        self._queries = queries_list
        self.checks: list[Check | None] = [None] * len(queries_list)
        # Each set of keys a watch needs, under its rarest key: the watch and the rest of the set
        # (empty when the rarest key is all it needs). ``posted_keys`` holds the same keys in a
        # set, whose table an article's keys probe once each in C: the dictionary, much larger,
        # is read only for the few keys an article shares with it.
        posted: dict[str, list[tuple[int, frozenset[str]]]] = {}
        self.always: list[int] = []
        for number, options in enumerate(needs):
            if options is None:
                self.always.append(number)
                continue
            for keys in options:
                rarest = min(keys, key=cost)
                posted.setdefault(rarest, []).append((number, keys - {rarest}))
        self.posted = {k: tuple(entries) for k, entries in posted.items()}
        self.posted_keys = frozenset(self.posted)
        self._postings = Postings(self.posted, self.always, TITLE_MARK) if Postings else None
        # The same checks in the C core, each laid out from its plan on first use.
        self.core_checks = Checks(len(queries_list), self.plan) if Checks else None

    def plan(self, number: int) -> Plan:
        """The plan of watch ``number``'s check (``qcheck.plan_check``)."""
        return plan_check(self._queries[number], self.term_keys)

    def check(self, number: int) -> Check:
        """The check of watch ``number``: what the evaluator would answer, worked out flat."""
        check = self.checks[number]
        if check is None:
            check = self.checks[number] = build_check(self.plan(number))
        return check

    def lookup(self, keys: set[str]) -> tuple[list[int], set[str]]:
        """The watches an article's ``keys`` hold every key of one way to match (in order),
        and the keys of the ways to match that let them through (headline marks left off):
        the words their checks will look up."""
        if self._postings is not None:
            return self._postings.lookup(keys)  # type: ignore[no-any-return]
        return self.lookup_in_python(keys)

    def lookup_in_python(self, keys: set[str]) -> tuple[list[int], set[str]]:
        """``lookup`` without the C core: the same answer, and the tests' reference for it."""
        posted = self.posted
        found = set(self.always)
        wanted: set[str] = set()
        for k in keys & self.posted_keys:
            for number, rest in posted[k]:
                if rest <= keys:
                    found.add(number)
                    wanted.add(k)
                    wanted |= rest
        if any(k.startswith(TITLE_MARK) for k in wanted):
            wanted = {k.removeprefix(TITLE_MARK) for k in wanted}
        return sorted(found), wanted


def _collect_term_keys(node: Query, key: WordKeys, table: dict[int, list[str]]) -> None:
    if isinstance(node, Term):
        if id(node) not in table:
            table[id(node)] = [key(word) for word in node.words]
    elif isinstance(node, Not):
        _collect_term_keys(node.part, key, table)
    elif isinstance(node, Near):
        _collect_term_keys(node.left, key, table)
        _collect_term_keys(node.right, key, table)
    elif isinstance(node, (And, Or, Sentence)):
        for part in node.parts:
            _collect_term_keys(part, key, table)
