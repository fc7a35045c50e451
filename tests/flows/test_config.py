"""Each config problem is one line naming the file, the key and what is wrong."""

import logging
from textwrap import dedent

import pytest

from alerts.digest import WatchInfo
from flows.config import ConfigError, load_config, parse_duration

GOOD = """\
database: sqlite:///news.db
channels:
  team: "json://127.0.0.1:9/hook"
sites:
  - name: courier
    feeds: ["https://courier.example/rss.xml"]
    every: 15m
watches:
  - name: putin-visit
    query: Putin visit
    notify: [team]
"""


def write(tmp_path, text):
    path = tmp_path / "newswatch.yaml"
    path.write_text(dedent(text))
    return path


def error_for(tmp_path, text) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    return message.removeprefix(f"{path}: ")


def test_good_config_loads(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    assert config.sites[0].spec().feeds == ("https://courier.example/rss.xml",)
    assert config.watches[0].notify == ("team",)


def test_watches_as_their_digests_name_them(tmp_path):
    path = write(tmp_path, GOOD + "  - name: floods\n    query: floods -Brazil\n")
    infos = load_config(path).watch_infos()
    assert infos == {
        "putin-visit": WatchInfo(name="putin-visit", query="Putin visit", index=0,
                                 config=str(path)),
        "floods": WatchInfo(name="floods", query="floods -Brazil", index=1, config=str(path)),
    }


def test_config_path_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSWATCH_CONFIG", str(write(tmp_path, GOOD)))
    assert load_config().watches[0].name == "putin-visit"


def test_missing_file_says_so(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "absent.yaml")


def test_unknown_top_level_key(tmp_path):
    assert error_for(tmp_path, GOOD + "colour: blue\n").startswith("colour: unknown key")


def test_unknown_site_key(tmp_path):
    text = GOOD.replace("    every: 15m", "    evry: 15m")
    assert error_for(tmp_path, text) == "sites[0].evry: unknown key"


def test_unknown_channel_in_notify(tmp_path):
    text = GOOD.replace("notify: [team]", "notify: [tem]")
    assert error_for(tmp_path, text) == "watches[0].notify: unknown channel 'tem' (channels: team)"


def test_duplicate_site_name(tmp_path):
    text = GOOD.replace(
        "watches:",
        '  - name: courier\n    feeds: ["https://other.example/rss"]\nwatches:',
    )
    assert error_for(tmp_path, text) == "sites[1].name: duplicate name 'courier'"


def test_duplicate_watch_name(tmp_path):
    text = GOOD + "  - name: putin-visit\n    query: Xi\n"
    assert error_for(tmp_path, text) == "watches[1].name: duplicate name 'putin-visit'"


def test_allow_private_reaches_the_sites_spec(tmp_path):
    assert load_config(write(tmp_path, GOOD)).sites[0].spec().allow_private is False
    text = GOOD.replace("    every: 15m\n", "    every: 15m\n    allow_private: true\n", 1)
    assert load_config(write(tmp_path, text)).sites[0].spec().allow_private is True
    message = error_for(tmp_path, text.replace("allow_private: true", "allow_private: maybe"))
    assert message.startswith("sites[0].allow_private: "), message


def test_malformed_feed_url(tmp_path):
    text = GOOD.replace("https://courier.example/rss.xml", "courier.example/rss.xml")
    assert (
        error_for(tmp_path, text)
        == "sites[0].feeds: 'courier.example/rss.xml' is not an http(s) URL"
    )


def test_malformed_channel_url(tmp_path):
    text = GOOD.replace("json://127.0.0.1:9/hook", "nosuchservice://x")
    assert error_for(tmp_path, text).startswith("channels.team: not a valid Apprise URL")


def test_unset_environment_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("SLACK_TOKEN_A", raising=False)
    text = GOOD.replace("json://127.0.0.1:9/hook", "slack://${SLACK_TOKEN_A}/B/C")
    assert (
        error_for(tmp_path, text) == "channels.team: environment variable SLACK_TOKEN_A is not set"
    )


def test_environment_variable_is_expanded_and_never_echoed(tmp_path, monkeypatch):
    monkeypatch.setenv("HOOK_TOKEN", "s3cret")
    text = GOOD.replace("json://127.0.0.1:9/hook", "json://127.0.0.1:9/${HOOK_TOKEN}")
    config = load_config(write(tmp_path, text))
    assert config.channels["team"] == "json://127.0.0.1:9/s3cret"


def test_bad_duration(tmp_path):
    text = GOOD.replace("every: 15m", "every: soon")
    assert "sites[0].every: 'soon' is not a duration" in error_for(tmp_path, text)


def test_site_without_any_url(tmp_path):
    text = GOOD.replace('    feeds: ["https://courier.example/rss.xml"]\n', "")
    assert "sites[0]: site 'courier' needs feeds, sitemaps or start_urls" in error_for(
        tmp_path, text
    )


def test_malformed_query_names_the_position(tmp_path):
    text = GOOD.replace("query: Putin visit", "query: 'Putin \"visit'")
    message = error_for(tmp_path, text)
    assert message.startswith("watches[0].query: ")
    assert "position" in message


def test_invalid_yaml(tmp_path):
    assert error_for(tmp_path, "sites: [\n").startswith("not valid YAML at line")


def test_bad_database_url(tmp_path):
    assert error_for(tmp_path, GOOD.replace("sqlite:///news.db", "nonsense")).startswith(
        "database: not a database URL"
    )


def test_durations():
    assert parse_duration("15m").total_seconds() == 900
    with pytest.raises(ValueError):
        parse_duration("0m")


# -- channel values never show in an error ---------------------------------------------------

SECRET = "s3cr3t-t0ken-9f2"
CHANNEL = 'team: "json://127.0.0.1:9/hook"'


@pytest.mark.parametrize(("old", "new", "error"), [
    (CHANNEL, 'team: "slack://${HOOK_TOKEN}"',  # Apprise's own log quotes this URL
     "channels.team: not a valid Apprise URL: Apprise cannot parse it for its service (a "
     "token, address or option is missing or malformed); see https://github.com/caronc/apprise/wiki"),
    (CHANNEL, 'team: "nosuch${HOOK_TOKEN}://host/${HOOK_TOKEN}"',
     "channels.team: not a valid Apprise URL: no Apprise service has its scheme; see "
     "https://github.com/caronc/apprise/wiki"),
    (CHANNEL, 'team: "${HOOK_TOKEN}"',
     "channels.team: not a valid Apprise URL: it has no scheme:// (an Apprise URL starts like "
     "slack:// or mailtos://); see https://github.com/caronc/apprise/wiki"),
    (CHANNEL, 'team: "json://127.0.0.1:9/${HOOK_TOKEN}/${HOOK_TOKEN"',
     "channels.team: a malformed ${VAR} reference; write ${NAME} with letters, digits and '_'"),
    (CHANNEL, f'team: "json://127.0.0.1:9/{SECRET}/$' + '{HOOK TOKEN}"',
     "channels.team: a malformed ${VAR} reference; write ${NAME} with letters, digits and '_'"),
    (CHANNEL, 'team: ["json://127.0.0.1:9/${HOOK_TOKEN}"]',
     "channels.team: Input should be a valid string"),
    (CHANNEL, f'team: {{url: "json://127.0.0.1:9/{SECRET}"}}',
     "channels.team: Input should be a valid string"),
    (CHANNEL, f'"json://127.0.0.1:9/{SECRET}": team',  # name and URL swapped
     "channels: a channel name is letters, digits, '-', '_' or '.', and its Apprise URL "
     "follows it (team: slack://...)"),
    (CHANNEL, f'"json://127.0.0.1:9/{SECRET}": [team]',
     "channels.(a key that is not a name, not shown): Input should be a valid string"),
    ("notify: [team]", f'notify: ["json://127.0.0.1:9/{SECRET}"]',  # a URL instead of a name
     "watches[0].notify: unknown channel (an entry that is not a name, not shown) "
     "(channels: team)"),
    ("notify: [team]", f'notify: ["tag:json://127.0.0.1:9/{SECRET}"]',
     "watches[0].notify: (an entry that is not a name, not shown) needs channels_file (an "
     "Apprise config file whose URLs carry tags)"),
    ("watches:", f'health: {{channel: "json://127.0.0.1:9/{SECRET}"}}\nwatches:',
     "health.channel: unknown channel (an entry that is not a name, not shown) "
     "(channels: team)"),
])
def test_channel_errors_never_show_any_of_its_value(tmp_path, monkeypatch, caplog, capfd,
                                                    old, new, error):
    monkeypatch.setenv("HOOK_TOKEN", SECRET)
    assert old in GOOD
    with caplog.at_level(logging.DEBUG):
        message = error_for(tmp_path, GOOD.replace(old, new))
    assert message == error
    out, err = capfd.readouterr()
    for said in (message, caplog.text, out, err):
        assert "s3cr3t" not in said and "t0ken" not in said


@pytest.mark.parametrize(("apprise_file", "notify", "error"), [
    (f"ops=json://127.0.0.1:9/x\nops=slack://{SECRET}/pa55word\n", "tag:ops",
     "channels_file: {file}: Apprise cannot load line 2 (its message is not shown: it may "
     "quote a secret); check the URL's format at https://github.com/caronc/apprise/wiki"),
    (f"urls:\n  - slack://{SECRET}:\n      tag: ops\n", "tag:ops",
     "channels_file: {file}: Apprise cannot load entry 1 of urls (its message is not shown: "
     "it may quote a secret); check the URL's format at https://github.com/caronc/apprise/wiki"),
    ("ops=json://127.0.0.1:9/x\n", f"tag:slack://{SECRET}",
     "watches[0].notify: unknown tag (not a tag name, not shown) (tags: ops)"),
])
def test_channels_file_errors_never_show_any_of_a_url(tmp_path, caplog, capfd, apprise_file,
                                                      notify, error):
    file = tmp_path / "apprise.txt"
    file.write_text(apprise_file)
    text = GOOD.replace("notify: [team]", f'notify: ["{notify}"]')
    with caplog.at_level(logging.DEBUG):
        message = error_for(tmp_path, f"channels_file: apprise.txt\n{text}")
    assert message == error.format(file=file)
    out, err = capfd.readouterr()
    for said in (message, caplog.text, out, err):
        assert "s3cr3t" not in said and "t0ken" not in said and "pa55word" not in said


def test_newswatch_run_shows_one_line_and_no_secret(tmp_path, monkeypatch, request):
    # Through the command: Apprise logs the URL it cannot parse, token and all, unless kept quiet.
    monkeypatch.setenv("SLACK_TOKEN", SECRET)
    monkeypatch.setenv("PREFECT_LOGGING_LEVEL", "DEBUG")
    newswatch = request.getfixturevalue("newswatch")
    path = write(tmp_path, GOOD.replace("json://127.0.0.1:9/hook", "slack://${SLACK_TOKEN}"))

    result = newswatch("run", "--config", str(path))

    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("newswatch: ")]
    assert errors == [
        f"newswatch: {path}: channels.team: not a valid Apprise URL: Apprise cannot parse it for "
        "its service (a token, address or option is missing or malformed); see "
        "https://github.com/caronc/apprise/wiki"]
    assert "DEBUG" in result.stderr  # the logs were on, at their most talkative
    assert "s3cr3t" not in result.stdout + result.stderr
