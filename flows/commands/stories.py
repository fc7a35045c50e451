"""``newswatch stories [--since 1d]``: recent stories, each with the sites that carried a copy."""

from __future__ import annotations

import argparse

from flows.commands.options import add_config_option, add_since_option, since_time


def register(commands: argparse._SubParsersAction) -> None:
    stories = commands.add_parser(
        "stories", help="recent stories, newest first, with the sites that carried each copy"
    )
    add_since_option(stories, "1d")
    add_config_option(stories)
    stories.set_defaults(handler=stories_command)


def stories_command(args: argparse.Namespace) -> int:
    from alerts.safetext import one_line
    from flows.config import load_config
    from store.db import session_factory
    from store.stories import recent_stories

    since = since_time(args)
    if since is None:
        return 2
    config = load_config(args.config)
    with session_factory(config.database)() as session:
        stories = recent_stories(session, since=since)
    for story in stories:
        title = one_line(story.title)
        print(title)
        for copy in story.copies:
            headline = one_line(copy.title)
            also = f" · {headline}" if headline != title else ""
            print(f"  {one_line(copy.site)} · {copy.time:%Y-%m-%d %H:%M} UTC{also}")
            print(f"    {one_line(copy.url)}")
        if story.also_reported_by:
            print(f"  also reported by: {', '.join(map(one_line, story.also_reported_by))}")
        print()
    shared = sum(1 for s in stories if s.also_reported_by)
    noun = "story" if len(stories) == 1 else "stories"
    print(f"{len(stories)} {noun} since {args.since} ago, {shared} carried by more than one site.")
    return 0
