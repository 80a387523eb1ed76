"""England's geography (NHS regions, ICBs, Sub-ICB locations, Local
Authorities) from the reference file kept in the repository, and the
postcode lookups built on the ONS directory."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from tracker_common.contracts.errors import InvalidInput, NotFound
from tracker_common.postcodes import InvalidPostcode, parse_postcode_or_outcode

from .. import repository

GEOGRAPHY_FILE = Path(__file__).resolve().parent.parent / "data" / "geography.json"
OGL_ATTRIBUTION = ("Contains public sector information licensed under the Open Government Licence v3.0. "
                   "Source: Office for National Statistics. Contains OS data © Crown copyright and database "
                   "right. Contains Royal Mail data © Royal Mail copyright and database right.")


def read_geography(path: Path = GEOGRAPHY_FILE) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _announce_commissioners(uow, geography: dict) -> int:
    """Local Authorities and Sub-ICBs are organisations whose people use the
    tracker: announce each new or renamed one (identity keeps them)."""
    known = repository.all_commissioner_names(uow.session)
    announced = 0
    for kind, rows in (("local_authority", geography["local_authorities"]), ("sub_icb", geography["sub_icbs"])):
        for row in rows:
            if known.get(row["code"]) == row["name"]:
                continue
            uow.record_event("providers.organisation_updated", {
                "organisation_id": row["code"], "version": int(uow.now().timestamp()), "name": row["name"],
                "kind": kind, "email_domains": [], "ons_code": row["code"],
                "la_code": row["code"] if kind == "local_authority" else None,
                "sub_icb_code": row["code"] if kind == "sub_icb" else None})
            announced += 1
    return announced


def load_geography(uow, geography: dict) -> dict[str, int]:
    """Upsert the reference geography (idempotent). Returns counts per level."""
    announced = _announce_commissioners(uow, geography)
    session = uow.session
    repository.upsert_geography(
        session,
        nhs_regions=[{"code": r["code"], "name": r["name"]} for r in geography["nhs_regions"]],
        icbs=[{"code": i["code"], "ods_code": i.get("ods_code"), "name": i["name"],
               "nhs_region_code": i["nhs_region_code"]} for i in geography["icbs"]],
        sub_icbs=[{"code": s["code"], "ods_code": s.get("ods_code"), "name": s["name"],
                   "icb_code": s["icb_code"]} for s in geography["sub_icbs"]],
        local_authorities=[
            {"code": la["code"], "name": la["name"], "kind": la["kind"],
             "ons_region_code": la.get("ons_region_code"), "ons_region_name": la.get("ons_region_name")}
            for la in geography["local_authorities"]])
    uow.record_event("providers.geography_published", geography_snapshot(session, uow.now()))
    return {"nhs_regions": len(geography["nhs_regions"]), "icbs": len(geography["icbs"]),
            "sub_icbs": len(geography["sub_icbs"]), "local_authorities": len(geography["local_authorities"]),
            "organisations_announced": announced}


def geography_snapshot(session: Session, now) -> dict:
    """The geography with its names, as `providers.geography_published`
    carries it. Versioned by the time it is read, so that an older
    announcement still on its way never replaces it."""
    return {"version": int(now.timestamp()), **repository.geography_names(session)}


@dataclass(frozen=True)
class Place:
    """Where a typed postcode is: the postcode itself when the directory knows
    it, else the centroid of its district (`precision` says which)."""

    query: str
    postcode: str | None
    outcode: str
    precision: str  # "postcode" | "outcode"
    latitude: float
    longitude: float
    la_code: str | None = None
    sub_icb_code: str | None = None
    icb_code: str | None = None
    nhs_region_code: str | None = None

    def to_dict(self) -> dict:
        return dict(self.__dict__, attribution=OGL_ATTRIBUTION)


def locate(session: Session, text: str, *, field: str = "postcode") -> Place:
    """Geocode a postcode (or postcode district) typed by a user.

    Raises InvalidInput naming `field` when it is not a UK postcode, NotFound
    when neither it nor its district is in the directory."""
    try:
        outcode, full = parse_postcode_or_outcode(text)
    except InvalidPostcode as exc:
        raise InvalidInput(fields={field: [str(exc)]})
    if full is not None:
        found = repository.postcode(session, full)
        if found is not None and found.latitude is not None:
            return Place(text, full, outcode, "postcode", found.latitude, found.longitude, found.la_code,
                         found.sub_icb_code, found.icb_code, found.nhs_region_code)
    district = repository.outcode(session, outcode)
    if district is None:
        raise NotFound(f"The postcode {full or outcode} is not in the postcode directory.",
                       fields={field: ["Not a known postcode or postcode district."]})
    # The district's most common alignment stands for an unknown postcode in it.
    alignment = repository.district_alignment(session, outcode)
    return Place(text, full, outcode, "outcode", district.latitude, district.longitude,
                 *(alignment if alignment else (None, None, None, None)))


def postcode_snapshot_page(session: Session, after: str, limit: int) -> dict:
    """The postcode directory as `providers.postcodes_published` carries it,
    `limit` postcodes at a time after `after` (for a read model that missed
    the events). The version is read before the rows: a page that straddles a
    new import is labelled with the older version, which the newer
    directory's events then replace."""
    run = repository.latest_applied_import(session, "postcodes")
    version = run.summary.get("directory_version") if run else None
    postcodes = repository.postcodes_page(session, after, limit)
    outcodes = [] if after else repository.all_outcodes(session)
    return {"directory_version": version, "postcodes": postcodes, "outcodes": outcodes,
            "next": postcodes[-1][0] if len(postcodes) == limit else None}
