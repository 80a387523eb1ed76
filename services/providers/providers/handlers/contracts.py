"""Contracts between a location and a Local Authority or Sub-ICB: the
location asks, the commissioner is told (an event for notifications), one of
its users approves or declines; only approved contracts count in search."""
from __future__ import annotations

import uuid

from tracker_common.contracts.errors import Conflict, InvalidInput, NotFound
from tracker_common.contracts.permissions import Action, Principal, Role, may

from .. import repository
from ..models import Contract
from ..rules import contract_target
from .locations import location_for, location_view
from .snapshots import publish_location


def request_contract(uow, actor: Principal, location_id: str, command: dict) -> dict:
    location = location_for(uow, actor, location_id, Action.EDIT_LOCATION, lock=True)
    kind, code = command["commissioner_kind"], command["commissioner_code"]
    name = repository.commissioner_name(uow.session, kind, code)
    if name is None:
        raise InvalidInput(fields={"commissioner_code": [f"No {kind.replace('_', ' ')} has this code."]})
    current = repository.open_contract(uow.session, location.id, code)
    if current is not None:
        raise Conflict(f"A contract with {name} is already {current.status}.")
    contract = Contract(id=str(uuid.uuid4()), location_id=location.id, commissioner_kind=kind,
                        commissioner_code=code, status="requested", requested_by=actor.user_id,
                        requested_at=uow.now())
    repository.add_contract(uow.session, contract)
    uow.record_event("providers.contract_requested", {
        "contract_id": contract.id, "location_id": location.id, "location_name": location.name,
        "commissioner_kind": kind, "commissioner_code": code, "commissioner_name": name},
        actor_id=actor.user_id, generic_actor=actor.generic)
    repository.flush(uow.session)
    return location_view(uow, location)


def pending_contracts(uow, actor: Principal) -> list[dict]:
    """Contract requests the actor's organisation (an LA or Sub-ICB) may decide."""
    codes = None if Role.ADMIN in actor.roles else sorted(actor.aligned_codes)
    contracts = [c for c in repository.requested_contracts(uow.session, codes)
                 if may(actor, Action.DECIDE_CONTRACTS, contract_target(c))]
    names = repository.location_names(uow.session, (c.location_id for c in contracts))
    commissioners = repository.commissioner_names(uow.session, (c.commissioner_code for c in contracts))
    return [{**_contract_view(c), "location_name": names.get(c.location_id),
             "commissioner_name": commissioners.get(c.commissioner_code)} for c in contracts]


def _contract_view(contract: Contract) -> dict:
    return {"id": contract.id, "location_id": contract.location_id, "commissioner_kind": contract.commissioner_kind,
            "commissioner_code": contract.commissioner_code, "status": contract.status,
            "requested_at": contract.requested_at.isoformat(),
            "decided_at": contract.decided_at.isoformat() if contract.decided_at else None,
            "reason": contract.reason}


def decide_contract(uow, actor: Principal, contract_id: str, command: dict) -> dict:
    contract = repository.contract(uow.session, contract_id, lock=True)
    if contract is None or not may(actor, Action.DECIDE_CONTRACTS, contract_target(contract)):
        raise NotFound("No such contract request.")
    if contract.status != "requested":
        raise Conflict(f"This contract was already {contract.status}.")
    contract.status = "approved" if command["decision"] == "approve" else "declined"
    contract.decided_by, contract.decided_at, contract.reason = actor.user_id, uow.now(), command.get("reason")
    location = location_for(uow, actor, contract.location_id, Action.VIEW_LOCATION, lock=True)
    uow.record_event("providers.contract_decided", {
        "contract_id": contract.id, "location_id": location.id, "location_name": location.name,
        "commissioner_kind": contract.commissioner_kind, "commissioner_code": contract.commissioner_code,
        "commissioner_name": repository.commissioner_name(uow.session, contract.commissioner_kind,
                                                          contract.commissioner_code),
        "decision": contract.status, "reason": contract.reason},
        actor_id=actor.user_id, generic_actor=actor.generic)
    if contract.status == "approved":  # it now counts in search: a new snapshot
        publish_location(uow, location, action="contract_approved",
                         changes={"contract": [None, contract.commissioner_code]},
                         actor_id=actor.user_id, actor_generic=actor.generic)
    repository.flush(uow.session)
    return _contract_view(contract)


def withdraw_contract(uow, actor: Principal, location_id: str, contract_id: str) -> dict:
    location = location_for(uow, actor, location_id, Action.EDIT_LOCATION, lock=True)
    contract = repository.contract(uow.session, contract_id, lock=True)
    if contract is None or contract.location_id != location.id:
        raise NotFound("No such contract.")
    if contract.status not in ("requested", "approved"):
        raise Conflict(f"This contract was already {contract.status}.")
    was_approved = contract.status == "approved"
    contract.status, contract.decided_at = "withdrawn", uow.now()
    if was_approved:
        publish_location(uow, location, action="contract_withdrawn",
                         changes={"contract": [contract.commissioner_code, None]},
                         actor_id=actor.user_id, actor_generic=actor.generic)
    repository.flush(uow.session)
    return location_view(uow, location)
