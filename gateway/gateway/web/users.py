"""What approvers do for their organisation's people: see who has access,
reset a forgotten password (a new one-time password is emailed), and
deactivate a leaver (at once: their sessions end). Administrators choose
any organisation and grant its people permissions, within the permission
holders rule (a refused grant is shown on the form, nothing changed)."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from tracker_common.contracts.errors import Conflict, Forbidden, InvalidInput, NotFound, TrackerError
from tracker_common.contracts.permissions import (GRANTABLE_ROLES, ORGANISATION_KIND_NAMES, Action, may, may_hold,
                                                  permission_holders_text)

from . import blp, by_field, call, error_page, field_errors, signed_in, when

ACTIONS = {"password-reset": ("reset_password", "{name} has been emailed a new one-time password."),
           "deactivation": ("deactivate_user", "{name} is deactivated: they can no longer sign in."),
           "mfa-reset": ("reset_mfa", "{name}'s authenticator app is reset: they set up a new one when they "
                                      "next sign in, and have been emailed.")}


@blp.route("/users")
@signed_in
def users():
    return people_page()


def people_page(errors: list[dict] = (), chosen: dict | None = None, status: int = 200):
    """The people of the signed-in person's organisation or, for an
    administrator, of the one chosen (`organisation`, found by name with `find`)."""
    administrator = may(g.principal, Action.GRANT_PERMISSIONS)
    organisation_id = (request.values.get("organisation", "").strip() if administrator else "") or g.claims["org"]
    find = request.args.get("find", "").strip() if administrator else ""
    found, errors = [], list(errors)
    try:
        people = call("identity", "list_users", actor=g.claims, organisation_id=organisation_id)
        if find:
            found = organisations_named(find)
    except InvalidInput as refused:
        errors = field_errors(refused, {("text",): ("find", "Organisation name")})
    except TrackerError as refused:
        return error_page(refused)
    for person in people:
        person["last_login"] = when(person.get("last_login_at"))
        # only what people of their organisation may hold is offered (the permission holders rule)
        person["holdable"] = [r.value for r in GRANTABLE_ROLES if may_hold(r, person.get("organisation_kind"))]
    return render_template(
        "web/users.html", people=[p for p in people if not p.get("api_user")], administrator=administrator,
        organisation_id=organisation_id, own=organisation_id == g.claims["org"], find=find, found=found,
        grantable=[r.value for r in GRANTABLE_ROLES], kind_names={k.value: v for k, v in ORGANISATION_KIND_NAMES.items()},
        holders=[permission_holders_text(r) for r in GRANTABLE_ROLES],
        chosen=chosen or {}, errors=errors, messages=by_field(errors)), status


def organisations_named(text: str) -> list[dict]:
    """Organisations whose name (or one of whose care homes' name) holds `text`."""
    named = {}
    for place in call("identity", "find_places", query={"text": text}):
        named.setdefault(place["organisation_id"], place["organisation_name"])
    return [{"id": key, "name": name} for key, name in named.items()]


@blp.route("/users/<user_id>/permissions", methods=["POST"])
@signed_in
def grant_permissions(user_id: str):
    """An administrator sets a person's granted permissions (the whole set)."""
    if not may(g.principal, Action.GRANT_PERMISSIONS):
        return error_page(Forbidden())
    field, name = f"{user_id}-roles", request.form.get("name", "The person")
    roles = request.form.getlist(field)
    try:
        call("identity", "grant_permissions", actor=g.claims, user_id=user_id, payload={"roles": roles})
    except InvalidInput as refused:
        return people_page(field_errors(refused, {("roles",): (field, f"Permissions of {name}")}),
                           chosen={user_id: roles}, status=422)
    except TrackerError as refused:
        return error_page(refused)
    flash(f"{name}'s permissions are saved: they apply when they next sign in.")
    return redirect(url_for("web.users", organisation=request.form.get("organisation") or None))


@blp.route("/users/<user_id>/<action>", methods=["POST"])
@signed_in
def act_on_user(user_id: str, action: str):
    if action not in ACTIONS:
        return error_page(NotFound("No such action."))
    method, done = ACTIONS[action]
    try:
        call("identity", method, actor=g.claims, user_id=user_id)
    except Conflict as refused:
        flash(refused.detail, "error")
        return redirect(url_for("web.users"))
    except TrackerError as refused:
        return error_page(refused)
    flash(done.format(name=request.form.get("name", "The person")))
    return redirect(url_for("web.users"))
