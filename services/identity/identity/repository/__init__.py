"""Data access for identity: one small function per query, no commits,
by topic (users, organisations, applications, passwords, mfa, audit,
api_keys, outbox); every function is importable from here."""
from __future__ import annotations

from sqlalchemy.orm import Session

from .api_keys import add_api_key, api_key_by_hash, api_keys_of_user
from .applications import add_application, get_application, pending_applications
from .audit import add_audit_entry, add_sign_in, audit_entries, delete_sign_ins_before, sign_ins
from .mfa import (add_mfa_credential, add_recovery_codes, count_unused_recovery_codes,
                  delete_mfa_credential, delete_recovery_codes, get_mfa_credential,
                  unused_recovery_code)
from .organisations import (active_homes_matching, active_locations_with_organisation_kind,
                            get_location, get_locations, get_organisation, organisations_named_like,
                            organisations_of_kind, organisations_with_ons_code, upsert_locations,
                            upsert_organisations)
from .outbox import recorded_events
from .passwords import (add_password_history, add_password_reset_link, add_reminder_sent, add_terms,
                        current_terms, delete_password_reset_links_expired_before, next_terms_version,
                        open_password_reset_links, password_reset_link_by_hash, recent_password_hashes,
                        reminders_sent, users_with_password_changed_between)
from .users import (active_admins, active_approvers, active_system_champions, add_user,
                    add_user_locations, contactable_users, contactable_users_granted,
                    contactable_users_with_all_locations, emails_of_users, get_user,
                    get_user_by_email, last_logins, user_location_ids, users_of_organisation,
                    users_with_granted_permissions)


def flush(session: Session) -> None:
    """Write what is pending now (constraints are checked here, not at the commit)."""
    session.flush()


__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", "").startswith(__name__)]
