"""Channels from an Apprise config file, and watches that reach them by tag.

`channels_file: apprise.yml` in the config names a file in Apprise's own format (YAML or
TEXT, https://github.com/caronc/apprise/wiki/config), where each URL may carry tags. Every
URL in it becomes a channel named after its scheme and a short hash of the URL
(`slack-3f9a1c`), so a name stays put when the file is reordered, says what kind of service
it is, and shows nothing secret. A watch reaches them with `notify: [tag:ops]`.

A file that cannot be read, that Apprise cannot parse, or that has a line Apprise would skip
is an error, never a silently smaller set of channels.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from apprise.config.base import ConfigBase

import alerts.console  # noqa: F401  (registers console://, which a file may use too)

__all__ = [
    "TAG_PREFIX",
    "ChannelsFileError",
    "FileChannel",
    "expand_tags",
    "load_channels_file",
]

TAG_PREFIX = "tag:"

_APPRISE = logging.getLogger("apprise")
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://\S*")


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
        raise ChannelsFileError(f"{path}: Apprise says: {complaints[0]}")
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
            raise ValueError(f"unknown tag {tag!r} (tags: {', '.join(known) or 'none'})")
        names += tagged
    return tuple(dict.fromkeys(names))


@contextmanager
def _apprise_complaints() -> Iterator[list[str]]:
    """Collect (and keep off the terminal) what Apprise logs at WARNING or above."""
    complaints: list[str] = []

    def collect(record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            # Apprise masks passwords in URLs it quotes, but not tokens in their paths.
            said = _URL.sub(lambda found: f"{found.group(1)}://…", record.getMessage())
            complaints.append(" ".join(said.split()))
        return False

    _APPRISE.addFilter(collect)
    try:
        yield complaints
    finally:
        _APPRISE.removeFilter(collect)
