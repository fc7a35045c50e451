"""Routing: channels from an Apprise config file, watches that reach them by tag, and the
config errors for tags, files, schedules and expiry."""

from __future__ import annotations

import logging
from pathlib import Path
from textwrap import dedent

import pytest
import yaml

from alerts.routing import ChannelsFileError, expand_tags, load_channels_file
from alerts.schedule import parse_schedule
from flows.config import ConfigError, load_config

YAML_FILE = """\
version: 1
urls:
  - json://127.0.0.1:8080/hook?+X-Token=s3cr3t-header:
      tag: ops, dev
  - mailto://alerts:pa55word-x@127.0.0.1:2525?from=a@x.example&to=b@y.example:
      tag: ops
  - console://
"""

TEXT_FILE = """\
# the same channels in Apprise's TEXT format
ops,dev=json://127.0.0.1:8080/hook?+X-Token=s3cr3t-header
ops=mailto://alerts:pa55word-x@127.0.0.1:2525?from=a@x.example&to=b@y.example
console://
"""


@pytest.mark.parametrize("content", [YAML_FILE, TEXT_FILE], ids=["yaml", "text"])
def test_every_url_is_a_named_channel_with_its_tags(tmp_path: Path, content: str) -> None:
    path = tmp_path / "apprise.cfg"
    path.write_text(content)
    channels = load_channels_file(path)
    assert [c.name.split("-")[0] for c in channels] == ["json", "mailto", "console"]
    assert [sorted(c.tags) for c in channels] == [["dev", "ops"], ["ops"], []]
    for channel in channels:
        assert "s3cr3t" not in channel.name and "pa55word" not in channel.name
        assert "s3cr3t" not in repr(channel) and "pa55word" not in repr(channel)
    assert "X-Token=s3cr3t-header" in channels[0].url.replace("%2B", "+")


def test_names_stay_when_the_file_is_reordered(tmp_path: Path) -> None:
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    lines = TEXT_FILE.splitlines(keepends=True)
    first.write_text("".join(lines))
    second.write_text("".join([lines[0], *reversed(lines[1:])]))
    names = {c.name for c in load_channels_file(first)}
    assert names == {c.name for c in load_channels_file(second)}
    assert len(names) == 3


def test_tags_expand_to_their_channels(tmp_path: Path) -> None:
    path = tmp_path / "apprise.yml"
    path.write_text(YAML_FILE)
    channels = load_channels_file(path)
    json, mail, _ = (c.name for c in channels)
    assert expand_tags(["tag:ops"], channels) == (json, mail)
    assert expand_tags(["team", "tag:dev", "tag:ops"], channels) == ("team", json, mail)
    with pytest.raises(ValueError, match=r"^unknown tag 'opz' \(tags: dev, ops\)$"):
        expand_tags(["tag:opz"], channels)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "holds no Apprise URL"),
        ("urls:\n  - nosuchservice://x\n", "Apprise cannot load an entry "),
        ("ops=json://127.0.0.1/x\nthis line is not a url\n", "Apprise cannot load line 2 "),
        ("urls:\n  - json://127.0.0.1/x\n  - slack://only-one-token:\n      tag: ops\n",
         "Apprise cannot load entry 2 of urls "),
        ("ops=json://127.0.0.1/x\ninclude other.yml\n", "'include' is not supported"),
    ],
)
def test_unusable_files_are_errors(tmp_path: Path, content: str, problem: str, capsys) -> None:
    path = tmp_path / "apprise.txt"
    path.write_text(content)
    with pytest.raises(ChannelsFileError) as raised:
        load_channels_file(path)
    assert str(raised.value).startswith(str(path)) and problem in str(raised.value)
    assert capsys.readouterr() == ("", "")  # Apprise's own complaints stay off the terminal


@pytest.mark.parametrize("content", [
    "urls:\n  - nosuchservice://user:pa55word-x@host/t0ken-in-the-path\n",
    "ops=slack://t0ken-in-the-path\n",  # Apprise quotes the token it finds invalid
    "urls:\n  - slack://t0ken-in-the-path:\n      tag: ops\n",
    "ops=json://127.0.0.1/x\nt0ken-in-the-path pa55word-x\n",  # Apprise quotes the line
])
def test_errors_never_quote_the_file(tmp_path: Path, content: str, caplog) -> None:
    path = tmp_path / "apprise.yml"
    path.write_text(content)
    with caplog.at_level(logging.DEBUG), pytest.raises(ChannelsFileError) as raised:
        load_channels_file(path)
    said = str(raised.value) + caplog.text
    assert str(raised.value).startswith(f"{path}: Apprise cannot load ")
    assert "t0ken" not in said and "pa55word" not in said


# -- the config file --------------------------------------------------------------------------


def write(tmp_path: Path, **config) -> Path:
    path = tmp_path / "newswatch.yaml"
    config.setdefault("database", f"sqlite:///{tmp_path / 'nw.db'}")
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def watch(**fields) -> dict:
    return {"name": "w", "query": "Putin visit", **fields}


def config_error(path: Path) -> str:
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    return str(raised.value)


def test_channels_file_joins_the_channels_and_tags_become_names(tmp_path: Path) -> None:
    (tmp_path / "apprise.yml").write_text(YAML_FILE)
    path = write(
        tmp_path,
        channels={"team": "json://127.0.0.1:9/team"},
        channels_file="apprise.yml",  # relative to the config file
        watches=[watch(notify=["team", "tag:ops"])],
    )
    config = load_config(path)
    [json, mail, console] = load_channels_file(tmp_path / "apprise.yml")
    assert config.watches[0].notify == ("team", json.name, mail.name)
    assert set(config.channels) == {"team", json.name, mail.name, console.name}
    assert config.channels[mail.name] == mail.url


@pytest.mark.parametrize(
    ("config", "error"),
    [
        (
            {"channels_file": "apprise.yml", "watches": [watch(notify=["tag:opz"])]},
            "watches[0].notify: unknown tag 'opz' (tags: dev, ops)",
        ),
        (
            {"watches": [watch(notify=["tag:ops"])]},
            "watches[0].notify: 'tag:ops' needs channels_file (an Apprise config file whose "
            "URLs carry tags)",
        ),
        (
            {"channels_file": "missing.yml"},
            "channels_file: cannot read {dir}/missing.yml: No such file or directory",
        ),
        (
            {"channels_file": "."},
            "channels_file: cannot read {dir}: Is a directory",
        ),
        (
            {"watches": [watch(deliver="daily 8am")]},
            "watches[0].deliver: '8am' in 'daily 8am' is not a time of day; use HH:MM, like 08:00",
        ),
        (
            {"watches": [watch(deliver="daily 08:00", timezone="Europe/Nowhere")]},
            "watches[0].timezone: unknown time zone 'Europe/Nowhere'; use an IANA name like "
            "Europe/Istanbul or UTC",
        ),
        (
            {"alerts": {"expire_after": "soon"}},
            "alerts.expire_after: 'soon' is not a duration; use a number and a unit, like 15m, "
            "2h or 7d",
        ),
        ({"alerts": {"expire": "3d"}}, "alerts.expire: unknown key"),
    ],
)
def test_config_errors_are_one_line(tmp_path: Path, config: dict, error: str) -> None:
    (tmp_path / "apprise.yml").write_text(YAML_FILE)
    path = write(tmp_path, **config)
    assert config_error(path) == f"{path}: " + error.format(dir=tmp_path)


def test_schedule_expiry_and_timezone_from_the_config(tmp_path: Path) -> None:
    path = tmp_path / "newswatch.yaml"
    path.write_text(
        dedent(
            """\
            alerts: {expire_after: 7d}
            watches:
              - {name: a, query: x}
              - {name: b, query: x, deliver: weekly mon 08:00, timezone: Europe/Istanbul}
              - {name: c, query: x, deliver: daily 18:30 Asia/Tokyo}
            """
        )
    )
    config = load_config(path)
    assert config.alerts.expiry.days == 7
    a, b, c = (w.schedule for w in config.watches)
    assert a == parse_schedule("instant")
    assert b == parse_schedule("weekly mon 08:00 Europe/Istanbul")
    assert c == parse_schedule("daily 18:30 Asia/Tokyo")
    assert load_config(write(tmp_path)).alerts.expiry.days == 3  # the default
