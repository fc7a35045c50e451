"""``newswatch alerts list|retry|test``: delivery history, resending now, a test message.

Channels are shown by their names, never by URL: channel URLs hold passwords and tokens.
"""

from __future__ import annotations

import argparse
import logging
from datetime import datetime

from flows.commands.options import add_config_option

TEST_TITLE = "Newswatch test"
_HEADLINE_CHARS = 70


def register(commands: argparse._SubParsersAction) -> None:
    alerts = commands.add_parser("alerts", help="delivery history, resending, test messages")
    alerts.set_defaults(handler=lambda _args: alerts.print_help() or 2)
    alerts_commands = alerts.add_subparsers(title="commands", metavar="COMMAND")

    listing = alerts_commands.add_parser(
        "list", help="recent deliveries: time, watch, channel, story, state, attempts, error"
    )
    listing.add_argument(
        "--failed", action="store_true", help="only deliveries whose last attempt failed, "
        "and expired ones"
    )
    listing.add_argument(
        "--limit", type=int, default=50, metavar="N", help="show the N newest (default: 50)"
    )
    add_config_option(listing)
    listing.set_defaults(handler=list_command)

    retry = alerts_commands.add_parser(
        "retry", help="send due and failed deliveries now, without waiting for their backoff"
    )
    add_config_option(retry)
    retry.set_defaults(handler=retry_command)

    test = alerts_commands.add_parser(
        "test", help="send a test message to CHANNEL and show what the service answered"
    )
    test.add_argument(
        "channel", metavar="CHANNEL",
        help="a channel name, or tag:NAME for the channels_file URLs with that tag",
    )
    add_config_option(test)
    test.set_defaults(handler=test_command)


def list_command(args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from alerts.safetext import clip, one_line, runs
    from flows.config import load_config
    from store.db import session_factory
    from store.models import Article, Delivery, DeliveryState, Match

    config = load_config(args.config)
    # Outer joins: a site health message has no match; it carries its own title.
    stmt = (
        select(Delivery, func.coalesce(Article.title, Delivery.title, ""))
        .outerjoin(Match, Delivery.match_id == Match.id)
        .outerjoin(Article, Match.article_id == Article.id)
        .order_by(Delivery.id.desc())
        .limit(max(args.limit, 1))
    )
    if args.failed:
        stmt = stmt.where(Delivery.state.in_((DeliveryState.FAILED, DeliveryState.EXPIRED)))
    with session_factory(config.database)() as session:
        rows = list(session.execute(stmt).tuples())
    if not rows:
        print("No failed deliveries." if args.failed else "No deliveries yet.")
        return 0
    watch_width = max(5, *(len(d.watch) for d, _ in rows))
    channel_width = max(7, *(len(d.channel) for d, _ in rows))
    print(
        f"{'TIME':<16}  {'WATCH':<{watch_width}}  {'CHANNEL':<{channel_width}}  "
        f"{'STATE':<7}  TRIES  STORY"
    )
    for delivery, title in rows:
        # Headlines come from the web: one line, no terminal escapes.
        headline = "".join(piece for piece, _ in clip(runs(title), _HEADLINE_CHARS))
        print(
            f"{_local(delivery.sent or delivery.created)}  {delivery.watch:<{watch_width}}  "
            f"{delivery.channel:<{channel_width}}  {delivery.state:<7}  "
            f"{delivery.attempts:>5}  {headline}"
        )
        if delivery.last_error:
            print(f"{'':16}  last error: {one_line(delivery.last_error)}")
        if delivery.state == DeliveryState.FAILED and delivery.next_attempt:
            print(f"{'':16}  next try: {_local(delivery.next_attempt)}")
    return 0


def retry_command(args: argparse.Namespace) -> int:
    from alerts.dispatch import dispatch_due
    from flows.config import load_config
    from store.db import session_factory

    config = load_config(args.config)
    _quiet_apprise()
    report = dispatch_due(
        session_factory(config.database),
        config.channels,
        schedules={w.name: w.schedule for w in config.watches},
        watches=config.watch_infos(),
        expire_after=config.alerts.expiry,
        ignore_backoff=True,
    )
    for outcome in report.sent:
        print(f"{outcome.watch} → {outcome.channel}: sent {outcome.what}")
    for outcome in report.failed:
        print(f"{outcome.watch} → {outcome.channel}: not sent ({outcome.what}): {outcome.error}")
    for outcome in report.expiries:
        print(
            f"{outcome.watch} → {outcome.channel}: {outcome.what} expired unsent "
            f"(last error: {outcome.error})"
        )
    if report.waiting:
        print(f"{report.waiting} deliveries wait for their watch's delivery time.")
    if not (report.sent or report.failed or report.expiries or report.waiting):
        print("Nothing to send.")
    return 1 if report.failed else 0


def test_command(args: argparse.Namespace) -> int:
    from alerts.deliver import send_text
    from alerts.routing import TAG_PREFIX, expand_tags, load_channels_file
    from flows.config import ConfigError, channels_file_path, load_config

    config = load_config(args.config)
    if args.channel.startswith(TAG_PREFIX):
        path = channels_file_path(config)
        if path is None:
            raise ConfigError(f"{config.source}: channels_file: not set, so there are no tags")
        try:
            names = expand_tags([args.channel], load_channels_file(path))
        except ValueError as exc:
            raise ConfigError(f"{config.source}: channels_file: {exc}") from None
    elif args.channel in config.channels:
        names = (args.channel,)
    else:
        known = ", ".join(config.channels) or "none configured"
        raise ConfigError(
            f"{config.source}: channels: no channel named {args.channel!r} (channels: {known})"
        )
    _quiet_apprise()
    failed = 0
    for name in names:
        body = f"A test message from Newswatch to the channel {name!r}: alerts can reach you here."
        outcome = send_text(config.channels[name], TEST_TITLE, body)
        if outcome.ok:
            print(f"{name}: sent. The service answered: {outcome.answer or 'OK (no details)'}")
        else:
            failed += 1
            print(f"{name}: not sent. {outcome.error}")
    return 1 if failed else 0


def _quiet_apprise() -> None:
    """Apprise's own warnings would repeat what these commands print, so keep them off stderr.

    They are still captured for each send (that is where the errors printed here come from).
    """
    apprise_logger = logging.getLogger("apprise")
    if not any(isinstance(h, logging.NullHandler) for h in apprise_logger.handlers):
        apprise_logger.addHandler(logging.NullHandler())


def _local(when: datetime) -> str:
    return when.astimezone().strftime("%Y-%m-%d %H:%M")
