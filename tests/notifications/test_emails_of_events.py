"""Events and schedules turned into emails, with the real database and a
stand-in for identity's `contacts` answer: a job waits while identity is
away; stale reminders go once per level and never when switched off; the
monthly refresh goes once a month; manual reminders only where allowed."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from notifications import rules
from notifications.handlers import events, readmodel, reminders
from notifications.models import EmailJob, Notification
from tracker_common.contracts.errors import Forbidden, InvalidInput
from tracker_common.contracts.events import new_event, schema_of
from tracker_common.contracts.permissions import Principal, Role

from .conftest import NOW

LINKS = rules.Links("https://tracker.example")
BARNSLEY, SUB_BARNSLEY = "E08000016", "E38000006"


class Identity:
    """identity's `contacts` RPC, answered from a table; `down` raises."""

    def __init__(self, by_location=None, users=None, approvers=None):
        self.by_location, self.users, self.approvers = by_location or {}, users or {}, approvers or []
        self.down = False
        self.asked = []

    def __call__(self, query):
        self.asked.append(query)
        if self.down:
            raise TimeoutError("identity did not answer")
        if "location_ids" in query:
            people = {}
            for location_id in query["location_ids"]:
                for person in self.by_location.get(location_id, []):
                    entry = people.setdefault(person["email"], {**person, "location_ids": []})
                    entry["location_ids"].append(location_id)
            return {"contacts": list(people.values()), "routed_to": None}
        if "user_ids" in query:
            return {"contacts": [self.users[u] for u in query["user_ids"] if u in self.users], "routed_to": None}
        return {"contacts": self.approvers, "routed_to": "approvers"}


def person(name, email_address):
    return {"user_id": name.lower(), "email": email_address, "name": name, "location_ids": []}


def location(db, location_id, *, name, manager_email=None, reminders_enabled=True, active=True, version=1):
    data = {"location_id": location_id, "version": version, "organisation_id": "1-100000001", "name": name,
            "postcode": "S70 1AA", "la_code": BARNSLEY, "sub_icb_code": SUB_BARNSLEY, "active": active,
            "kind": "care_home", "reminders_enabled": reminders_enabled,
            "manager": {"name": "Sam Manager", "email": manager_email} if manager_email else {}}
    with db.unit_of_work() as uow:
        readmodel.apply_location_snapshots(uow.session, [data])
        uow.commit()


def receive(db, event_type, data):
    """An event as the subscriber keeps it (validated, then kept as a job)."""
    event = new_event(event_type, schema_of(event_type).load(data), occurred_at=NOW)
    with db.unit_of_work() as uow:
        events.keep_job(uow, event)
        uow.commit()
    return event


def run_jobs(db, sealer, lookup, *, max_attempts=3):
    with db.unit_of_work() as uow:
        job_ids = events.due_jobs(uow, 50)
    statuses = []
    for job_id in job_ids:
        with db.unit_of_work() as uow:
            statuses.append(events.run_job(uow, job_id, lookup=lookup, sealer=sealer, links=LINKS,
                                           max_attempts=max_attempts, retry_base=5, retry_cap=60))
            uow.commit()
    return statuses


def emails(db) -> list[tuple[str, str]]:
    with db.unit_of_work() as uow:
        return sorted(uow.session.execute(select(Notification.template_id, Notification.to)).all())


def shown(db, to) -> dict:
    with db.unit_of_work() as uow:
        return uow.session.scalars(select(Notification.personalisation_shown).where(Notification.to == to)).one()


def test_an_approval_email_carries_the_one_time_password_sealed_all_the_way(notifications_db, sealer):
    receive(notifications_db, "identity.user_approved", {
        "application_id": "a1", "user_id": "u1", "name": "Ana Lopez", "email": "Ana@Alder.example",
        "organisation_id": "1-100000001", "one_time_password_sealed": sealer.encrypt(b"Puffin-Lake-37").decode()})
    assert run_jobs(notifications_db, sealer, Identity()) == ["done"]
    assert emails(notifications_db) == [("user-approved", "ana@alder.example")]
    assert shown(notifications_db, "ana@alder.example")["one-time password"] == "(hidden)"
    with notifications_db.unit_of_work() as uow:  # the job forgets the event once its emails are made
        assert uow.session.scalars(select(EmailJob.data)).one() == {}


def test_a_contract_request_waits_while_identity_is_away(notifications_db, sealer, clock):
    identity = Identity(approvers=[person("Priya", "priya@barnsley.example")])
    identity.down = True
    receive(notifications_db, "providers.contract_requested", {
        "contract_id": "c1", "location_id": "1-1", "location_name": "Alder House",
        "commissioner_kind": "local_authority", "commissioner_code": BARNSLEY,
        "commissioner_name": "Barnsley"})
    assert run_jobs(notifications_db, sealer, identity) == ["pending"]
    assert run_jobs(notifications_db, sealer, identity) == []  # waits its back-off
    identity.down = False
    clock.advance(seconds=6)
    assert run_jobs(notifications_db, sealer, identity) == ["done"]
    assert emails(notifications_db) == [("contract-approval-request", "priya@barnsley.example")]
    assert identity.asked[-1] == {"commissioner_code": BARNSLEY}


def test_a_job_gives_up_after_its_attempts_and_can_be_retried(notifications_db, sealer, clock):
    identity = Identity(users={"u9": person("Lee", "lee@alder.example")})
    identity.down = True
    receive(notifications_db, "capacity.bulk_upload_processed", {
        "upload_id": "up1", "uploaded_by": "u9", "file_name": "homes.xlsx", "status": "processed",
        "applied": 12, "refused": 1, "reason": None})
    for _ in range(3):
        run_jobs(notifications_db, sealer, identity)
        clock.advance(minutes=5)
    with notifications_db.unit_of_work() as uow:
        job = uow.session.scalars(select(EmailJob)).one()
        assert (job.status, job.attempts) == ("failed", 3) and "identity did not answer" in job.last_error
    identity.down = False
    with notifications_db.unit_of_work() as uow:
        assert events.retry_failed_jobs(uow) == 1
        uow.commit()
    assert run_jobs(notifications_db, sealer, identity) == ["done"]
    assert emails(notifications_db) == [("bulk-upload-result", "lee@alder.example")]
    assert shown(notifications_db, "lee@alder.example")["refused"] == 1


def test_a_contract_decision_goes_to_the_location_people_and_its_manager(notifications_db, sealer):
    location(notifications_db, "1-1", name="Alder House", manager_email="manager@alder.example")
    identity = Identity(by_location={"1-1": [person("Ana", "ana@alder.example")]})
    receive(notifications_db, "providers.contract_decided", {
        "contract_id": "c1", "location_id": "1-1", "location_name": "Alder House",
        "commissioner_kind": "sub_icb", "commissioner_code": SUB_BARNSLEY, "commissioner_name": "Barnsley ICB",
        "decision": "declined", "reason": "No contract on our records."})
    run_jobs(notifications_db, sealer, identity)
    assert emails(notifications_db) == [("contract-decision", "ana@alder.example"),
                                        ("contract-decision", "manager@alder.example")]
    assert shown(notifications_db, "manager@alder.example")["reason"] == "No contract on our records."


def stale(location_id, name, hours_ago, reminders_enabled=True):
    last = None if hours_ago is None else (NOW - timedelta(hours=hours_ago)).isoformat()
    return {"location_id": location_id, "name": name, "provider_id": "1-100000001", "la_code": BARNSLEY,
            "sub_icb_code": SUB_BARNSLEY, "last_submitted_at": last, "staleness": "stale",
            "reminders_enabled": reminders_enabled}


def remind(db, sealer, identity, stale_list):
    with db.unit_of_work() as uow:
        made = reminders.stale_reminders(uow, stale_list, lookup=identity, sealer=sealer, links=LINKS)
        uow.commit()
    return made


def test_stale_reminders_go_once_per_level_and_never_when_switched_off(notifications_db, sealer, clock):
    location(notifications_db, "1-1", name="Alder House", manager_email="manager@alder.example")
    identity = Identity(by_location={"1-1": [person("Ana", "ana@alder.example")],
                                     "1-2": [person("Ana", "ana@alder.example")],
                                     "1-3": [person("Bo", "bo@birch.example")]})
    homes = [stale("1-1", "Alder House", 25), stale("1-2", "Beech Court", 30),
             stale("1-3", "Birch Lodge", 26, reminders_enabled=False)]
    assert remind(notifications_db, sealer, identity, homes) == 2  # Ana (two homes) and the manager
    assert shown(notifications_db, "ana@alder.example")["locations"] == ["Alder House", "Beech Court"]
    assert shown(notifications_db, "ana@alder.example")["hours"] == 24
    assert remind(notifications_db, sealer, identity, homes) == 0  # the same spell: nothing again

    clock.advance(hours=24)  # now 49 and 54 hours old: the 48-hour reminder
    assert remind(notifications_db, sealer, identity, homes) == 2
    with notifications_db.unit_of_work() as uow:
        hours = sorted(shown["hours"] for shown in uow.session.scalars(select(Notification.personalisation_shown)))
    assert hours == [24, 24, 48, 48]
    assert "bo@birch.example" not in {to for _, to in emails(notifications_db)}


def test_monthly_refresh_goes_once_in_the_collection_window(notifications_db, sealer, clock):
    location(notifications_db, "1-1", name="Alder House")
    location(notifications_db, "1-2", name="Beech Court", active=False)
    identity = Identity(by_location={"1-1": [person("Ana", "ana@alder.example")],
                                     "1-2": [person("Bo", "bo@birch.example")]})

    def monthly():
        with notifications_db.unit_of_work() as uow:
            made = reminders.monthly_refresh(uow, lookup=identity, sealer=sealer, links=LINKS,
                                             first_day=8, last_day=14)
            uow.commit()
        return made

    assert monthly() == 0  # the 23rd: outside the window
    clock.advance(days=15)  # 8 December
    assert monthly() == 1 and monthly() == 0
    assert shown(notifications_db, "ana@alder.example")["month"] == "December 2026"
    assert shown(notifications_db, "ana@alder.example")["window ends"] == "14 December 2026"
    assert emails(notifications_db) == [("monthly-refresh", "ana@alder.example")]


COUNCIL = Principal(user_id="c1", organisation_id="council", roles=frozenset({Role.NON_CARE_HOME_USER}),
                    aligned_codes=frozenset({BARNSLEY}))
ELSEWHERE = Principal(user_id="c2", organisation_id="council-2", roles=frozenset({Role.NON_CARE_HOME_USER}),
                      aligned_codes=frozenset({"E08000019"}))
CARE_HOME = Principal(user_id="h1", organisation_id="1-100000001", roles=frozenset({Role.CARE_HOME_USER}))


def test_manual_reminders_only_where_the_sender_may_and_naming_what_is_refused(notifications_db, sealer, clock):
    location(notifications_db, "1-1", name="Alder House", manager_email="manager@alder.example")
    identity = Identity(by_location={"1-1": [person("Ana", "ana@alder.example")]},
                        users={"c1": person("Chris Council", "chris@barnsley.example")})

    def manual(actor, ids):
        with notifications_db.unit_of_work() as uow:
            result = reminders.manual_reminders(uow, actor, ids, lookup=identity, sealer=sealer, links=LINKS)
            uow.commit()
        return result

    sent = manual(COUNCIL, ["1-1"])
    assert sorted(s["to"] for s in sent["reminded"]) == ["ana@alder.example", "manager@alder.example"]
    assert shown(notifications_db, "ana@alder.example")["requested by"] == "Chris Council"
    again = manual(COUNCIL, ["1-1"])  # a second click within the hour sends nothing more
    assert [s["already_reminded"] for s in again["reminded"]] == [True, True]
    clock.advance(hours=1)
    assert [s["already_reminded"] for s in manual(COUNCIL, ["1-1"])["reminded"]] == [False, False]
    with pytest.raises(Forbidden):
        manual(CARE_HOME, ["1-1"])
    for actor, ids, bad in ((ELSEWHERE, ["1-1"], "0"), (COUNCIL, ["1-1", "9-9"], "1")):
        with pytest.raises(InvalidInput) as refused:
            manual(actor, ids)
        assert list(refused.value.fields["location_ids"]) == [bad]
    assert len(emails(notifications_db)) == 4  # refusals changed nothing
