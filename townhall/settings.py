"""One typed settings object, read from flags and ``TOWNHALL_*`` variables.

Validated once at start so a bad value fails with the setting's name and the reason,
instead of surfacing later as a connection error deep inside a request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import platformdirs
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DATABASE_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")
BUS_SCHEMES = ("memory", "redis", "rediss")


class SettingsError(ValueError):
    """A setting has a bad value; the message names the setting and says why."""


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("townhall", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TOWNHALL_", extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8000
    workers: Annotated[int, Field(ge=1, le=64)] = 1
    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    redis_url: str | None = None
    public_url: str | None = None
    allowed_origins: Annotated[tuple[str, ...], NoDecode] = ()
    organiser_key: str | None = None
    secret_key: str | None = None
    log_level: str = "info"
    max_connections: Annotated[int, Field(ge=1)] = 20_000
    rate_per_s: Annotated[float, Field(gt=0)] = 20.0
    rate_burst: Annotated[int, Field(ge=1)] = 40
    # How long an archived session's live log stays in Redis for late reconnects; after
    # that its keys expire and links to it are answered with "session_archived".
    log_retention_s: Annotated[int, Field(ge=60)] = 86_400

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        scheme = urlsplit(value).scheme
        if scheme not in DATABASE_SCHEMES:
            raise ValueError(
                f"scheme {scheme or '(none)'!r} is not supported; use one of "
                + ", ".join(f"{s}://" for s in DATABASE_SCHEMES)
            )
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        parts = urlsplit(value)
        if parts.scheme not in BUS_SCHEMES:
            raise ValueError(f"scheme {parts.scheme or '(none)'!r} is not supported; use redis://")
        if parts.scheme != "memory" and not parts.hostname:
            raise ValueError("a Redis URL needs a host, e.g. redis://127.0.0.1:6379/0")
        return value

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> object:
        # A comma-separated list reads better in an environment variable than JSON.
        if isinstance(value, str):
            return tuple(o.strip().rstrip("/") for o in value.split(",") if o.strip())
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.lower()
        if level not in ("critical", "error", "warning", "info", "debug"):
            raise ValueError("use one of critical, error, warning, info, debug")
        return level

    @model_validator(mode="after")
    def _workers_need_a_bus(self) -> Settings:
        if self.workers > 1 and not self.distributed:
            raise ValueError(
                "workers: more than one worker needs a shared bus; set --redis-url "
                "(TOWNHALL_REDIS_URL)"
            )
        return self

    @property
    def distributed(self) -> bool:
        return self.redis_url is not None and not self.redis_url.startswith("memory")

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'townhall.db'}"

    @property
    def bus_url(self) -> str:
        return self.redis_url if self.distributed and self.redis_url else "memory://"

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port}"


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment plus explicit overrides (CLI flags).

    Raises SettingsError with one line per bad setting, naming the flag and variable.
    """
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            message = str(err["msg"]).removeprefix("Value error, ")
            if err["loc"]:
                field = str(err["loc"][0])
                message = f"--{field.replace('_', '-')} (TOWNHALL_{field.upper()}): {message}"
            lines.append(message)
        raise SettingsError("invalid settings:\n  " + "\n  ".join(lines)) from None
