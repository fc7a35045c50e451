"""The query lexer and the errors of watch queries (``alerts.query`` is the public face).

::

    ValueError
     └── QueryError            any problem with a watch query; carries .query and .position
          └── QuerySyntaxError the text is not a well-formed query
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["BARE", "QueryError", "QuerySyntaxError", "Token", "lex"]

# A run of text that is neither space, parenthesis nor quote: a word, operator or field.
BARE = re.compile(r"[^\s()\"“”„]+")


class QueryError(ValueError):
    """A watch query cannot be used. ``.position`` is a 0-based offset into ``.query``."""

    def __init__(self, message: str, query: str, position: int) -> None:
        super().__init__(f"{message} in {query!r}")
        self.query = query
        self.position = position


class QuerySyntaxError(QueryError):
    """The query text is malformed: unbalanced quotes or parentheses, a dangling operator,
    NEAR without a number, an unknown field, an empty query or one made only of exclusions."""


class Token(NamedTuple):
    """One lexical unit of a query and the offset where it starts."""

    kind: str  # word, phrase, field, AND, OR, NEAR, (, ), -, end
    position: int
    text: str = ""  # the word, the phrase, or the field's value
    field: str = ""
    number: int = 0


_QUOTES = "\"“”„"
_FIELDS = ("title", "site", "lang")
_FIELD = re.compile(r"([A-Za-z]+):")
_NEAR_OPERATOR = re.compile(r"NEAR/(\d+)")


def lex(query: str) -> list[Token]:
    """Cut a query into tokens; raise ``QuerySyntaxError`` for what no parse could mend."""
    tokens: list[Token] = []
    i, n = 0, len(query)

    def fail(message: str, position: int) -> QuerySyntaxError:
        return QuerySyntaxError(message, query, position)

    def quoted(start: int) -> tuple[str, int]:
        end = next((k for k in range(start + 1, n) if query[k] in _QUOTES), -1)
        if end < 0:
            raise fail(f"expected a closing quote for the quote at position {start}", start)
        return query[start + 1:end], end + 1

    while i < n:
        char = query[i]
        if char.isspace():
            i += 1
        elif char in "()":
            tokens.append(Token(char, i))
            i += 1
        elif char in _QUOTES:
            text, end = quoted(i)
            tokens.append(Token("phrase", i, text))
            i = end
        elif char == "-":
            if i + 1 == n or query[i + 1].isspace() or query[i + 1] in ")-":
                found = repr(query[i + 1]) if i + 1 < n else "end of query"
                raise fail(f"expected a word, phrase or '(' right after the '-' at position {i},"
                           f" found {found}", i)
            tokens.append(Token("-", i))
            i += 1
        else:
            end = BARE.match(query, i).end()
            run = query[i:end]
            field = _FIELD.match(run)
            if run in ("AND", "OR"):
                tokens.append(Token(run, i))
            elif run == "NEAR" or run.startswith("NEAR/"):
                near = _NEAR_OPERATOR.fullmatch(run)
                if not near:
                    raise fail(f"expected a number after NEAR at position {i} (as in NEAR/5),"
                               f" found {run!r}", i)
                tokens.append(Token("NEAR", i, number=int(near.group(1))))
            elif field and (len(run) > field.end() or field.group(1).lower() in _FIELDS
                            or (end < n and query[end] in _QUOTES)):
                name = field.group(1).lower()
                if name not in _FIELDS:
                    raise fail(f"expected one of the fields title:, site:, lang: at position {i},"
                               f" found unknown field {field.group()!r}", i)
                value = run[field.end():]
                if not value and end < n and query[end] in _QUOTES:
                    value, end = quoted(end)
                elif not value:
                    found = repr(query[end]) if end < n else "end of query"
                    raise fail(f"expected a value right after {name}: at position {i},"
                               f" found {found}", i)
                tokens.append(Token("field", i, value, field=name))
            else:
                tokens.append(Token("word", i, run))
            i = end
    tokens.append(Token("end", n))
    return tokens
