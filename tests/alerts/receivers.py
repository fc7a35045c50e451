"""Loopback receivers that record what a channel really delivered.

`HttpReceiver` stands in for webhook services (`json://`, `form://`, Slack's incoming
webhooks); `SmtpReceiver` stands in for a mail server. Both bind 127.0.0.1 on a port the
kernel picks, run in a daemon thread, and are context managers:

    with HttpReceiver() as web, SmtpReceiver() as smtp:
        send_text(web.url("json", "/hook"), "title", "body")
        assert web.requests[0].json["message"] == "body"
"""

from __future__ import annotations

import email
import email.policy
import json
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from spiders.sample_server import serving

LOOPBACK = "127.0.0.1"

# Slack's webhook answers a plain `ok`; Apprise treats anything else as a failure.
SLACK_PATH_PREFIX = "/services/"


@dataclass(frozen=True)
class HttpRequest:
    """One request as the receiver saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """A threaded HTTP server on loopback that records every request.

    `status` is the answer code (change it between sends to simulate an outage);
    `headers` are added to each answer (`Retry-After` with a 429, say);
    `delay` holds each answer back that many seconds (for timeouts).
    """

    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    requests: list[HttpRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((LOOPBACK, 0), _handler_for(self))
        self._server.daemon_threads = True
        self._serving = serving(self._server, "http-receiver", poll_interval=0.02)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, scheme: str = "http", path: str = "/") -> str:
        """`scheme://127.0.0.1:PORT/path`, e.g. `url("json", "/hook")` for Apprise."""
        return f"{scheme}://{LOOPBACK}:{self.port}{path}"

    def record(self, request: HttpRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def __enter__(self) -> HttpReceiver:
        self._serving.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._serving.__exit__(*exc)


def _handler_for(receiver: HttpReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server naming)
            length = int(self.headers.get("Content-Length") or 0)
            receiver.record(
                HttpRequest(
                    method=self.command,
                    path=self.path,
                    headers={k: v for k, v in self.headers.items()},
                    body=self.rfile.read(length),
                )
            )
            if receiver.delay:
                time.sleep(receiver.delay)
            ok = 200 <= receiver.status < 300
            reply = b"ok" if ok and self.path.startswith(SLACK_PATH_PREFIX) else b"{}"
            try:
                self.send_response(receiver.status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(reply)))
                for name, value in receiver.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(reply)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (timeout tests)

        do_PUT = do_POST  # noqa: N815

        def log_message(self, *args: object) -> None:
            """Stay quiet; tests read `receiver.requests` instead."""

    return Handler


@dataclass(frozen=True)
class SmtpEnvelope:
    """One mail as the receiver saw it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)

    def part(self, content_type: str) -> str:
        """Decoded body of the first part with this content type (`text/html`, ...)."""
        for part in self.message.walk():
            if part.get_content_type() == content_type:
                return part.get_content()
        raise LookupError(f"no {content_type} part in {self.message.get_content_type()}")


class _Recorder:
    def __init__(self, receiver: SmtpReceiver) -> None:
        self._receiver = receiver
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd hook)
        with self._lock:
            self._receiver.messages.append(
                SmtpEnvelope(
                    mail_from=envelope.mail_from,
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    data=bytes(envelope.original_content),
                )
            )
            drop = self._receiver.drop_replies > 0
            self._receiver.drop_replies -= drop
        if drop:  # the mail is in, and the client never hears so
            server.transport.abort()
        return "250 OK"


class _LoopbackController(Controller):
    """aiosmtpd's Controller, but on a port the kernel picks (port=0)."""

    def _trigger_server(self) -> None:
        # The server is bound by now; learn the real port before the readiness probe.
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def _accept_any_login(server, session, envelope, mechanism, auth_data) -> AuthResult:
    return AuthResult(success=True)


class SmtpReceiver:
    """An aiosmtpd server on loopback that records every mail it accepts.

    With `auth=True` it offers AUTH without TLS and accepts any login, so channel URLs
    can carry a user and password (as real ones do) and tests can check they never leak.
    `drop_replies = N` makes it take in the next N mails and cut the connection after their
    DATA, before its reply (a lost reply: the mail arrived, the client cannot know).
    """

    def __init__(self, *, auth: bool = False) -> None:
        self.messages: list[SmtpEnvelope] = []
        self.drop_replies = 0
        options: dict[str, Any] = {}
        if auth:
            options = {"authenticator": _accept_any_login, "auth_require_tls": False}
        self._controller = _LoopbackController(
            _Recorder(self), hostname=LOOPBACK, port=0, **options
        )

    @property
    def port(self) -> int:
        return self._controller.port

    def url(self, *, to: str = "b@y.example", sender: str = "a@x.example", creds: str = "") -> str:
        """An Apprise `mailto://` URL for this server.

        Plain `mailto://` (not `mailtos://`) with no `mode=` means SMTP without TLS
        (Apprise's `secure_mode` "insecure"), which is what a loopback server speaks.
        `creds` is an optional `user:password` part.
        """
        userinfo = f"{creds}@" if creds else ""
        return f"mailto://{userinfo}{LOOPBACK}:{self.port}?from={sender}&to={to}"

    def __enter__(self) -> SmtpReceiver:
        self._controller.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._controller.stop()


def html_elements(markup: str) -> list[tuple[str, dict[str, str | None]]]:
    """Every start tag in `markup` with its attributes, as a browser would parse them."""
    found: list[tuple[str, dict[str, str | None]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, dict(attrs)))

    collector = Collector(convert_charrefs=True)
    collector.feed(markup)
    collector.close()
    return found
