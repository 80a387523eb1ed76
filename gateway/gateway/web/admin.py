"""What administrators do on the web: the Administration page, Terms of Use
(see the current version, publish a new one everyone accepts at their next
sign-in), API users and their keys (a key is shown once, never again), and
deactivating a location (administrators anywhere, brokers in their area),
after a page that asks to confirm.

The audit log is in admin_audit, emails and their templates in admin_emails.
Every page asks the permission matrix first: a person who may not is shown
"You cannot see this page" and no service is called."""
from __future__ import annotations

from functools import wraps

from flask import flash, g, make_response, redirect, render_template, request, url_for

from tracker_common.contracts.errors import Conflict, Forbidden, InvalidInput, NotFound, TrackerError
from tracker_common.contracts.permissions import Action, may

from . import blp, by_field, call, error_page, field_errors, form_once, signed_in, when
from .locations import _target
from .users import organisations_named

TERMS_FIELDS = {("text",): ("text", "Terms of Use")}
API_USER_FIELDS = {("name",): ("name", "Name of the system"), ("email",): ("email", "Contact email address"),
                   ("organisation_id",): (None, "Organisation")}


def only_for(action: Action):
    """The page is for people who hold `action` somewhere (administrators):
    anyone else is refused before a service is asked."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not may(g.principal, action):
                return error_page(Forbidden())
            return view(*args, **kwargs)
        return signed_in(wrapper)
    return decorate


@blp.app_context_processor
def _administration_context():
    principal = g.get("principal")
    return {"may_administer": principal is not None and may(principal, Action.GRANT_PERMISSIONS)}


def private(response):
    """A page holding a secret is never kept by the browser or a proxy."""
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/admin")
@only_for(Action.GRANT_PERMISSIONS)
def administration():
    return render_template("web/admin.html")


# -- Terms of Use ----------------------------------------------------------------------------
@blp.route("/admin/terms", methods=["GET", "POST"])
@only_for(Action.GRANT_PERMISSIONS)
@form_once
def terms():
    errors, text = [], ""
    if request.method == "POST":
        text = request.form.get("text", "").strip()
        if not request.form.get("confirm"):
            errors = [{"id": "confirm", "text": "Confirm that everyone must accept the new Terms of Use",
                       "message": "Confirm that everyone must accept the new Terms of Use"}]
        if len(text) < 10:
            errors.insert(0, {"id": "text", "text": "Enter the new Terms of Use (at least 10 characters)",
                              "message": "Enter the new Terms of Use (at least 10 characters)"})
        if not errors:
            try:
                published = call("identity", "publish_terms", actor=g.claims, payload={"text": text})
            except InvalidInput as refused:
                errors = field_errors(refused, TERMS_FIELDS)
            except TrackerError as refused:
                return error_page(refused)
            else:
                flash(f"Terms of Use version {published['version']} are published: everyone accepts them "
                      "when they next sign in.")
                return redirect(url_for("web.terms"))
    try:
        current = call("identity", "current_terms")
    except NotFound:
        current = None
    except TrackerError as refused:
        return error_page(refused)
    return render_template("web/admin_terms.html", current=current,
                           published=when(current["published_at"]) if current else "",
                           text=text, confirmed=bool(request.form.get("confirm")), errors=errors,
                           messages=by_field(errors)), 422 if errors else 200


# -- API users and their keys ------------------------------------------------------------------
@blp.route("/admin/api-users")
@only_for(Action.GRANT_PERMISSIONS)
def api_users():
    return api_users_page()


def api_users_page(errors: list[dict] = (), values: dict | None = None, status: int = 200):
    """The API users of one organisation (the administrator's own unless
    another is chosen), each with its keys; and the form to add one."""
    organisation_id = request.values.get("organisation", "").strip() or g.claims["org"]
    find = request.args.get("find", "").strip()
    errors, found = list(errors), []
    try:
        users = [u for u in call("identity", "list_users", actor=g.claims, organisation_id=organisation_id)
                 if u.get("api_user")]
        for user in users:
            user["keys"] = [{**key, "created": when(key.get("created_at")), "revoked": when(key.get("revoked_at")),
                             "last_used": when(key.get("last_used_at"))}
                            for key in call("identity", "list_api_keys", actor=g.claims, user_id=user["id"])]
        if find:
            found = organisations_named(find)
    except InvalidInput as refused:
        errors = field_errors(refused, {("text",): ("find", "Organisation name")})
        users = []
    except TrackerError as refused:
        return error_page(refused)
    return render_template("web/admin_api_users.html", users=users, organisation_id=organisation_id,
                           own=organisation_id == g.claims["org"], find=find, found=found, values=values or {},
                           errors=errors, messages=by_field(errors)), status


@blp.route("/admin/api-users", methods=["POST"])
@only_for(Action.GRANT_PERMISSIONS)
@form_once
def create_api_user():
    values = {"name": request.form.get("name", "").strip(), "email": request.form.get("email", "").strip(),
              "organisation_id": request.form.get("organisation", "").strip()}
    try:
        call("identity", "create_api_user", actor=g.claims, payload=values)
    except (InvalidInput, Conflict) as refused:
        return api_users_page(field_errors(refused, API_USER_FIELDS), values, 409 if isinstance(
            refused, Conflict) else 422)
    except TrackerError as refused:
        return error_page(refused)
    flash(f"{values['name']} can now be given API keys.")
    return redirect(url_for("web.api_users", organisation=values["organisation_id"]))


@blp.route("/admin/api-users/<user_id>/keys", methods=["POST"])
@only_for(Action.GRANT_PERMISSIONS)
def create_api_key(user_id: str):
    """The new key is on this answer's page and nowhere else (not kept
    for a repeated form either: a second click makes a second key)."""
    field = f"{user_id}-label"
    label = request.form.get(field, "").strip()
    if not label:
        message = "Enter what the key is for, like “Nightly bed report”"
        return api_users_page([{"id": field, "text": message, "message": message}], {"failed": user_id}, 422)
    try:
        key = call("identity", "create_api_key", actor=g.claims, user_id=user_id, payload={"label": label})
    except InvalidInput as refused:
        return api_users_page(field_errors(refused, {("label",): (field, "What the key is for")}),
                              {"failed": user_id, "label": label}, 422)
    except Conflict as refused:
        return api_users_page([{"id": None, "text": refused.detail, "message": refused.detail}], {}, 409)
    except TrackerError as refused:
        return error_page(refused)
    return private(render_template("web/admin_api_key.html", key=key, name=request.form.get("name", "The API user"),
                                   organisation_id=request.form.get("organisation", "")))


@blp.route("/admin/api-users/<user_id>/keys/<key_id>/revocation", methods=["POST"])
@only_for(Action.GRANT_PERMISSIONS)
def revoke_api_key(user_id: str, key_id: str):
    try:
        call("identity", "revoke_api_key", actor=g.claims, user_id=user_id, key_id=key_id)
    except TrackerError as refused:
        return error_page(refused)
    flash(f"The key “{request.form.get('label', key_id)}” is revoked: it stopped working at once.")
    return redirect(url_for("web.api_users", organisation=request.form.get("organisation") or None))


# -- deactivating a location ---------------------------------------------------------------------
@blp.route("/locations/<location_id>/deactivate", methods=["GET", "POST"])
@signed_in
def deactivate_location(location_id: str):
    """Asks first; deactivated, the location leaves search and reports and
    its people are no longer reminded (providers' rules)."""
    try:
        location = call("providers", "get_location", actor=g.claims, location_id=location_id)
        if not may(g.principal, Action.DEACTIVATE_LOCATION, _target(location)):
            raise Forbidden()
    except TrackerError as refused:
        return error_page(refused)
    errors = []
    if request.method == "POST":
        if request.form.get("confirm") == "yes":
            try:
                call("providers", "deactivate_location", actor=g.claims, location_id=location_id)
            except Conflict as refused:
                flash(refused.detail, "error")
                return redirect(url_for("web.location_page", location_id=location_id))
            except TrackerError as refused:
                return error_page(refused)
            flash(f"{location['name']} is deactivated.")
            return redirect(url_for("web.location_page", location_id=location_id))
        if request.form.get("confirm") == "no":
            return redirect(url_for("web.location_page", location_id=location_id))
        errors = [{"id": "confirm", "text": f"Select yes if you want to deactivate {location['name']}",
                   "message": f"Select yes if you want to deactivate {location['name']}"}]
    return render_template("web/admin_location_deactivate.html", location=location, errors=errors,
                           messages=by_field(errors)), 422 if errors else 200


from . import admin_audit, admin_emails  # noqa: E402,F401  (their pages register on blp)
