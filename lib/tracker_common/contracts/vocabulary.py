"""The words of the domain that several services share (DOMAIN.md)."""
from __future__ import annotations

LOCATION_KINDS = ("care_home", "home_care", "hospice", "substance_misuse", "community")

CARE_TYPES = ("residential", "nursing")

FUNDING_SOURCES = ("sub_icb", "local_authority", "private", "personal_health_budget")

SHORT_STAY_SERVICES = (
    "discharge_to_assess", "intermediate_care", "reablement_support", "rehabilitation", "respite_care",
)

LONG_TERM_VACANCY_TYPES = (
    "community_care", "dementia_nursing", "dementia_residential", "general_nursing", "general_residential",
    "learning_disability_nursing", "learning_disability_residential", "mental_health_nursing",
    "mental_health_residential", "young_physically_disabled",
)

NOT_AVAILABLE_REASONS = (
    "covid_outbreak", "la_safeguarding", "management_decision", "other_health_outbreak", "refurbishment",
)

CQC_RATINGS = ("Outstanding", "Good", "Requires improvement", "Inadequate")

ROOM_EQUIPMENT = ("none", "bariatric", "hoist")

ACCESSIBILITY = ("stairs", "lift", "wheelchair", "level_access")

COMMISSIONER_KINDS = ("local_authority", "sub_icb")
