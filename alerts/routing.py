"""Channels from an Apprise config file, and watches that reach them by tag.

`channels_file: apprise.yml` in the config names a file in Apprise's own format (YAML or
TEXT, https://github.com/caronc/apprise/wiki/config), where each URL may carry tags. Every
URL in it becomes a channel named after its scheme and a short hash of the URL
(`slack-3f9a1c`), so a name stays put when the file is reordered, says what kind of service
it is, and shows nothing secret. A watch reaches them with `notify: [tag:ops]`.

A file that cannot be read, that Apprise cannot parse, or that has a line Apprise would skip
is an error, never a silently smaller set of channels. Errors say where (a line, an entry) and
never quote the file or a URL: Apprise's own complaints may hold tokens and passwords.
`channel_url_problem` says, in the same way, why Apprise cannot use a channel's URL.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import apprise
from apprise.config.base import ConfigBase
from apprise.manager_plugins import NotificationManager

import alerts.console  # noqa: F401  (registers console://, which a file may use too)

__all__ = [
    "TAG_PREFIX",
    "ChannelsFileError",
    "FileChannel",
    "channel_url_problem",
    "expand_tags",
    "load_channels_file",
]

TAG_PREFIX = "tag:"
APPRISE_WIKI = "https://github.com/caronc/apprise/wiki"

_APPRISE = logging.getLogger("apprise")
# Where Apprise's complaints about a config file point: "on line 3", "entry #2, item #1".
_PLACE = re.compile(r"\bline (\d+)|\bentry #(\d+)")
# A tag as Apprise files carry them; anything else in a `tag:` entry may be a URL, not shown.
_TAG = re.compile(r"[\w.-]+")


class ChannelsFileError(ValueError):
    """The Apprise config file cannot be used; the message names the file and says why."""


@dataclass(frozen=True)
class FileChannel:
    """One URL of the file: its channel name, the URL (secret, never shown) and its tags."""

    name: str
    url: str = field(repr=False)
    tags: frozenset[str]


def load_channels_file(path: Path) -> list[FileChannel]:
    """Every URL in the Apprise config file at `path`, as named channels with their tags."""
    try:
        content = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ChannelsFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ChannelsFileError(f"cannot read {path}: not UTF-8 text") from None
    with _apprise_complaints() as complaints:
        services, includes = ConfigBase.config_parse(content)
    if complaints:
        raise ChannelsFileError(
            f"{path}: Apprise cannot load {_place(complaints)} (its message is not shown: it "
            f"may quote a secret); check the URL's format at {APPRISE_WIKI}"
        )
    if includes:
        raise ChannelsFileError(f"{path}: 'include' is not supported; list the URLs here")
    if not services:
        raise ChannelsFileError(f"{path} holds no Apprise URL")
    channels = []
    for service in services:
        url = service.url()
        digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:6]
        scheme = url.partition("://")[0].lower()
        channels.append(
            FileChannel(
                name=f"{scheme}-{digest}", url=url, tags=frozenset(str(t) for t in service.tags)
            )
        )
    return channels


def channel_url_problem(url: str) -> str | None:
    """Why Apprise cannot use ``url``, in words that quote nothing of it; None when it can."""
    scheme, found, _ = url.partition("://")
    if not found:
        return "it has no scheme:// (an Apprise URL starts like slack:// or mailtos://)"
    if scheme.lower() not in NotificationManager():
        return "no Apprise service has its scheme"
    with _apprise_complaints():
        service = apprise.Apprise.instantiate(url)
    if service is None:
        return ("Apprise cannot parse it for its service (a token, address or option is missing "
                "or malformed)")
    return None


def expand_tags(notify: Sequence[str], channels: Sequence[FileChannel]) -> tuple[str, ...]:
    """`notify` with each `tag:NAME` replaced by the names of the channels tagged NAME."""
    names: list[str] = []
    for entry in notify:
        if not entry.startswith(TAG_PREFIX):
            names.append(entry)
            continue
        tag = entry.removeprefix(TAG_PREFIX)
        tagged = [channel.name for channel in channels if tag in channel.tags]
        if not tagged:
            known = sorted({t for channel in channels for t in channel.tags})
            shown = repr(tag) if _TAG.fullmatch(tag) else "(not a tag name, not shown)"
            raise ValueError(f"unknown tag {shown} (tags: {', '.join(known) or 'none'})")
        names += tagged
    return tuple(dict.fromkeys(names))


def _place(complaints: list[str]) -> str:
    """The line or entry of the file that Apprise's complaints point at, if they say."""
    for complaint in complaints:
        found = _PLACE.search(complaint)
        if found and found.group(1):
            return f"line {found.group(1)}"
        if found:
            return f"entry {found.group(2)} of urls"
    return "an entry"


@contextmanager
def _apprise_complaints() -> Iterator[list[str]]:
    """Collect, and keep out of every log, what Apprise logs at WARNING or above: it quotes
    tokens and whole lines (Apprise masks passwords in URLs, not tokens in their paths)."""
    complaints: list[str] = []

    def collect(record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            complaints.append(record.getMessage())
        return False

    _APPRISE.addFilter(collect)
    try:
        yield complaints
    finally:
        _APPRISE.removeFilter(collect)
