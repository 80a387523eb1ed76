"""What runs beside the England morning: an open-loop client (each request
sent at its moment, whether or not the ones before have been answered), the
freshness watch over each read model's database, and samplers of the
broker's queues and of each process's CPU and memory."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg2

from morning import QueueLag, usage

CLIENT = "bench client"


class OpenLoop:
    """Calls `call(session, n)` at `t0 + moments[n]` with up to `workers`
    at once; keeps (seconds since t0, latency ms, ok) per call and how late
    the client itself sent each (to tell a slow system from a slow client)."""

    def __init__(self, name: str, workers: int):
        self.name, self.workers, self.results, self.late = name, workers, [], []
        self._lock, self._local = threading.Lock(), threading.local()
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)

    def start(self, t0: float, moments: list[float], call) -> threading.Thread:
        import requests

        def one(n: int, due: float):
            session = getattr(self._local, "session", None) or requests.Session()
            self._local.session = session
            started = time.perf_counter()
            try:
                ok = call(session, n)
            except requests.RequestException:
                ok = False
            elapsed = (time.perf_counter() - started) * 1000
            with self._lock:
                self.results.append((started - t0, elapsed, ok))
                self.late.append((started - due) * 1000)

        def dispatch():
            for n, moment in enumerate(moments):
                due = t0 + moment
                pause = due - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                self._executor.submit(one, n, due)
            self._executor.shutdown(wait=True)

        thread = threading.Thread(target=dispatch, name=f"{self.name}-dispatch", daemon=True)
        thread.start()
        return thread

    def latencies(self, since: float = 0.0, until: float = float("inf"), ok_only: bool = True) -> list[float]:
        with self._lock:
            return [ms for at, ms, ok in self.results if since <= at < until and (ok or not ok_only)]

    def failures(self) -> int:
        with self._lock:
            return sum(1 for _, _, ok in self.results if not ok)


class Freshness:
    """A return accepted by the gateway → its sequence in a read model's row
    (polled in the read model's own database every `interval`)."""

    def __init__(self, name: str, url: str, table: str, interval: float = 0.05):
        self.name, self.table, self.interval = name, table, interval
        self.dsn = url.replace("postgresql+psycopg2://", "postgresql://")
        self.pending: dict[str, list[tuple[int, float]]] = {}
        self.samples: list[float] = []
        self._lock, self._stop = threading.Lock(), threading.Event()
        self.thread = threading.Thread(target=self._watch, name=f"fresh-{name}", daemon=True)

    def accepted(self, location_id: str, sequence: int, at: float) -> None:
        with self._lock:
            self.pending.setdefault(location_id, []).append((sequence, at))

    def waiting(self) -> int:
        with self._lock:
            return sum(len(v) for v in self.pending.values())

    def _watch(self) -> None:
        connection = psycopg2.connect(self.dsn)
        connection.autocommit = True
        with connection.cursor() as cursor:
            while not self._stop.is_set():
                with self._lock:
                    ids = list(self.pending)
                if ids:
                    cursor.execute(f"SELECT location_id, return_sequence FROM {self.table} "  # noqa: S608 (fixed names)
                                   "WHERE location_id = ANY(%s)", (ids,))
                    seen, now = dict(cursor.fetchall()), time.perf_counter()
                    with self._lock:
                        for location_id, sequence in seen.items():
                            left = []
                            for wanted, at in self.pending.get(location_id, ()):
                                if (sequence or 0) >= wanted:
                                    self.samples.append((now - at) * 1000)
                                else:
                                    left.append((wanted, at))
                            if left:
                                self.pending[location_id] = left
                            else:
                                self.pending.pop(location_id, None)
                self._stop.wait(self.interval)
        connection.close()

    def stop(self) -> None:
        self._stop.set()
        self.thread.join()


class Sampler:
    """Every `interval`: each event queue's depth (messages ready, through
    a passive declare) and lag (`QueueLag`), and each process's CPU seconds
    and RSS. `arrived(queue)`: events the benchmark has sent that queue's way."""

    def __init__(self, amqp_uri: str, queues: list[str], pids: dict[str, int], arrived, interval: float = 1.0):
        self.amqp_uri, self.queues, self.pids, self.arrived, self.interval = amqp_uri, queues, pids, arrived, interval
        self.lags = {name: QueueLag() for name in queues}
        self.deepest = ("", 0)  # (queue, depth)
        self.longest = ("", 0.0)  # (queue, lag in seconds)
        self.now_depth: dict[str, int] = {}
        self.usage: list[tuple[float, dict]] = []  # (time, {process: (cpu s, rss bytes)})
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="sampler", daemon=True)

    def measure_processes(self) -> dict:
        # the benchmark's own process alone: the services are its children
        taken = {name: usage(pid, tree=name != CLIENT) for name, pid in self.pids.items()}
        self.usage.append((time.perf_counter(), taken))
        return taken

    def _run(self) -> None:
        from kombu import Connection
        with Connection(self.amqp_uri) as connection:
            channel, tick = connection.channel(), 0
            while not self._stop.is_set():
                now = time.perf_counter()
                for name in self.queues:
                    depth = channel.queue_declare(name, passive=True).message_count
                    lag = self.lags[name].add(now, depth, self.arrived(name))
                    self.now_depth[name] = depth
                    if depth > self.deepest[1]:
                        self.deepest = (name, depth)
                    if lag > self.longest[1]:
                        self.longest = (name, round(lag, 2))
                if tick % 5 == 0:
                    self.measure_processes()
                tick += 1
                self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self.thread.join()
        self.measure_processes()

    def at(self, moment: float) -> dict:
        """The processes' usage at the first sample taken at or after `moment`."""
        return next((taken for at, taken in self.usage if at >= moment), self.usage[-1][1])
