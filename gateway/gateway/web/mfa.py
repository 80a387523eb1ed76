"""The second factor on the web pages: after the password, the code from an
authenticator app (or a recovery code); for those who must have one and
have none, setting it up (a QR code and the key typed out) before anything
else; a person's own recovery codes; an administrator's reset of someone's.

Between the password and the code the session holds only identity's
short-lived challenge (`mfa_token`), never the password."""
from __future__ import annotations

import io

import segno
from flask import Response, current_app, flash, g, redirect, render_template, request, session, url_for

from tracker_common.contracts.errors import (AccountLocked, Conflict, InvalidCredentials, InvalidInput,
                                             MfaEnrolmentRequired, NotAuthenticated, TrackerError)

from ..auth import client_of_request
from . import blp, by_field, call, error_page, field_errors, signed_in

EXPIRED = "Your sign-in took too long. Sign in again with your password."
CODE_FIELDS = {("code",): ("code", "Code")}


def ask_for_second_factor(refused: TrackerError, next_page: str):
    """The password was right: keep identity's challenge (in the server-side
    session, under a new id) and ask for the code, or to set up an app."""
    enrol = isinstance(refused, MfaEnrolmentRequired)
    session.clear()
    session["mfa"] = {"token": refused.body["mfa_token"], "next": next_page, "enrol": enrol}
    current_app.session_interface.regenerate(session)
    return redirect(url_for("web.set_up_mfa" if enrol else "web.sign_in_code"))


def _pending(enrol: bool) -> dict | None:
    pending = session.get("mfa")
    return pending if pending and pending["enrol"] == enrol else None


def _start_session(answer: dict, next_page: str):
    from .account import start_session  # (account imports this module)
    return start_session(answer, next_page)


def _refused_code(refused: TrackerError, template: str, **context):
    """A wrong, replayed or badly typed code: the form again (the count of
    failures is identity's); a lock or an expired challenge: sign in again."""
    if isinstance(refused, NotAuthenticated):
        session.pop("mfa", None)
        flash(EXPIRED, "error")
        return redirect(url_for("web.sign_in"))
    if isinstance(refused, AccountLocked):
        session.pop("mfa", None)
        flash(refused.detail, "error")
        return redirect(url_for("web.sign_in"))
    if isinstance(refused, InvalidCredentials):
        errors = [{"id": "code", "text": refused.detail, "message": refused.detail}]
        status = 401
    elif isinstance(refused, InvalidInput):
        errors, status = field_errors(refused, CODE_FIELDS), 422
    elif isinstance(refused, Conflict):
        session.pop("mfa", None)
        flash(refused.detail, "error")
        return redirect(url_for("web.sign_in"))
    else:
        return error_page(refused)
    return render_template(template, errors=errors, messages=by_field(errors), **context), status


@blp.route("/sign-in/code", methods=["GET", "POST"])
def sign_in_code():
    pending = _pending(enrol=False)
    if pending is None:
        return redirect(url_for("web.sign_in"))
    recovery = request.values.get("recovery") == "yes"
    if request.method == "GET":
        return render_template("web/mfa_code.html", recovery=recovery, errors=[], messages={})
    try:
        answer = call("identity", "complete_sign_in", client=client_of_request(),
                      payload={"mfa_token": pending["token"], "code": request.form.get("code", "").strip()})
    except TrackerError as refused:
        return _refused_code(refused, "web/mfa_code.html", recovery=recovery)
    return _start_session(answer, pending["next"])


def _enrolment(pending: dict) -> dict:
    return call("identity", "begin_mfa_enrolment", payload={"mfa_token": pending["token"]})


@blp.route("/sign-in/set-up-mfa", methods=["GET", "POST"])
def set_up_mfa():
    pending = _pending(enrol=True)
    if pending is None:
        return redirect(url_for("web.sign_in"))
    try:
        key = _enrolment(pending)
    except TrackerError as refused:
        return _refused_code(refused, "web/mfa_set_up.html")
    context = {"key": " ".join(key["secret"][i:i + 4] for i in range(0, len(key["secret"]), 4))}
    if request.method == "GET":
        return render_template("web/mfa_set_up.html", errors=[], messages={}, **context)
    try:
        answer = call("identity", "confirm_mfa_enrolment", client=client_of_request(),
                      payload={"mfa_token": pending["token"], "code": request.form.get("code", "").strip()})
    except TrackerError as refused:
        return _refused_code(refused, "web/mfa_set_up.html", **context)
    _start_session(answer, pending["next"])
    return _no_store(render_template("web/mfa_recovery_codes.html", codes=answer["recovery_codes"],
                                     next=pending["next"], just_set_up=True))


@blp.route("/sign-in/set-up-mfa/qr.svg")
def set_up_mfa_qr():
    """The key as a QR code, an image of its own (no inline script or style)."""
    pending = _pending(enrol=True)
    if pending is None:
        return Response(status=404)
    try:
        key = _enrolment(pending)
    except TrackerError:
        return Response(status=404)
    svg = io.BytesIO()
    segno.make(key["otpauth_uri"], error="m").save(svg, kind="svg", border=4, xmldecl=False, omitsize=True,
                                                  title="QR code of your authenticator key")
    return _no_store(Response(svg.getvalue(), mimetype="image/svg+xml"))


def _no_store(response):
    response = current_app.make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/account/mfa", methods=["GET", "POST"])
@signed_in
def account_mfa():
    """Your second factor: on or not, recovery codes left, and new ones
    (given a current code from the app)."""
    errors, status_code = [], 200
    if request.method == "POST":
        try:
            codes = call("identity", "regenerate_recovery_codes", actor=g.claims,
                         payload={"code": request.form.get("code", "").strip()})["recovery_codes"]
        except AccountLocked as refused:
            session.clear()
            flash(refused.detail, "error")
            return redirect(url_for("web.sign_in"))
        except InvalidInput as refused:
            errors, status_code = field_errors(refused, CODE_FIELDS), 422
        except (InvalidCredentials, Conflict) as refused:
            errors = [{"id": "code", "text": refused.detail, "message": refused.detail}]
            status_code = 409 if isinstance(refused, Conflict) else 401
        except TrackerError as refused:
            return error_page(refused)
        else:
            return _no_store(render_template("web/mfa_recovery_codes.html", codes=codes, next="/account/mfa",
                                             just_set_up=False))
    try:
        status = call("identity", "mfa_status", actor=g.claims)
    except TrackerError as refused:
        return error_page(refused)
    return render_template("web/mfa_account.html", status=status, errors=errors,
                           messages=by_field(errors)), status_code
