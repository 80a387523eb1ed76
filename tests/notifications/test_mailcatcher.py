"""The developers' mail catcher, run in this process on free ports: emails
sent to it over SMTP are listed on its page and in its JSON, newest first,
with nothing in them able to run as script on the page."""
from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import sys
from email.message import EmailMessage

import pytest
import requests

from notifications.mailcatcher import MailCatcher
from tracker_common.testing import free_port


@pytest.fixture
def catcher():
    catcher = MailCatcher("127.0.0.1", free_port(), free_port()).start()
    yield catcher
    catcher.stop()


def send(catcher: MailCatcher, to: str, subject: str, text: str, html: str | None = None) -> None:
    message = EmailMessage()
    message["From"] = "Capacity Tracker <noreply@tracker.example>"
    message["To"], message["Subject"] = to, subject
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    with smtplib.SMTP("127.0.0.1", catcher.smtp_port, timeout=5) as smtp:
        smtp.send_message(message)


def test_emails_are_listed_newest_first_with_what_was_sent(catcher):
    send(catcher, "zoe@alder.example", "Your account is ready", "Hello Zoë,\nThe fee is £25.\n",
         "<p>Hello Zoë</p>")
    send(catcher, "sam@alder.example", "<script>alert(1)</script> approved", "Hello Sam\n")

    listed = requests.get(f"{catcher.url}/api/messages", timeout=5).json()

    assert [(m["id"], m["to"], m["subject"]) for m in listed] == [
        (2, "sam@alder.example", "<script>alert(1)</script> approved"),
        (1, "zoe@alder.example", "Your account is ready")]
    assert listed[1]["from"] == "Capacity Tracker <noreply@tracker.example>"
    assert listed[1]["text"] == "Hello Zoë,\nThe fee is £25.\n" and listed[1]["html"] == "<p>Hello Zoë</p>\n"
    assert listed[0]["html"] == "" and listed[0]["received_at"]
    assert [m.subject for m in catcher.messages()] == ["<script>alert(1)</script> approved", "Your account is ready"]


def test_the_page_lists_emails_newest_first_with_their_subjects_escaped(catcher):
    send(catcher, "zoe@alder.example", "Your account is ready", "Hello Zoë\n")
    send(catcher, "sam@alder.example", "<script>alert(1)</script> approved", "Hello Sam\n")

    page = requests.get(catcher.url + "/", timeout=5).text

    assert "<script>" not in page
    assert '<a href="/messages/2">&lt;script&gt;alert(1)&lt;/script&gt; approved</a>' in page
    assert page.index('href="/messages/2"') < page.index('href="/messages/1"')
    assert page.index("sam@alder.example") < page.index("zoe@alder.example")


def test_an_email_shows_its_headers_text_and_html_in_a_sandbox(catcher):
    send(catcher, "zoe@alder.example", "Your account is ready", "Hello Zoë,\nSign in with Kx7-pQ2.\n",
         '<p class="lead">Hello Zoë</p><script>alert("x")</script>')

    page = requests.get(f"{catcher.url}/messages/1", timeout=5)

    assert page.status_code == 200
    assert "<pre>Hello Zoë,\nSign in with Kx7-pQ2.\n</pre>" in page.text
    assert "<th>To</th><td>zoe@alder.example</td>" in page.text
    assert "<th>From</th><td>Capacity Tracker &lt;noreply@tracker.example&gt;</td>" in page.text
    # The HTML part is only ever inside the sandboxed iframe's srcdoc, escaped as an attribute.
    assert ('<iframe sandbox title="HTML part" srcdoc="&lt;p class=&#34;lead&#34;&gt;Hello Zoë&lt;/p&gt;'
            '&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;' in page.text)
    assert "<script>" not in page.text
    assert requests.get(f"{catcher.url}/messages/9", timeout=5).status_code == 404


def test_only_the_last_500_emails_are_kept(catcher):
    with smtplib.SMTP("127.0.0.1", catcher.smtp_port, timeout=5) as smtp:
        for number in range(502):
            smtp.sendmail("noreply@tracker.example", ["zoe@alder.example"],
                          f"Subject: Email {number}\r\nTo: zoe@alder.example\r\n\r\nBody {number}\r\n")

    kept = catcher.messages()

    assert len(kept) == 500
    assert (kept[0].subject, kept[-1].subject) == ("Email 501", "Email 2")


def test_the_command_says_where_it_listens_and_stops_on_sigterm():
    smtp_port, http_port = free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "notifications.mailcatcher", "--smtp-port", str(smtp_port),
         "--http-port", str(http_port)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        first_line = process.stdout.readline()
        assert first_line.strip() == (f"Mail catcher: SMTP on 127.0.0.1:{smtp_port}, "
                                      f"emails at http://localhost:{http_port}")
        assert requests.get(f"http://127.0.0.1:{http_port}/api/messages", timeout=5).json() == []
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
