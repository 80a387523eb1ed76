"""Data access for identity: one small function per query, no commits,
by topic (users, organisations, applications, passwords, mfa, audit,
api_keys, outbox); every function is importable from here."""
from __future__ import annotations

from sqlalchemy.orm import Session

from .api_keys import dao_add_api_key, dao_api_key_by_hash, dao_api_keys_of_user
from .applications import dao_add_application, dao_get_application, dao_pending_applications
from .audit import dao_add_audit_entry, dao_add_sign_in, dao_audit_entries, dao_delete_sign_ins_before, dao_sign_ins
from .mfa import (dao_add_mfa_credential, dao_add_recovery_codes, dao_count_unused_recovery_codes,
                  dao_delete_mfa_credential, dao_delete_recovery_codes, dao_get_mfa_credential,
                  dao_unused_recovery_code)
from .organisations import (dao_active_homes_matching, dao_active_locations_with_organisation_kind,
                            dao_get_location, dao_get_locations, dao_get_organisation, dao_organisations_named_like,
                            dao_organisations_of_kind, dao_organisations_with_ons_code, dao_upsert_location,
                            dao_upsert_organisation)
from .outbox import dao_recorded_events
from .passwords import (dao_add_password_history, dao_add_password_reset_link, dao_add_reminder_sent, dao_add_terms,
                        dao_current_terms, dao_delete_password_reset_links_expired_before, dao_next_terms_version,
                        dao_open_password_reset_links, dao_password_reset_link_by_hash, dao_recent_password_hashes,
                        dao_reminders_sent, dao_users_with_password_changed_between)
from .users import (dao_active_admins, dao_active_approvers, dao_active_system_champions, dao_add_user,
                    dao_add_user_locations, dao_contactable_users, dao_contactable_users_granted,
                    dao_contactable_users_with_all_locations, dao_emails_of_users, dao_get_user,
                    dao_get_user_by_email, dao_last_logins, dao_user_location_ids, dao_users_of_organisation,
                    dao_users_with_granted_permissions)


def dao_flush(session: Session) -> None:
    """Write what is pending now (constraints are checked here, not at the commit)."""
    session.flush()


__all__ = [name for name in dir() if name.startswith("dao_")]
