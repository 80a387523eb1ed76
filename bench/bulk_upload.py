"""Benchmark: a bulk update of 1,000 locations, from upload to every event
published (issue #4).

    .venv/bin/python bench/bulk_upload.py [--locations 1000]

Runs the real code in one process against PostgreSQL and RabbitMQ (its own
scratch database and vhost): receive the upload, the worker's processing
(workbook parsing, rules, one return per location), then the outbox relay
publishing with confirms. Baselines in the same run: the same 1,000 returns
submitted one by one as forms, and the relay publishing alone. Last line: JSON. DATABASE_URL_TEMPLATE and BENCH_VHOST
choose the scratch database and vhost (a run beside another's needs its own).
"""
from __future__ import annotations

import argparse
import base64
import io
import json
import os
import sys
import time
from datetime import datetime, timezone

os.environ.setdefault("DATABASE_URL_TEMPLATE",
                      "postgresql+psycopg2://postgres@127.0.0.1:5432/capacity_tracker_bench_{service}")

from openpyxl import load_workbook  # noqa: E402

from capacity.handlers import bulk, readmodel, returns  # noqa: E402
from capacity.manage import MIGRATIONS_DIR  # noqa: E402
from capacity.models import Base, outbox, processed_events  # noqa: E402
from tracker_common.clock import SystemClock  # noqa: E402
from tracker_common.config import load_settings  # noqa: E402
from tracker_common.contracts.capacity import CapacityReturnRequest  # noqa: E402
from tracker_common.contracts.permissions import Principal, Role  # noqa: E402
from tracker_common.outbox import OutboxRelay  # noqa: E402
from tracker_common.testing import empty_database, migrated_database_url, reset_vhost  # noqa: E402

PROVIDER = "1-100000001"
MANAGER = Principal("bench-user", PROVIDER, frozenset({Role.CARE_HOME_USER, Role.APPROVER}))
TYPES = ["dementia_residential", "general_nursing", "general_residential"]


def facts(n: int) -> dict:
    return {"location_id": f"1-{2_000_000_000 + n}", "version": 1, "organisation_id": PROVIDER,
            "name": f"Bench Home {n}", "postcode": "S70 1AA", "la_code": "E08000016", "sub_icb_code": "E38000006",
            "active": True, "kind": "care_home", "registered_beds": 200, "long_term_vacancy_types": TYPES,
            "short_stay_services": [], "reminders_enabled": True}


def filled_template(db, count: int) -> bytes:
    with db.unit_of_work() as uow:
        template = base64.b64decode(bulk.bulk_template(uow, MANAGER, {})["content"])
    workbook = load_workbook(io.BytesIO(template))
    sheet = workbook["Capacities"]
    headers = [c.value for c in sheet[1]]
    values = {"Weekly price from (£)": 900, "Maximum capacity": 10, "Occupied": 8, "Vacant reserved": 1,
              "Vacant accepting admissions": 1, "Vacant not available": 0, "Flexible (Y/N)": "N"}
    for row in sheet.iter_rows(min_row=2):
        for cell, header in zip(row, headers):
            if header in values:
                cell.value = values[header]
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def drain_outbox(db, amqp_uri: str) -> float:
    relay = OutboxRelay("capacity", db.engine, outbox, amqp_uri, SystemClock(), batch_size=500)
    started = time.perf_counter()
    while relay.publish_pending():
        pass
    relay.close()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--locations", type=int, default=1000)
    args = parser.parse_args()
    amqp_uri = reset_vhost(os.environ.get("BENCH_VHOST", "capacity-tracker-bench"))
    url = migrated_database_url("capacity", MIGRATIONS_DIR)
    db = empty_database(url, Base.metadata, (outbox, processed_events), SystemClock())
    with db.unit_of_work() as uow:
        for n in range(args.locations):
            readmodel.apply_location_snapshot(uow.session, facts(n))
        uow.commit()

    content = filled_template(db, args.locations)
    print(f"template: {len(content):,} bytes for {args.locations} locations", file=sys.stderr)

    # The bulk path: upload received -> worker -> every event published.
    started = time.perf_counter()
    with db.unit_of_work() as uow:
        upload = bulk.receive_bulk_upload(uow, MANAGER, {"file_name": "bench.xlsx", "declaration": True,
                                                         "content": base64.b64encode(content).decode()})
        uow.commit()
    received = time.perf_counter() - started
    with db.unit_of_work() as uow:
        done = bulk.process_bulk_upload(uow, upload["id"])
        uow.commit()
    processed = time.perf_counter() - started
    publish_bulk = drain_outbox(db, amqp_uri)
    total = time.perf_counter() - started
    assert len(done["results"]["applied"]) == args.locations, done["results"].get("refused")

    # Baseline: the same returns one by one, as forms (one transaction each).
    command = CapacityReturnRequest().load({"vacancies": [
        {"vacancy_type": t, "weekly_price_from": "900.00", "maximum_capacity": 10, "occupied": 8,
         "vacant_reserved": 1, "vacant_accepting": 1, "vacant_not_available": 0} for t in TYPES]})
    started = time.perf_counter()
    for n in range(args.locations):
        with db.unit_of_work() as uow:
            returns.submit_capacity_return(uow, MANAGER, facts(n)["location_id"], command)
            uow.commit()
    forms = time.perf_counter() - started
    publish_forms = drain_outbox(db, amqp_uri)
    db.dispose()
    print(json.dumps({
        "locations": args.locations, "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "upload_to_all_events_published_s": round(total, 2), "receive_s": round(received, 3),
        "worker_s": round(processed - received, 2), "publish_s": round(publish_bulk, 2),
        "forms_one_by_one_s": round(forms, 2), "forms_publish_s": round(publish_forms, 2),
        "bulk_vs_forms": round((processed - received) / forms, 2),
        "events_per_s_published": round(args.locations / publish_bulk),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
