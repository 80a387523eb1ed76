"""Identity's pure rules: decisions made from plain values (a user's row,
the clock's now, the password policy, a principal), no database and no
bus. The handlers gather the values and act on the answers.

- who holds which role, and whether a principal may act;
- passwords: when one expires, which expiry reminders are due, whether a
  sign-in or a session's renewal may go ahead;
- applications: who may review one, and the due diligence flags shown to
  the approver (personal webmail, a mistyped or foreign domain, a likely
  duplicate of someone already in the organisation)."""
from __future__ import annotations

import hashlib
import math
import unicodedata
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Iterable, Sequence

from rapidfuzz.distance import DamerauLevenshtein

from tracker_common.contracts.errors import Forbidden
from tracker_common.contracts.identity import API_KEY_PREFIX
from tracker_common.contracts.permissions import Action, Principal, Role, Target, may, may_hold, scopes

from .passwords import PasswordPolicy

if TYPE_CHECKING:  # rows read as plain values
    from .models import Application, MfaCredential, Organisation, TermsVersion, User

GENERIC_ACCOUNT_DISCLAIMER = (
    "This is a generic account shared by several people. Activity is audited against the "
    "account, not against you personally, so any query about changes made with it can only "
    "be traced to the account. Do not use it for anything you would not want attributed to "
    "your whole organisation."
)


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# -- roles and permissions ------------------------------------------------------
def roles_of(user: User, organisation: Organisation | None) -> set[Role]:
    if user.api_user:
        return {Role.API_USER}
    kind = organisation.kind if organisation else "national"
    roles = {Role.CARE_HOME_USER if kind == "care_provider" else Role.NON_CARE_HOME_USER}
    if user.level == "approver":
        roles.add(Role.APPROVER)
    # A grant that breaks the permission holders rule (a broker at a care
    # provider would search its competitors) is never in effect.
    roles |= {Role(r) for r in (user.granted_roles or []) if may_hold(r, organisation and organisation.kind)}
    if user.admin:
        roles.add(Role.ADMIN)
    return roles


def require(actor: Principal, action: Action, target: Target = Target()) -> None:
    if not may(actor, action, target):
        raise Forbidden()


def may_see_last_logins(actor: Principal, organisation_id: str) -> bool:
    """The last login report: everyone holding it sees their own
    organisation's people, administrators any organisation's."""
    return scopes(actor, Action.VIEW_ACTIVITY_REPORTS) and (
        organisation_id == actor.organisation_id or Role.ADMIN in actor.roles)


# -- passwords and signing in -------------------------------------------------
def may_sign_in_with_password(user: User | None) -> bool:
    """An account that signs in with a password: active, a person's (not an
    API user's), with a password set."""
    return user is not None and user.status == "active" and not user.api_user and bool(user.password_hash)


def is_locked(user: User, now: datetime) -> bool:
    return bool(user.locked_until and now < user.locked_until)


def locks_account(failed_logins: int, policy: PasswordPolicy) -> bool:
    """Whether this many failures (counting the latest) lock the account."""
    return failed_logins >= policy.max_failed_logins


def password_expires_at(user: User, policy: PasswordPolicy) -> datetime | None:
    if user.password_changed_at is None or user.api_user:
        return None
    return user.password_changed_at + timedelta(days=policy.max_age_days)


def password_expired(user: User, now: datetime, policy: PasswordPolicy) -> bool:
    """No password chosen yet, or the one chosen is too old."""
    return user.password_changed_at is None or \
        now >= user.password_changed_at + timedelta(days=policy.max_age_days)


def terms_to_accept(user: User, terms: TermsVersion | None) -> bool:
    return bool(terms and user.accepted_terms_version != terms.version)


def may_renew_session(user: User | None, terms: TermsVersion | None, now: datetime, policy: PasswordPolicy) -> bool:
    """Whether a session may go on without the password: the account still
    active and not locked, its password neither to be changed nor expired,
    no new Terms of Use to accept (the second factor is asked separately)."""
    return may_sign_in_with_password(user) and not is_locked(user, now) and not user.must_change_password \
        and not password_expired(user, now, policy) and not terms_to_accept(user, terms)


def expiry_reminders_due(password_changed_at: datetime, now: datetime,
                         policy: PasswordPolicy) -> tuple[datetime, int, list[int]]:
    """(when the password expires, whole days left, the reminder thresholds
    reached: those of `policy.reminder_days` at or above the days left)."""
    expires_at = password_changed_at + timedelta(days=policy.max_age_days)
    days_left = math.ceil((expires_at - now).total_seconds() / 86400)
    return expires_at, days_left, [d for d in policy.reminder_days if days_left <= d]


def expiry_window(now: datetime, policy: PasswordPolicy) -> tuple[datetime, datetime]:
    """The passwords changed in (start, end] are within a reminder threshold
    and not yet expired."""
    return (now - timedelta(days=policy.max_age_days),
            now - timedelta(days=policy.max_age_days - max(policy.reminder_days)))


def mfa_enabled(credential: MfaCredential | None) -> bool:
    return credential is not None and credential.confirmed_at is not None


def looks_like_api_key(plain: str) -> bool:
    return plain.startswith(API_KEY_PREFIX) and len(plain) <= 200


# -- applications ---------------------------------------------------------------
def application_target(application: Application) -> Target:
    return Target(organisation_id=application.organisation_id,
                  location_id=application.location_ids[0] if application.location_ids else None,
                  la_code=application.la_code, sub_icb_code=application.sub_icb_code)


def may_review(actor: Principal, application: Application) -> bool:
    """Whoever may approve users for the application's target, now (not who
    it was routed to: permissions may have changed since), never the applicant."""
    return actor.user_id != application.user_id and may(
        actor, Action.APPROVE_USERS, application_target(application))


def place_search_terms(text: str) -> tuple[str, str]:
    """(words to find in a name, the start of a postcode without its spaces)."""
    words = text.strip()
    return words, words.replace(" ", "").upper()


# -- due diligence: flags shown to an approver deciding an application ------
# The approver checks the applicant is a current member of the organisation,
# that their email belongs to it (no personal webmail, no typos) and that the
# level is right; these flags point at what deserves a second look.
WEBMAIL_DOMAINS: frozenset[str] = frozenset({
    "gmail.com", "googlemail.com", "hotmail.com", "hotmail.co.uk", "outlook.com",
    "outlook.co.uk", "live.com", "live.co.uk", "yahoo.com", "yahoo.co.uk", "ymail.com",
    "icloud.com", "me.com", "mac.com", "aol.com", "aol.co.uk", "btinternet.com",
    "btopenworld.com", "sky.com", "virginmedia.com", "talktalk.net", "tiscali.co.uk",
    "protonmail.com", "protonmail.ch", "proton.me", "pm.me", "gmx.com", "gmx.co.uk",
    "mail.com", "msn.com", "ntlworld.com", "blueyonder.co.uk", "zoho.com", "fastmail.com",
})

# Public sector domains anyone in health and care might be mistyping.
WELL_KNOWN_DOMAINS = ("nhs.net", "nhs.uk")
_MAX_TYPO_DISTANCE = 2


def _split(email: str) -> tuple[str, str]:
    local, at, domain = email.strip().lower().rpartition("@")
    return (local, domain) if at else (domain, "")  # no "@": all local part


def _within(domain: str, known: str) -> bool:
    """The domain itself or a subdomain of it ("x.nhs.uk" is within "nhs.uk")."""
    return domain == known or domain.endswith("." + known)


def _normalised_name(name: str) -> str:
    # NFKD splits accents off ("á" -> "a" + mark); keeping only letters and
    # digits drops them along with case, spaces and punctuation.
    return "".join(ch for ch in unicodedata.normalize("NFKD", name).casefold() if ch.isalnum())


def application_flags(*, name: str, email: str, organisation_email_domains: Sequence[str],
                      existing_users: Iterable[tuple[str, str]]) -> list[str]:
    """Sorted, de-duplicated "code:detail" flags; empty for a clean application."""
    flags: set[str] = set()
    local, domain = _split(email)
    org_domains = {d.strip().lower().lstrip("@") for d in organisation_email_domains} - {""}

    if domain:
        webmail = domain in WEBMAIL_DOMAINS
        if webmail:
            flags.add(f"personal_webmail:{domain}")
        known = org_domains | set(WELL_KNOWN_DOMAINS)
        # A domain that is (within) a real one is not a typo of a neighbouring one.
        typos = set() if webmail or any(_within(domain, k) for k in known) else {
            k for k in known if DamerauLevenshtein.distance(domain, k) <= _MAX_TYPO_DISTANCE}
        flags.update(f"email_domain_typo:{k}" for k in typos)
        if org_domains and not webmail and not typos and not any(_within(domain, d) for d in org_domains):
            flags.add(f"email_domain_unlike_organisation:{domain}")

    applicant_name = _normalised_name(name)
    for other_name, other_email in existing_users:
        other_local, other_domain = _split(other_email)
        # The same email (any case), or one slip in the local part at the same
        # domain: "jon.smith" vs "john.smith".
        similar_email = (bool(domain) and domain == other_domain
                         and DamerauLevenshtein.distance(local, other_local) <= 1)
        same_name = bool(applicant_name) and applicant_name == _normalised_name(other_name)
        if similar_email or same_name:
            flags.add(f"near_duplicate:{other_email.strip()}")
    return sorted(flags)
