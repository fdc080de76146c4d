"""The ``townhall`` command line."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from townhall.settings import Settings, SettingsError, load_settings


def _settings_or_exit(**flags: Any) -> Settings:
    try:
        return load_settings(**flags)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from None


def _export_to_env(settings: Settings) -> None:
    # Worker processes are started by uvicorn and rebuild their settings from the
    # environment, so flags given here must reach them as TOWNHALL_* variables.
    for name, value in settings.model_dump().items():
        if value is None or value == ():
            continue
        if isinstance(value, tuple):
            value = ",".join(value)
        os.environ[f"TOWNHALL_{name.upper()}"] = str(value)


@click.group()
@click.version_option(package_name="townhall")
def main() -> None:
    """Townhall: a real-time town hall and deliberation server."""


@main.command()
@click.option("--host", help="Interface to listen on (default 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default 8000).")
@click.option("--workers", type=int, help="Worker processes (more than one needs --redis-url).")
@click.option("--database-url", help="SQLAlchemy async URL (default SQLite in the data dir).")
@click.option("--redis-url", help="redis://host:port/db to link several workers.")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Where SQLite data lives.")
def serve(**flags: Any) -> None:
    """Run the server."""
    import uvicorn

    from townhall.runtime import UVICORN_OPTIONS

    settings = _settings_or_exit(**flags)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    _export_to_env(settings)
    click.echo(
        f"Townhall on {settings.base_url} (bus: {settings.bus_url.split(':')[0]}, "
        f"database: {settings.effective_database_url.split(':')[0]}, "
        f"workers: {settings.workers})",
        err=True,
    )
    uvicorn.run(
        "townhall.app:app_factory",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers if settings.workers > 1 else None,
        log_level=settings.log_level,
        **UVICORN_OPTIONS,
    )


if __name__ == "__main__":  # pragma: no cover - exercised through the console script
    sys.exit(main())
