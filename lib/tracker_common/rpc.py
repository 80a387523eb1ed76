"""A pooled nameko RPC client for a threaded web server (gunicorn gthread).

Each thread owns one long-lived standalone client, created lazily (after
gunicorn forks) and dropped after a transport error or a timeout, so a broker
restart or a slow service never poisons later requests. One client shared by
threads would deadlock; one per request would cost ~40 ms and leave a reply
queue behind.

A stopped service keeps its queue, so a call to it is routed and waits for
the timeout. When a call times out the pool asks the broker whether anyone
consumes that queue: nobody means the service is not running (503, not 504),
and until a consumer is back later calls are refused at once instead of
each waiting the whole timeout.
"""
from __future__ import annotations

import os
import socket
import threading
import time
import uuid

from amqp.exceptions import AMQPError, NotFound
from kombu import Connection
from kombu.exceptions import OperationalError
from nameko.constants import NON_PERSISTENT
from nameko.exceptions import RpcTimeout, UnknownService
from nameko.rpc import ServiceProxy
from nameko.standalone.rpc import ClusterRpcProxy

from .config import env_float
from .contracts.errors import TrackerError
from .metrics import RPC_RETRIES
from .once import REQUEST_ID


class ServiceUnavailable(TrackerError):
    code = "service_unavailable"
    title = "A service needed for this request is not available"


class ServiceTimeout(TrackerError):
    code = "service_timeout"
    title = "A service needed for this request did not answer in time"


TRANSPORT_ERRORS = (OSError, socket.error, AMQPError, OperationalError, ConnectionError)


class _NotAnswered(Exception):
    """The broker could not be reached (nothing was sent), or its connection
    broke during the call (the request may or may not have reached the
    service): `error` is what the caller gets unless the call is sent again."""

    def __init__(self, error: ServiceUnavailable):
        super().__init__(error.detail)
        self.error = error


class RpcPool:
    def __init__(self, amqp_uri: str, timeout: float, retry_window: float | None = None):
        self.amqp_uri = amqp_uri
        self.timeout = timeout
        # how long a call sent again waits for the broker to be back
        self.retry_window = retry_window if retry_window is not None else env_float("RPC_RETRY_WINDOW", 5.0)
        self._local = threading.local()
        self._stopped: set[str] = set()  # services found with no consumer

    def _client(self):
        local = self._local
        if getattr(local, "pid", None) != os.getpid():  # forked: never reuse the parent's
            local.proxy = None
            local.pid = os.getpid()
        if local.proxy is None:
            local.context = {}
            local.cluster = ClusterRpcProxy({"AMQP_URI": self.amqp_uri}, timeout=self.timeout,
                                            context_data=local.context)
            local.cluster.start()
            local.proxy = {}
        return local.proxy, local.context

    def _service(self, proxies: dict, service: str) -> ServiceProxy:
        """A proxy whose requests expire with the caller's timeout: a request
        nobody took in time is dropped by the broker, not run later (a
        stopped service keeps its queue, and would otherwise replay a login
        attempt the user already gave up on). Requests are not persistent:
        one outliving a broker restart would have expired anyway, and a
        persistent message is written to disk before the broker confirms it
        (milliseconds on every call)."""
        if service not in proxies:
            cluster = self._local.cluster
            proxies[service] = ServiceProxy(cluster._worker_ctx, service, cluster._reply_listener,
                                            expiration=self.timeout, delivery_mode=NON_PERSISTENT)
        return proxies[service]

    def _drop(self) -> None:
        cluster = getattr(self._local, "cluster", None)
        self._local.proxy = None
        self._local.cluster = None
        if cluster is not None:
            try:
                cluster.stop()
            except Exception:  # already broken; we only want it gone
                pass

    def call(self, service: str, method: str, *, correlation_id: str | None = None,
             request_id: str | None = None, retry: bool = False, **kwargs):
        """Call `service.method(**kwargs)`. Service errors (`TrackerError`)
        come back as themselves; a missing service raises ServiceUnavailable,
        a slow one ServiceTimeout.

        `request_id` (made up when not given) travels in the RPC context: a
        service answering writes once (`tracker_common.once`) gives the same
        request its first answer again. `retry`: a call whose broker
        connection was lost (or could not be made) is sent once more, on a
        fresh connection, with the same request id, waiting up to
        `retry_window` for the broker -- for reads, and for writes that
        services answer once -- before giving up with 503."""
        request_id = request_id or str(uuid.uuid4())
        try:
            return self._call_once(service, method, correlation_id, request_id, kwargs)
        except _NotAnswered as failed:
            if not retry or not self._reconnect(time.monotonic() + self.retry_window):
                raise failed.error
        RPC_RETRIES.labels(service).inc()
        try:
            return self._call_once(service, method, correlation_id, request_id, kwargs)
        except _NotAnswered as again:
            raise again.error

    def _reconnect(self, deadline: float) -> bool:
        """A fresh client, waiting until `deadline` for the broker (a restart
        takes a few seconds; nameko's own reconnection gives up after ~2)."""
        while True:
            try:
                self._client()
                return True
            except TRANSPORT_ERRORS:
                self._drop()
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.5)

    def _call_once(self, service: str, method: str, correlation_id: str | None, request_id: str,
                   kwargs: dict):
        try:
            proxy, context = self._client()
        except TRANSPORT_ERRORS as exc:
            self._drop()
            raise _NotAnswered(ServiceUnavailable(
                f"the message broker is not reachable ({exc.__class__.__name__})"))
        context.clear()
        if correlation_id:
            context["correlation_id"] = correlation_id
        context[REQUEST_ID] = request_id
        if service in self._stopped:
            if not self._consumed(service):
                raise self._not_running(service)
            self._stopped.discard(service)
        try:
            return getattr(self._service(proxy, service), method)(**kwargs)
        except UnknownService:
            raise self._not_running(service)
        except RpcTimeout:
            self._drop()
            if not self._consumed(service):
                self._stopped.add(service)
                raise self._not_running(service)
            raise ServiceTimeout(f"the {service} service did not answer within {self.timeout:g} s",
                                 service=service)
        except TRANSPORT_ERRORS as exc:
            self._drop()
            raise _NotAnswered(ServiceUnavailable(
                f"lost the connection to the broker calling {service}",
                service=service, error=exc.__class__.__name__))

    @staticmethod
    def _not_running(service: str) -> ServiceUnavailable:
        return ServiceUnavailable(f"the {service} service is not running", service=service)

    def _consumed(self, service: str) -> bool:
        """Whether any instance of `service` consumes its RPC queue now (an
        unanswerable broker counts as yes: the timeout stands)."""
        try:
            with Connection(self.amqp_uri, connect_timeout=2) as connection:
                _, _, consumers = connection.default_channel.queue_declare(f"rpc-{service}", passive=True)
            return consumers > 0
        except NotFound:  # no queue at all: never started
            return False
        except TRANSPORT_ERRORS:
            return True

    def close(self) -> None:
        self._drop()
