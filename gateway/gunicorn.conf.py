"""gunicorn settings for the gateway: threaded workers (each thread owns its
own RPC client), Prometheus in multiprocess mode."""
import os
import shutil
from pathlib import Path

from gunicorn.http import wsgi

bind = os.environ.get("GATEWAY_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GATEWAY_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GATEWAY_THREADS", "8"))
timeout = 30
graceful_timeout = 10
accesslog = None  # the app logs every request as JSON with its correlation id

_metrics_dir = Path(os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", str(Path(os.environ.get("VAR_DIR", "var")) / "prometheus-gateway")))

_with_banner = wsgi.Response.default_headers


def _without_banner(response):
    """gunicorn has no setting to leave out its `Server:` header, which tells
    a scanner what to try: the header is dropped from what it would send."""
    return [line for line in _with_banner(response) if not line.lower().startswith("server:")]


wsgi.Response.default_headers = _without_banner


def on_starting(server):
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    _metrics_dir.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
