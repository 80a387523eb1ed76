"""Capacity returns: submitted (form or bulk), checked by the rules, kept for
ever, announced with a full snapshot; history, current figures, staleness."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from tracker_common.contracts.capacity import (OTHER_RETURN_FIGURES, CapacityReturnRequest, ReturnFigures,
                                               staleness)
from tracker_common.contracts.errors import Forbidden, InvalidInput, NotFound
from tracker_common.contracts.permissions import Action, Principal, may
from tracker_common.schemas import load

from .. import repository
from ..models import CapacityReturn, KnownLocation, OtherReturn
from ..rules import (ReturnRefused, check_capacity_return, check_home_care_return, check_workforce_return,
                     same_figures)
from .locations import location_for, rule_facts, target_of

FIGURES = ReturnFigures()  # a checked return's figures as kept (prices as decimal strings)


def _iso(value):
    return value.isoformat() if value is not None else None


def return_view(row: CapacityReturn) -> dict:
    return {"id": row.id, "location_id": row.location_id, "sequence": row.sequence,
            "submitted_at": _iso(row.submitted_at), "submitted_by": row.submitted_by,
            "submitted_by_generic": row.submitted_by_generic, "source": row.source, "still_true": row.still_true,
            **row.figures}


def record_capacity_return(uow, actor: Principal, facts: KnownLocation, command: dict, *, source: str) -> dict:
    """Check and keep one return for a location the caller has already
    authorised; raises InvalidInput naming every bad field."""
    if not facts.active:
        raise InvalidInput(fields={"location_id": ["This location is deactivated."]})
    try:
        figures = check_capacity_return(rule_facts(facts), command)
    except ReturnRefused as refused:
        raise InvalidInput("The capacity return breaks the rules; nothing was saved.", fields=refused.errors)
    previous = repository.latest_return(uow.session, facts.location_id)
    row = CapacityReturn(
        id=str(uuid.uuid4()), location_id=facts.location_id, sequence=(previous.sequence + 1) if previous else 1,
        submitted_at=uow.now(), submitted_by=actor.user_id, submitted_by_generic=actor.generic, source=source,
        still_true=previous is not None and same_figures(previous.figures, figures),
        figures=FIGURES.dump(figures))
    repository.add_return(uow.session, row)
    uow.record_event("capacity.return_submitted", {
        **figures, "return_id": row.id, "location_id": facts.location_id, "sequence": row.sequence,
        "submitted_at": row.submitted_at, "still_true": row.still_true, "source": source,
        "provider_id": facts.provider_id, "la_code": facts.la_code, "sub_icb_code": facts.sub_icb_code},
        actor_id=actor.user_id, generic_actor=actor.generic)
    return return_view(row)


def record_capacity_returns(uow, actor: Principal, wanted: list[tuple[KnownLocation, dict]], *,
                            source: str) -> dict[str, dict]:
    """Check and keep the returns of many locations the caller has already
    authorised (`wanted`: each location's facts and loaded request), as
    `record_capacity_return` keeps one, set-based: the locations locked and
    their current returns read in one query each, the rules checked in plain
    functions, the returns written in one multi-row insert and their events
    in the outbox's. A location whose return breaks a rule is left out and
    does not stop the others: {location id: the fields that are wrong, as
    InvalidInput names them} of those refused."""
    wanted = sorted(wanted, key=lambda pair: pair[0].location_id)
    ids = [facts.location_id for facts, _ in wanted]
    repository.lock_locations(uow.session, ids)
    previous = repository.latest_sequences_and_figures(uow.session, ids)
    refused, rows, events = {}, [], []
    for facts, command in wanted:
        if not facts.active:
            refused[facts.location_id] = {"location_id": ["This location is deactivated."]}
            continue
        try:
            figures = check_capacity_return(rule_facts(facts), command)
        except ReturnRefused as error:
            refused[facts.location_id] = error.errors
            continue
        sequence, kept = previous.get(facts.location_id, (0, None))
        row = {"id": str(uuid.uuid4()), "location_id": facts.location_id, "sequence": sequence + 1,
               "submitted_at": uow.now(), "submitted_by": actor.user_id, "submitted_by_generic": actor.generic,
               "source": source, "still_true": kept is not None and same_figures(kept, figures),
               # written as FIGURES dumps it: the engine's JSON serialiser writes Decimals as their strings
               "figures": figures}
        rows.append(row)
        events.append(_return_submitted(row, facts, figures))
    repository.add_returns(uow.session, rows)
    for data in events:
        uow.record_event("capacity.return_submitted", data, actor_id=actor.user_id, generic_actor=actor.generic)
    return refused


def _return_submitted(row: dict, facts: KnownLocation, figures: dict) -> dict:
    return {**figures, "return_id": row["id"], "location_id": facts.location_id, "sequence": row["sequence"],
            "submitted_at": row["submitted_at"], "still_true": row["still_true"], "source": row["source"],
            "provider_id": facts.provider_id, "la_code": facts.la_code, "sub_icb_code": facts.sub_icb_code}


def submit_capacity_return(uow, actor: Principal, location_id: str, command: dict) -> dict:
    """Submit a capacity return (saving unchanged figures is a valid "still
    true" refresh, re-stamped). Forbidden for those who may not edit the location."""
    facts = location_for(uow, actor, location_id, Action.EDIT_LOCATION, lock=True)
    return record_capacity_return(uow, actor, facts, command, source="form")



# -- "nothing has changed" -----------------------------------------------------------------
MAX_STILL_TRUE = 200


def _as_command(figures: dict) -> dict:
    """The request that would send a stored return's figures again (its
    confirmation of capacity above the registered beds included)."""
    vacancies = [{k: v[k] for k in ("vacancy_type", "weekly_price_from", "maximum_capacity", "occupied",
                                   "vacant_reserved", "vacant_accepting", "vacant_not_available",
                                   "not_available_reason", "flexible") if k in v}
                 for v in figures.get("vacancies") or []]
    return load(CapacityReturnRequest, {
        "vacancies": vacancies, "short_stay_prices": dict(figures.get("short_stay_prices") or {}),
        "confirm_over_registered_capacity": bool(figures.get("over_registered_capacity"))})


def confirm_still_true(uow, actor: Principal, location_id: str) -> dict:
    """Nothing has changed: the location's current return sent again, as if
    its figures were saved unchanged (the same rules, re-stamped now by the
    actor, marked still true, announced). Refused (InvalidInput, nothing
    saved) when there is no return yet, or when the figures no longer fit
    the location (its services changed since): the form is the way then."""
    facts = location_for(uow, actor, location_id, Action.EDIT_LOCATION, lock=True)
    previous = repository.latest_return(uow.session, location_id)
    if previous is None:
        raise InvalidInput("This location has not sent a capacity return yet: update its capacity first.",
                           fields={"location_id": ["No capacity return yet: update its capacity first."]})
    return record_capacity_return(uow, actor, facts, _as_command(previous.figures), source="form")


def _own_locations_with_a_return(uow, actor: Principal) -> list[str]:
    """The person's own locations (of their organisation, or given to them)
    that have a current return: never a whole area a broker or an
    administrator could reach."""
    facts = repository.own_locations_with_a_return(uow.session, organisation_id=actor.organisation_id,
                                                   location_ids=actor.location_ids, limit=MAX_STILL_TRUE + 1)
    return [f.location_id for f in facts if may(actor, Action.EDIT_LOCATION, target_of(f))]


def confirm_still_true_many(uow, actor: Principal, location_ids: list[str] | None) -> dict:
    """Nothing has changed at several locations (`location_ids`, or None:
    all of the person's own locations that have a return). Each location is
    refreshed all or nothing, on its own: {"refreshed": [returns],
    "refused": {location id: [why]}}."""
    wanted = sorted(set(location_ids)) if location_ids is not None else _own_locations_with_a_return(uow, actor)
    if len(wanted) > MAX_STILL_TRUE:
        raise InvalidInput(fields={"location_ids": [f"At most {MAX_STILL_TRUE} locations at a time."]})
    refreshed, refused = [], {}
    for location_id in wanted:  # in order: two refreshes of the same locations never lock each other out
        try:
            with uow.session.begin_nested():
                refreshed.append(confirm_still_true(uow, actor, location_id))
        except NotFound as error:
            refused[location_id] = [error.detail]
        except Forbidden:
            refused[location_id] = ["You may not update this location."]
        except InvalidInput as error:
            refused[location_id] = _messages(error)
    return {"refreshed": refreshed, "refused": refused}


def _messages(error: InvalidInput) -> list[str]:
    found = []

    def walk(node):
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        else:
            found.append(str(node))
    walk(error.fields or {})
    return found or [error.detail]

def current_return(uow, actor: Principal, location_id: str) -> dict:
    location_for(uow, actor, location_id, Action.VIEW_LOCATION)
    row = repository.latest_return(uow.session, location_id)
    if row is None:
        raise NotFound("This location has not sent a capacity return yet.")
    return return_view(row)


def return_history(uow, actor: Principal, location_id: str, query: dict) -> dict:
    """Every return of a location in a time range, newest first, a page at a time."""
    location_for(uow, actor, location_id, Action.VIEW_LOCATION)
    rows = repository.returns_of(uow.session, location_id, since=query.get("since"), until=query.get("until"),
                                 offset=(query["page"] - 1) * query["per_page"], limit=query["per_page"])
    return {"location_id": location_id, "page": query["page"], "returns": [return_view(r) for r in rows]}


def return_summaries(uow, actor: Principal, now: datetime, location_ids: list[str]) -> list[dict]:
    """Each location's latest return in brief, for those of `location_ids`
    the actor may see (others are left out, as if they did not exist)."""
    rows = repository.locations_with_latest_return(uow.session, location_ids)
    return [{"location_id": facts.location_id, "last_submitted_at": _iso(row.submitted_at) if row else None,
             "staleness": staleness(row.submitted_at if row else None, now),
             "admission_status": row.figures.get("admission_status") if row else None,
             "vacant_accepting": row.figures.get("totals", {}).get("vacant_accepting") if row else None,
             "vacancies": [{"vacancy_type": v["vacancy_type"], "vacant_accepting": v.get("vacant_accepting"),
                            "flexible": bool(v.get("flexible"))} for v in row.figures.get("vacancies", [])]
             if row else []}
            for facts, row in rows if may(actor, Action.VIEW_LOCATION, target_of(facts))]


def stale_locations(uow, now: datetime, *, older_than_hours: int) -> list[dict]:
    """Active locations whose latest return is older than the threshold (or
    that never sent one), with whether reminders are switched on: for the
    reminder emails."""
    cutoff = now - timedelta(hours=older_than_hours)
    rows = repository.locations_stale_since(uow.session, cutoff)
    return [{"location_id": facts.location_id, "name": facts.name, "provider_id": facts.provider_id,
             "la_code": facts.la_code, "sub_icb_code": facts.sub_icb_code, "last_submitted_at": _iso(submitted),
             "staleness": staleness(submitted, now), "reminders_enabled": facts.reminders_enabled}
            for facts, submitted in rows]


def _snapshot(row) -> dict:
    """A return as `capacity.return_submitted` carries it on the bus, ready
    for the wire: its figures as kept (written by the schema's dump when it
    was accepted), its time in ISO 8601 as the schema writes it. A rebuild
    reads hundreds of thousands: no schema runs per return here (the
    consumer loads each with the event's schema, as it loads an event)."""
    return {**row.figures, "return_id": row.id, "location_id": row.location_id, "sequence": row.sequence,
            "submitted_at": row.submitted_at.isoformat(), "still_true": row.still_true, "source": row.source,
            "provider_id": row.provider_id, "la_code": row.la_code, "sub_icb_code": row.sub_icb_code}


def snapshot_page(uow, after: str, limit: int) -> dict:
    """The current return of every location, `limit` at a time after the
    location id `after` (for rebuilding read models), as on the wire."""
    rows = repository.current_returns_page(uow.session, after, limit)
    return {"snapshots": [_snapshot(row) for row in rows],
            "next": rows[-1].location_id if len(rows) == limit else None}


def history_snapshot_page(uow, after: str, limit: int) -> dict:
    """Every return ever accepted, `limit` at a time after the return id
    `after` (for rebuilding read models that keep history, such as
    reports), as on the wire."""
    rows = repository.returns_page(uow.session, after, limit)
    return {"snapshots": [_snapshot(row) for row in rows], "next": rows[-1].id if len(rows) == limit else None}


# -- workforce, visiting, home care ----------------------------------------------------
def submit_other_return(uow, actor: Principal, location_id: str, kind: str, command: dict) -> dict:
    facts = location_for(uow, actor, location_id, Action.EDIT_LOCATION, lock=True)
    try:
        if kind == "workforce":
            figures = check_workforce_return(command)
        elif kind == "home_care":
            figures = check_home_care_return(rule_facts(facts), command)
        else:
            figures = dict(command)
    except ReturnRefused as refused:
        raise InvalidInput(f"The {kind.replace('_', ' ')} return breaks the rules; nothing was saved.",
                           fields=refused.errors)
    row = OtherReturn(id=str(uuid.uuid4()), kind=kind, location_id=facts.location_id, submitted_at=uow.now(),
                      submitted_by=actor.user_id, submitted_by_generic=actor.generic,
                      figures=OTHER_RETURN_FIGURES[kind]().dump(figures))
    repository.add_other_return(uow.session, row)
    uow.record_event("capacity.other_return_submitted", {
        "return_id": row.id, "kind": kind, "location_id": facts.location_id, "submitted_at": row.submitted_at,
        "provider_id": facts.provider_id, "la_code": facts.la_code, "sub_icb_code": facts.sub_icb_code,
        "figures": row.figures}, actor_id=actor.user_id, generic_actor=actor.generic)
    return {"id": row.id, "kind": kind, "location_id": row.location_id, "submitted_at": _iso(row.submitted_at),
            "figures": row.figures}
