"""Applying for an account, signing in and out, and changing a password
(the one-time password of a new account, or one that has expired)."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for

from tracker_common.contracts.errors import (AccountLocked, Conflict, DisclaimerAcknowledgementRequired,
                                             InvalidCredentials, InvalidInput, MfaEnrolmentRequired, MfaRequired,
                                             PasswordChangeRequired, TermsAcceptanceRequired, TrackerError)

from .. import limits
from ..auth import client_of_request, verify_token
from . import blp, by_field, call, error_page, field_errors, form_once, local_path
from .mfa import ask_for_second_factor

SIGN_IN_FIELDS = {("email",): ("email", "Email address"), ("password",): ("password", "Password")}
PASSWORD_FIELDS = {("email",): ("email", "Email address"),
                   ("current_password",): ("current_password", "Current password"),
                   ("new_password",): ("new_password", "New password")}


@blp.route("/sign-in", methods=["GET", "POST"])
@limits.sign_in
def sign_in():
    next_page = local_path(request.values.get("next"))
    if request.method == "GET":
        return render_template("web/sign_in.html", next=next_page, email=request.args.get("email", ""),
                               errors=[], messages={})
    email = request.form.get("email", "").strip()
    payload = {"email": email, "password": request.form.get("password", "")}
    terms_version = request.form.get("accept_terms_version", "")
    if request.form.get("accept_terms") and terms_version.isdigit():
        payload["accept_terms_version"] = int(terms_version)
    if request.form.get("acknowledge_disclaimer"):
        payload["acknowledge_disclaimer"] = True
    context = {"next": next_page, "email": email}
    try:
        answer = call("identity", "authenticate", payload=payload, client=client_of_request())
    except PasswordChangeRequired as refused:
        flash("You need to choose a new password before you sign in."
              if refused.body.get("reason") == "first_login" else
              "Your password has expired. Choose a new one to sign in.")
        return redirect(url_for("web.change_password", email=email, next=next_page))
    except TermsAcceptanceRequired as refused:
        errors = [{"id": "accept_terms", "text": "Read the new Terms of Use, tick to accept them and enter "
                                                 "your password again", "message": "Tick to accept the terms"}]
        return render_template("web/sign_in.html", errors=errors, messages=by_field(errors),
                               terms={"version": refused.body.get("terms_version"),
                                      "text": refused.body.get("terms_text", "")}, **context), 403
    except DisclaimerAcknowledgementRequired as refused:
        errors = [{"id": "acknowledge_disclaimer", "text": "This is a shared account: read the disclaimer, "
                   "tick to confirm and enter the password again", "message": "Tick to confirm"}]
        return render_template("web/sign_in.html", errors=errors, messages=by_field(errors),
                               disclaimer=refused.body.get("disclaimer", ""), **context), 403
    except (InvalidCredentials, AccountLocked) as refused:
        errors = [{"id": "password", "text": refused.detail, "message": refused.detail}]
        return render_template("web/sign_in.html", errors=errors, messages=by_field(errors), **context), \
            423 if isinstance(refused, AccountLocked) else 401
    except InvalidInput as refused:
        errors = field_errors(refused, SIGN_IN_FIELDS)
        return render_template("web/sign_in.html", errors=errors, messages=by_field(errors), **context), 422
    except (MfaRequired, MfaEnrolmentRequired) as refused:
        return ask_for_second_factor(refused, next_page)
    except TrackerError as refused:
        return error_page(refused)
    return start_session(answer, next_page)


def start_session(answer: dict, next_page: str):
    """Signed in (password, and code where needed): the session holds the token."""
    kept = session.get("kept_form")
    session.clear()
    session["token"] = answer["access_token"]
    session["user_id"] = verify_token(answer["access_token"])["sub"]
    session["signed_in_at"] = current_app.extensions["tracker"].clock.now().timestamp()
    if kept and kept["user_id"] == session["user_id"]:  # only for whoever typed it
        session["kept_form"] = kept
    current_app.session_interface.regenerate(session)  # a new id for a new sign-in: none fixed in advance
    if answer.get("disclaimer"):
        flash(answer["disclaimer"])
    return redirect(next_page)


@blp.route("/sign-out", methods=["POST"])
def sign_out():
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("web.sign_in"))


@blp.route("/account/password", methods=["GET", "POST"])
@limits.sign_in
def change_password():
    next_page = local_path(request.values.get("next"))
    if request.method == "GET":
        return render_template("web/password.html", email=request.args.get("email", ""), next=next_page,
                               errors=[], messages={})
    email = request.form.get("email", "").strip()
    payload = {"email": email, "current_password": request.form.get("current_password", ""),
               "new_password": request.form.get("new_password", "")}
    errors = []
    if payload["new_password"] != request.form.get("confirm_password", ""):
        errors.append({"id": "confirm_password", "text": "Confirm new password: the two new passwords "
                       "are not the same", "message": "The two new passwords are not the same"})
    if not errors:
        try:
            call("identity", "change_password", payload=payload, client=client_of_request())
        except (InvalidCredentials, AccountLocked) as refused:
            errors = [{"id": "current_password", "text": refused.detail, "message": refused.detail}]
        except InvalidInput as refused:
            errors = field_errors(refused, PASSWORD_FIELDS)
        except TrackerError as refused:
            return error_page(refused)
    if errors:
        return render_template("web/password.html", email=email, next=next_page, errors=errors,
                               messages=by_field(errors)), 422
    session.clear()  # every earlier session of this person has been revoked
    flash("Your password has been changed. Sign in with your new password.")
    return redirect(url_for("web.sign_in", email=email, next=next_page))


REGISTRATION_FIELDS = {("name",): ("name", "Full name"), ("email",): ("email", "Email address"),
                       ("organisation_id",): ("choice", "Where you work"), ("location_id",): ("choice", "Where you work"),
                       ("level",): ("level", "Level"), ("job_title",): ("job_title", "Job title")}
REVIEWERS = {"approvers": "your organisation's approvers",
             "system_champions": "the System Champions of your area",
             "administrators": "the Capacity Tracker's administrators"}


@blp.route("/register", methods=["GET", "POST"])
@limits.registration
@limits.public
@form_once
def register():
    """Apply for an account: find the care home or organisation you work
    for, then say who you are; the application goes to its reviewers."""
    place = request.values.get("place", "").strip()
    values = request.form if request.method == "POST" else {}
    errors = []
    try:
        options = call("identity", "find_places", query={"text": place}) if place else []
    except InvalidInput as refused:
        options, errors = [], field_errors(refused, {("text",): ("place", "Where you work")})
    except TrackerError as refused:
        return error_page(refused)
    if request.method == "POST" and not errors:
        organisation_id, _, location_id = request.form.get("choice", "").partition("|")
        payload = {"name": request.form.get("name", "").strip(), "email": request.form.get("email", "").strip(),
                   "organisation_id": organisation_id, "location_id": location_id or None,
                   "level": request.form.get("level", ""), "job_title": request.form.get("job_title", "").strip() or None}
        if not organisation_id:
            errors = [{"id": "choice", "text": "Where you work: choose your care home or organisation",
                       "message": "Choose your care home or organisation"}]
        else:
            try:
                application = call("identity", "register", payload=payload)
            except (InvalidInput, Conflict) as refused:
                errors = field_errors(refused, REGISTRATION_FIELDS)
            except TrackerError as refused:
                return error_page(refused)
            else:
                return render_template("web/registered.html", email=payload["email"],
                                       reviewers=REVIEWERS.get(application.get("routed_to"), "its reviewers"))
    status = 422 if errors else 200
    return render_template("web/register.html", place=place, options=options, values=values, errors=errors,
                           messages=by_field(errors)), status
