"""Whom to email, resolved when the email is sent (who has access now, not
who had it when the email was asked for): for the notifications service."""
from __future__ import annotations

from .. import repository as repo
from ..models import User
from .registration import route


def route_commissioner_request(uow, commissioner_code: str) -> tuple[str, list[User]]:
    """Whom a request to a Local Authority / Sub-ICB (a contract to approve)
    goes to, routed as applications are: the approvers of the commissioner's
    organisation, else the System Champions aligned to its code, else the
    administrators."""
    approvers = [user for organisation in repo.organisations_with_ons_code(uow.session, commissioner_code)
                 for user in repo.active_approvers(uow.session, organisation.id, None)]
    return route(uow, approvers, {commissioner_code})


def acting_for_locations(uow, location_ids: list[str]) -> dict[str, tuple[User, set[str]]]:
    """Everyone active who can act for each location, by user id, with the
    locations they cover: the owning organisation's users with all its
    locations, and those granted the location one by one. Three queries
    whatever the number of locations."""
    owners: dict[str, set[str]] = {}
    for location in repo.get_locations(uow.session, set(location_ids)):
        owners.setdefault(location.organisation_id, set()).add(location.id)
    covered: dict[str, tuple[User, set[str]]] = {}
    for user in repo.contactable_users_with_all_locations(uow.session, owners):
        covered.setdefault(user.id, (user, set()))[1].update(owners[user.organisation_id])
    for user, location_id in repo.contactable_users_granted(uow.session, set(location_ids)):
        covered.setdefault(user.id, (user, set()))[1].add(location_id)
    return covered


def _contact_list(covered: dict[str, tuple[User, set[str]]], routed_to: str | None = None) -> dict:
    by_email = {user.email: (user, locations) for user, locations in covered.values()}
    return {"contacts": [{"user_id": user.id, "email": email, "name": user.name,
                          "location_ids": sorted(locations)}
                         for email, (user, locations) in sorted(by_email.items())],
            "routed_to": routed_to}


def resolve_contacts(uow, query: dict) -> dict:
    """The contacts a `ContactsQuery` asks for (the `ContactList` shape):
    active users only, never API users; generic accounts are included (their
    address is the home's shared inbox)."""
    if "user_ids" in query:
        users = repo.contactable_users(uow.session, set(query["user_ids"]))
        return _contact_list({user.id: (user, set()) for user in users})
    if "location_ids" in query:
        return _contact_list(acting_for_locations(uow, query["location_ids"]))
    routed_to, reviewers = route_commissioner_request(uow, query["commissioner_code"])
    return _contact_list({user.id: (user, set()) for user in reviewers}, routed_to)
