"""What approvers do for their organisation's people: see who has access,
reset a forgotten password (a new one-time password is emailed), and
deactivate a leaver (at once: their sessions end)."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from tracker_common.contracts.errors import Conflict, NotFound, TrackerError

from . import blp, call, error_page, signed_in, when

ACTIONS = {"password-reset": ("reset_password", "{name} has been emailed a new one-time password."),
           "deactivation": ("deactivate_user", "{name} is deactivated: they can no longer sign in.")}


@blp.route("/users")
@signed_in
def users():
    try:
        people = call("identity", "list_users", actor=g.claims, organisation_id=g.claims["org"])
    except TrackerError as refused:
        return error_page(refused)
    for person in people:
        person["last_login"] = when(person.get("last_login_at"))
    return render_template("web/users.html", people=[p for p in people if not p.get("api_user")])


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
