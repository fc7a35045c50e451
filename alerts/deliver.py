"""Send a digest (or a test message) to one Apprise channel URL; failure is a value.

`send_digest` and `send_text` (and `Channel`, for sending a digest one part at a time) never
raise for a channel problem (bad URL, refused connection, HTTP 5xx, timeout): they return
`DeliveryOutcome(ok=False, error=...)`, where the error is one line naming the channel by its
masked form (`scheme://host`) and saying what Apprise reported.

Secrets in channel URLs (passwords, tokens, URL paths, `?+Header=` values) never reach a log
line or an error: while Apprise works, a filter on the `apprise` and `urllib3` loggers masks
every secret of the URL in every record, whatever its level; the `apprise` logger is also kept
at INFO, because its DEBUG lines print webhook URLs. Apprise's own result for each call
(`AppriseResult`) holds the lines of that call: the WARNING ones become the error text, the
INFO ones (such as "Sent JSON POST notification.") the service's `answer`.

What a message carries besides its body goes where each service takes it: an email's own
plain-text part (`alerts.email_text`), and a `json://` webhook's digest as data, under the
`digest` key of the payload (`alerts.digest_json`).

A service that refuses with 429 or 503 and a `Retry-After` gets its wait back as the outcome's
`retry_after`; an email sent with a `key` carries it as its Message-ID, so the same message
sent again is recognised by mail clients (`alerts.apprise_hooks`).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta, tzinfo
from urllib.parse import quote, unquote, urlsplit

import apprise
from apprise.plugins.custom_json import NotifyJSON
from apprise.plugins.email import NotifyEmail
from apprise.plugins.slack import NotifySlack
from apprise.utils.parse import parse_url

import alerts.console  # noqa: F401  (registers console://)
from alerts.apprise_hooks import answers, message_id, retry_after
from alerts.digest import DEFAULT_MAX_CHARS, Digest, Message, render, style_for
from alerts.email_text import plain_part

APPRISE_LOGGER = logging.getLogger("apprise")
# urllib3 logs request lines (with webhook paths) at DEBUG.
_GUARDED_LOGGERS = (APPRISE_LOGGER, logging.getLogger("urllib3.connectionpool"))

# Apprise's DEBUG lines carry webhook URLs and payloads; never let them through.
if APPRISE_LOGGER.level < logging.INFO:
    APPRISE_LOGGER.setLevel(logging.INFO)

MASK = "****"
# Shorter URL pieces are not masked in messages: they would garble ordinary words.
_MIN_SECRET_LEN = 3
_SECRET_KEY = re.compile(r"token|key|secret|pass|pwd|auth|sig|session|code", re.IGNORECASE)
_MAX_ERROR_CHARS = 400
# Apprise's own progress line at the start of every call; not something the service said.
_NOTIFYING = re.compile(r"^Notifying \d+ service")
_LEVELS = logging.getLevelNamesMapping()
# The key of a json:// payload that holds the digest as data.
DIGEST_KEY = "digest"


@dataclass(frozen=True, kw_only=True)
class DeliveryOutcome:
    """How a send went.

    `parts` counts the messages the channel accepted, and `delivered` lists the positions in
    `Digest.items` of the stories they carried (all of them when `ok`). `answer` is what the
    service said to the last message, as Apprise reported it, with secrets masked.
    `retry_after` is how long a service that refused asked to wait (HTTP Retry-After).
    """

    ok: bool
    error: str | None = None
    parts: int = 0
    delivered: tuple[int, ...] = ()
    answer: str = field(default="", compare=False)
    retry_after: timedelta | None = None


def send_digest(
    channel_url: str, digest: Digest, *, rate_limit: bool = True, tz: tzinfo | None = None
) -> DeliveryOutcome:
    """Render `digest` for the channel's style and send every part, in order.

    Stops at the first part the channel refuses; `parts` then says how many went out.
    `rate_limit=False` drops Apprise's pause between messages to the same service.
    """
    with Channel(channel_url, rate_limit=rate_limit) as channel:
        if channel.failure:
            return channel.failure
        return channel.send(channel.render(digest, tz=tz))


def send_text(
    channel_url: str, title: str, body: str, *, rate_limit: bool = True
) -> DeliveryOutcome:
    """Send one plain-text message (e.g. `newswatch alerts test`)."""
    with Channel(channel_url, rate_limit=rate_limit) as channel:
        if channel.failure:
            return channel.failure
        message = Message(title=title, body=body, body_format="text")
        return channel.send([message], passthrough=False)


def mask_url(channel_url: str) -> str:
    """The channel URL with its secrets masked, for logs, reports and the database."""
    with Channel(channel_url, rate_limit=True) as channel:
        return channel.masked


class Channel:
    """One Apprise service built from a URL; use it inside `with`, which masks its logs.

    `failure` is set when the URL cannot be used; else `render` a digest for the channel's
    style and `send` the messages (all of them, or one part at a time).
    """

    def __init__(self, url: str, *, rate_limit: bool = True) -> None:
        self.url = url
        self.style = style_for(url)
        self.rate_limit = rate_limit
        self.secrets = _url_secrets(url)
        self.service = None
        self.failure: DeliveryOutcome | None = None
        self.masked = self.label = _scheme_only(url)
        self._redactor = _Redactor(self.secrets)

    def __enter__(self) -> Channel:
        for guarded in _GUARDED_LOGGERS:
            guarded.addFilter(self._redactor)
        try:
            self._open()
        except Exception as exc:  # a broken plugin must not break the run
            self.failure = self._failed(f"could not be loaded: {self._describe(exc)}")
        return self

    def __exit__(self, *_: object) -> None:
        for guarded in _GUARDED_LOGGERS:
            guarded.removeFilter(self._redactor)

    def _open(self) -> None:
        service = apprise.Apprise.instantiate(self.url)
        if service is None:
            said = "; ".join(self._redactor.problems) or "unknown scheme or missing parts"
            self.failure = self._failed(f"not a usable Apprise URL ({said})")
            return
        self.service = service
        privacy = service.url(privacy=True)
        # Apprise decides what is secret in its privacy form; whatever it shows stays
        # readable, except values that are secret by kind (password, headers, tokens).
        self.secrets = {
            s for s in self.secrets if s.always or not any(f in privacy for f in s.forms)
        }
        self._redactor.secrets = self.secrets
        self.masked = _mask(privacy, self.secrets, always_only=True)
        self.label = _mask(_label(privacy), self.secrets, always_only=True)
        if not self.rate_limit:
            service.request_rate_per_sec = 0
        if isinstance(service, NotifySlack):
            # Block Kit sends our mrkdwn untouched. The legacy payload (Apprise's default)
            # escapes a body again ("&amp;amp;" shows up) and keeps `<!here>` live.
            service.use_blocks = True

    def render(self, digest: Digest, *, tz: tzinfo | None = None) -> list[Message]:
        """`digest` as this channel's messages: its style, parts that fit the service."""
        return render(digest, self.style, tz=tz, max_chars=self.max_chars())

    def max_chars(self) -> int:
        """The style's limit, lowered to what the service takes in one message."""
        limit = DEFAULT_MAX_CHARS[self.style]
        service_max = getattr(self.service, "body_maxlen", 0) or 0
        if service_max > 0:
            # Room for the title when the service folds it into the body, and for markup
            # that Apprise's conversion adds.
            limit = min(limit, int(service_max * 0.9) - 300)
        return max(limit, 300)

    def send(
        self,
        messages: list[Message],
        *,
        passthrough: bool | None = None,
        keys: Sequence[str] | None = None,
    ) -> DeliveryOutcome:
        """Send `messages` in order, stopping at the first the service refuses.

        `passthrough` (default: for Slack) hands bodies to Apprise as the service's markup.
        `keys` name each message for good: an email's Message-ID is made from its key.
        """
        if passthrough is None:
            passthrough = self.style == "slack"
        delivered: list[int] = []
        answer = ""
        for number, message in enumerate(messages, start=1):
            key = keys[number - 1] if keys and isinstance(self.service, NotifyEmail) else None
            try:
                with answers() as heard, message_id(key), self._carrying(message), \
                        apprise.Apprise(self.service).notify(
                    body=message.body,
                    title=message.title,
                    # None tells Apprise the body is already in the service's own markup.
                    body_format=None if passthrough else message.body_format,
                    log_level=logging.INFO,  # keep the service's "Sent …" line as its answer
                ) as result:
                    answer = self._said(result, logging.INFO)
                    problem = None if result else self._problem(result)
            except Exception as exc:  # channel trouble is reported, never raised
                problem = self._describe(exc)
            if problem:
                where = f"part {number}/{len(messages)}: " if len(messages) > 1 else ""
                wait = retry_after(heard)
                if wait is not None:
                    problem += f" (Retry-After: {wait.total_seconds():.0f} s)"
                return self._failed(
                    where + problem, parts=number - 1, delivered=tuple(delivered),
                    retry_after=wait,
                )
            delivered += message.items
        return DeliveryOutcome(
            ok=True, parts=len(messages), delivered=tuple(delivered), answer=answer
        )

    @contextmanager
    def _carrying(self, message: Message) -> Iterator[None]:
        """While `message` is sent: its plain-text part for an email, and its data in a
        json:// payload (beside keys the URL adds, which win)."""
        service = self.service
        if message.data is None or not isinstance(service, NotifyJSON):
            with plain_part(message.text):
                yield
            return
        extras = service.payload_extras
        service.payload_extras = {DIGEST_KEY: message.data, **extras}
        try:
            yield
        finally:
            service.payload_extras = extras

    def _problem(self, result: apprise.AppriseResult) -> str:
        said = self._said(result, logging.WARNING)
        return said or f"Apprise reported {result.status.name.lower()}"

    def _said(self, result: apprise.AppriseResult, level: int) -> str:
        """The distinct lines Apprise logged for this call at `level` or above, masked."""
        said: list[str] = []
        for entry in result.logs():
            if _LEVELS.get(entry.level, 0) < level or entry.message in said:
                continue
            if not _NOTIFYING.match(entry.message):
                said.append(entry.message)
        return _mask("; ".join(said), self.secrets)

    def _describe(self, exc: Exception) -> str:
        return f"{type(exc).__name__}: {exc}"

    def _failed(
        self,
        detail: str,
        *,
        parts: int = 0,
        delivered: tuple[int, ...] = (),
        retry_after: timedelta | None = None,
    ) -> DeliveryOutcome:
        detail = " ".join(_mask(detail, self.secrets).split())
        if len(detail) > _MAX_ERROR_CHARS:
            detail = detail[: _MAX_ERROR_CHARS - 1] + "…"
        return DeliveryOutcome(
            ok=False, error=f"{self.label}: {detail}", parts=parts, delivered=delivered,
            retry_after=retry_after,
        )


@dataclass(frozen=True)
class _Secret:
    """One secret-looking piece of a URL, as written, %-decoded and %-encoded."""

    forms: frozenset[str]
    always: bool


class _Redactor(logging.Filter):
    """Masks the channel's secrets in every record; keeps this thread's warnings."""

    def __init__(self, secrets: set[_Secret]) -> None:
        super().__init__()
        self.secrets = secrets
        self.problems: list[str] = []
        self._thread = threading.get_ident()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logging's problem, not ours
            return True
        masked = _mask(message, self.secrets)
        if masked != message:
            record.msg, record.args = masked, None
        if record.levelno >= logging.WARNING and record.thread == self._thread:
            self.problems.append(masked)
        return True


def _url_secrets(url: str) -> set[_Secret]:
    """Every piece of `url` that may be secret; `always` for those secret by kind."""
    try:
        parsed = parse_url(url, verify_host=False) or {}
    except Exception:
        parsed = {}
    # The whole path too: many webhooks carry their token there, and request lines print it.
    always: list[str] = [parsed.get("password") or "", (parsed.get("fullpath") or "").rstrip("/")]
    maybe: list[str] = [parsed.get("user") or "", parsed.get("host") or ""]
    maybe += (parsed.get("fullpath") or "").split("/")
    for key in ("qsd+", "qsd-"):
        always += (parsed.get(key) or {}).values()
    for key, value in (parsed.get("qsd") or {}).items():
        (always if _SECRET_KEY.search(key) else maybe).append(value)
    if not parsed:
        # Unparseable: all of it may be a token.
        maybe += [url, url.partition("://")[2], *url.split("/")]
    secrets = set()
    for values, is_always in ((always, True), (maybe, False)):
        for value in values:
            forms = {value, unquote(value), quote(unquote(value)), quote(unquote(value), safe="")}
            forms = frozenset(f for f in forms if len(f) >= _MIN_SECRET_LEN)
            if forms:
                secrets.add(_Secret(forms, is_always))
    return secrets


def _mask(text: str, secrets: set[_Secret], *, always_only: bool = False) -> str:
    forms = {form for s in secrets if s.always or not always_only for form in s.forms}
    # Longest first, so a secret that contains another is masked whole.
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, MASK)
    return text


def _scheme_only(url: str) -> str:
    scheme = url.partition("://")[0] if "://" in url else ""
    scheme = scheme if scheme.isascii() and scheme.replace("+", "").isalnum() else "?"
    return f"{scheme.lower()}://{MASK}"


def _label(masked_url: str) -> str:
    """`scheme://host[:port]` of a masked URL: enough to say which channel it is."""
    parts = urlsplit(masked_url)
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}"

