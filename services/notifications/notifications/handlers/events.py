"""Other services' events, turned into emails.

An event is first kept as a job (in the same transaction that records it as
processed: keeping a job is not idempotent by itself, so its subscriber uses
`apply_once`), then the job makes its emails: at once when the event names its
recipients, or once identity has said who they are. A job whose lookup
fails waits and tries again with back-off; nothing is lost while identity
is away."""
from __future__ import annotations

from datetime import timedelta

from tracker_common.contracts.events import schema_of

from .. import repository, rules
from ..models import EmailJob, Location
from .sending import send


def keep_job(uow, event) -> None:
    """Keep an event's request for emails until its emails are made."""
    repository.add_email_job(uow.session, EmailJob(
        id=event.id, event_type=event.type, data=schema_of(event.type).dump(event.data), status="pending",
        attempts=0, next_attempt_at=uow.now(), created_at=uow.now()))


def facts_of(location: Location) -> dict:
    """What the email rules need of a location."""
    return {"location_id": location.location_id, "name": location.name, "manager_email": location.manager_email,
            "manager_name": location.manager_name}


def location_facts(session, location_id: str) -> dict | None:
    location = repository.location(session, location_id)
    return None if location is None else facts_of(location)


def due_jobs(uow, limit: int) -> list[str]:
    return repository.due_email_job_ids(uow.session, uow.now(), limit)


def run_job(uow, job_id: str, *, lookup, sealer, links: rules.Links, max_attempts: int,
            retry_base: float, retry_cap: float) -> str | None:
    """Make a job's emails, in one transaction; returns the job's status
    (None when another instance has it). `lookup(query)` asks identity for
    contacts and may raise: the job then waits and tries again."""
    job = repository.claim_pending_email_job(uow.session, job_id)
    if job is None:
        return None
    data = schema_of(job.event_type).load(job.data)
    try:
        query = rules.lookup_for(job.event_type, data)
        contacts = lookup(query)["contacts"] if query else []
    except Exception as exc:  # identity away or slow: keep the job
        job.attempts += 1
        job.last_error = repr(exc)[:500]
        job.status, job.next_attempt_at = rules.after_job_failure(job.attempts, max_attempts=max_attempts,
                                                                  now=uow.now(), base=retry_base, cap=retry_cap)
        return job.status
    secrets = {}
    if "one_time_password_sealed" in data:
        secrets["one_time_password"] = sealer.decrypt(data["one_time_password_sealed"].encode()).decode()
    if "reset_token_sealed" in data:
        secrets["reset_token"] = sealer.decrypt(data["reset_token_sealed"].encode()).decode()
    location = location_facts(uow.session, data["location_id"]) if "location_id" in data else None
    names = repository.location_names(uow.session, data.get("location_ids") or [])
    for request in rules.emails_for(job.event_type, job.id, data, links=links, contacts=contacts,
                                    location=location, secrets=secrets, location_names=names):
        send(uow, sealer, request, sender=job.event_type.split(".")[0])
    job.status, job.data, job.done_at, job.next_attempt_at = "done", {}, uow.now(), None
    return job.status


def retry_failed_jobs(uow) -> int:
    """Put failed jobs back in the queue (once what failed is mended)."""
    jobs = repository.failed_email_jobs(uow.session)
    for job in jobs:
        job.status, job.attempts, job.next_attempt_at = "pending", 0, uow.now()
    return len(jobs)


def forget_done_jobs(uow, older_than: timedelta) -> int:
    return repository.delete_email_jobs_done_before(uow.session, uow.now() - older_than)
