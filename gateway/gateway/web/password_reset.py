"""Forgotten passwords, self-service: ask for a link by email, then choose a
new password with it. The link's token is moved from the address into the
session at once, so it is not left in the browser's history nor sent on in
a Referer; every session of the account ends once the password is reset."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for

from tracker_common.contracts.errors import InvalidInput, TrackerError

from .. import limits
from ..auth import client_of_request
from . import blp, by_field, call, error_page, field_errors

RESET_FIELDS = {("new_password",): ("new_password", "New password"), ("token",): (None, None)}
TOKEN_KEY = "password_reset_token"


@blp.route("/forgotten-password", methods=["GET", "POST"])
@limits.password_reset
def forgotten_password():
    if request.method == "GET":
        return render_template("web/forgotten_password.html", email=request.args.get("email", ""),
                               errors=[], messages={})
    email = request.form.get("email", "").strip()
    try:
        call("identity", "request_password_reset", payload={"email": email}, client=client_of_request())
    except InvalidInput as refused:
        errors = field_errors(refused, {("email",): ("email", "Email address")})
        return render_template("web/forgotten_password.html", email=email, errors=errors,
                               messages=by_field(errors)), 422
    except TrackerError as refused:
        return error_page(refused)
    return render_template("web/forgotten_password_sent.html", email=email)


@blp.route("/reset-password", methods=["GET", "POST"])
@limits.password_reset
def reset_password():
    if request.method == "GET" and request.args.get("token"):
        session[TOKEN_KEY] = request.args["token"][:200]
        return redirect(url_for("web.reset_password"))
    token = session.get(TOKEN_KEY)
    if not token:
        return _link_not_valid()
    if request.method == "GET":
        return render_template("web/reset_password.html", errors=[], messages={})
    new_password = request.form.get("new_password", "")
    if new_password != request.form.get("confirm_password", ""):
        errors = [{"id": "confirm_password", "text": "Confirm new password: the two new passwords are not the "
                   "same", "message": "The two new passwords are not the same"}]
        return render_template("web/reset_password.html", errors=errors, messages=by_field(errors)), 422
    try:
        answer = call("identity", "reset_password_with_link", payload={"token": token, "new_password": new_password},
                      client=client_of_request())
    except InvalidInput as refused:
        if "token" in (refused.fields or {}) or not refused.fields:
            return _link_not_valid()
        errors = field_errors(refused, RESET_FIELDS)
        return render_template("web/reset_password.html", errors=errors, messages=by_field(errors)), 422
    except TrackerError as refused:
        return error_page(refused)
    session.clear()  # every session of this person has been revoked, this one too
    flash("Your password has been changed. Sign in with your new password.")
    return redirect(url_for("web.sign_in", email=answer["email"]))


def _link_not_valid():
    session.pop(TOKEN_KEY, None)
    return render_template("web/reset_link_not_valid.html"), 400
