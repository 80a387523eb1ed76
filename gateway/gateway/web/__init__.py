"""The web pages people use: server-rendered HTML in GOV.UK Frontend's
styles, working on a phone and without JavaScript. They call the services
exactly as the API does; what differs is only the edge:

- who is signed in is the access token kept in their session, which lives
  in Redis (the browser holds only its random id, in an HttpOnly, SameSite=Lax
  cookie, Secure behind https); it is checked on every page as a bearer
  token is; when it expires or is revoked the person signs in again and
  comes back to the page they asked for; signing out deletes the session;
- every form carries a CSRF token (Flask-WTF);
- a refused form is shown again with GOV.UK's error summary, each message
  linked to its field, and nothing saved.
"""
from __future__ import annotations

from datetime import datetime
from functools import wraps
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from werkzeug.datastructures import MultiDict

from tracker_common.clock import london_time
from tracker_common.contracts.errors import Forbidden, NotAuthenticated, NotFound, TrackerError
from tracker_common.contracts.permissions import Action, may, scopes
from tracker_common.logs import get_logger
from tracker_common.rpc import ServiceTimeout, ServiceUnavailable

from ..auth import sign_in_request, verify_token
from ..idempotency import form_once, new_form_key  # noqa: F401 (form_once: for the pages' modules)

blp = Blueprint("web", __name__)
blp.add_app_template_global(new_form_key, "idempotency_key")  # the hidden field of forms that create
log = get_logger(__name__)

SIGNED_OUT_MESSAGE = "Your session has ended. Sign in again to carry on."


def call(service: str, method: str, **kwargs):
    return current_app.extensions["tracker"].call(service, method, **kwargs)


def local_path(target: str | None, default: str = "/start") -> str:
    """Where to go after signing in: only a path on this site (never
    another site, whatever `next` says)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def signed_in(view):
    """The page needs a signed-in person: else to the sign-in page, and back
    here afterwards."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        token = session.get("token")
        if not token:
            return redirect(url_for("web.sign_in", next=request.full_path.rstrip("?")))
        try:
            claims = verify_token(token)
            if session_ended():
                raise NotAuthenticated("The session has lasted as long as a session may.")
            sign_in_request(renewed(claims) or claims)
        except NotAuthenticated:
            kept = keep_form(session.get("user_id"))
            session.clear()
            if kept:
                session["kept_form"] = kept
            flash(SIGNED_OUT_MESSAGE + (" What you entered has been kept." if kept else ""))
            return redirect(url_for("web.sign_in", next=request.path if kept else request.full_path.rstrip("?")))
        return view(*args, **kwargs)
    return wrapper


def keep_form(user_id: str | None) -> dict | None:
    """A form sent just after the session ended is kept (in the session, on
    the server) for the same person to find again once signed back in."""
    if request.method != "POST" or not user_id:
        return None
    return {"user_id": user_id, "path": request.path,
            "form": {k: v for k, v in request.form.to_dict(flat=False).items() if k != "csrf_token"}}


def kept_form() -> MultiDict | None:
    """The form this page kept for its person, once (see keep_form)."""
    kept = session.get("kept_form")
    if not kept or kept["path"] != request.path or kept["user_id"] != g.claims["sub"]:
        return None
    session.pop("kept_form")
    return MultiDict([(k, v) for k, values in kept["form"].items() for v in values])


def session_ended() -> bool:
    """However active, a session ends WEB_SESSION_HOURS after signing in."""
    now = current_app.extensions["tracker"].clock.now().timestamp()
    return now - session.get("signed_in_at", 0) > current_app.permanent_session_lifetime.total_seconds()


def renewed(claims: dict) -> dict | None:
    """While a person keeps using the pages, their session lasts: past half
    its life the access token is exchanged for a fresh one (identity checks
    the account again). Raises NotAuthenticated when identity says to sign in
    again; if identity cannot answer, the current token serves until it ends."""
    tracker = current_app.extensions["tracker"]
    if claims["exp"] - tracker.clock.now().timestamp() > tracker.token_lifetime / 2:
        return None
    try:
        answer = call("identity", "renew_token", token=session["token"])
    except NotAuthenticated:
        raise
    except Exception as failed:  # renewal is a convenience: never the reason a page fails
        log.warning("web session not renewed", error=failed.__class__.__name__)
        return None
    session["token"] = answer["access_token"]
    return verify_token(answer["access_token"])


@blp.route("/start")
@signed_in
def start():
    """Where a person lands: discharge teams on the search, care homes and
    everyone else who updates locations on their locations."""
    return redirect(url_for("web.find_vacancies") if may(g.principal, Action.FIND_CAPACITY) and not
                    scopes(g.principal, Action.EDIT_LOCATION) else url_for("web.capacity_overview"))


def error_page(error: TrackerError):
    """A service's refusal as a page (a form's field errors are shown on the
    form instead, by the view)."""
    if isinstance(error, NotAuthenticated):
        session.clear()
        flash(SIGNED_OUT_MESSAGE)
        return redirect(url_for("web.sign_in", next=request.full_path.rstrip("?")))
    if isinstance(error, Forbidden):
        return render_template("web/problem.html", title="You cannot see this page",
                               message="Your account does not give access to this. Ask your approver if "
                                       "you need it."), 403
    if isinstance(error, NotFound):
        return render_template("web/problem.html", title="Page not found", message=error.detail), 404
    if isinstance(error, (ServiceUnavailable, ServiceTimeout)):
        return render_template("web/problem.html", title="Sorry, there is a problem with the service",
                               message="Try again in a few minutes. Nothing you entered has been lost "
                                       "unless you saw a message saying it was saved."), 503
    raise error


def field_errors(error: TrackerError, labels: dict[tuple, tuple[str, str]]) -> list[dict]:
    """GOV.UK error summary entries from a service's nested field errors.

    `labels` maps an error path (as tuple of strings) to (field id, what to
    call it); messages on other paths are shown unlinked."""
    found = []

    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, path + (str(key),))
            return
        messages = node if isinstance(node, list) else [node]
        field_id, name = labels.get(path, (None, None))
        for message in messages:
            if isinstance(message, (dict, list)):
                walk(message, path)
                continue
            found.append({"id": field_id, "text": f"{name}: {message}" if name else str(message),
                          "message": str(message)})

    walk(error.fields or {}, ())
    if not found:
        found.append({"id": None, "text": error.detail, "message": error.detail})
    return found


def by_field(errors: list[dict]) -> dict[str, list[str]]:
    messages: dict[str, list[str]] = {}
    for entry in errors:
        if entry["id"]:
            messages.setdefault(entry["id"], []).append(entry["message"])
    return messages


NAMES = {"sub_icb": "Sub-ICB", "local_authority": "Local Authority", "personal_health_budget": "Personal health budget"}


def pounds(text: str) -> str | None:
    """An amount as people type it ("£1,050") as the API takes it ("1050")."""
    return text.strip().replace("£", "").replace(",", "") or None


def when(iso: str | None) -> str:
    """An ISO time as GOV.UK writes it, in UK time ("" for none)."""
    return london_time(datetime.fromisoformat(iso)) if iso else ""


def page_links(path: str, asked: dict, page: int, has_more: bool) -> dict:
    """Previous and next pages of a list whose query is in the address."""
    links = {}
    for name, number in (("previous", page - 1), ("next", page + 1)):
        if number >= 1 and (name == "previous" or has_more):
            links[name] = f"{path}?" + urlencode({**asked, "page": number}, doseq=True)
    return links


def label(code: str | None) -> str:
    """`general_residential` -> `General residential` (and proper names as they are written)."""
    return NAMES.get(code or "") or (code or "").replace("_", " ").capitalize()


@blp.app_template_filter("label")
def _label_filter(code):
    return label(code)


@blp.app_context_processor
def _page_context():
    """What the header offers: only what the person may do."""
    principal = g.get("principal")
    may_do = {action: principal is not None and bool(scopes(principal, action))
              for action in (Action.EDIT_LOCATION, Action.APPROVE_USERS, Action.DECIDE_CONTRACTS,
                             Action.FIND_CAPACITY, Action.MANAGE_USERS, Action.VIEW_ACTIVITY_REPORTS,
                             Action.VIEW_FULL_REPORTS, Action.EXPORT_DATA)}
    return {"signed_in": principal is not None, "may_update": may_do[Action.EDIT_LOCATION],
            "may_search": may_do[Action.FIND_CAPACITY], "may_manage_users": may_do[Action.MANAGE_USERS],
            "may_approve": may_do[Action.APPROVE_USERS], "may_decide_contracts": may_do[Action.DECIDE_CONTRACTS],
            "may_report": any(may_do[a] for a in (Action.VIEW_ACTIVITY_REPORTS, Action.VIEW_FULL_REPORTS,
                                                  Action.EXPORT_DATA))}


# the pages register on blp
from . import (account, admin, approvals, bulk, capacity, groups, location_contracts, locations, mfa,  # noqa: E402,F401
               password_reset,
               reports, returns, search, users)
