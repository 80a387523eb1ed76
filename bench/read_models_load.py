"""England into the read models through the bus, and the read models
rebuilt from the owning services' snapshots (`make bench-read-models`).

The whole system as processes (`bench.system.System`, every service) on
scratch databases and a vhost of their own:

1. locations: the synthetic England's CQC directory through providers' real
   importer; the clock runs until search and reporting hold every location
   (each learns of them from `providers.location_updated`, as do identity,
   capacity and notifications on the same 2 cores);
2. returns: every care home's year of capacity returns is written to
   capacity's database (figures made by capacity's own demo rules and
   checked by its rules: four sets a home, the months sharing them), and its
   current return announced through capacity's outbox, so capacity's relay
   publishes them; the clock runs until search and reporting hold them all;
3. rebuilds: search and reporting are stopped, and each is rebuilt
   (`manage rebuild --reset`) from the snapshots providers and capacity
   serve, reporting with every return of the year (its history).

The floor, measured in the same run: the same events taken off a queue of
their own and only decoded and validated (`load_event`), in
this process: what a consumer cannot go below however it writes.

Last line: one JSON object.
"""
from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from kombu import Connection, Consumer, Queue
from sqlalchemy import create_engine, insert, select, text

from system import System, england_files, load_average, say
from capacity import demo as capacity_demo
from capacity.handlers.returns import FIGURES
from capacity.models import CapacityReturn, KnownLocation, LatestReturn, outbox, processed_events
from capacity.rules import LocationFacts, check_capacity_return
from tracker_common.bus import EVENTS_EXCHANGE
from tracker_common.contracts.capacity import CapacityReturnRequest
from tracker_common.clock import SystemClock
from tracker_common.contracts.events import load_event
from tracker_common.db import Database
from tracker_common.schemas import load
from tracker_common.testing import wait_until

TEMPLATE = "postgresql+psycopg2://postgres@127.0.0.1:5432/capacity_tracker_bench_rm_{service}"
SERVICES = ("identity", "providers", "capacity", "search", "reporting", "notifications")
VACANCY_TYPES = ["general_residential", "general_nursing", "dementia_residential", "dementia_nursing"]
FLOOR_QUEUE = "bench-read-models-floor"


class Counter:
    """Polls a count in a read model; remembers when it first moved and
    when it reached its goal."""

    def __init__(self, url: str, sql: str):
        self.engine, self.sql = create_engine(url), text(sql)
        self.first_moved = self.reached = None

    def count(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(self.sql).scalar()

    def watch(self, goal: int, baseline: int, now: float) -> bool:
        held = self.count()
        if self.first_moved is None and held > baseline:
            self.first_moved = now
        if self.reached is None and held >= goal:
            self.reached = now
        return self.reached is not None


def follow(counters: dict[str, Counter], goal: int, started: float, timeout: float = 1800) -> dict[str, float]:
    """Seconds from `started` until each counter reaches `goal`."""
    baselines = {name: c.count() for name, c in counters.items()}
    deadline = time.perf_counter() + timeout
    while True:
        now = time.perf_counter()
        done = [c.watch(goal, baselines[name], now) for name, c in counters.items()]
        if all(done):
            return {name: round(c.reached - started, 1) for name, c in counters.items()}
        if now > deadline:
            raise TimeoutError({name: c.count() for name, c in counters.items()})
        time.sleep(0.2)


def homes(system: System, rng: random.Random) -> list[capacity_demo.Home]:
    """The care homes capacity knows, each with the vacancy types it offers."""
    engine = create_engine(system.url("capacity"))
    with engine.connect() as connection:
        rows = connection.execute(select(KnownLocation.location_id, KnownLocation.registered_beds)
                                  .where(KnownLocation.kind == "care_home", KnownLocation.active)
                                  .order_by(KnownLocation.location_id)).all()
    engine.dispose()
    return [capacity_demo.Home(row.location_id, tuple(rng.sample(VACANCY_TYPES, k=rng.randint(1, 2))), (),
                               row.registered_beds) for row in rows]


def write_returns(system: System, homes_: list[capacity_demo.Home], now: datetime) -> tuple[int, int]:
    """Every home's year of returns in capacity's tables, and its current
    one announced in capacity's outbox. Returns (returns, announced)."""
    database = Database(system.url("capacity"), (outbox, processed_events), SystemClock(), pool_size=1)
    written = announced = 0
    facts = _facts(system)
    for start in range(0, len(homes_), 500):
        rows, latest, current = [], [], []
        for home in homes_[start:start + 500]:
            plan = capacity_demo.planned_returns(home, now)
            facts_ = LocationFacts(home.location_id, "care_home", home.long_term_vacancy_types, (),
                                   home.registered_beds)
            checked: dict[int, dict] = {}  # a few sets of figures a home, made and checked once each
            for sequence, (when, body) in enumerate(plan, start=1):
                variant = 0 if sequence == len(plan) else 1 + sequence % 3
                if variant not in checked:
                    checked[variant] = check_capacity_return(facts_, load(CapacityReturnRequest(), body))
                figures = checked[variant]
                row = {"id": str(uuid.uuid4()), "location_id": home.location_id, "sequence": sequence,
                       "submitted_at": when, "submitted_by": None, "submitted_by_generic": True,
                       "source": "form", "still_true": False, "figures": FIGURES.dump(figures)}
                rows.append(row)
            if plan:
                last = rows[-1]
                latest.append({"location_id": home.location_id, "sequence": last["sequence"],
                               "return_id": last["id"], "submitted_at": last["submitted_at"]})
                provider_id, la_code, sub_icb_code = facts[home.location_id]
                current.append({**figures, "return_id": last["id"], "location_id": home.location_id,
                                "sequence": last["sequence"], "submitted_at": last["submitted_at"],
                                "still_true": False, "source": "form", "provider_id": provider_id,
                                "la_code": la_code, "sub_icb_code": sub_icb_code})
        with database.unit_of_work() as uow:
            if rows:
                uow.session.execute(insert(CapacityReturn), rows)
                uow.session.execute(insert(LatestReturn), latest)
            for snapshot in current:
                uow.record_event("capacity.return_submitted", snapshot, generic_actor=True)
            uow.commit()
        written, announced = written + len(rows), announced + len(current)
    database.dispose()
    return written, announced


def _facts(system: System) -> dict[str, tuple]:
    engine = create_engine(system.url("capacity"))
    with engine.connect() as connection:
        rows = connection.execute(select(KnownLocation.location_id, KnownLocation.provider_id,
                                          KnownLocation.la_code, KnownLocation.sub_icb_code)).all()
    engine.dispose()
    return {row.location_id: tuple(row[1:]) for row in rows}


def floor_rate(system: System, event_type: str, limit: int) -> float:
    """Events/s to take `event_type` off a queue of its own (prefetch 1,000,
    acknowledged 200 at a time) and validate it: a queue bound now receives nothing already published, so
    the outbox's events are published to it again straight from the table."""
    engine = create_engine(system.url("capacity"))
    with engine.connect() as connection:
        messages = [row.message for row in connection.execute(
            text("SELECT message FROM outbox WHERE event_type = :type ORDER BY seq LIMIT :limit"),
            {"type": event_type, "limit": limit})]
    engine.dispose()
    with Connection(system.env["AMQP_URI"]) as connection:
        channel = connection.channel()
        queue = Queue(FLOOR_QUEUE, exchange=EVENTS_EXCHANGE, routing_key=f"bench.floor.{event_type}",
                      durable=False, auto_delete=False)(channel)
        queue.declare()
        queue.purge()
        producer = connection.Producer(channel, exchange=EVENTS_EXCHANGE)
        for message in messages:
            producer.publish(message, routing_key=f"bench.floor.{event_type}", serializer="json")
        taken = []

        def take(body, message):
            load_event(body)
            taken.append(message.delivery_tag)
            if len(taken) % 200 == 0:
                channel.basic_ack(taken[-1], multiple=True)

        started = time.perf_counter()
        with Consumer(channel, queues=[queue], callbacks=[take], prefetch_count=1000, accept=["json"]):
            while len(taken) < len(messages):
                connection.drain_events(timeout=10)
        if len(taken) % 200:
            channel.basic_ack(taken[-1], multiple=True)
        elapsed = time.perf_counter() - started
        queue.delete()
    return len(taken) / elapsed


def rebuild(system: System, service: str, profile: Path | None = None) -> tuple[float, str]:
    """`manage rebuild --reset`, timed; with `profile`, under cProfile, its
    statistics written to `profile`/<service>.prof (read with pstats)."""
    module = (("cProfile", "-o", str(profile / f"{service}.prof"), "-m") if profile else ()) + (f"{service}.manage",)
    started = time.perf_counter()
    output = system.manage(*module, "rebuild", "--reset")
    return time.perf_counter() - started, output.strip().splitlines()[-1]


def rebuild_only(args, system: System) -> int:
    """Rebuild the read models of a run kept with --keep, again: only the
    owners of the snapshots (providers, capacity) are started."""
    system.manage("tracker_common.bus")
    for owner in ("providers", "capacity"):
        system.start(owner)
    figures: dict = {"load_average_start": load_average(), "rebuild_s": {}}
    try:
        wait_until(lambda: _answers(system), timeout=120, interval=0.5, message="providers and capacity to answer")
        for service in args.rebuild_only:
            seconds, said = rebuild(system, service, args.profile)
            figures["rebuild_s"][service] = round(seconds, 1)
            say(f"rebuild of {service}: {seconds:.1f} s ({said})")
    finally:
        system.stop_all()
    figures["load_average_end"] = load_average()
    print(json.dumps(figures))
    return 0


def _answers(system: System) -> bool:
    from tracker_common.rpc import RpcPool
    try:
        rpc = RpcPool(system.env["AMQP_URI"], timeout=5)
        return all(rpc.call(owner, "health") for owner in ("providers", "capacity"))
    except Exception:  # not up yet
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="full", help="synthetic England size (full: 30,200 locations)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases and vhost")
    parser.add_argument("--no-rebuild", action="store_true", help="stop after the returns (no rebuilds)")
    parser.add_argument("--rebuild-only", nargs="+", choices=("search", "reporting"), metavar="SERVICE",
                        help="only rebuild these, from the databases a run with --keep left")
    parser.add_argument("--profile", type=Path, metavar="DIR", help="profile each rebuild into DIR/<service>.prof")
    args = parser.parse_args()
    rng, now = random.Random(15), datetime.now(timezone.utc)
    work = Path(tempfile.mkdtemp(prefix="bench-read-models-"))
    data = england_files(args.size)
    system = System(work, TEMPLATE, vhost="capacity-tracker-bench-rm", redis_url="redis://127.0.0.1:6379/12",
                    services=SERVICES, OUTBOX_INTERVAL="0.1")
    if args.rebuild_only:
        return rebuild_only(args, system)
    system.prepare()
    system.start_all()
    figures: dict = {"load_average_start": load_average()}
    try:
        system.wait_healthy()
        search_locations = Counter(system.url("search"),
                                   "SELECT count(*) FROM search_locations WHERE location_version >= 1")
        report_locations = Counter(system.url("reporting"),
                                   "SELECT count(*) FROM report_locations WHERE location_version >= 1")
        system.manage("providers.manage", "import-postcodes", str(data / "ONSPD.csv"))
        started = time.perf_counter()
        system.manage("providers.manage", "import-cqc", str(data / "HSCA_Active_Locations.csv"))
        imported = time.perf_counter() - started
        with create_engine(system.url("providers")).connect() as connection:
            total = connection.execute(text("SELECT count(*) FROM locations")).scalar()
        known = follow({"search": search_locations, "reporting": report_locations}, total, started)
        say(f"CQC import of {total:,} locations {imported:.1f} s; known in search {known['search']} s, "
            f"in reporting {known['reporting']} s (from the import's start)")
        wait_until(lambda: system.backlog() == 0, timeout=1800, interval=1, message="every queue drained")
        drained = time.perf_counter() - started
        say(f"  every service has read every location event: {drained:.1f} s")
        figures.update(locations=total, cqc_import_s=round(imported, 1), locations_known_s=known,
                       locations_drained_s=round(drained, 1),
                       location_events_per_s={name: round(total / max(seconds - (c.first_moved - started), 0.1))
                                              for (name, seconds), c in zip(
                                                  known.items(), (search_locations, report_locations))})

        wait_until(lambda: _facts(system) and len(_facts(system)) >= total, timeout=600, interval=1,
                   message="capacity to know every location")
        homes_ = homes(system, rng)
        search_returns = Counter(system.url("search"), "SELECT count(*) FROM search_locations WHERE return_sequence > 0")
        report_returns = Counter(system.url("reporting"),
                                 "SELECT count(*) FROM report_locations WHERE return_sequence > 0")
        started = time.perf_counter()
        written, announced = write_returns(system, homes_, now)
        wrote = time.perf_counter() - started
        say(f"{written:,} returns of {len(homes_):,} homes written, {announced:,} current ones announced: "
            f"{wrote:.1f} s")
        applied = follow({"search": search_returns, "reporting": report_returns}, announced, started)
        say(f"  current returns held by search {applied['search']} s, by reporting {applied['reporting']} s")
        figures.update(care_homes=len(homes_), returns=written, current_returns=announced,
                       returns_written_s=round(wrote, 1), returns_known_s=applied,
                       returns_held_after_written_s={name: round(seconds - wrote, 1)
                                                     for name, seconds in applied.items()},
                       england_into_read_models_s=round(max(*known.values()) + max(applied.values()) - wrote, 1))
        floor = floor_rate(system, "capacity.return_submitted", min(announced, 5000))
        figures["floor_validate_events_per_s"] = round(floor)
        say(f"  floor: taking a return's event off a queue and validating it: {floor:,.0f}/s")

        wait_until(lambda: system.backlog() == 0, timeout=1800, interval=1, message="every queue drained")
        rebuilt = {}
        for service in () if args.no_rebuild else ("search", "reporting"):
            system.processes.stop(service)
            seconds, said = rebuild(system, service, args.profile)
            rebuilt[service] = round(seconds, 1)
            say(f"rebuild of {service}: {seconds:.1f} s ({said})")
        figures["rebuild_s"] = rebuilt
    finally:
        system.stop_all()
        if not args.keep:
            system.drop()
    figures["load_average_end"] = load_average()
    figures["targets_met"] = {
        "england_into_read_models_le_60s": figures.get("england_into_read_models_s", 1e9) <= 60,
        "rebuild_le_60s_each": bool(figures.get("rebuild_s")) and all(s <= 60 for s in figures["rebuild_s"].values()),
        "ge_1000_events_per_s_per_consumer": min(figures.get("location_events_per_s", {"x": 0}).values()) >= 1000}
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
