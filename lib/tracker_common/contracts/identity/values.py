"""The building blocks of identity's bodies: the fields of a name, an
identifier, an email address, a password, a second-factor code, and the
values some fields take."""
from __future__ import annotations

import re

from marshmallow import fields, validate

# Letters (any script), spaces, apostrophes, hyphens and full stops: enough for
# "Siobhán O'Brien-Smith Jr.", not for markup or SQL.
PERSON_NAME = re.compile(r"^[^\W\d_](?:[^\W\d_]|[ '’.\-])*$")
ORGANISATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_.]{0,63}$")
LEVELS = ("standard", "approver")
# A Local Authority's or Sub-ICB's own code (E08000016, E38000006).
ONS_CODE = validate.Regexp(r"^E\d{8}$", error="Not an ONS code (E followed by 8 digits).")
CONTACT_MODES = ("user_ids", "location_ids", "commissioner_code")
MAX_CONTACT_IDS = 1000
ROUTES = ("approvers", "system_champions", "administrators")


# Spaces around a name are forgiven (and written in the document: a
# Regexp validator is documented as the field's pattern).
_person_name = validate.Regexp(rf"^ *{PERSON_NAME.pattern[1:]}",
                               error="Use letters, spaces, apostrophes, hyphens and full stops only.")
_identifier = validate.Regexp(ORGANISATION_ID, error="Not a valid identifier.")


def Name(**kw):
    return fields.String(validate=[validate.Length(min=1, max=100), _person_name], **kw)


def Identifier(**kw):
    return fields.String(validate=[validate.Length(min=1, max=64), _identifier], **kw)


def Email(**kw):
    return fields.Email(validate=validate.Length(max=254), **kw)


def Password(**kw):
    # The policy (length, deny list...) is checked by identity; this only
    # bounds the size so nothing huge is hashed.
    return fields.String(validate=validate.Length(min=1, max=200), **kw)


def MfaCode(**kw):
    # Six digits from an authenticator app, or a recovery code (hyphens and spaces allowed).
    kw.setdefault("metadata", {"example": "123456"})
    return fields.String(validate=[validate.Length(min=6, max=20), validate.Regexp(
        r"^[0-9A-Za-z][0-9A-Za-z \-]*$", error="Enter the 6-digit code or a recovery code.")], **kw)


def MfaToken(**kw):
    return fields.String(validate=validate.Length(min=1, max=1000),
                         metadata={"description": "From the 403 `mfa_required` / `mfa_enrolment_required` "
                                                  "answer; valid for 5 minutes."}, **kw)


# What the audit of sign-ins records: password outcomes, the second factor's,
# and forgotten-password links asked for and used.
SIGN_IN_OUTCOMES = ("succeeded", "failed", "locked", "mfa_passed", "mfa_failed", "reset_link_requested",
                    "password_reset_by_link")
AUDIT_KINDS = ("access", "sign_ins")
# What the audit of access-control changes records (its `action`).
ACCESS_ACTIONS = ("account_locked", "administrator_created", "api_key_created", "api_key_revoked",
                  "api_user_created", "location_access_approved", "location_access_rejected",
                  "location_access_requested", "mfa_enabled", "mfa_recovery_codes_regenerated", "mfa_reset",
                  "password_changed", "password_reset", "permissions_changed", "registration_approved",
                  "registration_rejected", "registration_submitted", "terms_accepted", "terms_published",
                  "user_deactivated")
