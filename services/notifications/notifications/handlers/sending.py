"""Accepting an email to send (GOV.UK Notify's `send_email`), and the
templates it is made from."""
from __future__ import annotations

import json
import uuid

from tracker_common.contracts.errors import InvalidInput, NotFound

from .. import repository, rules
from ..models import Template, TemplateVersion
from ..personalisation import MissingPersonalisation, render_html, render_subject, render_text
from ..templates import DEFAULT_TEMPLATES


def current_version(session, template_id: str) -> tuple[Template, TemplateVersion]:
    template = repository.template(session, template_id)
    if template is None:
        raise NotFound(f"No template {template_id!r}.")
    return template, repository.template_version(session, template_id, template.version)


def send_email(uow, sealer, request: dict, *, sender: str) -> dict:
    """Accept an email: checked against its template now (every missing
    value named), sent by the dispatcher shortly. With a reference already
    used, nothing new is made and the first notification is returned."""
    session = uow.session
    if request["reference"] is not None:
        existing = repository.notification_by_reference(session, request["reference"])
        if existing is not None:
            return {"id": existing.id, "status": existing.status, "duplicate": True}
    try:
        template, version = current_version(session, request["template"])
    except NotFound:
        raise InvalidInput(fields={"template": [f"No template {request['template']!r}."]})
    personalisation = {k: v for k, v in request["personalisation"].items() if v is not None}
    try:
        render_text(version.subject + "\n" + version.body, personalisation)
    except MissingPersonalisation as exc:
        raise InvalidInput(f"Missing personalisation: {', '.join(exc.missing)}",
                           fields={"personalisation": {name: ["Missing."] for name in exc.missing}})
    shown = rules.mask(personalisation, template.secret_fields)
    now = uow.now()
    notification_id = str(uuid.uuid4())
    inserted = repository.insert_notification(session, dict(
        id=notification_id, reference=request["reference"], template_id=template.id,
        template_version=version.version, to=request["to"].lower(), sender=sender, status=rules.CREATED,
        created_at=now, attempts=0, next_attempt_at=now, subject=render_subject(version.subject, shown),
        personalisation_sealed=sealer.encrypt(json.dumps(personalisation).encode()),
        personalisation_shown=shown))
    if not inserted:  # the same reference, sent concurrently: that one stands
        existing = repository.notification_by_reference(session, request["reference"])
        return {"id": existing.id, "status": existing.status, "duplicate": True}
    return {"id": notification_id, "status": rules.CREATED, "duplicate": False}


def send(uow, sealer, request: rules.EmailRequest, *, sender: str) -> dict:
    """`send_email` for an email the system itself asks for."""
    return send_email(uow, sealer, {"template": request.template, "to": request.to,
                                    "personalisation": request.personalisation, "reference": request.reference},
                      sender=sender)


# -- templates ------------------------------------------------------------------------------
def install_templates(uow) -> list[str]:
    """Add the shipped templates that are not in the database yet (their
    version 1); an existing template keeps the wording it has."""
    added = []
    for default in DEFAULT_TEMPLATES:
        if repository.template(uow.session, default.id) is None:
            repository.add_template(
                uow.session,
                Template(id=default.id, name=default.name, description=default.description,
                         fields=list(default.fields), secret_fields=list(default.secret_fields), version=1),
                TemplateVersion(template_id=default.id, version=1, subject=default.subject, body=default.body,
                                created_at=uow.now(), created_by=None))
            added.append(default.id)
    return added


def _version_view(version: TemplateVersion) -> dict:
    return {"version": version.version, "subject": version.subject, "body": version.body,
            "created_at": version.created_at.isoformat(), "created_by": version.created_by}


def template_view(session, template: Template, *, with_versions: bool = False) -> dict:
    view = {"id": template.id, "name": template.name, "description": template.description,
            "fields": template.fields, "secret_fields": template.secret_fields, "version": template.version,
            "current": _version_view(repository.template_version(session, template.id, template.version))}
    if with_versions:
        view["versions"] = [_version_view(v) for v in repository.template_versions_newest_first(session, template.id)]
    return view


def list_templates(uow) -> list[dict]:
    return [template_view(uow.session, t) for t in repository.templates(uow.session)]


def get_template(uow, template_id: str) -> dict:
    template, _ = current_version(uow.session, template_id)
    return template_view(uow.session, template, with_versions=True)


def publish_version(uow, template_id: str, command: dict, *, author: str) -> dict:
    """New wording for a template. It may only use the placeholders the
    system fills in for it, so that no email can go out missing a value."""
    session = uow.session
    template = repository.template(session, template_id, for_update=True)
    if template is None:
        raise NotFound(f"No template {template_id!r}.")
    _check_placeholders(template, command)
    template.version += 1
    repository.add_template_version(session, TemplateVersion(
        template_id=template.id, version=template.version, subject=command["subject"], body=command["body"],
        created_at=uow.now(), created_by=author))
    return template_view(session, template, with_versions=True)


def _check_placeholders(template: Template, command: dict) -> None:
    """Only the placeholders the system fills in for this template, each
    written whole: else InvalidInput naming the subject or the body."""
    errors = rules.placeholder_problems(template.fields, command)
    if errors:
        raise InvalidInput(fields=errors)


def preview(uow, template_id: str, command: dict) -> dict:
    """New wording as an email would show it, with sample personalisation,
    checked by the same rules as publishing (nothing is saved)."""
    template = repository.template(uow.session, template_id)
    if template is None:
        raise NotFound(f"No template {template_id!r}.")
    _check_placeholders(template, command)
    values = rules.sample_personalisation(template.fields, command["subject"] + "\n" + command["body"])
    return {"subject": render_subject(command["subject"], values), "html": render_html(command["body"], values),
            "text": render_text(command["body"], values), "personalisation": values}
