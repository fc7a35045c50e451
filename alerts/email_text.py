"""An HTML email's plain-text part, written by Newswatch rather than derived by Apprise.

Apprise's email plugin makes the text/plain alternative of an HTML message by converting the
HTML to text, which keeps each link's words and drops its address: a text-only reader would
get headlines without links. Inside `plain_part(text)` that conversion gives `text` instead,
so the plain part is the digest's own plain text, in the same order, with every link.
The hook is installed once, on import, and does nothing outside the block.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import apprise.plugins.email.base as apprise_email
from apprise.common import NotifyFormat

__all__ = ["plain_part"]

_PLAIN_PART: ContextVar[str | None] = ContextVar("newswatch_plain_part", default=None)


@contextmanager
def plain_part(text: str | None) -> Iterator[None]:
    """HTML emails built inside the block get `text` as their plain-text part (None or "":
    Apprise's own conversion)."""
    token = _PLAIN_PART.set(text or None)
    try:
        yield
    finally:
        _PLAIN_PART.reset(token)


def _install() -> None:
    """The email plugin calls its module's `convert_between` for the plain-text part only."""
    convert = apprise_email.convert_between
    if getattr(convert, "newswatch_hook", False):
        return

    @functools.wraps(convert)
    def convert_or_ours(from_format: Any, to_format: Any, content: Any) -> Any:
        text = _PLAIN_PART.get()
        if text is not None and (from_format, to_format) == (NotifyFormat.HTML, NotifyFormat.TEXT):
            return text
        return convert(from_format, to_format, content)

    convert_or_ours.newswatch_hook = True  # type: ignore[attr-defined]
    apprise_email.convert_between = convert_or_ours


_install()
