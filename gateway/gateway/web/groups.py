"""A care group at a glance: every location of a provider, or of a brand
(CQC's Brand ID, which can group several providers), with its latest
capacity: admission status, vacancies accepting admissions by type, when
it was updated and whether that is stale.

Who sees what is the providers service's rule for seeing locations: a
care home's people their own organisation's (or the locations given to
them), discharge teams, commissioners and administrators any. A group with
no location the person may see is "not found", whether it exists or not."""
from __future__ import annotations

import re

from flask import g, render_template, request

from tracker_common.contracts.errors import NotFound, TrackerError
from tracker_common.contracts.permissions import Action, Target, may

from . import blp, call, error_page, signed_in, when
from .capacity import STALENESS

PER_PAGE = 20
GROUP_ID = re.compile(r"^[A-Za-z0-9-]{1,20}$")


@blp.route("/providers/<provider_id>")
@signed_in
def provider_group(provider_id: str):
    return _group("provider_id", provider_id)


@blp.route("/brands/<brand_id>")
@signed_in
def brand_group(brand_id: str):
    return _group("brand_id", brand_id)


def _group(kind: str, group_id: str):
    if not GROUP_ID.match(group_id):
        return error_page(NotFound("No such provider or brand."))
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) <= 10_000 else 1
    try:
        listed = call("providers", "list_locations", actor=g.claims, query={
            kind: group_id, "order": "name", "active": True, "page": page, "per_page": PER_PAGE})
        if not listed["total"]:  # none the person may see: as if it did not exist
            raise NotFound("There is no provider or brand with locations you may see at this address.")
        ids = [location["id"] for location in listed["locations"]]
        summaries = {s["location_id"]: s for s in call("capacity", "return_summaries", actor=g.claims,
                                                       query={"location_ids": ids})} if ids else {}
    except TrackerError as refused:
        return error_page(refused)
    rows = [_row(location, summaries.get(location["id"])) for location in listed["locations"]]
    first = (listed["locations"] or [{}])[0]
    if kind == "brand_id":
        title = first.get("brand_name") or f"Brand {group_id}"
    else:
        title = first.get("provider_name") or f"Provider {group_id}"
    pages = max(1, -(-listed["total"] // PER_PAGE))
    return render_template("web/group.html", rows=rows, kind=kind, group_id=group_id, title=title,
                           brand=(first.get("brand_id"), first.get("brand_name")) if kind == "provider_id" else None,
                           page=page, pages=pages, total=listed["total"],
                           counts=_counts(rows), path=request.path)


def _row(location: dict, summary: dict | None) -> dict:
    summary = summary or {"staleness": "never", "vacancies": []}
    tag, colour = STALENESS.get(summary["staleness"], (None, None))
    target = Target(organisation_id=location.get("provider_id"), location_id=location["id"],
                    la_code=location.get("la_code"), sub_icb_code=location.get("sub_icb_code"))
    return {**location, "updated": when(summary.get("last_submitted_at")), "stale_tag": tag, "stale_colour": colour,
            "staleness": summary["staleness"], "admission_status": summary.get("admission_status"),
            "vacant_accepting": summary.get("vacant_accepting"),
            "by_type": [v for v in summary.get("vacancies") or [] if v.get("vacant_accepting")],
            "may_update": location.get("kind") == "care_home" and may(g.principal, Action.EDIT_LOCATION, target)}


def _counts(rows: list[dict]) -> dict:
    return {"accepting": sum(r["admission_status"] == "accepting" for r in rows),
            "stale": sum(r["staleness"] in ("stale_24h", "stale_48h", "never") for r in rows)}
