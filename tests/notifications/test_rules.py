"""The notifications service's plain rules, without a database or a broker:
statuses and retries, masking secrets, the per-sender rate limit, which
emails each event makes (its data loaded as the contract loads it) and for
whom, and the reminders' rules (staleness, grouping, the collection window)."""
from __future__ import annotations

from collections import namedtuple
from datetime import datetime, timedelta, timezone

import pytest

from notifications import rules
from tracker_common.contracts.events import SUBSCRIPTIONS, schema_of

UTC = timezone.utc
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
EVENT_ID = "7d0c6f5e-1b2a-4c3d-9e8f-0a1b2c3d4e5f"
LINKS = rules.Links("https://tracker.example/")  # a trailing slash is not doubled
BARNSLEY, SUB_BARNSLEY = "E08000016", "E38000006"


def emails(event_type: str, data: dict, **context) -> list[rules.EmailRequest]:
    """The emails of an event whose JSON data is loaded as a consumer loads it."""
    return rules.emails_for(event_type, EVENT_ID, schema_of(event_type).load(data), links=LINKS, **context)


def contact(name: str, email: str, *location_ids: str) -> dict:
    return {"user_id": name.lower(), "email": email, "name": name, "location_ids": list(location_ids)}


def application(**changes) -> dict:
    return {"application_id": "app-1", "kind": "registration", "user_id": "u-1", "name": "Ana Lopez",
            "email": "ana.lopez@gmail.com", "organisation_id": "1-100000001", "organisation_name": "Alder Care Ltd",
            "location_ids": ["1-101"], "level": "user", "flags": [], "routed_to": "approvers",
            "reviewers": [{"user_id": "r-1", "email": "Priya.Shah@Alder.example", "name": "Priya Shah"},
                          {"user_id": "r-2", "email": "tom@alder.example", "name": "Tom Reed"}], **changes}


def contract_decided(**changes) -> dict:
    return {"contract_id": "c-1", "location_id": "1-101", "location_name": "Alder House",
            "commissioner_kind": "local_authority", "commissioner_code": BARNSLEY,
            "commissioner_name": "Barnsley Metropolitan Borough Council", "decision": "approved",
            "reason": None, **changes}


def bulk_upload(**changes) -> dict:
    return {"upload_id": "up-9", "uploaded_by": "u-9", "file_name": "homes.xlsx", "status": "processed",
            "applied": 12, "refused": 0, "reason": None, **changes}


# -- statuses and retries -----------------------------------------------------------------------
def test_statuses_are_notifys_and_only_created_and_sending_are_not_final():
    assert rules.STATUSES == ("created", "sending", "delivered", "permanent-failure", "temporary-failure",
                              "technical-failure")
    assert set(rules.STATUSES) - rules.FINAL == {"created", "sending"}


@pytest.mark.parametrize("attempts, seconds", [(0, 5), (1, 5), (2, 10), (3, 20), (4, 40), (5, 60), (12, 60)])
def test_retry_delay_doubles_from_the_base_up_to_the_cap(attempts, seconds):
    assert rules.retry_delay(attempts, base=5, cap=60) == timedelta(seconds=seconds)


def test_a_temporary_failure_is_retried_with_back_off_until_the_last_attempt():
    def after(attempts):
        return rules.after_failure("temporary", "451 mailbox busy", attempts=attempts, max_attempts=3, now=NOW,
                                   base=5, cap=60)

    assert after(1) == rules.Outcome("sending", NOW + timedelta(seconds=5), "451 mailbox busy")
    assert after(2) == rules.Outcome("sending", NOW + timedelta(seconds=10), "451 mailbox busy")
    assert not after(2).final
    assert after(3) == rules.Outcome("temporary-failure", None, "451 mailbox busy")
    assert after(3).final


@pytest.mark.parametrize("kind, status", [("permanent", "permanent-failure"), ("technical", "technical-failure")])
def test_permanent_and_technical_failures_are_final_at_the_first_attempt(kind, status):
    outcome = rules.after_failure(kind, "550 no such user", attempts=1, max_attempts=5, now=NOW, base=5, cap=60)
    assert outcome == rules.Outcome(status, None, "550 no such user")
    assert outcome.final


def test_mask_hides_secret_fields_whatever_their_case_and_spacing():
    personalisation = {"name": "Ana", " One-Time Password ": "Puffin-Lake-37", "sign in link": "https://x"}
    assert rules.mask(personalisation, ["one-time PASSWORD"]) == {
        "name": "Ana", " One-Time Password ": "(hidden)", "sign in link": "https://x"}
    assert rules.mask({"name": "Ana"}, ()) == {"name": "Ana"}


# -- the per-sender rate limit --------------------------------------------------------------------
Due = namedtuple("Due", "id sender")


def test_budgets_are_what_is_left_of_each_senders_limit_this_minute():
    assert rules.budgets(3, {"identity": 1, "reminders": 7}, {"identity", "reminders", "capacity"}) == {
        "identity": 2, "reminders": 0, "capacity": 3}


def test_within_budgets_takes_the_oldest_first_and_a_flood_never_spends_another_senders_budget():
    due = [Due(1, "reminders"), Due(2, "reminders"), Due(3, "reminders"), Due(4, "identity"),
           Due(5, "reminders"), Due(6, "identity"), Due(7, "identity")]
    budget = {"reminders": 2, "identity": 2}
    assert [n.id for n in rules.within_budgets(due, budget)] == [1, 2, 4, 6]
    assert budget == {"reminders": 2, "identity": 2}  # the caller's budgets are not spent


def test_within_budgets_sends_nothing_for_a_sender_without_a_budget():
    assert rules.within_budgets([Due(1, "user:u-1"), Due(2, "identity")], {"identity": 0}) == []


# -- which emails ---------------------------------------------------------------------------------
@pytest.mark.parametrize("event_type, data, query", [
    ("providers.contract_requested", {"commissioner_code": BARNSLEY, "location_id": "1-101"},
     {"commissioner_code": BARNSLEY}),
    ("providers.contract_decided", {"location_id": "1-101", "commissioner_code": BARNSLEY},
     {"location_ids": ["1-101"]}),
    ("capacity.bulk_upload_processed", {"uploaded_by": "u-9"}, {"user_ids": ["u-9"]}),
    ("identity.registration_submitted", {"reviewers": []}, None),
    ("identity.user_approved", {"email": "ana@alder.example"}, None),
])
def test_lookup_for_asks_identity_only_for_events_without_their_recipients(event_type, data, query):
    assert rules.lookup_for(event_type, data) == query


def test_an_application_goes_to_each_reviewer_with_its_checks_in_words():
    flags = ["personal_webmail:gmail.com", "email_domain_typo:nhs.net", "email_domain_unlike_organisation:gmail.com",
             "near_duplicate:ana.lopes@alder.example", "cqc_mismatch:1-101"]
    sent = emails("identity.registration_submitted", application(flags=flags))
    assert [(e.template, e.to, e.reference) for e in sent] == [
        ("application-to-review", "priya.shah@alder.example", f"{EVENT_ID}:priya.shah@alder.example"),
        ("application-to-review", "tom@alder.example", f"{EVENT_ID}:tom@alder.example")]
    assert sent[0].personalisation == {
        "name": "Priya Shah", "applicant name": "Ana Lopez", "applicant email": "ana.lopez@gmail.com",
        "organisation": "Alder Care Ltd", "what": "an account", "flagged": True, "checks": [
            "They used a personal email address (gmail.com).",
            "Their email address may be mistyped: did they mean nhs.net?",
            "Their email address (gmail.com) is not from a domain the organisation uses.",
            "Someone with a similar name or email address already has an account (ana.lopes@alder.example).",
            "cqc_mismatch:1-101"],  # a flag without words is shown as it is
        "review link": "https://tracker.example/applications"}
    assert sent[1].personalisation["name"] == "Tom Reed"


def test_a_request_for_more_locations_without_flags_has_nothing_to_check():
    [to_priya, _] = emails("identity.access_requested", application(kind="location_access"))
    assert (to_priya.personalisation["what"], to_priya.personalisation["flagged"],
            to_priya.personalisation["checks"]) == ("access to more locations", False, [])


def test_an_approved_user_gets_the_one_time_password_and_the_sign_in_link():
    data = {"application_id": "app-1", "user_id": "u-1", "name": "Ana Lopez", "email": "ana@alder.example",
            "organisation_id": "1-100000001", "one_time_password_sealed": "gAAAAsealed"}
    assert emails("identity.user_approved", data, secrets={"one_time_password": "Puffin-Lake-37"}) == [
        rules.EmailRequest("user-approved", "ana@alder.example", {
            "name": "Ana Lopez", "email": "ana@alder.example", "one-time password": "Puffin-Lake-37",
            "sign in link": "https://tracker.example/sign-in"}, f"{EVENT_ID}:ana@alder.example")]


@pytest.mark.parametrize("event_type, reason, what, shown", [
    ("identity.user_rejected", "We could not confirm you work for Alder Care.",
     "application for a Capacity Tracker account", "We could not confirm you work for Alder Care."),
    ("identity.access_rejected", "", "request for access to more locations", "No reason was given."),
])
def test_a_rejection_says_what_was_rejected_and_why(event_type, reason, what, shown):
    data = {"application_id": "app-1", "kind": "registration", "user_id": "u-1", "name": "Ana Lopez",
            "email": "Ana@Alder.example", "reason": reason}
    assert emails(event_type, data) == [rules.EmailRequest(
        "application-rejected", "ana@alder.example", {"name": "Ana Lopez", "what": what, "reason": shown},
        f"{EVENT_ID}:ana@alder.example")]


def test_approved_access_lists_the_locations():
    data = {"application_id": "app-2", "user_id": "u-1", "email": "ana@alder.example",
            "location_ids": ["1-101", "1-102"]}
    [sent] = emails("identity.access_approved", data)
    assert (sent.template, sent.to) == ("access-approved", "ana@alder.example")
    assert sent.personalisation == {"locations": ["1-101", "1-102"], "sign in link": "https://tracker.example/sign-in"}


def test_a_password_reset_carries_the_one_time_password():
    data = {"user_id": "u-1", "email": "ana@alder.example", "name": "Ana Lopez", "one_time_password_sealed": "x"}
    [sent] = emails("identity.password_reset", data, secrets={"one_time_password": "Heron-Bay-12"})
    assert (sent.template, sent.reference) == ("password-reset", f"{EVENT_ID}:ana@alder.example")
    assert sent.personalisation == {"name": "Ana Lopez", "one-time password": "Heron-Bay-12",
                                    "sign in link": "https://tracker.example/sign-in"}


@pytest.mark.parametrize("days_left, expires_at, days, date", [
    (1, "2026-06-30T23:30:00+00:00", "1 day", "1 July 2026"),  # already 1 July in London (BST)
    (5, "2026-12-01T23:30:00+00:00", "5 days", "1 December 2026"),  # GMT: still 1 December
])
def test_a_password_expiry_warning_counts_days_and_gives_the_uk_date(days_left, expires_at, days, date):
    data = {"user_id": "u-1", "email": "ana@alder.example", "name": "Ana Lopez", "expires_at": expires_at,
            "days_left": days_left}
    [sent] = emails("identity.password_expiring", data)
    assert sent.template == "password-expiring"
    assert sent.personalisation == {"name": "Ana Lopez", "days left": days, "expiry date": date,
                                    "change password link": "https://tracker.example/account/password"}


@pytest.mark.parametrize("locked_until, shown", [
    ("2026-11-23T14:05:00+00:00", "2:05pm on 23 November 2026"),  # GMT
    ("2026-11-23T09:05:00-05:00", "2:05pm on 23 November 2026"),  # any offset, shown in UK time
    ("2026-07-01T09:05:00+00:00", "10:05am on 1 July 2026"),  # BST
    ("2026-03-29T00:30:00+00:00", "12:30am on 29 March 2026"),  # just before the clocks go forward
    ("2026-03-29T01:30:00+00:00", "2:30am on 29 March 2026"),  # just after
    ("2026-08-31T23:10:00+00:00", "12:10am on 1 September 2026"),
])
def test_a_locked_account_says_when_it_unlocks_in_uk_time(locked_until, shown):
    data = {"user_id": "u-1", "email": "ana@alder.example", "name": "Ana Lopez", "locked_until": locked_until}
    [sent] = emails("identity.account_locked", data)
    assert sent.template == "account-locked"
    assert sent.personalisation == {"name": "Ana Lopez", "locked until": shown}


def test_a_reset_second_factor_tells_its_person_to_set_one_up_at_sign_in():
    [sent] = emails("identity.mfa_reset", {"user_id": "u-1", "email": "Ana@Alder.example", "name": "Ana Lopez"})
    assert (sent.template, sent.to) == ("mfa-reset", "ana@alder.example")
    assert sent.personalisation == {"name": "Ana Lopez", "sign in link": "https://tracker.example/sign-in"}


ANA = {"user_id": "u-1", "email": "Ana@Alder.example", "name": "Ana Lopez"}


def test_a_forgotten_password_link_carries_the_token_and_when_it_stops_working():
    token = "Zq3-_" + "k" * 38
    [sent] = emails("identity.password_reset_requested", {**ANA, "reset_token_sealed": "sealed",
                                                          "expires_at": "2026-11-23T14:05:00+00:00"},
                    secrets={"reset_token": token})
    assert (sent.template, sent.to) == ("password-reset-link", "ana@alder.example")
    assert sent.personalisation == {"name": "Ana Lopez", "expires at": "2:05pm on 23 November 2026",
                                    "reset link": f"https://tracker.example/reset-password?token={token}"}


def test_a_password_reset_by_link_is_told_to_its_owner_afterwards():
    [sent] = emails("identity.password_reset_completed", {**ANA, "reset_at": "2026-07-01T08:30:00+00:00"})
    assert (sent.template, sent.to) == ("password-reset-done", "ana@alder.example")
    assert sent.personalisation == {"name": "Ana Lopez", "reset at": "9:30am on 1 July 2026",
                                    "sign in link": "https://tracker.example/sign-in"}


def test_a_contract_request_goes_to_the_commissioners_people_identity_names():
    data = {"contract_id": "c-1", "location_id": "1-101", "location_name": "Alder House",
            "commissioner_kind": "local_authority", "commissioner_code": BARNSLEY,
            "commissioner_name": "Barnsley Metropolitan Borough Council"}
    sent = emails("providers.contract_requested", data,
                  contacts=[contact("Priya", "Priya@Barnsley.example"), contact("Dev", "dev@barnsley.example")])
    assert [(e.template, e.to, e.reference) for e in sent] == [
        ("contract-approval-request", "priya@barnsley.example", f"{EVENT_ID}:priya@barnsley.example"),
        ("contract-approval-request", "dev@barnsley.example", f"{EVENT_ID}:dev@barnsley.example")]
    assert sent[0].personalisation == {"name": "Priya", "location": "Alder House",
                                       "commissioner": "Barnsley Metropolitan Borough Council",
                                       "review link": "https://tracker.example/contracts"}
    assert emails("providers.contract_requested", data, contacts=[]) == []


def test_a_contract_decision_goes_to_the_location_people_and_its_manager_once_each():
    people = [contact("Ana", "ana@alder.example", "1-101"), contact("Sam", "Sam@Alder.example", "1-101")]
    location = {"location_id": "1-101", "name": "Alder House", "manager_email": "sam@alder.example",
                "manager_name": "Sam Manager"}
    sent = emails("providers.contract_decided", contract_decided(
        decision="declined", reason="We hold no contract with Alder House."), contacts=people, location=location)
    assert [(e.to, e.reference) for e in sent] == [("ana@alder.example", f"{EVENT_ID}:ana@alder.example"),
                                                  ("sam@alder.example", f"{EVENT_ID}:sam@alder.example")]
    assert sent[0].template == "contract-decision"
    assert sent[0].personalisation == {
        "name": "Ana", "location": "Alder House", "commissioner": "Barnsley Metropolitan Borough Council",
        "decision": "declined", "approved": False, "declined": True,
        "reason": "We hold no contract with Alder House."}


def test_an_approved_contract_reaches_a_manager_without_an_account_and_shows_no_reason():
    location = {"location_id": "1-101", "name": "Alder House", "manager_email": "Jo.Bloggs@Alder.example",
                "manager_name": None}
    sent = emails("providers.contract_decided", contract_decided(reason="Left over"),
                  contacts=[contact("Ana", "ana@alder.example", "1-101")], location=location)
    assert [(e.to, e.personalisation["name"]) for e in sent] == [("ana@alder.example", "Ana"),
                                                                 ("jo.bloggs@alder.example", "manager")]
    assert {k: sent[1].personalisation[k] for k in ("decision", "approved", "declined", "reason")} == {
        "decision": "approved", "approved": True, "declined": False, "reason": ""}


@pytest.mark.parametrize("kind, code, named", [("local_authority", BARNSLEY, "the Local Authority E08000016"),
                                               ("sub_icb", SUB_BARNSLEY, "the Sub-ICB E38000006")])
def test_a_decision_from_an_older_producer_names_the_commissioner_by_its_code(kind, code, named):
    data = contract_decided(commissioner_kind=kind, commissioner_code=code)
    del data["commissioner_name"]
    [sent] = emails("providers.contract_decided", data, contacts=[contact("Ana", "ana@alder.example")])
    assert sent.personalisation["commissioner"] == named


def test_a_processed_bulk_upload_without_refusals_has_no_problems():
    [sent] = emails("capacity.bulk_upload_processed", bulk_upload(), contacts=[contact("Lee", "Lee@Alder.example")])
    assert (sent.template, sent.to, sent.reference) == (
        "bulk-upload-result", "lee@alder.example", f"{EVENT_ID}:lee@alder.example")
    assert sent.personalisation == {
        "name": "Lee", "file name": "homes.xlsx", "outcome": "processed", "applied": 12, "refused": 0,
        "had problems": False, "reason": "", "result link": "https://tracker.example/capacity/bulk-uploads/up-9"}


@pytest.mark.parametrize("changes, outcome", [
    ({"refused": 2}, "processed"),
    ({"status": "refused", "applied": 0, "reason": "The spreadsheet has no Vacancies sheet."}, "refused"),
])
def test_a_bulk_upload_with_refused_rows_or_refused_outright_has_problems(changes, outcome):
    [sent] = emails("capacity.bulk_upload_processed", bulk_upload(**changes),
                    contacts=[contact("Lee", "lee@alder.example")])
    assert (sent.personalisation["outcome"], sent.personalisation["had problems"]) == (outcome, True)
    assert sent.personalisation["reason"] == changes.get("reason", "")


def test_every_event_notifications_subscribes_to_asks_for_emails_except_location_snapshots():
    # the events above, one test each: a new subscription needs its own test
    tested = {"identity.registration_submitted", "identity.access_requested", "identity.user_approved",
              "identity.user_rejected", "identity.access_approved", "identity.access_rejected",
              "identity.password_reset", "identity.password_expiring", "identity.account_locked",
              "identity.mfa_reset", "identity.password_reset_requested", "identity.password_reset_completed",
              "providers.contract_requested", "providers.contract_decided", "capacity.bulk_upload_processed"}
    assert set(SUBSCRIPTIONS["notifications"]) - tested == {"providers.location_updated"}


@pytest.mark.parametrize("event_type, data", [
    ("identity.password_changed", {"user_id": "u-1", "email": "ana@alder.example"}),
    ("identity.no_such_event", {}),
])
def test_an_event_without_emails_is_refused(event_type, data):
    with pytest.raises(ValueError, match=f"no email for {event_type}"):
        rules.emails_for(event_type, EVENT_ID, data, links=LINKS)


def test_with_manager_adds_the_manager_once_and_sorts_by_email():
    people = [contact("Zoe", "zoe@alder.example"), contact("Ana", "ANA@alder.example")]
    location = {"location_id": "1-101", "manager_email": "Max@Alder.example", "manager_name": "Max Power"}
    assert rules.with_manager(people, location) == [
        contact("Ana", "ANA@alder.example"),
        {"email": "max@alder.example", "name": "Max Power", "location_ids": ["1-101"]},
        contact("Zoe", "zoe@alder.example")]
    assert rules.with_manager(people, {**location, "manager_email": "ana@ALDER.example"}) == [
        contact("Ana", "ANA@alder.example"), contact("Zoe", "zoe@alder.example")]
    assert rules.with_manager(people, None) == rules.with_manager(people, {"location_id": "1-101"}) == [
        contact("Ana", "ANA@alder.example"), contact("Zoe", "zoe@alder.example")]


# -- reminders ------------------------------------------------------------------------------------
@pytest.mark.parametrize("age, level", [
    (timedelta(hours=23, minutes=59), None), (timedelta(hours=24), None),
    (timedelta(hours=24, seconds=1), 24), (timedelta(hours=48), 24),
    (timedelta(hours=48, seconds=1), 48), (timedelta(days=30), 48),
])
def test_stale_level_counts_more_than_24_and_more_than_48_hours(age, level):
    assert rules.stale_level(NOW - age, NOW) == level


def test_a_location_that_never_sent_its_capacity_is_48_hours_stale():
    assert rules.stale_level(None, NOW) == 48


def test_group_by_recipient_lists_each_persons_locations_by_name_managers_included():
    locations = [{"location_id": "1-103", "name": "Cedar Lodge", "manager_email": "Ana@Alder.example",
                  "manager_name": "Ana Lopez"},
                 {"location_id": "1-101", "name": "Birch Court", "manager_email": "max@alder.example"},
                 {"location_id": "1-102", "name": "Alder House", "manager_email": None}]
    contacts = [contact("Ana Lopez", "ana@alder.example", "1-101", "1-103", "1-999"),
                contact("Lee", "lee@alder.example", "1-102", "1-101", "1-102"),
                contact("Nobody here", "nobody@elsewhere.example", "1-999")]
    assert rules.group_by_recipient(locations, contacts) == [
        rules.Recipient("ana@alder.example", "Ana Lopez", ["Birch Court", "Cedar Lodge"]),
        rules.Recipient("lee@alder.example", "Lee", ["Alder House", "Birch Court"]),
        rules.Recipient("max@alder.example", "manager", ["Birch Court"])]


def test_group_by_recipient_of_no_locations_is_nobody():
    assert rules.group_by_recipient([], [contact("Lee", "lee@alder.example", "1-101")]) == []


@pytest.mark.parametrize("now, window", [
    (datetime(2026, 11, 8, 0, 0, tzinfo=UTC), ("2026-11", "14 November 2026")),
    (datetime(2026, 11, 14, 23, 59, tzinfo=UTC), ("2026-11", "14 November 2026")),
    (datetime(2026, 11, 7, 23, 59, tzinfo=UTC), None),
    (datetime(2026, 11, 15, 0, 0, tzinfo=UTC), None),
    (datetime(2026, 7, 7, 23, 30, tzinfo=UTC), ("2026-07", "14 July 2026")),  # 00:30 on the 8th in London
    (datetime(2026, 7, 14, 23, 30, tzinfo=UTC), None),  # already the 15th in London
    (datetime(2026, 1, 10, 12, 0, tzinfo=UTC), ("2026-01", "14 January 2026")),
])
def test_collection_window_is_the_8th_to_the_14th_in_uk_dates(now, window):
    assert rules.collection_window(now, 8, 14) == window
