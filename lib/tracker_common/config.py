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


@dataclass(frozen=True)
class PoolSizes:
    """How many PostgreSQL connections one pool of a process keeps open
    (`size`) and may open beyond that in a burst, closing them again after
    use (`max_overflow`)."""

    size: int
    max_overflow: int

    @property
    def most(self) -> int:
        return self.size + self.max_overflow


def pool_sizes(users: int) -> PoolSizes:
    """A pool for `users` greenlets that may each hold a connection at once
    (a service's nameko workers, plus its background threads that use the
    database): `DB_POOL_SIZE` (default: one per user, so none ever waits for
    a connection) and `DB_MAX_OVERFLOW` (default 0). Raises ValueError,
    naming the variables, when the pool could hold fewer than `users`: they
    would queue for a connection and fail after 30 s; lower MAX_WORKERS
    instead (docs/operations.md has the whole system's budget)."""
    size, overflow = env_int("DB_POOL_SIZE", users), env_int("DB_MAX_OVERFLOW", 0)
    if size < 1 or overflow < 0:
        raise ValueError(f"DB_POOL_SIZE must be at least 1 and DB_MAX_OVERFLOW at least 0 "
                         f"(they are {size} and {overflow})")
    if size + overflow < users:
        raise ValueError(f"DB_POOL_SIZE + DB_MAX_OVERFLOW ({size} + {overflow}) is less than the {users} "
                         "workers and background threads that may each need a connection at once: "
                         "lower MAX_WORKERS, or raise DB_POOL_SIZE")
    return PoolSizes(size, overflow)
