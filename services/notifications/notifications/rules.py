"""The rules of notifications, as plain functions: statuses and retries,
what may be shown of a personalisation, the per-sender rate limit, which
placeholders a template's new wording may use, and which emails each event
and each reminder makes, for whom."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from tracker_common.clock import LONDON, london_date, london_time

from .personalisation import PLACEHOLDER, placeholders

# -- statuses -----------------------------------------------------------------------------
# GOV.UK Notify's: `sending` while a provider has it or a retry is due;
# `temporary-failure` only once the retries are spent.
CREATED, SENDING, DELIVERED = "created", "sending", "delivered"
PERMANENT_FAILURE, TEMPORARY_FAILURE, TECHNICAL_FAILURE = "permanent-failure", "temporary-failure", "technical-failure"
STATUSES = (CREATED, SENDING, DELIVERED, PERMANENT_FAILURE, TEMPORARY_FAILURE, TECHNICAL_FAILURE)
FINAL = frozenset({DELIVERED, PERMANENT_FAILURE, TEMPORARY_FAILURE, TECHNICAL_FAILURE})
FAILURE_STATUS = {"temporary": TEMPORARY_FAILURE, "permanent": PERMANENT_FAILURE, "technical": TECHNICAL_FAILURE}

HIDDEN = "(hidden)"


def retry_delay(attempts: int, base: float, cap: float) -> timedelta:
    """Exponential back-off after the `attempts`-th failed attempt."""
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


@dataclass(frozen=True)
class Outcome:
    """What an attempt changes on a notification."""

    status: str
    next_attempt_at: datetime | None
    failure: str | None = None

    @property
    def final(self) -> bool:
        return self.status in FINAL


def after_failure(kind: str, detail: str, *, attempts: int, max_attempts: int, now: datetime,
                  base: float, cap: float) -> Outcome:
    """A temporary failure is retried with back-off until `max_attempts`;
    permanent and technical failures are final at once."""
    if kind == "temporary" and attempts < max_attempts:
        return Outcome(SENDING, now + retry_delay(attempts, base, cap), detail)
    return Outcome(FAILURE_STATUS[kind], None, detail)


def after_acceptance(delivered: bool, *, now: datetime, poll_seconds: float) -> Outcome:
    """A provider took the email: delivered already, or its status is to be
    asked in `poll_seconds`."""
    if delivered:
        return Outcome(DELIVERED, None)
    return Outcome(SENDING, now + timedelta(seconds=poll_seconds))


def after_status_check(status: str | None, *, sent_at: datetime | None, now: datetime, give_up_after: timedelta,
                       poll_seconds: float, failure: str | None) -> Outcome:
    """What a provider's answer on an email's status (None: it could not be
    asked) makes of it: a final status stands; past `give_up_after` since it
    was sent, a temporary failure; else ask again later."""
    if status in FINAL:
        return Outcome(status, None)
    if now - (sent_at or now) > give_up_after:
        return Outcome(TEMPORARY_FAILURE, None, "the provider gave no final status in time")
    return Outcome(SENDING, now + timedelta(seconds=poll_seconds), failure)


def after_job_failure(attempts: int, *, max_attempts: int, now: datetime, base: float,
                      cap: float) -> tuple[str, datetime | None]:
    """(status, next attempt) of an email job whose recipients could not be
    looked up at its `attempts`-th try: again after a back-off, `failed`
    once the attempts are spent."""
    if attempts >= max_attempts:
        return "failed", None
    return "pending", now + retry_delay(attempts, base, cap)


def mask(personalisation: dict, secret_fields) -> dict:
    """The personalisation as it may be stored and shown: secrets hidden."""
    secret = {name.strip().lower() for name in secret_fields}
    return {key: HIDDEN if key.strip().lower() in secret else value for key, value in personalisation.items()}


def budgets(limit: int, sent_last_minute: dict[str, int], senders) -> dict[str, int]:
    """How many more emails each sender may hand to the provider this minute."""
    return {sender: max(limit - sent_last_minute.get(sender, 0), 0) for sender in senders}


def within_budgets(due: list, budget: dict[str, int]) -> list:
    """The due notifications (oldest first) that their senders' budgets allow."""
    left, chosen = dict(budget), []
    for notification in due:
        if left.get(notification.sender, 0) > 0:
            left[notification.sender] -= 1
            chosen.append(notification)
    return chosen


# -- a template's wording --------------------------------------------------------------------
def placeholder_problems(fields, wording: dict) -> dict[str, list[str]]:
    """What is wrong with new wording ({"subject", "body"}) for a template
    that may use `fields`: placeholders it may not use, or one not written
    whole. Empty when nothing is."""
    allowed = {f.lower() for f in fields}
    errors = {}
    for part in ("subject", "body"):
        problems = []
        unknown = sorted(placeholders(wording[part]) - allowed)
        if unknown:
            problems.append(f"Unknown placeholder(s): {', '.join(unknown)}. This template can use: "
                            f"{', '.join(sorted(allowed))}.")
        # what is left once every whole placeholder is taken out: a stray "((" or "))" is one typed wrong
        if "((" in PLACEHOLDER.sub("", wording[part]) or "))" in PLACEHOLDER.sub("", wording[part]):
            problems.append("A placeholder is not closed: write it as ((name)), on one line.")
        if problems:
            errors[part] = problems
    return errors


def sample_personalisation(fields, text: str) -> dict:
    """A value for each placeholder of a preview: the placeholder's own name
    in brackets (a conditional one shown), so people see where each goes."""
    conditional = {name.strip().lower() for name, _, _ in
                   (m.group(1).partition("??") for m in PLACEHOLDER.finditer(text) if "??" in m.group(1))}
    return {field.lower(): "yes" if field.lower() in conditional else f"[{field}]" for field in fields}


# -- which emails ---------------------------------------------------------------------------
@dataclass(frozen=True)
class EmailRequest:
    template: str
    to: str
    personalisation: dict
    reference: str


@dataclass(frozen=True)
class Links:
    """Where emails send people: pages of the web service at `base`."""

    base: str

    def __call__(self, path: str) -> str:
        return self.base.rstrip("/") + path


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


# Events whose recipients identity must look up, and the query to ask it.
def lookup_for(event_type: str, data: dict) -> dict | None:
    if event_type == "providers.contract_requested":
        return {"commissioner_code": data["commissioner_code"]}
    if event_type == "providers.contract_decided":
        return {"location_ids": [data["location_id"]]}
    if event_type == "capacity.bulk_upload_processed":
        return {"user_ids": [data["uploaded_by"]]}
    return None


APPLICATION_KIND = {"registration": "an account", "location_access": "access to more locations"}
REJECTED_WHAT = {"identity.user_rejected": "application for a Capacity Tracker account",
                 "identity.access_rejected": "request for access to more locations"}
COMMISSIONER_KIND = {"local_authority": "the Local Authority", "sub_icb": "the Sub-ICB"}


def emails_for(event_type: str, event_id: str, data: dict, *, links: Links, contacts: list[dict] = (),
               location: dict | None = None, secrets: dict | None = None,
               location_names: dict[str, str] | None = None) -> list[EmailRequest]:
    """The emails an event asks for. `contacts` are identity's answer to
    `lookup_for`; `location` what notifications knows of the event's
    location, `location_names` of the locations it names; `secrets` the
    unsealed one-time password or reset token. Each email's
    reference is the event's id and the recipient: a redelivered event
    sends nothing twice."""
    def email(template: str, to: str, **values) -> EmailRequest:
        return EmailRequest(template, to.lower(), values, f"{event_id}:{to.lower()}")

    secrets = secrets or {}
    if event_type in ("identity.registration_submitted", "identity.access_requested"):
        checks = [flag_text(flag) for flag in data["flags"]]
        return [email("application-to-review", r["email"], name=r["name"], **{
            "applicant name": data["name"], "applicant email": data["email"],
            "organisation": data["organisation_name"], "what": APPLICATION_KIND[data["kind"]],
            "flagged": bool(checks), "checks": checks, "review link": links("/applications")})
            for r in data["reviewers"]]
    if event_type == "identity.user_approved":
        return [email("user-approved", data["email"], name=data["name"], email=data["email"], **{
            "one-time password": secrets["one_time_password"], "sign in link": links("/sign-in")})]
    if event_type in REJECTED_WHAT:
        return [email("application-rejected", data["email"], name=data["name"], what=REJECTED_WHAT[event_type],
                      reason=data["reason"] or "No reason was given.")]
    if event_type == "identity.access_approved":
        names = location_names or {}
        return [email("access-approved", data["email"], locations=[names.get(i, i) for i in data["location_ids"]],
                      **{"sign in link": links("/sign-in")})]
    if event_type == "identity.password_reset":
        return [email("password-reset", data["email"], name=data["name"], **{
            "one-time password": secrets["one_time_password"], "sign in link": links("/sign-in")})]
    if event_type == "identity.password_expiring":
        return [email("password-expiring", data["email"], name=data["name"], **{
            "days left": _days(data["days_left"]), "expiry date": london_date(data["expires_at"]),
            "change password link": links("/account/password")})]
    if event_type == "identity.account_locked":
        return [email("account-locked", data["email"], name=data["name"],
                      **{"locked until": london_time(data["locked_until"])})]
    if event_type == "identity.mfa_reset":
        return [email("mfa-reset", data["email"], name=data["name"], **{"sign in link": links("/sign-in")})]
    if event_type == "identity.password_reset_requested":
        return [email("password-reset-link", data["email"], name=data["name"], **{
            "reset link": links("/reset-password?" + urlencode({"token": secrets["reset_token"]})),
            "expires at": london_time(data["expires_at"])})]
    if event_type == "identity.password_reset_completed":
        return [email("password-reset-done", data["email"], name=data["name"], **{
            "reset at": london_time(data["reset_at"]), "sign in link": links("/sign-in")})]
    if event_type == "providers.contract_requested":
        return [email("contract-approval-request", c["email"], name=c["name"], location=data["location_name"],
                      commissioner=data["commissioner_name"], **{"review link": links("/contracts")})
                for c in contacts]
    if event_type == "providers.contract_decided":
        approved = data["decision"] == "approved"
        commissioner = data.get("commissioner_name") or (
            f"{COMMISSIONER_KIND[data['commissioner_kind']]} {data['commissioner_code']}")
        return [email("contract-decision", c["email"], name=c["name"], location=data["location_name"],
                      commissioner=commissioner, decision=data["decision"], approved=approved,
                      declined=not approved, reason=(data.get("reason") or "") if not approved else "")
                for c in with_manager(contacts, location)]
    if event_type == "capacity.bulk_upload_processed":
        processed = data["status"] == "processed"
        return [email("bulk-upload-result", c["email"], name=c["name"], **{
            "file name": data["file_name"], "outcome": "processed" if processed else "refused",
            "applied": data["applied"], "refused": data["refused"],
            "had problems": bool(data["refused"]) or not processed, "reason": data.get("reason") or "",
            "result link": links(f"/capacity/bulk-uploads/{data['upload_id']}")}) for c in contacts]
    raise ValueError(f"no email for {event_type}")


_FLAG_TEXT = {  # identity's due-diligence flags are "code:detail"
    "personal_webmail": "They used a personal email address ({}).",
    "email_domain_typo": "Their email address may be mistyped: did they mean {}?",
    "email_domain_unlike_organisation": "Their email address ({}) is not from a domain the organisation uses.",
    "near_duplicate": "Someone with a similar name or email address already has an account ({}).",
}


def flag_text(flag: str) -> str:
    code, _, detail = flag.partition(":")
    return _FLAG_TEXT[code].format(detail) if code in _FLAG_TEXT else flag


def with_manager(contacts: list[dict], location: dict | None) -> list[dict]:
    """A location's users plus its manager (from its profile), each email once."""
    people = {c["email"].lower(): c for c in contacts}
    if location and location.get("manager_email") and location["manager_email"].lower() not in people:
        people[location["manager_email"].lower()] = {
            "email": location["manager_email"].lower(), "name": location.get("manager_name") or "manager",
            "location_ids": [location["location_id"]]}
    return [people[e] for e in sorted(people)]


# -- reminders --------------------------------------------------------------------------------
def stale_level(last_submitted_at: datetime | None, now: datetime) -> int | None:
    """48 when a location's capacity is more than 48 hours old (or it never
    sent any), 24 when more than 24 hours, else None."""
    if last_submitted_at is None:
        return 48
    age = now - last_submitted_at
    if age > timedelta(hours=48):
        return 48
    if age > timedelta(hours=24):
        return 24
    return None


def stale_reminders_due(stale: list[dict], sent: set[tuple[str, str, int]], now: datetime) -> dict[int, list[dict]]:
    """The locations of capacity's `stale_locations` answer to remind, by
    level (24, 48): once per level of each stale spell (`since`: their last
    return, or "never"; `sent` holds the (location_id, since, level) already
    reminded), never when their reminders are switched off."""
    due: dict[int, list[dict]] = {24: [], 48: []}
    for loc in stale:
        last = loc["last_submitted_at"]
        level = stale_level(datetime.fromisoformat(last) if last else None, now)
        since = last or "never"
        if level is not None and loc["reminders_enabled"] and (loc["location_id"], since, level) not in sent:
            due[level].append({**loc, "since": since})
    return due


@dataclass
class Recipient:
    email: str
    name: str
    locations: list[str] = field(default_factory=list)


def group_by_recipient(locations: list[dict], contacts: list[dict]) -> list[Recipient]:
    """One email per person, listing every location of theirs in `locations`
    (each a dict with location_id, name and maybe manager_email/_name)."""
    names = {loc["location_id"]: loc["name"] for loc in locations}
    people: dict[str, Recipient] = {}
    for contact in contacts:
        for location_id in contact["location_ids"]:
            if location_id in names:
                person = people.setdefault(contact["email"].lower(), Recipient(contact["email"].lower(), contact["name"]))
                person.locations.append(location_id)
    for loc in locations:
        if loc.get("manager_email"):
            person = people.setdefault(loc["manager_email"].lower(),
                                       Recipient(loc["manager_email"].lower(), loc.get("manager_name") or "manager"))
            person.locations.append(loc["location_id"])
    for person in people.values():
        person.locations = [names[i] for i in sorted(set(person.locations), key=lambda i: names[i])]
    return [people[e] for e in sorted(people)]


def capacity_reminder(person: Recipient, hours: int, *, sent_at: datetime, links: Links) -> EmailRequest:
    """One person's reminder that their locations' capacity is `hours` old."""
    return EmailRequest("capacity-reminder", person.email, {
        "name": person.name, "hours": hours, "locations": person.locations, "update link": links("/capacity")},
        f"stale:{hours}:{sent_at.isoformat()}:{person.email}")


def monthly_refresh(person: Recipient, *, period: str, month: str, window_ends: str, links: Links) -> EmailRequest:
    """One person's monthly refresh (`period` "2026-11": once a month)."""
    return EmailRequest("monthly-refresh", person.email, {
        "name": person.name, "month": month, "window ends": window_ends, "locations": person.locations,
        "update link": links("/sign-in")}, f"monthly:{period}:{person.email}")


def manual_reminder(person: dict, location: dict, *, requested_by: str, hour: str, links: Links) -> EmailRequest:
    """A reminder asked for from a report: one per location and person in
    each `hour` ("2026-11-23T09"), however often it is asked."""
    return EmailRequest("manual-reminder", person["email"], {
        "name": person["name"], "requested by": requested_by, "location": location["name"],
        "update link": links(f"/locations/{location['location_id']}/capacity")},
        f"manual:{hour}:{location['location_id']}:{person['email']}")


def collection_window(now: datetime, first_day: int, last_day: int) -> tuple[str, str] | None:
    """(period "2026-11", its last day "14 November 2026") when `now` is in
    this month's collection window (UK dates), else None."""
    local = now.astimezone(LONDON)
    if not first_day <= local.day <= last_day:
        return None
    return f"{local.year:04d}-{local.month:02d}", f"{last_day} {local.strftime('%B %Y')}"
