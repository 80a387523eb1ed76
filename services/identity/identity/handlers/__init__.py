"""Identity's use cases: plain functions of a unit of work (and, where
needed, `IdentityDeps` and the acting `Principal`). No nameko here."""
from .accounts import (audit_trail, authenticate, change_password, current_terms, deactivate_user,
                       ensure_administrator, last_logins, list_users, me, publish_terms,
                       renew_access_token, reset_password, send_password_expiry_reminders)
from .api_keys import (authenticate_api_key, create_api_key, create_api_user, list_api_keys,
                       revoke_api_key)
from .common import IdentityDeps
from .contacts import resolve_contacts
from .mfa import (begin_enrolment, complete_sign_in, confirm_enrolment, mfa_status, regenerate_recovery_codes,
                  reset_mfa, reset_mfa_by_operator)
from .password_links import request_password_reset, reset_password_with_link
from .permissions import grant_permissions, permission_breaches
from .readmodel import (apply_location_snapshot, apply_location_snapshots, apply_organisation_snapshot,
                        apply_organisation_snapshots)
from .registration import (decide_application, find_places, list_pending_applications, register,
                           request_location_access)
from .sign_ins import forget_old_sign_ins, record_sign_in, sign_in_audit

__all__ = [name for name in dir() if not name.startswith("_")]
