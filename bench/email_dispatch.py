"""Benchmark: the monthly refresh's worth of emails, accepted and delivered
over SMTP by the notifications service's own code.

    .venv/bin/python bench/email_dispatch.py [--emails 2000] [--concurrency 8]

Runs in one process under eventlet (as `nameko run` does) against PostgreSQL
(a scratch database) and a real local SMTP server (aiosmtpd) that keeps
count. Measured: accepting the emails (`send_email`: template check,
rendering, sealing, one row each), then the dispatcher's passes (claim,
render, send, record) until every email is delivered. The floor, in the same
run: the same emails sent straight to the same server by the SMTP provider
with the same concurrency, nothing recorded. Last line: JSON.
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

warnings.filterwarnings("ignore")
os.environ.setdefault("DATABASE_URL_TEMPLATE",
                      "postgresql+psycopg2://postgres@127.0.0.1:5432/capacity_tracker_bench_{service}")

from aiosmtpd.controller import Controller  # noqa: E402
from eventlet.greenpool import GreenPool  # noqa: E402

from notifications.delivery import Email, SmtpProvider  # noqa: E402
from notifications.handlers import dispatch, sending  # noqa: E402
from notifications.manage import MIGRATIONS_DIR  # noqa: E402
from notifications.models import Base, outbox, processed_events  # noqa: E402
from tracker_common.clock import SystemClock  # noqa: E402
from tracker_common.contracts.notifications import SendEmailRequest  # noqa: E402
from tracker_common.keys import ensure_keys, message_sealer  # noqa: E402
from tracker_common.testing import empty_database, free_port, migrated_database_url  # noqa: E402


class Counter:
    def __init__(self):
        self.received = 0

    async def handle_DATA(self, server, session, envelope):
        self.received += 1
        return "250 OK"


def monthly_refresh(n: int) -> dict:
    return {"template": "monthly-refresh", "to": f"manager{n}@home{n}.example", "reference": f"bench:{n}",
            "personalisation": {"name": f"Manager {n}", "month": "December 2026", "window ends": "14 December 2026",
                                "locations": [f"Home {n}", f"Home {n} Annexe"],
                                "update link": "https://tracker.example/sign-in"}}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--emails", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    os.environ.setdefault("VAR_DIR", "var")
    ensure_keys()
    sealer = message_sealer()
    db = empty_database(migrated_database_url("notifications", MIGRATIONS_DIR), Base.metadata,
                        (outbox, processed_events), SystemClock())
    with db.unit_of_work() as uow:
        sending.install_templates(uow)
        uow.commit()
    counter, port = Counter(), free_port()
    server = Controller(counter, hostname="127.0.0.1", port=port)
    server.start()
    provider = SmtpProvider("127.0.0.1", port, "Capacity Tracker <noreply@bench.example>")
    settings = dispatch.DispatchSettings(batch=50, concurrency=args.concurrency, rate_limit_per_minute=10**9)
    requests = [SendEmailRequest().load(monthly_refresh(n)) for n in range(args.emails)]
    try:
        started = time.perf_counter()
        for request in requests:
            with db.unit_of_work() as uow:
                sending.send_email(uow, sealer, request, sender="reminders")
                uow.commit()
        accept_s = time.perf_counter() - started
        print(f"accepted {args.emails} emails: {accept_s:.1f} s", flush=True)

        started = time.perf_counter()
        while counter.received < args.emails:
            dispatch.dispatch_batch(db, sealer, provider, settings)
        dispatch_s = time.perf_counter() - started
        print(f"dispatched: {dispatch_s:.1f} s", flush=True)

        # The floor: the same emails straight to the server, nothing recorded.
        emails = [Email(f"floor-{n}", r["to"], "Check your Capacity Tracker details for December 2026",
                        "text " * 80, "<p>html</p>" * 40, "monthly-refresh", r["personalisation"])
                  for n, r in enumerate(requests)]
        before = counter.received
        started = time.perf_counter()
        list(GreenPool(args.concurrency).imap(provider.send, emails))
        floor_s = time.perf_counter() - started
        assert counter.received - before == args.emails
    finally:
        server.stop()
        db.dispose()
    figures = {"emails": args.emails, "concurrency": args.concurrency,
               "accepted_per_s": round(args.emails / accept_s, 1),
               "delivered_per_s": round(args.emails / dispatch_s, 1),
               "smtp_floor_per_s": round(args.emails / floor_s, 1),
               "dispatch_over_floor": round(dispatch_s / floor_s, 2)}
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
