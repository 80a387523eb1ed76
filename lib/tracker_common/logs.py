"""Structured JSON logs with a correlation id bound per request / worker."""
from __future__ import annotations

import logging
import sys

import structlog

_configured = False


class _CurrentStdout:
    """Writes to whatever sys.stdout is at the time (a test's capture, a
    redirected stream), not to the one present when logging was set up."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


def configure_logging(service: str, level: str = "INFO") -> None:
    global _configured
    if _configured:
        return
    _configured = True
    logging.basicConfig(stream=sys.stdout, format="%(message)s", level=level.upper())
    # Libraries log through the standard library; keep their chatter out of INFO.
    for noisy in ("kombu", "amqp", "nameko", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.EventRenamer("message"),
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(_CurrentStdout()),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)


def get_logger(name: str | None = None):
    return structlog.get_logger(name)


def bind_correlation_id(correlation_id: str | None, **extra) -> None:
    structlog.contextvars.bind_contextvars(correlation_id=correlation_id, **extra)


def clear_context(*keys: str) -> None:
    structlog.contextvars.unbind_contextvars(*keys)
