"""Watch queries compiled into flat checks, for the shapes most watches have.

The matcher's evaluator walks a query tree and works out, for every node, which words of the
article it marks. That walk costs more than the check itself for the usual watch: a name, a
phrase, a few words in one sentence, two words NEAR each other, words joined by AND or OR,
exclusions. ``plan_check`` turns such a tree into a plan, nested tuples saying which set
operations it needs, with each word's key worked out once, when the watch is compiled. Any
other node (a sentence over OR or the headline, NEAR over phrases, site:, lang:) is handed
back to the evaluator, so every query still gets exactly the evaluator's answer: the same
words marked, or None.

``build_check`` turns a plan into nested closures; the C core (``alerts._core.Checks``) runs
the same plans without Python, but for the parts only the evaluator can work out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from alerts.query import And, Near, Not, Or, Query, Sentence, Term

__all__ = ["Check", "Place", "Plan", "build_check", "plan_check"]

_TITLE = 0  # the headline is sentence 0
_Span = tuple[int, int, tuple[int, ...]]
_Marks = frozenset[int] | None


class Place(Protocol):
    """What a check reads: the article's words by key and sentence, and the evaluator."""

    sentence_of: list[int]

    def positions(self, key: str) -> list[int]: ...

    def spans(self, node: Query) -> list[_Span]: ...

    def evaluate(self, node: Query) -> _Marks: ...


Check = Callable[[Place], _Marks]


# A plan: what a check does, as nested tuples the C core can run too (``alerts._core.Checks``):
#   ("words", groups)                 each group's words (``_Group``) must have a place
#   ("sentence", parts, keys)         every part in one sentence; ``keys`` the one-word parts'
#   ("near", left, right, distance)   two words NEAR each other
#   ("all", plans) / ("any", plans) / ("none", plan)
#   ("phrase", node) / ("evaluate", node)   worked out by the evaluator
Plan = tuple[Any, ...]


def plan_check(node: Query, term_keys: dict[int, list[str]]) -> Plan:
    """The plan of the check giving what ``evaluate(node)`` gives; ``term_keys`` holds the
    keys of every Term of ``node`` by the node's identity."""
    groups = _word_groups(node, term_keys)
    if groups is not None:
        return ("words", groups)
    if isinstance(node, Term):  # a phrase: one word would have made a group
        return ("phrase", node)
    if isinstance(node, Sentence) and all(
            isinstance(part, Term) and not part.title for part in node.parts):
        keys = tuple(term_keys[id(part)][0] if len(part.words) == 1 else None  # type: ignore[union-attr]
                     for part in node.parts)
        return ("sentence", node.parts, keys)
    if isinstance(node, And):
        return ("all", tuple(plan_check(part, term_keys) for part in node.parts))
    if isinstance(node, Or):
        return ("any", tuple(plan_check(part, term_keys) for part in node.parts))
    if isinstance(node, Not):
        return ("none", plan_check(node.part, term_keys))
    if isinstance(node, Near) and all(
            isinstance(side, Term) and len(side.words) == 1 and not side.title
            for side in (node.left, node.right)):
        left, right = (term_keys[id(side)][0] for side in (node.left, node.right))  # type: ignore[attr-defined]
        return ("near", left, right, node.distance)
    return ("evaluate", node)


def build_check(plan: Plan) -> Check:
    """The check a plan describes, in Python."""
    kind = plan[0]
    if kind == "words":
        return _words(plan[1])
    if kind == "phrase":
        return _phrase(plan[1])
    if kind == "sentence":
        return _sentence(plan[1], plan[2])
    if kind == "near":
        return _near(*plan[1:])
    if kind == "all":
        return _all([build_check(part) for part in plan[1]])
    if kind == "any":
        return _any([build_check(part) for part in plan[1]])
    if kind == "none":
        return _none(build_check(plan[1]))
    node = plan[1]
    return lambda place: place.evaluate(node)


_Group = tuple[tuple[str, bool], ...]  # words (key, in the headline only), any of which will do


def _word_groups(node: Query, term_keys: dict[int, list[str]]) -> tuple[_Group, ...] | None:
    """``node`` as groups of single words that must each have a word in the article, when
    it is one word, an OR of words, or an AND of those ("(a OR b) AND c" is (a, b), (c,))."""
    def word(part: Query) -> tuple[str, bool] | None:
        if isinstance(part, Term) and len(part.words) == 1:
            return term_keys[id(part)][0], part.title
        return None

    def group(part: Query) -> _Group | None:
        words = [word(one) for one in (part.parts if isinstance(part, Or) else (part,))]
        return None if None in words else tuple(words)  # type: ignore[arg-type]

    groups = [group(part) for part in (node.parts if isinstance(node, And) else (node,))]
    return None if None in groups else tuple(groups)  # type: ignore[arg-type]


def _words(groups: tuple[_Group, ...]) -> Check:
    # Each group marks every place of each of its words, and a group without one fails the
    # whole: what AND, OR and words give when the evaluator works them out one by one.
    def words(place: Place) -> _Marks:
        positions, sentence_of = place.positions, place.sentence_of
        marks: list[int] = []
        for group in groups:
            before = len(marks)
            for key, title in group:
                if title:
                    marks += [p for p in positions(key) if sentence_of[p] == _TITLE]
                else:
                    marks += positions(key)
            if len(marks) == before:
                return None
        return frozenset(marks)
    return words


def _phrase(node: Term) -> Check:
    # Its spans, which the evaluator keeps for every watch that shares the phrase.
    def phrase(place: Place) -> _Marks:
        spans = place.spans(node)
        return frozenset(w for span in spans for w in span[2]) if spans else None
    return phrase


def _sentence(parts: Sequence[Term], words: Sequence[str | None]) -> Check:
    # Each part's words in the sentences where every part has some: those sentences match,
    # and within them each part marks all its words, as the evaluator's one-sentence rule does.

    def one_sentence(place: Place) -> _Marks:
        sentence_of = place.sentence_of
        found: list[list[int]] = []
        common: set[int] | None = None
        for part, key in zip(parts, words, strict=True):
            if key is not None:
                marked = place.positions(key)
            else:  # a phrase never runs over a sentence's end
                marked = [w for span in place.spans(part) for w in span[2]]
            if not marked:
                return None
            sentences = {sentence_of[w] for w in marked}
            common = sentences if common is None else common & sentences
            if not common:
                return None
            found.append(marked)
        return frozenset(w for marked in found for w in marked if sentence_of[w] in common)
    return one_sentence


def _near(left: str, right: str, distance: int) -> Check:
    # Two words, in either order, with at most ``distance`` words between them, both in the
    # headline or both in the body: a NEAR may run over a sentence's end, not out of the headline.
    def near(place: Place) -> _Marks:
        lefts = place.positions(left)
        rights = place.positions(right) if lefts else lefts
        if not rights:
            return None
        sentence_of = place.sentence_of
        marks = set()
        for a in lefts:
            for b in rights:
                if a != b and abs(a - b) - 1 <= distance and (
                        (sentence_of[a] == _TITLE) == (sentence_of[b] == _TITLE)):
                    marks.add(a)
                    marks.add(b)
        return frozenset(marks) if marks else None
    return near


def _all(checks: list[Check]) -> Check:
    def every(place: Place) -> _Marks:
        marks: frozenset[int] = frozenset()
        for check in checks:
            result = check(place)
            if result is None:
                return None
            marks |= result
        return marks
    return every


def _any(checks: list[Check]) -> Check:
    def some(place: Place) -> _Marks:
        found = [result for result in (check(place) for check in checks) if result is not None]
        return frozenset().union(*found) if found else None
    return some


def _none(check: Check) -> Check:
    return lambda place: frozenset() if check(place) is None else None
