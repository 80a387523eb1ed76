"""Administrators' pages for the emails sent and their templates: the list
filtered and paged, one email with its attempts and its secrets hidden, a
template previewed and published, a bad placeholder named.

The services behind the pages are a fake that answers each (service,
method) as the test says and records what it was sent (conftest.py)."""
from __future__ import annotations

from tracker_common.contracts import errors as service_errors
from tracker_common.testing import error_summary, notices, page

from .conftest import form


# -- emails and templates --------------------------------------------------------------------------
EMAIL_ID = "6f1f7a5e-0c1e-4d55-9a8e-1d1f5b0c2a11"
TEMPLATES = [{"id": "user-approved", "name": "Account approved: login details", "version": 2,
              "description": "Sent to a person whose application was approved.",
              "fields": ["name", "email", "one-time password", "sign in link"],
              "secret_fields": ["one-time password"],
              "current": {"version": 2, "subject": "Your Capacity Tracker account is ready",
                          "body": "Hello ((name)),\n\nSign in with ((one-time password)).",
                          "created_at": "2026-02-01T10:00:00+00:00", "created_by": "u-1"}}]


def test_emails_are_listed_newest_first_filtered_and_paged(browser, backend, signed_in_as):
    signed_in_as("administrator")
    backend.answers[("notifications", "list_templates")] = TEMPLATES
    backend.answers[("notifications", "find_notifications")] = {
        "total": 120, "page": 1, "per_page": 50, "notifications": [
            {"id": EMAIL_ID, "to": "priya.ramanathan-whitfield@leedsteachinghospitals.nhs.example",
             "subject": "Your Capacity Tracker account is ready", "status": "permanent-failure",
             "created_at": "2026-03-01T16:20:00+00:00", "template": {"id": "user-approved", "version": 2}}]}
    shown = page(browser.get("/admin/emails?status=permanent-failure&template=user-approved&to="))
    assert backend.sent_to("notifications", "find_notifications")["query"] == {
        "status": "permanent-failure", "template": "user-approved", "page": 1, "per_page": 50}
    assert shown.find(id="emails-found").get_text(strip=True) == "120 emails"
    row = shown.select_one(f'[data-email="{EMAIL_ID}"]').get_text(" ", strip=True)
    assert "Permanent failure" in row and "priya.ramanathan-whitfield" in row
    assert "page=2" in shown.select_one(".govuk-pagination a")["href"]


def test_one_email_shows_its_status_attempts_and_text_with_secrets_hidden(browser, backend, signed_in_as):
    signed_in_as("administrator")
    backend.answers[("notifications", "get_notification")] = {
        "id": EMAIL_ID, "to": "robin@leeds.gov.uk", "subject": "Your Capacity Tracker account is ready",
        "status": "delivered", "created_at": "2026-03-01T16:20:00+00:00", "sent_at": "2026-03-01T16:20:05+00:00",
        "completed_at": "2026-03-01T16:20:09+00:00", "attempts": 2, "template": {"id": "user-approved", "version": 2},
        "sender": "identity", "reference": "identity.user_approved:7a", "failure": None,
        "body": "Hello Robin Reed,\n\nSign in with (hidden).",
        "personalisation": {"name": "Robin Reed", "one-time password": "(hidden)"},
        "history": [{"attempt": 1, "at": "2026-03-01T16:20:01+00:00", "outcome": "retry", "detail": "421 busy"},
                    {"attempt": 2, "at": "2026-03-01T16:20:09+00:00", "outcome": "delivered", "detail": None}]}
    shown = page(browser.get(f"/admin/emails/{EMAIL_ID}"))
    assert backend.sent_to("notifications", "get_notification")["notification_id"] == EMAIL_ID
    assert "Delivered" in shown.find(id="email-status").get_text()
    assert shown.find(id="email-body").get_text(strip=True).endswith("Sign in with (hidden).")
    assert "(hidden)" in shown.find(id="personalisation").get_text()
    assert [li.get_text(" ", strip=True) for li in shown.select("#attempts li")] == [
        "4:20pm on 1 March 2026: retry (421 busy)", "4:20pm on 1 March 2026: delivered"]
    assert browser.get("/admin/emails/not-an-id").status_code == 404


def test_a_template_is_previewed_then_published(browser, backend, signed_in_as):
    signed_in_as("administrator")
    template = {**TEMPLATES[0], "versions": [TEMPLATES[0]["current"]]}
    backend.answers[("notifications", "get_template")] = template
    shown = page(browser.get("/admin/templates/user-approved"))
    assert shown.find(id="subject")["value"] == "Your Capacity Tracker account is ready"
    assert "((one-time password)) (never kept once sent)" in shown.find(id="placeholders").get_text(" ", strip=True)

    backend.answers[("notifications", "preview_template_version")] = lambda actor, template_id, payload: {
        "subject": "Welcome, [name]", "html": "<h2>Hello</h2>\n<p>Sign in with &lt;b&gt;[one-time password]</p>",
        "text": "", "personalisation": {}}
    wording = {"subject": "Welcome, ((name))", "body": "# Hello\n\nSign in with <b>((one-time password))"}
    response = browser.post("/admin/templates/user-approved", data=form(browser, "", action="preview", **wording))
    shown = page(response)
    assert shown.find(id="preview-subject").get_text() == "Welcome, [name]"
    assert shown.select_one("#preview-body h2").get_text() == "Hello"
    assert shown.select_one("#preview-body b") is None  # what was typed stays text
    assert shown.find(id="body").get_text() == wording["body"]  # the wording stays on the form
    assert ("notifications", "publish_template_version") not in backend.calls

    backend.answers[("notifications", "publish_template_version")] = lambda **kwargs: {**template, "version": 3}
    response = browser.post("/admin/templates/user-approved", data=form(browser, "", action="publish", **wording))
    assert response.headers["Location"] == "/admin/templates/user-approved"
    assert backend.sent_to("notifications", "publish_template_version")["payload"] == wording
    assert notices(browser.get("/admin/templates/user-approved")) == [
        "Version 3 of ‘Account approved: login details’ is published: the next email uses it."]


def test_a_bad_placeholder_is_named_as_notifications_names_it(browser, backend, signed_in_as):
    signed_in_as("administrator")
    backend.answers[("notifications", "get_template")] = {**TEMPLATES[0], "versions": []}
    backend.answers[("notifications", "preview_template_version")] = service_errors.InvalidInput(fields={
        "subject": ["A placeholder is not closed: write it as ((name)), on one line."],
        "body": ["Unknown placeholder(s): password. This template can use: email, name, one-time password, "
                 "sign in link."]})
    response = browser.post("/admin/templates/user-approved", data=form(
        browser, "", action="preview", subject="Welcome ((name)", body="Your ((password))"))
    assert response.status_code == 422
    assert error_summary(response) == [
        ("subject", "Subject: A placeholder is not closed: write it as ((name)), on one line."),
        ("body", "Message: Unknown placeholder(s): password. This template can use: email, name, one-time password, "
                 "sign in link.")]
    response = browser.post("/admin/templates/user-approved", data=form(browser, "", action="publish", subject="",
                                                                        body=""))
    assert error_summary(response) == [("subject", "Enter the subject"), ("body", "Enter the message")]
    assert ("notifications", "publish_template_version") not in backend.calls
