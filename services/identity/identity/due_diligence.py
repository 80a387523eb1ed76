"""Flags shown to an approver deciding an application for access. The approver
checks the applicant is a current member of the organisation, that their email
belongs to it (no personal webmail, no typos) and that the level is right;
these flags point at what deserves a second look. Plain Python, no I/O."""
from __future__ import annotations

import unicodedata
from typing import Iterable, Sequence

from rapidfuzz.distance import DamerauLevenshtein

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
