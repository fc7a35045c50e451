"""The configuration file, ``newswatch.yaml``: read, checked, and turned into typed values.

Every problem is a ``ConfigError`` whose message is one line naming the file, the key and what is
wrong, e.g. ``newswatch.yaml: watches[0].notify: unknown channel 'tem' (channels: team, me)``.
Nothing runs on a config error. A channel's value (its URL, with its tokens and passwords) is
never quoted, nor anything that may be one: an entry that is not a name is described, not shown.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from store.items import SiteSpec

if TYPE_CHECKING:
    from alerts.digest import WatchInfo
    from alerts.schedule import Schedule

DEFAULT_CONFIG = "newswatch.yaml"
CONFIG_ENV = "NEWSWATCH_CONFIG"
DEFAULT_EVERY = "15m"

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class ConfigError(ValueError):
    """The config file cannot be used; the message names the file, the key and the problem."""


def parse_duration(text: str) -> timedelta:
    """``15m``, ``2h``, ``30d`` → timedelta; raises ValueError with the accepted forms."""
    found = _DURATION.match(str(text))
    if not found or int(found.group(1)) == 0:
        raise ValueError(f"{text!r} is not a duration; use a number and a unit, like 15m, 2h or 7d")
    return timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})


def _check_name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError(f"{value!r} is not a valid name; use letters, digits, '-', '_' or '.'")
    return value


def _check_http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SiteConfig(_Strict):
    name: str
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    start_urls: tuple[str, ...] = ()
    every: str | None = None
    cron: str | None = None
    # A duration; listing entries older than this are not fetched. 0 keeps every entry;
    # unset, the crawl's NEWSWATCH_MAX_AGE setting applies (3 days).
    max_age: str | int | None = None
    article_urls: tuple[str, ...] = ()  # regexes; replace the article-link heuristic
    # Listing pages and article requests per crawl; unset, NEWSWATCH_MAX_PAGES applies (2000).
    max_pages: int | None = Field(default=None, ge=1, strict=True)
    allow_private: bool = False  # may reach loopback and private addresses beyond its own URLs

    _name = field_validator("name")(_check_name)

    @field_validator("article_urls", mode="before")
    @classmethod
    def _patterns(cls, value: Any) -> Any:
        values = (value,) if isinstance(value, str) else value
        for pattern in values or ():
            try:
                re.compile(pattern)
            except (re.error, TypeError) as exc:
                raise ValueError(f"{pattern!r} is not a regular expression ({exc})") from None
        return values

    @field_validator("max_age")
    @classmethod
    def _max_age(cls, value: str | int | None) -> str | int | None:
        if value is not None and value not in (0, "0"):
            parse_duration(str(value))
        return value

    @field_validator("feeds", "sitemaps", "start_urls")
    @classmethod
    def _urls(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_http_url(v) for v in values)

    @field_validator("every")
    @classmethod
    def _every(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None and len(value.split()) != 5:
            raise ValueError(f"{value!r} is not a cron expression of five fields")
        return value

    @model_validator(mode="after")
    def _one_schedule(self) -> SiteConfig:
        if self.every and self.cron:
            raise ValueError("give either 'every' or 'cron', not both")
        return self

    def spec(self) -> SiteSpec:
        max_age = None
        if self.max_age is not None:
            max_age = 0.0 if self.max_age in (0, "0") else parse_duration(
                str(self.max_age)).total_seconds()
        return SiteSpec(
            name=self.name, feeds=self.feeds, sitemaps=self.sitemaps, start_urls=self.start_urls,
            max_age=max_age, article_urls=self.article_urls, max_pages=self.max_pages,
            allow_private=self.allow_private,
        )


class WatchConfig(_Strict):
    name: str
    query: str
    notify: tuple[str, ...] = ()  # channel names, or tag:NAME for channels_file URLs so tagged
    timezone: str | None = None  # of the delivery slot and of story times in digests
    deliver: str = "instant"  # or "daily 08:00", "weekly mon 08:00", with an optional zone

    _name = field_validator("name")(_check_name)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        from alerts.schedule import check_zone

        return None if value is None else check_zone(value)

    @field_validator("deliver")
    @classmethod
    def _deliver(cls, value: str, info: ValidationInfo) -> str:
        from alerts.schedule import parse_schedule

        parse_schedule(value, info.data.get("timezone"))
        return value

    @property
    def schedule(self) -> Schedule:
        from alerts.schedule import parse_schedule

        return parse_schedule(self.deliver, self.timezone)

    @field_validator("query")
    @classmethod
    def _query(cls, value: str) -> str:
        from alerts.query import QueryError, parse

        try:
            parse(value)
        except QueryError as exc:
            raise ValueError(str(exc)) from None
        return value


class AlertsConfig(_Strict):
    """How long an alert may wait to be delivered before it is given up (marked expired)."""

    expire_after: str = "3d"

    @field_validator("expire_after")
    @classmethod
    def _expire_after(cls, value: str) -> str:
        parse_duration(value)
        return value

    @property
    def expiry(self) -> timedelta:
        return parse_duration(self.expire_after)


class StoriesConfig(_Strict):
    """How copies are grouped: a new article joins the story of a copy stored within ``window``
    of it (before or after), so a wire story carried by many sites alerts once."""

    window: str = "7d"

    @field_validator("window")
    @classmethod
    def _window(cls, value: str) -> str:
        parse_duration(value)
        return value

    @property
    def lookup_window(self) -> timedelta:
        return parse_duration(self.window)


class CrawlConfig(_Strict):
    """How crawls run: Scrapy setting overrides, a time limit per site, who to contact, and
    how many sites share a crawl process.

    ``contact`` (an http(s) or mailto: URL where site owners reach whoever runs this
    Newswatch) goes into the User-Agent; it reaches the crawler as the ``NEWSWATCH_CONTACT``
    setting, so ``settings`` carries everything a crawl needs.
    """

    settings: dict[str, Any] = Field(default_factory=dict)
    timeout: str = "30m"
    contact: str | None = None
    # A run of more than `shard_from` sites crawls them in shards, many sites per process
    # (spiders.shard), at most `shard_size` each; a smaller run gives each site its own process.
    shard_from: int = Field(default=10, ge=1)
    shard_size: int = Field(default=200, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _contact_into_settings(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("contact") and isinstance(
                data.get("settings", {}), dict):
            settings = dict(data.get("settings") or {})
            settings.setdefault("NEWSWATCH_CONTACT", data["contact"])
            data = {**data, "settings": settings}
        return data

    @field_validator("contact")
    @classmethod
    def _contact(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = urlsplit(value)
        if not ((parts.scheme in ("http", "https") and parts.hostname)
                or (parts.scheme == "mailto" and "@" in parts.path)):
            raise ValueError(f"{value!r} is not an http(s) or mailto: URL")
        return value

    @field_validator("settings")
    @classmethod
    def _setting_names(cls, settings: dict[str, Any]) -> dict[str, Any]:
        for name in settings:
            if not re.match(r"^[A-Z][A-Z0-9_]*$", name):
                raise ValueError(f"{name!r} is not a Scrapy setting name (UPPER_CASE)")
        return settings

    @field_validator("timeout")
    @classmethod
    def _timeout(cls, value: str) -> str:
        parse_duration(value)
        return value


class HealthConfig(_Strict):
    """When a site counts as broken, and where to say so.

    A site is broken after ``after`` bad runs in a row (a failed crawl, listings that list no
    article, or extraction failing on most article pages); ``channel`` (a name under
    ``channels``) then gets one "looks broken" message, and one "recovered" message later.
    """

    channel: str | None = None
    after: int = Field(default=3, ge=1)


class Config(_Strict):
    database: str = "sqlite:///newswatch.db"
    crawl: CrawlConfig = Field(default_factory=CrawlConfig)
    stories: StoriesConfig = Field(default_factory=StoriesConfig)
    health: HealthConfig = Field(default_factory=HealthConfig)
    channels: dict[str, str] = Field(default_factory=dict)
    channels_file: str | None = None  # an Apprise config file; its URLs join `channels`
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    sites: tuple[SiteConfig, ...] = ()
    watches: tuple[WatchConfig, ...] = ()
    source: str = Field(default=DEFAULT_CONFIG, exclude=True)

    @field_validator("channels")
    @classmethod
    def _channels(cls, channels: dict[str, str]) -> dict[str, str]:
        for name in channels:
            if not _NAME.match(name):  # not shown: it may be a URL written where its name goes
                raise ValueError("a channel name is letters, digits, '-', '_' or '.', and its "
                                 "Apprise URL follows it (team: slack://...)")
        return channels

    def watch_infos(self) -> dict[str, WatchInfo]:
        """Each watch as its digests name it: its query, and its place in this file."""
        from alerts.digest import WatchInfo

        return {watch.name: WatchInfo(name=watch.name, query=watch.query, index=index,
                                      config=self.source)
                for index, watch in enumerate(self.watches)}

    def site(self, name: str) -> SiteConfig:
        for site in self.sites:
            if site.name == name:
                return site
        known = ", ".join(s.name for s in self.sites) or "none"
        raise ConfigError(f"{self.source}: sites: no site named {name!r} (sites: {known})")


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read and check ``path``, else ``$NEWSWATCH_CONFIG``, else ``./newswatch.yaml``."""
    path = Path(path or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file (give --config FILE)") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}") from None
    return parse_config(raw, source=str(path))


def parse_config(raw: Any, *, source: str = DEFAULT_CONFIG) -> Config:
    """Check an already-parsed YAML document; see ``load_config``."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: the file must be a mapping of keys (database, sites, …)")
    raw = _expand_env(raw, source, ())
    try:
        config = Config.model_validate({**raw, "source": source})
    except ValidationError as exc:
        raise ConfigError(_first_error(exc, source)) from None
    config = _with_channels_file(config)
    _check_references(config)
    return config


def _expand_env(value: Any, source: str, where: tuple[Any, ...]) -> Any:
    """Replace ``${VAR}`` in strings of ``database`` and ``channels`` from the environment."""
    if isinstance(value, dict):
        return {k: _expand_env(v, source, (*where, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_env(v, source, (*where, i)) for i, v in enumerate(value)]
    if isinstance(value, str) and where and where[0] in ("database", "channels"):

        def lookup(found: re.Match[str]) -> str:
            name = found.group(1)
            if name not in os.environ:
                raise ConfigError(
                    f"{source}: {_key(where)}: environment variable {name} is not set"
                )
            return os.environ[name]

        if "${" in _ENV_REF.sub("", value):
            raise ConfigError(f"{source}: {_key(where)}: a malformed ${{VAR}} reference; write "
                              f"${{NAME}} with letters, digits and '_'")
        return _ENV_REF.sub(lookup, value)
    return value


def channels_file_path(config: Config) -> Path | None:
    """Where ``channels_file`` is; a relative path is taken from the config file's folder."""
    if not config.channels_file:
        return None
    path = Path(config.channels_file).expanduser()
    return path if path.is_absolute() else Path(config.source).parent / path


def _with_channels_file(config: Config) -> Config:
    """The config with the channels of ``channels_file`` added and ``tag:`` entries expanded."""
    from alerts.routing import TAG_PREFIX, ChannelsFileError, expand_tags, load_channels_file

    found = []
    path = channels_file_path(config)
    if path:
        try:
            found = load_channels_file(path)
        except ChannelsFileError as exc:
            raise ConfigError(f"{config.source}: channels_file: {exc}") from None
    watches = []
    for index, watch in enumerate(config.watches):
        tags = [entry for entry in watch.notify if entry.startswith(TAG_PREFIX)]
        if tags and not config.channels_file:
            raise ConfigError(
                f"{config.source}: watches[{index}].notify: {_shown(tags[0])} needs "
                f"channels_file (an Apprise config file whose URLs carry tags)"
            )
        try:
            notify = expand_tags(watch.notify, found)
        except ValueError as exc:
            raise ConfigError(f"{config.source}: watches[{index}].notify: {exc}") from None
        watches.append(watch.model_copy(update={"notify": notify}))
    channels = {channel.name: channel.url for channel in found} | config.channels
    return config.model_copy(update={"channels": channels, "watches": tuple(watches)})


def _check_references(config: Config) -> None:
    source = config.source
    for kind, items in (("sites", config.sites), ("watches", config.watches)):
        seen: set[str] = set()
        for index, item in enumerate(items):
            if item.name in seen:
                raise ConfigError(f"{source}: {kind}[{index}].name: duplicate name {item.name!r}")
            seen.add(item.name)
    for index, site in enumerate(config.sites):
        if not (site.feeds or site.sitemaps or site.start_urls) and not _has_python_spider(
            site.name
        ):
            raise ConfigError(
                f"{source}: sites[{index}]: site {site.name!r} needs feeds, sitemaps or start_urls "
                f"(or a Python spider named {site.name!r} in spiders/sites/)"
            )
    if config.health.channel is not None and config.health.channel not in config.channels:
        known = ", ".join(config.channels) or "none configured"
        raise ConfigError(
            f"{source}: health.channel: unknown channel {_shown(config.health.channel)} "
            f"(channels: {known})"
        )
    for index, watch in enumerate(config.watches):
        for channel in watch.notify:
            if channel not in config.channels:
                known = ", ".join(config.channels) or "none configured"
                raise ConfigError(
                    f"{source}: watches[{index}].notify: unknown channel {_shown(channel)} "
                    f"(channels: {known})"
                )
    _check_channel_urls(config)
    _check_database_url(config)


def _check_channel_urls(config: Config) -> None:
    from alerts import deliver  # noqa: F401  (registers console://)
    from alerts.routing import APPRISE_WIKI, channel_url_problem

    for name, url in config.channels.items():
        problem = channel_url_problem(url)
        if problem is not None:
            raise ConfigError(f"{config.source}: channels.{name}: not a valid Apprise URL: "
                              f"{problem}; see {APPRISE_WIKI}")


def _check_database_url(config: Config) -> None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        make_url(config.database)
    except ArgumentError:
        raise ConfigError(
            f"{config.source}: database: not a database URL; use sqlite:///FILE "
            f"or postgresql+psycopg://user@host/db"
        ) from None


def _has_python_spider(name: str) -> bool:
    from spiders.registry import site_spiders

    return name in site_spiders()


def _shown(entry: str) -> str:
    """A channel or tag reference quoted, unless it may be a channel's URL put in its place."""
    name = entry.removeprefix("tag:")
    return repr(entry) if _NAME.match(name) else "(an entry that is not a name, not shown)"


def _key(where: tuple[Any, ...]) -> str:
    out = ""
    for part in where:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _first_error(exc: ValidationError, source: str) -> str:
    error = exc.errors()[0]
    where = tuple(p for p in error["loc"] if p not in ("function-after",))
    if where[:1] == ("channels",) and len(where) > 1 and not _NAME.match(str(where[1])):
        where = ("channels", "(a key that is not a name, not shown)")
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key"
        if len(where) == 1:
            keys = ", ".join(key for key in Config.model_fields if key != "source")
            message += f" (keys: {keys})"
    elif error["type"] == "missing":
        message = "required key is missing"
    return f"{source}: {_key(where)}: {message}"
