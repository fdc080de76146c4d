"""One typed settings object, read from flags and ``TOWNHALL_*`` variables.

Validated once at start so a bad value fails with the setting's name and the reason,
instead of surfacing later as a connection error deep inside a request.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import platformdirs
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DATABASE_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")
# What people paste (from a hosting panel, libpq, Heroku-style variables) means one of
# the drivers above: the URL is rewritten to it, never refused for its spelling.
DATABASE_ALIASES = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
}
# redis+cluster:// (rediss+cluster://): any node of a Redis Cluster (docs/operations.md).
BUS_SCHEMES = ("memory", "redis", "rediss", "redis+cluster", "rediss+cluster")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
ANY_HOST = ("0.0.0.0", "::", "")


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
    # Sites that may embed the participant page in a frame (a city's own web site);
    # none by default (CSP frame-ancestors 'none').
    frame_ancestors: Annotated[tuple[str, ...], NoDecode] = ()
    organiser_key: str | None = None
    secret_key: str | None = None
    log_level: str = "info"
    max_connections: Annotated[int, Field(ge=1)] = 20_000
    rate_per_s: Annotated[float, Field(gt=0)] = 20.0
    rate_burst: Annotated[int, Field(ge=1)] = 40
    # Per client address: hellos, and new participants by a shared link; per link: new
    # participants from every address together (townhall/joins.py, docs/security.md).
    hello_rate_per_s: Annotated[float, Field(gt=0)] = 10.0
    join_rate_per_min: Annotated[float, Field(gt=0)] = 60.0
    join_burst: Annotated[int, Field(ge=1)] = 120
    link_join_rate_per_min: Annotated[float, Field(gt=0)] = 1200.0
    # Seconds a client has to send a request's headers (slowloris; townhall/slowloris.py).
    header_timeout_s: Annotated[float, Field(gt=0, le=300)] = 10.0
    # How long an archived session's live log stays in Redis for late reconnects; after
    # that its keys expire and links to it are answered with "session_archived".
    log_retention_s: Annotated[int, Field(ge=60)] = 86_400
    # Proxy addresses (comma-separated IPs or networks, or *) whose X-Forwarded-For and
    # X-Forwarded-Proto are believed; none by default, so a client cannot forge its address.
    forwarded_allow_ips: str | None = None
    # Bring the schema to head at start; off for rolling upgrades (`townhall migrate` first).
    migrate: bool = True
    # Where the page's "Source" link leads (AGPL-3.0 section 13); by default this server
    # hands out the source it runs (GET /source.tar.gz).
    source_url: str | None = None
    # A folder with the organisation's own minutes.html.j2 / minutes.md.j2 (a letterhead;
    # docs/minutes.md); the minutes renderers read it as TOWNHALL_MINUTES_TEMPLATES.
    minutes_templates: Path | None = None
    # The largest file an organiser may upload for an agenda item (a PDF or an image).
    upload_max_bytes: Annotated[int, Field(ge=1024, le=100 * 1024 * 1024)] = 10 * 1024 * 1024

    @field_validator("minutes_templates")
    @classmethod
    def _minutes_templates(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(
                f"{value} is not a folder (it should hold minutes.html.j2 or minutes.md.j2)"
            )
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        scheme = urlsplit(value).scheme
        if scheme in DATABASE_ALIASES:
            value = DATABASE_ALIASES[scheme] + value[len(scheme) :]
            scheme = DATABASE_ALIASES[scheme]
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
            raise ValueError(
                f"scheme {parts.scheme or '(none)'!r} is not supported; use redis:// "
                "(or redis+cluster:// for a Redis Cluster)"
            )
        if parts.scheme != "memory" and not parts.hostname:
            raise ValueError("a Redis URL needs a host, e.g. redis://127.0.0.1:6379/0")
        return value

    @field_validator("allowed_origins", "frame_ancestors", mode="before")
    @classmethod
    def _origins(cls, value: object) -> object:
        # A comma-separated list reads better in an environment variable than JSON.
        if isinstance(value, str):
            return tuple(o.strip().rstrip("/") for o in value.split(",") if o.strip())
        return value

    @field_validator("frame_ancestors")
    @classmethod
    def _ancestors(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            parts = urlsplit(origin)
            if parts.scheme not in ("https", "http") or not parts.netloc or parts.path:
                raise ValueError(f"{origin!r} is not an origin such as https://www.example.gov")
        return value

    @field_validator("public_url", "source_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{value!r} is not an http:// or https:// URL with a host")
        return value.rstrip("/")

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
        host = "127.0.0.1" if self.host in ANY_HOST else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def origins(self) -> tuple[str, ...]:
        """The ``Origin`` values a page may open the WebSocket from: the server's own
        (the public URL's; on loopback ``localhost``, ``127.0.0.1`` and ``[::1]`` alike)
        and any ``allowed_origins``."""
        own = [origin_of(self.base_url)]
        if not self.public_url and (self.host in LOOPBACK_HOSTS or self.host in ANY_HOST):
            own += [f"http://{h}:{self.port}" for h in ("127.0.0.1", "localhost", "[::1]")]
        return tuple(dict.fromkeys([*own, *(origin_of(o) for o in self.allowed_origins)]))

    @property
    def unreachable_warning(self) -> str | None:
        """What to set when the server listens on every interface but would refuse every
        browser that is not on this machine (links and origin name 127.0.0.1)."""
        if self.public_url or self.host not in ANY_HOST:
            return None
        return (
            f"Listening on every interface, but the links handed out and the only origin "
            f"accepted are {self.base_url}: browsers on other machines would be refused. "
            f"Set --public-url (TOWNHALL_PUBLIC_URL) to the address people open, e.g. "
            f"--public-url http://{socket.gethostname()}:{self.port} (or your proxy's "
            f"https:// address)."
        )


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` as a browser sends it in ``Origin`` (no default port, no
    path, lower case)."""
    parts = urlsplit(url.strip().lower())
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is None or (parts.scheme, port) in (("http", 80), ("https", 443)):
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


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
