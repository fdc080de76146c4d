"""The ``townhall`` commands that work on the database directly: ``migrate`` and
``keys`` (organiser API keys), and the helpers ``demo`` shares with them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from townhall.cli_settings import settings_flags, settings_or_exit
from townhall.settings import Settings

__all__ = ["keys", "migrate", "new_key", "shown_url"]

T = TypeVar("T")


def shown_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


async def _migrate(settings: Settings) -> None:
    from townhall.migrating import migrate_exclusively

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    await migrate_exclusively(settings.effective_database_url, settings.data_dir)


async def _prepare(settings: Settings) -> None:
    """Migrate, or with ``--no-migrate`` check the schema is current, as ``serve`` does."""
    from townhall.migrating import SchemaBehind, check_schema

    if settings.migrate:
        await _migrate(settings)
        return
    try:
        await check_schema(settings.effective_database_url)
    except SchemaBehind as exc:
        raise click.ClickException(str(exc)) from None


async def _with_sessions(settings: Settings, job: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``job(sessions)`` on the settings' database, migrated (or checked) first."""
    from townhall.db import create_engine, session_factory

    await _prepare(settings)
    engine = create_engine(settings.effective_database_url)
    try:
        return await job(session_factory(engine))
    finally:
        await engine.dispose()


async def new_key(settings: Settings, label: str, admin: bool = False) -> str:
    from townhall import rooms

    return await _with_sessions(settings, lambda s: rooms.create_api_key(s, label, admin=admin))


@click.command()
@settings_flags
def migrate(**flags: Any) -> None:
    """Create or upgrade the database schema."""
    import asyncio

    from townhall.db import head

    settings = settings_or_exit(**flags)
    asyncio.run(_migrate(settings))
    click.echo(f"{shown_url(settings.effective_database_url)} is at revision {head()}")


@click.group()
def keys() -> None:
    """Organiser API keys."""


@keys.command("create")
@click.option("--label", default="", help="A note on who or what uses the key.")
@click.option(
    "--admin", is_flag=True, help="The key sees and manages every town hall, not only its own."
)
@settings_flags
def keys_create(label: str, admin: bool, **flags: Any) -> None:
    """Create an organiser key; it is printed once and stored only as a hash. A key owns
    the town halls it creates; an --admin key sees and manages them all."""
    import asyncio

    from townhall import rooms
    from townhall.tokens import digest

    settings = settings_or_exit(**flags)
    key = asyncio.run(new_key(settings, label, admin))
    listed = asyncio.run(_with_sessions(settings, rooms.list_api_keys))
    key_id = next(row.id for row in listed if row.key_hash == digest(key))
    click.echo(key)  # alone on stdout, so a script can capture it
    click.echo(
        "Keep this key now: it is stored only as a hash and cannot be shown again.\n"
        f"Its id (for `townhall keys revoke`): {key_id}",
        err=True,
    )


@keys.command("list")
@settings_flags
def keys_list(**flags: Any) -> None:
    """List organiser keys (ids and labels; the keys themselves are not stored)."""
    import asyncio

    from townhall import rooms

    rows = asyncio.run(_with_sessions(settings_or_exit(**flags), rooms.list_api_keys))
    for row in rows:
        state = f"revoked {row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "active"
        state += ", admin" if row.admin else ""
        click.echo(f"{row.id}  {row.created_at:%Y-%m-%d %H:%M}  {state:<24}  {row.label}")


@keys.command("revoke")
@click.argument("key_id")
@settings_flags
def keys_revoke(key_id: str, **flags: Any) -> None:
    """Revoke an organiser key by its id (see `townhall keys list`)."""
    import asyncio

    from townhall import rooms

    settings = settings_or_exit(**flags)
    if not asyncio.run(_with_sessions(settings, lambda s: rooms.revoke_api_key(s, key_id))):
        raise click.ClickException(f"no active key with id {key_id}")
    click.echo(f"revoked {key_id}")
