"""Registration, requests for access to further locations, routing of
applications to their reviewers, and the decision on them."""
from __future__ import annotations

import uuid

from tracker_common.contracts.errors import Conflict, Forbidden, InvalidInput, NotFound
from tracker_common.contracts.permissions import Principal, Role

from .. import repository as repo
from ..models import Application, User
from ..passwords import generate_one_time_password, hash_password
from ..rules import application_flags, may_review, place_search_terms
from .common import IdentityDeps, application_view, audit


def route(uow, approvers: list[User], codes: set[str]) -> tuple[str, list[User]]:
    """Who reviews a request: its `approvers`, else the System Champions
    aligned to `codes` (an LA / Sub-ICB), else the administrators. API users
    never review (their only role is API user)."""
    if approvers:
        return "approvers", approvers
    champions = [u for u in repo.active_system_champions(uow.session, codes) if not u.api_user]
    if champions:
        return "system_champions", champions
    return "administrators", [u for u in repo.active_admins(uow.session) if not u.api_user]


def _route(uow, organisation_id: str, location_id: str | None, la_code: str | None,
           sub_icb_code: str | None) -> tuple[str, list[User]]:
    """An application: the approvers of the organisation (for the location),
    else the champions of the location's LA / Sub-ICB, else administrators."""
    return route(uow, repo.active_approvers(uow.session, organisation_id, location_id),
                 {c for c in (la_code, sub_icb_code) if c})


def _submit(uow, *, kind: str, user: User, organisation_id: str, location_ids: list[str], level: str,
            la_code: str | None, sub_icb_code: str | None, flags: list[str],
            reason_given: str | None = None) -> Application:
    """File an application about `organisation_id` (the applicant's own for a
    registration; the owner of the locations for a request for access)."""
    routed_to, reviewers = _route(uow, organisation_id, location_ids[0] if location_ids else None,
                                  la_code, sub_icb_code)
    application = Application(
        id=str(uuid.uuid4()), kind=kind, user_id=user.id, organisation_id=organisation_id,
        location_ids=location_ids, la_code=la_code, sub_icb_code=sub_icb_code, level=level,
        flags=flags, routed_to=routed_to, reviewer_ids=[r.id for r in reviewers],
        reason_given=reason_given, status="pending", submitted_at=uow.now())
    repo.add_application(uow.session, application)
    organisation = repo.get_organisation(uow.session, organisation_id)
    uow.record_event(
        "identity.registration_submitted" if kind == "registration" else "identity.access_requested",
        {"application_id": application.id, "kind": kind, "user_id": user.id, "name": user.name,
         "email": user.email, "organisation_id": organisation_id,
         "organisation_name": organisation.name, "location_ids": location_ids, "level": level,
         "flags": flags, "routed_to": routed_to,
         "reviewers": [{"user_id": r.id, "email": r.email, "name": r.name} for r in reviewers]},
        actor_id=user.id)
    return application


def find_places(uow, text: str, limit: int = 10) -> list[dict]:
    """Where someone applying for an account may work, for the application
    form: care homes by name or postcode (the home is then "My Care Home"),
    and organisations by name. Public information (CQC publishes it)."""
    words, postcode_start = place_search_terms(text)
    homes = repo.active_homes_matching(uow.session, words, postcode_start, limit)
    organisations = repo.organisations_named_like(uow.session, words, limit)
    return ([{"organisation_id": home.organisation_id, "organisation_name": organisation_name,
              "location_id": home.id, "location_name": home.name, "postcode": home.postcode}
             for home, organisation_name in homes]
            + [{"organisation_id": o.id, "organisation_name": o.name, "location_id": None, "location_name": None,
                "postcode": None} for o in organisations])


def register(uow, command: dict) -> dict:
    """A person applies for an account. Returns the application (pending)."""
    email = command["email"].strip().lower()
    organisation = repo.get_organisation(uow.session, command["organisation_id"])
    if organisation is None:
        raise InvalidInput(fields={"organisation_id": ["No such organisation."]})
    location = None
    if command.get("location_id"):
        location = repo.get_location(uow.session, command["location_id"])
        if location is None or location.organisation_id != organisation.id or not location.active:
            raise InvalidInput(fields={"location_id": ["No such location in this organisation."]})
    if repo.get_user_by_email(uow.session, email) is not None:
        # Say no more than this: the address is taken (the owner can reset).
        raise Conflict("An account or application already exists for this email address.",
                       fields={"email": ["Already registered."]})
    existing = [(u.name, u.email) for u in repo.users_of_organisation(uow.session, organisation.id)]
    flags = application_flags(name=command["name"], email=email,
                              organisation_email_domains=organisation.email_domains or [],
                              existing_users=existing)
    user = User(
        id=str(uuid.uuid4()), email=email, name=command["name"].strip(),
        job_title=command.get("job_title"), organisation_id=organisation.id, level=command["level"],
        status="pending", generic=bool(command.get("generic")), all_locations=location is None,
        created_at=uow.now(), granted_roles=[])
    repo.add_user(uow.session, user)
    if location is not None:
        repo.add_user_locations(uow.session, user.id, [location.id])
    application = _submit(
        uow, kind="registration", user=user, organisation_id=organisation.id,
        location_ids=[location.id] if location else [],
        level=command["level"], la_code=location.la_code if location else organisation.la_code,
        sub_icb_code=location.sub_icb_code if location else organisation.sub_icb_code, flags=flags)
    audit(uow, None, "registration_submitted", user, application_id=application.id, flags=flags)
    repo.flush(uow.session)
    return application_view(uow, application)


def request_location_access(uow, actor: Principal, command: dict) -> dict:
    """A user asks for access to further locations; reviewed like a registration."""
    user = repo.get_user(uow.session, actor.user_id)
    if user is None or user.status != "active" or user.api_user:
        raise Forbidden()
    wanted = list(dict.fromkeys(command["location_ids"]))
    locations = {l.id: l for l in repo.get_locations(uow.session, wanted)}
    unknown = [l for l in wanted if l not in locations or not locations[l].active]
    if unknown:
        raise InvalidInput(fields={"location_ids": [f"No such location: {', '.join(unknown)}."]})
    already = set(repo.user_location_ids(uow.session, user.id))
    new = [l for l in wanted if l not in already
           and not (user.all_locations and locations[l].organisation_id == user.organisation_id)]
    if not new:
        raise Conflict("You already have access to these locations.")
    owners = {locations[l].organisation_id for l in new}
    if len(owners) > 1:
        # Each provider's approvers review access to their own homes.
        raise InvalidInput(fields={"location_ids": [
            "Ask for the locations of one organisation at a time."]})
    first = locations[new[0]]
    application = _submit(uow, kind="location_access", user=user, organisation_id=first.organisation_id,
                          location_ids=new, level=user.level,
                          la_code=first.la_code, sub_icb_code=first.sub_icb_code, flags=[],
                          reason_given=command.get("reason"))
    audit(uow, actor, "location_access_requested", user, application_id=application.id, location_ids=new)
    repo.flush(uow.session)
    return application_view(uow, application)


def list_pending_applications(uow, actor: Principal) -> list[dict]:
    """The pending applications `actor` may decide."""
    if Role.ADMIN in actor.roles:
        candidates = repo.pending_applications(uow.session, organisation_id=None, aligned_codes=None)
    else:
        candidates = repo.pending_applications(
            uow.session, organisation_id=actor.organisation_id, aligned_codes=set(actor.aligned_codes))
    return [application_view(uow, a) for a in candidates if may_review(actor, a)]


def decide_application(uow, deps: IdentityDeps, actor: Principal, application_id: str,
                       command: dict) -> dict:
    """Approve or reject an application. Approving a registration activates
    the account with a one-time password, sealed in the event for the email."""
    application = repo.get_application(uow.session, application_id, for_update=True)
    if application is None or not may_review(actor, application):
        raise NotFound("No such application.")
    if application.status != "pending":
        raise Conflict(f"This application was already {application.status}.")
    if command.get("level") and command["level"] != application.level and Role.ADMIN not in actor.roles:
        raise Forbidden("Only administrators may change the requested level.",
                        fields={"level": ["Only administrators may change it."]})
    user = repo.get_user(uow.session, application.user_id, for_update=True)
    application.decided_at = uow.now()
    application.decided_by = actor.user_id
    application.decision_reason = command.get("reason")
    if command["decision"] == "reject":
        application.status = "rejected"
        if application.kind == "registration":
            user.status = "rejected"
        uow.record_event(
            "identity.user_rejected" if application.kind == "registration" else "identity.access_rejected",
            {"application_id": application.id, "kind": application.kind, "user_id": user.id,
             "name": user.name, "email": user.email, "reason": command["reason"]},
            actor_id=actor.user_id, generic_actor=actor.generic)
        audit(uow, actor, f"{application.kind}_rejected", user, application_id=application.id,
              reason=command["reason"])
        return application_view(uow, application)

    application.status = "approved"
    if application.kind == "location_access":
        repo.add_user_locations(uow.session, user.id, application.location_ids)
        uow.record_event("identity.access_approved",
                         {"application_id": application.id, "user_id": user.id, "email": user.email,
                          "location_ids": application.location_ids},
                         actor_id=actor.user_id, generic_actor=actor.generic)
        audit(uow, actor, "location_access_approved", user, application_id=application.id,
              location_ids=application.location_ids)
        return application_view(uow, application)

    if command.get("level"):
        application.level = user.level = command["level"]
    one_time_password = generate_one_time_password()
    user.status = "active"
    user.password_hash = hash_password(one_time_password)
    user.password_changed_at = uow.now()
    user.must_change_password = True
    uow.record_event("identity.user_approved",
                     {"application_id": application.id, "user_id": user.id, "name": user.name,
                      "email": user.email, "organisation_id": user.organisation_id,
                      "one_time_password_sealed": deps.sealer.encrypt(one_time_password.encode()).decode()},
                     actor_id=actor.user_id, generic_actor=actor.generic)
    audit(uow, actor, "registration_approved", user, application_id=application.id, level=user.level)
    return application_view(uow, application)


