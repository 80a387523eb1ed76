"""The search read models the vacancy search benchmark runs over: England's
homes as the CQC import announced them, given the setup a home does itself
and a current return (applied as the owning services' snapshots would be),
and samples or enlargements of them at a given size."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from search.handlers.readmodel import apply_location_snapshots, apply_postcodes, apply_return_snapshots
from search.manage import MIGRATIONS_DIR as SEARCH_MIGRATIONS
from search.models import SearchLocation, SearchOutcode, SearchPostcode
from system import VACANCY_TYPES
from tracker_common.migrations import drop_database, upgrade

TEMPLATE = "postgresql+psycopg2://postgres@127.0.0.1:5432/capacity_tracker_bench_{service}"


def set_up(profile: dict, rng: random.Random, now: datetime) -> tuple[dict, dict]:
    """What a home sets up itself, and a current return, as snapshots."""
    nursing = any("nursing" in t.lower() for t in profile.get("service_types") or ())
    offered = rng.sample([t for t in VACANCY_TYPES if nursing or "nursing" not in t], k=rng.randint(1, 2))
    short_stay = rng.choice([[], [], ["respite_care"], ["discharge_to_assess", "respite_care"]])
    profile = dict(
        profile, version=profile["version"] + 1, short_stay_services=short_stay, long_term_vacancy_types=offered,
        care_types=["nursing", "residential"] if nursing else ["residential"],
        funding_sources=rng.sample(["local_authority", "sub_icb", "private", "personal_health_budget"],
                                   k=rng.randint(1, 3)),
        languages=["English"] + ([rng.choice(["Polish", "Urdu", "Punjabi", "Welsh"])] if rng.random() < 0.15 else []),
        out_of_hours_admissions=rng.random() < 0.4,
        rooms={"en_suite": rng.random() < 0.5, "equipment": rng.choice([[], ["hoist"], ["bariatric", "hoist"]]),
               "accessibility": rng.choice([["lift"], ["level_access"], []])},
        notes=[{"id": "n1", "text": "Pets welcome; hoist available", "author_id": None,
                "updated_at": now.isoformat()}] if rng.random() < 0.2 else [],
        approved_contracts=[{"commissioner_kind": "local_authority", "commissioner_code": profile["la_code"]}]
        if profile.get("la_code") and rng.random() < 0.3 else [])
    vacancies = []
    for vacancy_type in offered:
        maximum, accepting = rng.randint(5, 30), rng.choice([0, 0, 1, 1, 2, 3])
        vacancies.append({"vacancy_type": vacancy_type, "weekly_price_from": f"{rng.randint(650, 1400)}.00",
                          "maximum_capacity": maximum, "occupied": maximum - accepting, "vacant_reserved": 0,
                          "vacant_accepting": accepting, "vacant_not_available": 0, "not_available_reason": None,
                          "flexible": rng.random() < 0.1})
    accepting = sum(v["vacant_accepting"] for v in vacancies)
    capacity_return = {
        "return_id": f"bench-{profile['location_id']}", "location_id": profile["location_id"], "sequence": 1,
        "submitted_at": (now - timedelta(hours=rng.uniform(0, 72))).isoformat(), "still_true": False,
        "source": "form", "provider_id": profile["organisation_id"], "la_code": profile.get("la_code"),
        "sub_icb_code": profile.get("sub_icb_code"), "vacancies": vacancies,
        "short_stay_prices": {s: f"{rng.randint(700, 1500)}.00" for s in short_stay},
        "totals": {"vacant_accepting": accepting}, "admission_status": "accepting" if accepting else "not_accepting",
        "residents": sum(v["occupied"] for v in vacancies), "over_registered_capacity": False}
    return profile, capacity_return


def apply_in_batches(url: str, pairs: list[tuple[dict, dict | None]], postcodes=None) -> None:
    engine = create_engine(url)
    with Session(engine) as session:
        if postcodes:
            apply_postcodes(session, 1, *postcodes)
        for start in range(0, len(pairs), 1000):
            batch = pairs[start:start + 1000]
            apply_location_snapshots(session, [p for p, _ in batch])
            apply_return_snapshots(session, [r for _, r in batch if r])
        session.commit()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE search_locations"))  # as autovacuum would, soon after
    engine.dispose()


def read_model_rows(url: str) -> tuple[list[dict], list, list]:
    engine = create_engine(url)
    with engine.connect() as connection:
        profiles = [row[0] for row in connection.execute(select(SearchLocation.profile)
                                                          .where(SearchLocation.profile.isnot(None)))]
        postcodes = [list(r) for r in connection.execute(select(
            SearchPostcode.postcode, SearchPostcode.latitude, SearchPostcode.longitude, SearchPostcode.la_code,
            SearchPostcode.sub_icb_code))]
        outcodes = [list(r) for r in connection.execute(select(
            SearchOutcode.outcode, SearchOutcode.latitude, SearchOutcode.longitude))]
    engine.dispose()
    return profiles, postcodes, outcodes


def sized_read_model(size: int, profiles: list[dict], directory, rng: random.Random, now: datetime) -> str:
    """A read model of `size` locations: a sample of England's, or England's
    repeated with the homes moved a little (for more than there are)."""
    url = TEMPLATE.format(service=f"search_{size // 1000}k")
    drop_database(url)
    upgrade(SEARCH_MIGRATIONS, url)
    chosen = []
    while len(chosen) < size:
        copy = len(chosen) // len(profiles)
        for profile in rng.sample(profiles, min(len(profiles), size - len(chosen))):
            if copy:
                profile = dict(profile, location_id=f"{profile['location_id']}-{copy}",
                               latitude=profile["latitude"] + rng.uniform(-0.05, 0.05) if profile["latitude"] else None,
                               longitude=profile["longitude"] + rng.uniform(-0.05, 0.05) if profile["longitude"] else None)
            chosen.append(profile)
    pairs = [set_up(p, rng, now) if (p.get("kind") or "care_home") == "care_home" else (p, None) for p in chosen]
    apply_in_batches(url, pairs, directory)
    return url
