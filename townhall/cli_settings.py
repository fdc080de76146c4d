"""The settings flags every ``townhall`` command takes, one per field of ``Settings``.

``serve`` and the commands that work on its database or talk to it (``migrate``,
``keys``, ``demo``, ``create``, ``export`` ...) read the same flags and the same
``TOWNHALL_*`` variables, so a command run with the server's settings reaches the
server's database and the server's URL. tests/townhall/test_cli_settings.py checks that
every setting has its flag here and its row in the README.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from townhall.settings import Settings, SettingsError, load_settings

__all__ = ["SETTING_FLAGS", "settings_flags", "settings_or_exit"]

F = TypeVar("F", bound=Callable[..., Any])

_PATH = click.Path(file_okay=False)

# field -> (option declaration, click type or None, help)
SETTING_FLAGS: dict[str, tuple[str, Any, str]] = {
    "host": ("--host", None, "Interface to listen on (default 127.0.0.1; 0.0.0.0 for all)."),
    "port": ("--port", int, "Port to listen on (default 8000)."),
    "workers": ("--workers", int, "Worker processes (more than one needs --redis-url)."),
    "database_url": (
        "--database-url",
        None,
        "sqlite+aiosqlite:///path.db or postgresql://user@host/db (default SQLite in the "
        "data dir).",
    ),
    "redis_url": ("--redis-url", None, "redis://host:port/db to link several workers."),
    "data_dir": ("--data-dir", _PATH, "Where SQLite data and the secret key live."),
    "public_url": (
        "--public-url",
        None,
        "The address people open, e.g. https://townhall.example.org: base of the links and "
        "the origin the WebSocket accepts.",
    ),
    "allowed_origins": (
        "--allowed-origins",
        None,
        "More origins allowed to open the WebSocket, comma-separated.",
    ),
    "frame_ancestors": (
        "--frame-ancestors",
        None,
        "Sites that may embed the participant page (CSP frame-ancestors), comma-separated.",
    ),
    "organiser_key": (
        "--organiser-key",
        None,
        "An organiser key accepted for automation (prefer TOWNHALL_ORGANISER_KEY: a flag "
        "is visible in the process list).",
    ),
    "secret_key": (
        "--secret-key",
        None,
        "Signs resume tokens; the same on every machine (prefer TOWNHALL_SECRET_KEY).",
    ),
    "log_level": ("--log-level", None, "critical, error, warning, info (default) or debug."),
    "max_connections": ("--max-connections", int, "WebSocket connections per worker."),
    "rate_per_s": ("--rate-per-s", float, "Messages a participant may send per second."),
    "rate_burst": ("--rate-burst", int, "Messages a participant may send in one burst."),
    "hello_rate_per_s": ("--hello-rate-per-s", float, "Hellos per second from one address."),
    "join_rate_per_min": (
        "--join-rate-per-min",
        float,
        "New participants per minute from one address (shared link).",
    ),
    "join_burst": ("--join-burst", int, "New participants from one address in one burst."),
    "header_timeout_s": (
        "--header-timeout-s",
        float,
        "Seconds a client has to send its request headers (slowloris).",
    ),
    "link_join_rate_per_min": (
        "--link-join-rate-per-min",
        float,
        "New participants per minute by one shared link, all addresses together.",
    ),
    "log_retention_s": (
        "--log-retention-s",
        int,
        "Seconds an archived session's live log stays in Redis.",
    ),
    "forwarded_allow_ips": (
        "--forwarded-allow-ips",
        None,
        "Proxy addresses whose X-Forwarded-For/-Proto are trusted (comma-separated, or *).",
    ),
    "migrate": (
        "--migrate/--no-migrate",
        None,
        "Bring the database schema up to date at start (default); --no-migrate for rolling "
        "upgrades after `townhall migrate`.",
    ),
    "source_url": (
        "--source-url",
        None,
        "Where the page's Source link leads (default: this server's /source.tar.gz).",
    ),
    "minutes_templates": (
        "--minutes-templates",
        _PATH,
        "A folder with your own minutes.html.j2 / minutes.md.j2 (a letterhead).",
    ),
    "upload_max_bytes": (
        "--upload-max-bytes",
        int,
        "The largest PDF or image an organiser may upload for an agenda item (default 10 MiB).",
    ),
}


def settings_flags(command: F) -> F:
    """Add every setting's flag to a click command (values arrive as keyword arguments;
    pass them to ``settings_or_exit``)."""
    for field in reversed(Settings.model_fields):
        decl, kind, text = SETTING_FLAGS[field]
        if decl.startswith("--migrate"):
            option = click.option(decl, field, default=None, help=text)
        else:
            option = click.option(decl, field, type=kind, help=text)
        command = option(command)
    return command


def settings_or_exit(**flags: Any) -> Settings:
    """Settings from the flags given and ``TOWNHALL_*``; a bad value ends the command
    with the setting's name and the reason."""
    given = {k: v for k, v in flags.items() if k in Settings.model_fields}
    try:
        return load_settings(**given)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from None
