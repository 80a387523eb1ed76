"""API users and their keys: a key is shown once, stored as a hash, and can
be revoked."""
from __future__ import annotations

import secrets
import uuid

from tracker_common.contracts.errors import Conflict, InvalidCredentials, InvalidInput, NotFound
from tracker_common.contracts.permissions import Action, Principal

from .. import repository as repo
from ..models import ApiKey, User
from ..rules import API_KEY_PREFIX, iso, looks_like_api_key, require, sha256
from .common import IdentityDeps, audit, principal_of, user_view


def _key_view(key: ApiKey, plain: str | None = None) -> dict:
    view = {"id": key.id, "label": key.label, "prefix": key.prefix, "created_at": iso(key.created_at),
            "revoked_at": iso(key.revoked_at), "last_used_at": iso(key.last_used_at)}
    if plain:
        view["key"] = plain
    return view


def create_api_user(uow, deps: IdentityDeps, actor: Principal, command: dict) -> dict:
    require(actor, Action.GRANT_PERMISSIONS)
    if repo.get_organisation(uow.session, command["organisation_id"]) is None:
        raise InvalidInput(fields={"organisation_id": ["No such organisation."]})
    if repo.get_user_by_email(uow.session, command["email"]) is not None:
        raise Conflict("An account already exists for this email address.",
                       fields={"email": ["Already registered."]})
    user = User(id=str(uuid.uuid4()), email=command["email"].strip().lower(), name=command["name"].strip(),
                organisation_id=command["organisation_id"], level="standard", status="active",
                api_user=True, granted_roles=[], all_locations=True, created_at=uow.now())
    repo.add_user(uow.session, user)
    audit(uow, actor, "api_user_created", user)
    return user_view(uow, user, deps.policy)


def create_api_key(uow, actor: Principal, user_id: str, command: dict) -> dict:
    """A new key for an API user; the plain key is in this answer only."""
    require(actor, Action.GRANT_PERMISSIONS)
    user = repo.get_user(uow.session, user_id)
    if user is None or not user.api_user:
        raise NotFound("No such API user.")
    if user.status != "active":
        raise Conflict("The API user is deactivated.")
    secret = secrets.token_urlsafe(32)
    prefix = secrets.token_hex(4)
    plain = f"{API_KEY_PREFIX}{prefix}_{secret}"
    key = ApiKey(id=str(uuid.uuid4()), user_id=user.id, label=command["label"], prefix=prefix,
                 key_hash=sha256(plain), created_at=uow.now(), created_by=actor.user_id)
    repo.add_api_key(uow.session, key)
    audit(uow, actor, "api_key_created", user, key_id=key.id, prefix=prefix)
    return _key_view(key, plain)


def list_api_keys(uow, actor: Principal, user_id: str) -> list[dict]:
    require(actor, Action.GRANT_PERMISSIONS)
    return [_key_view(k) for k in repo.api_keys_of_user(uow.session, user_id)]


def revoke_api_key(uow, actor: Principal, user_id: str, key_id: str) -> dict:
    require(actor, Action.GRANT_PERMISSIONS)
    key = next((k for k in repo.api_keys_of_user(uow.session, user_id) if k.id == key_id), None)
    if key is None:
        raise NotFound("No such API key.")
    if key.revoked_at is None:
        key.revoked_at = uow.now()
        audit(uow, actor, "api_key_revoked", repo.get_user(uow.session, user_id), key_id=key.id)
    return _key_view(key)


def authenticate_api_key(uow, plain: str) -> dict:
    """The principal claims of a valid, unrevoked key of an active API user."""
    if not looks_like_api_key(plain):
        raise InvalidCredentials("The API key is not valid.")
    key = repo.api_key_by_hash(uow.session, sha256(plain))
    user = repo.get_user(uow.session, key.user_id) if key else None
    if key is None or key.revoked_at is not None or user is None or user.status != "active":
        raise InvalidCredentials("The API key is not valid.")
    key.last_used_at = uow.now()
    return principal_of(uow, user).to_claims()
