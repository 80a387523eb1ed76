"""The shipped email templates: consistent with their declared fields and
secrets, and rendered (subject, text, HTML) with the very values that
`rules.emails_for` and the reminders give them."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

import pytest

from notifications import rules
from notifications.personalisation import placeholders, render_html, render_subject, render_text
from notifications.templates import BY_ID, DEFAULT_TEMPLATES
from tracker_common.contracts.events import schema_of

EVENT_ID = "3b9e2a10-5c4d-4e6f-8a7b-9c0d1e2f3a4b"
LINKS = rules.Links("https://tracker.example")
BARNSLEY = "E08000016"
OTP = "Puffin-Lake-37"
ANA = {"user_id": "u-1", "email": "ana@alder.example", "name": "Ana Lopez"}
REVIEWER = {"user_id": "r-1", "email": "priya@alder.example", "name": "Priya Shah"}
PRIYA = {**REVIEWER, "location_ids": []}  # as identity's contacts answer names her
CONTRACT = {"contract_id": "c-1", "location_id": "1-101", "location_name": "Alder House",
            "commissioner_kind": "local_authority", "commissioner_code": BARNSLEY,
            "commissioner_name": "Barnsley Council"}
LOCATIONS = [{"location_id": "1-102", "name": "Birch Court", "manager_email": None},
             {"location_id": "1-101", "name": "Alder House", "manager_email": None}]
LEE = {"user_id": "u-9", "email": "lee@alder.example", "name": "Lee Ward", "location_ids": ["1-101", "1-102"]}


def event_email(event_type: str, data: dict, **context) -> rules.EmailRequest:
    """The first email of an event whose JSON data is loaded as a consumer loads it."""
    data = schema_of(event_type).load(data)
    return rules.emails_for(event_type, EVENT_ID, data, links=LINKS, **context)[0]


def application(**changes) -> dict:
    return {"application_id": "app-1", "kind": "registration", "user_id": "u-1", "name": "Ana Lopez",
            "email": "ana.lopez@gmail.com", "organisation_id": "1-100000001", "organisation_name": "Alder Care Ltd",
            "location_ids": ["1-101"], "level": "user", "flags": [], "routed_to": "approvers",
            "reviewers": [REVIEWER], **changes}


def contract_decided(decision: str, reason: str | None) -> rules.EmailRequest:
    return event_email("providers.contract_decided", {**CONTRACT, "decision": decision, "reason": reason},
                       contacts=[PRIYA])


def bulk_upload(**changes) -> rules.EmailRequest:
    return event_email("capacity.bulk_upload_processed", {
        "upload_id": "up-9", "uploaded_by": "u-9", "file_name": "homes.xlsx", "status": "processed",
        "applied": 12, "refused": 0, "reason": None, **changes}, contacts=[LEE])


def reminders() -> list[rules.EmailRequest]:
    """The three reminders, as the rules make them for Lee and two homes."""
    [person] = rules.group_by_recipient(LOCATIONS, [LEE])
    sent_at = datetime(2026, 11, 8, 9, 0, tzinfo=timezone.utc)
    return [rules.capacity_reminder(person, 24, sent_at=sent_at, links=LINKS),
            rules.monthly_refresh(person, period="2026-11", month="November 2026", window_ends="14 November 2026",
                                  links=LINKS),
            rules.manual_reminder(LEE, LOCATIONS[1], requested_by="Priya Shah", hour="2026-11-08T09", links=LINKS)]


def representative() -> dict[str, dict]:
    """Each shipped template's personalisation, from a representative event or reminder."""
    emails = [
        event_email("identity.registration_submitted", application(flags=["personal_webmail:gmail.com"])),
        event_email("identity.user_approved", {**ANA, "application_id": "app-1", "organisation_id": "1-100000001",
                                               "one_time_password_sealed": "sealed"},
                    secrets={"one_time_password": OTP}),
        event_email("identity.user_rejected", {**ANA, "application_id": "app-1", "kind": "registration",
                                               "reason": "We could not confirm you work for Alder Care."}),
        event_email("identity.access_approved", {"application_id": "app-2", "user_id": "u-1",
                                                 "email": "ana@alder.example", "location_ids": ["1-101", "1-102"]}),
        event_email("identity.password_reset", {**ANA, "one_time_password_sealed": "sealed"},
                    secrets={"one_time_password": OTP}),
        event_email("identity.password_expiring", {**ANA, "expires_at": "2026-06-30T23:30:00+00:00",
                                                   "days_left": 1}),
        event_email("identity.account_locked", {**ANA, "locked_until": "2026-11-23T14:05:00+00:00"}),
        event_email("identity.mfa_reset", ANA),
        event_email("identity.password_reset_requested", {**ANA, "reset_token_sealed": "sealed",
                                                          "expires_at": "2026-11-23T14:05:00+00:00"},
                    secrets={"reset_token": "k" * 43}),
        event_email("identity.password_reset_completed", {**ANA, "reset_at": "2026-11-23T13:10:00+00:00"}),
        event_email("providers.contract_requested", CONTRACT, contacts=[PRIYA]),
        contract_decided("declined", "We hold no contract with Alder House."),
        bulk_upload(status="refused", applied=0, reason="The spreadsheet has no Vacancies sheet."),
        *reminders(),
    ]
    return {email.template: email.personalisation for email in emails}


def rendered(template_id: str, personalisation: dict) -> tuple[str, str, str]:
    template = BY_ID[template_id]
    return (render_subject(template.subject, personalisation), render_text(template.body, personalisation),
            render_html(template.body, personalisation))


# -- the templates as shipped -------------------------------------------------------------------
def test_these_templates_are_shipped_each_id_once():
    ids = [t.id for t in DEFAULT_TEMPLATES]
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    assert set(ids) == set(BY_ID) == {
        "application-to-review", "user-approved", "application-rejected", "access-approved", "password-reset",
        "password-expiring", "account-locked", "password-reset-link", "password-reset-done", "mfa-reset",
        "contract-approval-request", "contract-decision",
        "bulk-upload-result", "capacity-reminder", "monthly-refresh", "manual-reminder"}


@pytest.mark.parametrize("template", DEFAULT_TEMPLATES, ids=lambda t: t.id)
def test_a_template_uses_exactly_its_fields(template):
    assert placeholders(template.subject + "\n" + template.body) == set(template.fields)
    assert len(template.fields) == len(set(template.fields))


@pytest.mark.parametrize("template", DEFAULT_TEMPLATES, ids=lambda t: t.id)
def test_secret_fields_are_fields(template):
    assert set(template.secret_fields) <= set(template.fields)


def test_every_one_time_password_is_a_declared_secret():
    with_password = {t.id for t in DEFAULT_TEMPLATES if "one-time password" in t.fields}
    assert with_password == {"user-approved", "password-reset"}
    assert {t.id: t.secret_fields for t in DEFAULT_TEMPLATES if t.secret_fields} == {
        "user-approved": ("one-time password",), "password-reset": ("one-time password",),
        "password-reset-link": ("reset link",)}


@pytest.mark.parametrize("template", DEFAULT_TEMPLATES, ids=lambda t: t.id)
def test_every_template_renders_with_exactly_the_values_it_is_sent_with(template):
    personalisation = representative()[template.id]
    assert {key.strip().lower() for key in personalisation} == set(template.fields)
    subject, text, html = rendered(template.id, personalisation)
    for out in (subject, text, html):
        assert "((" not in out and "))" not in out
    assert subject and "\n" not in subject
    assert text.startswith("Hello") and text.endswith("Capacity Tracker team")
    assert html.startswith("<p>Hello") and html.endswith("<p>Capacity Tracker team</p>")


# -- what each email says -----------------------------------------------------------------------
@pytest.mark.parametrize("template_id", ["user-approved", "password-reset"])
def test_the_one_time_password_is_in_the_text_and_the_html(template_id):
    _, text, html = rendered(template_id, representative()[template_id])
    assert OTP in text and OTP in html
    assert "https://tracker.example/sign-in" in text and "https://tracker.example/sign-in" in html


def test_the_approved_user_email_gives_the_sign_in_details_as_a_list():
    subject, text, html = rendered("user-approved", representative()["user-approved"])
    assert subject == "Your Capacity Tracker account is ready"
    assert "Hello Ana Lopez," in text
    assert "* email address: ana@alder.example\n* one-time password: Puffin-Lake-37\n" in text
    assert "<ul><li>email address: ana@alder.example</li><li>one-time password: Puffin-Lake-37</li></ul>" in html


def test_a_flagged_application_lists_its_checks():
    subject, text, html = rendered("application-to-review", representative()["application-to-review"])
    assert subject == "Ana Lopez has applied for access to the Capacity Tracker"
    assert "Ana Lopez (ana.lopez@gmail.com) from Alder Care Ltd has applied for an account." in text
    assert ("Some details need checking before you approve it.\n"
            "* They used a personal email address (gmail.com).\n") in text
    assert "<ul><li>They used a personal email address (gmail.com).</li></ul>" in html
    assert "https://tracker.example/applications" in text


def test_an_unflagged_application_asks_for_no_extra_checks():
    personalisation = event_email("identity.access_requested", application(kind="location_access")).personalisation
    _, text, html = rendered("application-to-review", personalisation)
    assert "has applied for access to more locations." in text
    assert "Some details need checking" not in text and "Some details need checking" not in html
    assert "<ul>" not in html


def test_a_rejection_gives_the_reason():
    subject, text, html = rendered("application-rejected", representative()["application-rejected"])
    assert subject == "Your Capacity Tracker application was not approved"
    assert "Your application for a Capacity Tracker account was not approved." in text
    assert "The reason given was:\nWe could not confirm you work for Alder Care." in text
    assert "The reason given was:<br>We could not confirm you work for Alder Care." in html


def test_a_rejection_without_a_reason_says_none_was_given():
    personalisation = event_email("identity.access_rejected", {
        **ANA, "application_id": "app-2", "kind": "location_access", "reason": ""}).personalisation
    _, text, _ = rendered("application-rejected", personalisation)
    assert "Your request for access to more locations was not approved." in text
    assert "The reason given was:\nNo reason was given." in text


def test_approved_access_lists_the_locations():
    subject, text, html = rendered("access-approved", representative()["access-approved"])
    assert subject == "You can now update more locations on the Capacity Tracker"
    assert "You can now see and update:\n* 1-101\n* 1-102\n" in text
    assert "<ul><li>1-101</li><li>1-102</li></ul>" in html


def test_a_password_expiry_warning_says_when_in_days_and_by_date():
    subject, text, _ = rendered("password-expiring", representative()["password-expiring"])
    assert subject == "Your Capacity Tracker password expires in 1 day"
    assert "Your Capacity Tracker password expires on 1 July 2026." in text
    assert "https://tracker.example/account/password" in text


def test_a_locked_account_says_when_it_unlocks():
    _, text, html = rendered("account-locked", representative()["account-locked"])
    assert "It will unlock at 2:05pm on 23 November 2026." in text
    assert "It will unlock at 2:05pm on 23 November 2026." in html


def test_a_contract_request_names_the_location_and_the_commissioner():
    subject, text, _ = rendered("contract-approval-request", representative()["contract-approval-request"])
    assert subject == "Alder House says it has a contract with Barnsley Council"
    assert "Hello Priya Shah," in text
    assert "Approve or decline it:\nhttps://tracker.example/contracts" in text


def test_a_declined_contract_gives_the_reason_and_no_promise_of_search():
    subject, text, html = rendered("contract-decision", representative()["contract-decision"])
    assert subject == "Your contract with Barnsley Council was declined"
    assert "Barnsley Council has declined the contract for Alder House." in text
    assert "The reason given was:\nWe hold no contract with Alder House." in text
    assert "<p>The reason given was:<br>We hold no contract with Alder House.</p>" in html
    assert "search results" not in text and "search results" not in html


def test_an_approved_contract_says_it_now_shows_in_search_and_gives_no_reason():
    subject, text, html = rendered("contract-decision", contract_decided("approved", None).personalisation)
    assert subject == "Your contract with Barnsley Council was approved"
    assert "Barnsley Council has approved the contract for Alder House." in text
    assert "The contract now shows in search results." in text
    assert "<p>The contract now shows in search results.</p>" in html
    assert "reason" not in text and "reason" not in html


def test_values_are_escaped_in_html_and_left_alone_in_text():
    personalisation = contract_decided("declined", "Fees <£900 a week> & no contract").personalisation
    _, text, html = rendered("contract-decision", personalisation)
    assert "Fees <£900 a week> & no contract" in text
    assert "Fees &lt;£900 a week&gt; &amp; no contract" in html


def test_a_refused_bulk_upload_says_why_and_what_to_do():
    subject, text, html = rendered("bulk-upload-result", representative()["bulk-upload-result"])
    assert subject == "Your bulk update homes.xlsx: refused"
    assert "* locations updated: 0\n* rows refused: 0\n" in text
    assert ("Check the refused rows, correct them and upload the spreadsheet again.\n"
            "The spreadsheet has no Vacancies sheet.") in text
    assert "https://tracker.example/capacity/bulk-uploads/up-9" in html


def test_a_clean_bulk_upload_asks_for_nothing_more():
    subject, text, _ = rendered("bulk-upload-result", bulk_upload().personalisation)
    assert subject == "Your bulk update homes.xlsx: processed"
    assert "* locations updated: 12\n* rows refused: 0\n" in text
    assert "Check the refused rows" not in text


def test_a_capacity_reminder_lists_the_locations_by_name():
    subject, text, html = rendered("capacity-reminder", representative()["capacity-reminder"])
    assert subject == "Update your vacancies on the Capacity Tracker"
    assert "for more than 24 hours:\n* Alder House\n* Birch Court\n" in text
    assert "<ul><li>Alder House</li><li>Birch Court</li></ul>" in html
    assert "https://tracker.example/capacity" in text


def test_the_monthly_refresh_names_the_month_and_when_the_window_ends():
    subject, text, _ = rendered("monthly-refresh", representative()["monthly-refresh"])
    assert subject == "Check your Capacity Tracker details for November 2026"
    assert "The monthly collection for November 2026 is open until 14 November 2026." in text
    assert "Check and update the details of:\n* Alder House\n* Birch Court\n" in text


def test_a_manual_reminder_says_who_asked():
    subject, text, _ = rendered("manual-reminder", representative()["manual-reminder"])
    assert subject == "Update the capacity of Alder House on the Capacity Tracker"
    assert "Priya Shah has asked you to update the capacity of Alder House on the Capacity Tracker." in text
    assert "https://tracker.example/locations/1-101/capacity" in text
