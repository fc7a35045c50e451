"""Watch queries: the language, its syntax tree and its errors.

A watch query, from the loosest binding to the tightest::

    a OR b          either side matches
    a AND b         both sides match, anywhere in the article
    a b             bare words: all of them within one sentence (the headline is one)
    a NEAR/5 b      a and b with at most 5 other words between them, in either order
    "a b"           exactly that phrase, within one sentence
    -a  -"a b"      the article must not contain it anywhere
    title:a  title:"a b"  site:bbc.co.uk  lang:en
    ( … )           grouping

Words match case- and accent-insensitively and by stem (``alerts.text``). ``AND``, ``OR`` and
``NEAR/n`` are operators only in upper case; ``and``/``or`` are words. Exclusions, ``site:``,
``lang:`` and ``title:`` hold for the whole article, so they take no part in the one-sentence
rule: ``Putin visit -Ukraine`` is "Putin and visit in one sentence, and no Ukraine anywhere".

``parse`` returns an immutable tree of ``Query`` nodes; ``str(query)`` is its normalised text,
and parsing that text again gives an equal tree. Errors::

    ValueError
     └── QueryError            any problem with a watch query; carries .query and .position
          └── QuerySyntaxError the text is not a well-formed query
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from alerts.qlex import BARE, QueryError, QuerySyntaxError, Token, lex
from alerts.text import tokenize

__all__ = [
    "And",
    "Lang",
    "Near",
    "Not",
    "Or",
    "Query",
    "QueryError",
    "QuerySyntaxError",
    "Sentence",
    "Site",
    "Term",
    "parse",
]


@dataclass(frozen=True)
class Query:
    """A node of a parsed watch query; ``str()`` gives the normalised query text."""

    def __str__(self) -> str:
        return _format(self, 0)


@dataclass(frozen=True)
class Term(Query):
    """A word, or a phrase of consecutive words; with ``title`` it must be in the headline."""

    words: tuple[str, ...]
    title: bool = False


@dataclass(frozen=True)
class Near(Query):
    """Both sides with at most ``distance`` other words between them, in either order."""

    left: Query
    right: Query
    distance: int


@dataclass(frozen=True)
class Sentence(Query):
    """All parts within one sentence (adjacent bare words)."""

    parts: tuple[Query, ...]


@dataclass(frozen=True)
class And(Query):
    """All parts, anywhere in the article."""

    parts: tuple[Query, ...]


@dataclass(frozen=True)
class Or(Query):
    """Any of the parts."""

    parts: tuple[Query, ...]


@dataclass(frozen=True)
class Not(Query):
    """The article must not match ``part`` anywhere."""

    part: Query


@dataclass(frozen=True)
class Site(Query):
    """The article's site name, or its URL's host or a parent domain of it, is ``name``."""

    name: str


@dataclass(frozen=True)
class Lang(Query):
    """The article's language is ``code`` or a variant of it (``en`` takes ``en-GB``)."""

    code: str


def is_article_wide(node: Query) -> bool:
    """Whether ``node`` holds for the article as a whole rather than at some place in it."""
    if isinstance(node, Term):
        return node.title
    if isinstance(node, (Not, Site, Lang)):
        return True
    if isinstance(node, (And, Or, Sentence)):
        return all(is_article_wide(part) for part in node.parts)
    return False


def _positive(node: Query) -> bool:
    # Whether the node asks for something to be present, rather than only for absences.
    if isinstance(node, Not):
        return False
    if isinstance(node, (And, Sentence)):
        return any(_positive(part) for part in node.parts)
    if isinstance(node, Or):
        return all(_positive(part) for part in node.parts)
    return True


def _spans(node: Query) -> bool:
    # Whether the node has word positions, as NEAR needs on both sides.
    if isinstance(node, Term):
        return not node.title
    if isinstance(node, Or):
        return all(_spans(part) for part in node.parts)
    return isinstance(node, Near)


def _all(parts: list[Query]) -> Query:
    flat: list[Query] = []
    for part in parts:
        flat.extend(part.parts if isinstance(part, And) else (part,))
    flat.sort(key=is_article_wide)  # stable: places first, whole-article conditions after
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def _any(parts: list[Query]) -> Query:
    flat: list[Query] = []
    for part in parts:
        flat.extend(part.parts if isinstance(part, Or) else (part,))
    return flat[0] if len(flat) == 1 else Or(tuple(flat))


def _sentence(parts: list[Query]) -> Query:
    flat: list[Query] = []
    for part in parts:
        flat.extend(part.parts if isinstance(part, Sentence) else (part,))
    return flat[0] if len(flat) == 1 else Sentence(tuple(flat))


# -- text -----------------------------------------------------------------------------------

_KEYWORDS = frozenset({"AND", "OR", "NEAR"})
_OR, _AND, _SENTENCE, _NEAR, _ATOM = range(5)


def _level(node: Query) -> int:
    levels = {Or: _OR, And: _AND, Sentence: _SENTENCE, Near: _NEAR}
    return levels.get(type(node), _ATOM)


def _format(node: Query, needed: int) -> str:
    text = _format_bare(node)
    return f"({text})" if _level(node) < needed else text


def _format_bare(node: Query) -> str:
    if isinstance(node, Term):
        words = node.words
        if len(words) == 1 and words[0] not in _KEYWORDS:
            text = words[0]
        else:
            text = '"' + " ".join(words) + '"'
        return "title:" + text if node.title else text
    if isinstance(node, Site):
        return "site:" + (node.name if BARE.fullmatch(node.name) else f'"{node.name}"')
    if isinstance(node, Lang):
        return "lang:" + node.code
    if isinstance(node, Not):
        part = _format_bare(node.part)
        return "-" + (part if isinstance(node.part, (Term, Site, Lang)) else f"({part})")
    if isinstance(node, Near):
        left, right = _format(node.left, _NEAR), _format(node.right, _ATOM)
        return f"{left} NEAR/{node.distance} {right}"
    if isinstance(node, Sentence):
        return " ".join(_format(part, _NEAR) for part in node.parts)
    if isinstance(node, And):
        places = [_format(p, _SENTENCE) for p in node.parts if not is_article_wide(p)]
        wide = [_format(p, _NEAR) for p in node.parts if is_article_wide(p)]
        return " ".join(filter(None, [" AND ".join(places), *wide]))
    if isinstance(node, Or):
        return " OR ".join(_format(part, _AND) for part in node.parts)
    raise TypeError(f"not a query node: {node!r}")


# -- parser ---------------------------------------------------------------------------------

_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{1,8})*")
_OPERANDS = frozenset({"word", "phrase", "field", "(", "-"})


def _describe(token: Token) -> str:
    if token.kind == "end":
        return "end of query"
    if token.kind in ("word", "phrase"):
        return repr(token.text)
    if token.kind == "field":
        return f"{token.field}:"
    if token.kind == "NEAR":
        return f"NEAR/{token.number}"
    if token.kind in ("AND", "OR"):
        return token.kind
    return repr(token.kind)


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = lex(query)
        self.index = 0

    def fail(self, message: str, position: int) -> QuerySyntaxError:
        return QuerySyntaxError(message, self.query, position)

    def peek(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect_operand(self, after: Token | None, kinds: frozenset[str] = _OPERANDS) -> None:
        token = self.peek()
        if token.kind in kinds:
            return
        if after is None:
            raise self.fail(f"expected a word, phrase or '(' at position {token.position},"
                            f" found {_describe(token)}", token.position)
        raise self.fail(f"expected a word, phrase or '(' after {_describe(after)} at position"
                        f" {after.position}, found {_describe(token)}", after.position)

    def parse(self) -> Query:
        if self.peek().kind == "end":
            raise self.fail("expected a word or phrase to look for at position 0, found an"
                            " empty query", 0)
        start = self.peek().position
        node = self.any_of()
        token = self.peek()
        if token.kind != "end":  # only a ')' can stop the parse early
            raise self.fail(f"expected an operator or the end of the query at position"
                            f" {token.position}, found a ')' that closes no '('", token.position)
        self.require_positive(node, start)
        return node

    def require_positive(self, node: Query, start: int) -> None:
        if not _positive(node):
            raise self.fail(f"expected a word or phrase to look for in the part at position"
                            f" {start}, found only exclusions", start)

    def any_of(self) -> Query:
        self.expect_operand(None)
        starts, parts = [self.peek().position], [self.all_of()]
        while self.peek().kind == "OR":
            self.expect_operand(self.take())
            starts.append(self.peek().position)
            parts.append(self.all_of())
        if len(parts) > 1:
            for start, part in zip(starts, parts, strict=True):
                self.require_positive(part, start)
        return _any(parts)

    def all_of(self) -> Query:
        parts = [self.sentence()]
        while self.peek().kind == "AND":
            self.expect_operand(self.take())
            parts.append(self.sentence())
        return _all(parts)

    def sentence(self) -> Query:
        units: list[Query] = []
        while self.peek().kind in _OPERANDS:
            units.append(self.unit())
        places = [unit for unit in units if not is_article_wide(unit)]
        wide = [unit for unit in units if is_article_wide(unit)]
        return _all(([_sentence(places)] if places else []) + wide)

    def unit(self) -> Query:
        if self.peek().kind == "-":
            minus = self.take()
            self.expect_operand(minus, _OPERANDS - {"-"})
            return Not(self.near())
        return self.near()

    def near(self) -> Query:
        left = self.primary()
        while self.peek().kind == "NEAR":
            operator = self.take()
            self.expect_operand(operator, _OPERANDS - {"-"})
            right = self.primary()
            for side, node in (("left", left), ("right", right)):
                if not _spans(node):
                    raise self.fail(
                        f"expected words or phrases on the {side} of NEAR/{operator.number} at"
                        f" position {operator.position}, found {str(node)!r}", operator.position)
            left = Near(left, right, operator.number)
        return left

    def primary(self) -> Query:
        token = self.take()
        if token.kind == "(":
            node = self.any_of()
            closing = self.take()
            if closing.kind != ")":
                raise self.fail(f"expected ')' to close the '(' at position {token.position},"
                                f" found {_describe(closing)}", token.position)
            return node
        if token.kind in ("word", "phrase"):
            return self.term(token, token.text)
        if token.field == "title":
            return self.term(token, token.text, title=True)
        if token.field == "site":
            return Site(self.site(token))
        return Lang(self.language(token))

    def term(self, token: Token, text: str, *, title: bool = False) -> Term:
        words = tuple(word for word, _, _ in tokenize(text))
        if not words:
            raise self.fail(f"expected a word with letters or digits at position"
                            f" {token.position}, found {text!r}", token.position)
        return Term(words, title)

    def site(self, token: Token) -> str:
        name = token.text.strip().lower()
        if "://" in name:
            try:
                name = urlsplit(name).hostname or ""
            except ValueError:
                name = ""
        name = name.strip("/")
        while name.startswith("www."):
            name = name[4:]
        if not name:
            raise self.fail(f"expected a site name or domain after site: at position"
                            f" {token.position}, found {token.text!r}", token.position)
        return name

    def language(self, token: Token) -> str:
        code = token.text.strip().lower().replace("_", "-")
        if not _LANGUAGE.fullmatch(code):
            raise self.fail(f"expected a language code such as 'en' or 'pt-br' after lang: at"
                            f" position {token.position}, found {token.text!r}", token.position)
        return code


def parse(text: str) -> Query:
    """Parse a watch query; raise ``QuerySyntaxError`` (a ``QueryError``) when it is malformed."""
    return _Parser(text).parse()
