"""Configuration from environment variables, with defaults that work on a
developer machine (PostgreSQL, RabbitMQ and Redis on localhost)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def env_int(name: str, default: int) -> int:
    return int(env(name, str(default)))


def env_float(name: str, default: float) -> float:
    return float(env(name, str(default)))


def env_bool(name: str, default: bool) -> bool:
    return env(name, "true" if default else "false").lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    amqp_uri: str
    database_url_template: str
    redis_url: str
    rpc_timeout: float
    var_dir: Path
    log_level: str

    def database_url(self, service: str) -> str:
        """Each service owns its own PostgreSQL database, named after it."""
        return self.database_url_template.format(service=service)


def load_settings() -> Settings:
    return Settings(
        amqp_uri=env("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"),
        database_url_template=env(
            "DATABASE_URL_TEMPLATE",
            "postgresql+psycopg2://postgres@127.0.0.1:5432/capacity_tracker_{service}",
        ),
        redis_url=env("REDIS_URL", "redis://127.0.0.1:6379/0"),
        rpc_timeout=env_float("RPC_TIMEOUT", 10.0),
        var_dir=Path(env("VAR_DIR", str(Path.cwd() / "var"))),
        log_level=env("LOG_LEVEL", "INFO"),
    )
