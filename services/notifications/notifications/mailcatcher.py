"""A mail catcher for developers: an SMTP server that keeps what it is sent
(the last 500 emails, in memory) and a web page to read them, so the emails
the Capacity Tracker sends can be seen without sending any for real.

    python -m notifications.mailcatcher [--host 127.0.0.1] [--smtp-port 1025] [--http-port 8025]
"""
from __future__ import annotations

import argparse
import email
import email.policy
import signal
import threading
from collections import deque
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

from aiosmtpd.controller import Controller
from flask import Flask, abort, jsonify, render_template_string
from werkzeug.serving import make_server

KEPT = 500

PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>body{font-family:Arial,sans-serif;margin:20px;color:#0b0c0c}td,th{text-align:left;padding:4px 12px 4px 0}
th{border-bottom:1px solid #b1b4b6}pre{white-space:pre-wrap;background:#f3f2f1;padding:10px}
iframe{width:100%;height:480px;border:1px solid #b1b4b6}</style></head><body>
{% if message %}<p><a href="/">All emails</a></p><h1>{{ message.subject }}</h1>
<table>{% for name, value in message.headers %}<tr><th>{{ name }}</th><td>{{ value }}</td></tr>{% endfor %}</table>
<h2>Plain text</h2><pre>{{ message.text }}</pre>
<h2>HTML</h2><iframe sandbox title="HTML part" srcdoc="{{ message.html }}"></iframe>
{% else %}<h1>Emails sent ({{ messages|length }})</h1>
<table><tr><th>Received</th><th>To</th><th>Subject</th></tr>{% for m in messages %}
<tr><td>{{ m.received_at }}</td><td>{{ m.to }}</td>
<td><a href="/messages/{{ m.id }}">{{ m.subject or "(no subject)" }}</a></td></tr>
{% endfor %}</table>{% endif %}</body></html>"""


@dataclass(frozen=True)
class CaughtEmail:
    id: int
    received_at: str
    sender: str
    to: str
    subject: str
    text: str
    html: str
    headers: list[tuple[str, str]]

    def as_json(self) -> dict:
        data = asdict(self)
        data["from"] = data.pop("sender")
        del data["headers"]
        return data


def _part(message, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    return "" if part is None else part.get_content().replace("\r\n", "\n")


class Inbox:
    """An aiosmtpd handler keeping the last `limit` emails; SMTP arrives on
    the server's thread while the web page reads, hence the lock."""

    def __init__(self, limit: int = KEPT) -> None:
        self._emails: deque[CaughtEmail] = deque(maxlen=limit)
        self._lock = threading.Lock()
        self._next_id = 1

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self._emails.append(CaughtEmail(
                id=self._next_id, received_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                sender=str(message["From"] or envelope.mail_from),
                to=str(message["To"] or ", ".join(envelope.rcpt_tos)), subject=str(message["Subject"] or ""),
                text=_part(message, "plain"), html=_part(message, "html"),
                headers=[(name, str(value)) for name, value in message.items()]))
            self._next_id += 1
        return "250 Message accepted for delivery"

    def emails(self) -> list[CaughtEmail]:
        """Newest first."""
        with self._lock:
            return list(reversed(self._emails))


def web_app(inbox: Inbox) -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def index():
        return render_template_string(PAGE, title="Emails sent", messages=inbox.emails(), message=None)

    @app.get("/messages/<int:number>")
    def message(number: int):
        found = next((m for m in inbox.emails() if m.id == number), None)
        if found is None:
            abort(404)
        return render_template_string(PAGE, title=found.subject, messages=[], message=found)

    @app.get("/api/messages")
    def messages():
        return jsonify([m.as_json() for m in inbox.emails()])

    return app


class MailCatcher:
    """The SMTP server and the web page, each on its own thread."""

    def __init__(self, host: str = "127.0.0.1", smtp_port: int = 1025, http_port: int = 8025) -> None:
        self.host, self.smtp_port, self.http_port = host, smtp_port, http_port
        self.inbox = Inbox()
        self._smtp = Controller(self.inbox, hostname=host, port=smtp_port)
        self._web = make_server(host, http_port, web_app(self.inbox), threaded=True)
        self._web_thread = threading.Thread(target=self._web.serve_forever, name="mailcatcher-web", daemon=True)

    @property
    def url(self) -> str:
        shown = "localhost" if self.host in ("127.0.0.1", "0.0.0.0", "::", "::1") else self.host
        return f"http://{shown}:{self.http_port}"

    def start(self) -> "MailCatcher":
        self._smtp.start()
        self._web_thread.start()
        return self

    def stop(self) -> None:
        self._web.shutdown()
        self._web.server_close()
        self._smtp.stop()

    def messages(self) -> list[CaughtEmail]:
        return self.inbox.emails()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Catch the emails sent on this machine and show them.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=8025)
    args = parser.parse_args(argv)
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    catcher = MailCatcher(args.host, args.smtp_port, args.http_port).start()
    print(f"Mail catcher: SMTP on {args.host}:{args.smtp_port}, emails at {catcher.url}", flush=True)
    stopping.wait()
    catcher.stop()


if __name__ == "__main__":
    main()
