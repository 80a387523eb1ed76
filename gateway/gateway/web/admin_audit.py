"""The audit log for administrators: access-control changes, sign-ins, or
one location's changes; filtered by who acted, whom it concerned, what and
when (UK dates, each day whole), a page at a time, the filters in the
page's address. Read on a phone, each entry stacks its cells."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import g, render_template, request

from tracker_common.contracts.errors import InvalidInput, TrackerError
from tracker_common.contracts.identity import ACCESS_ACTIONS, SIGN_IN_OUTCOMES
from tracker_common.contracts.permissions import Action

from . import by_field, call, error_page, field_errors, label, page_links, when
from . import blp
from .admin import only_for

UK = ZoneInfo("Europe/London")
CODE = re.compile(r"^[a-z]+(_[a-z]+)*$")  # a permission or other code, shown as words
PER_PAGE = 50
LOCATION_HISTORY_LIMIT = 200  # providers answers a location's latest 200 changes
KINDS = {"access": "Changes to access", "sign_ins": "Sign-ins", "location": "Changes to a location"}
QUERY_FIELDS = {("actor_email",): ("who", "Who"), ("subject_email",): ("about", "About whom"),
                ("action",): ("what", "What"), ("outcome",): ("what", "What"),
                ("since",): ("from-day", "From"), ("until",): ("to-day", "To"),
                ("location_id",): ("location", "Location")}
WHAT = {"access": ACCESS_ACTIONS, "sign_ins": SIGN_IN_OUTCOMES}


def _day(prefix: str, name: str) -> tuple[date | None, dict | None]:
    """A GOV.UK date input's day (None when left empty), or the error."""
    parts = [request.args.get(f"{prefix}-{part}", "").strip() for part in ("day", "month", "year")]
    if not any(parts):
        return None, None
    try:
        return date(int(parts[2]), int(parts[1]), int(parts[0])), None
    except ValueError:
        message = f"{name} must be a real date, like 27 3 2026"
        return None, {"id": f"{prefix}-day", "text": message, "message": message}


def _uk_midnight(day: date) -> str:
    return datetime.combine(day, time(0), tzinfo=UK).isoformat()


def _details(entry: dict) -> list[tuple[str, str]]:
    """An entry's details as (what, value) lines a person reads."""
    lines = []
    for key, value in (entry.get("details") or entry.get("changes") or {}).items():
        if value in (None, "", [], {}):
            continue
        if isinstance(value, list) and len(value) == 2 and "changes" in entry:
            value = f"{_plain(value[0])} → {_plain(value[1])}"
        lines.append((label(key), _plain(value)))
    return lines


def _plain(value) -> str:
    if value is None or value == []:
        return "none"
    if isinstance(value, list):
        return ", ".join(label(v) if isinstance(v, str) and CODE.match(v) else str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{label(k)}: {_plain(v)}" for k, v in value.items())
    return str(value)


@blp.route("/admin/audit")
@only_for(Action.GRANT_PERMISSIONS)
def audit_log():
    asked = {key: value.strip() for key, value in request.args.items() if value.strip() and key != "page"}
    kind = asked.get("kind") if asked.get("kind") in KINDS else "access"
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 1 <= int(page) <= 10_000 else 1
    errors = []
    since, problem = _day("from", "From")
    errors += [problem] if problem else []
    until, problem = _day("to", "To")
    errors += [problem] if problem else []
    if since and until and until < since:
        errors.append({"id": "to-day", "text": "To must be the same as or after From",
                       "message": "To must be the same as or after From"})
    entries, has_more = [], False
    if kind == "location" and not asked.get("location"):
        errors.append({"id": "location", "text": "Enter the location's CQC ID, like 1-000000001",
                       "message": "Enter the location's CQC ID, like 1-000000001"})
    if not errors:
        try:
            entries, has_more = _entries(kind, asked, since, until, page)
        except InvalidInput as refused:
            errors = field_errors(refused, QUERY_FIELDS)
        except TrackerError as refused:
            return error_page(refused)
    for entry in entries:
        entry["when"] = when(entry.get("at"))
        entry["lines"] = _details(entry)
    return render_template(
        "web/admin_audit.html", kinds=KINDS, kind=kind, asked=asked, what=WHAT.get(kind, ()), entries=entries,
        page=page, pages=page_links("/admin/audit", asked, page, has_more), errors=errors,
        messages=by_field(errors)), 422 if errors else 200


def _entries(kind: str, asked: dict, since: date | None, until: date | None, page: int) -> tuple[list, bool]:
    if kind == "location":
        changes = call("providers", "location_history", actor=g.claims, location_id=asked["location"])
        chosen = [c for c in changes
                  if (not since or c["at"] >= _uk_midnight(since)) and
                  (not until or c["at"] < _uk_midnight(until + timedelta(days=1)))
                  and (not asked.get("what") or c["action"] == asked["what"])]
        start = (page - 1) * PER_PAGE
        return chosen[start:start + PER_PAGE], len(chosen) > start + PER_PAGE
    query = {"kind": kind, "limit": PER_PAGE, "page": page}
    if asked.get("who"):
        query["actor_email"] = asked["who"]
    if asked.get("about"):
        query["subject_email"] = asked["about"]
    if asked.get("what"):
        query["action" if kind == "access" else "outcome"] = asked["what"]
    if since:
        query["since"] = _uk_midnight(since)
    if until:
        query["until"] = _uk_midnight(until + timedelta(days=1))
    found = call("identity", "audit_trail", actor=g.claims, query=query)
    return found, len(found) == PER_PAGE  # a full page: there may be another
