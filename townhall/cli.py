"""The ``townhall`` command line."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, cast

import click

from townhall.cli_db import keys, migrate, new_key
from townhall.cli_settings import settings_flags, settings_or_exit
from townhall.settings import Settings

if TYPE_CHECKING:  # the API client loads only for the commands that use it
    from townhall.api.client import ApiClientError, OrganiserClient


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


main.add_command(migrate)
main.add_command(keys)


@main.command()
@settings_flags
def serve(**flags: Any) -> None:
    """Run the server."""
    import uvicorn

    from townhall.runtime import raise_open_files, uvicorn_options

    settings = settings_or_exit(**flags)
    # Before uvicorn forks its workers: they inherit the limit.
    before, files, files_warning = raise_open_files(settings.max_connections)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    _export_to_env(settings)
    if settings.workers > 1:  # one scrape of /metrics gives every worker's values
        from townhall.metrics import MULTIPROC_ENV, prepare_multiprocess

        prepare_multiprocess(Path(os.environ.get(MULTIPROC_ENV) or settings.data_dir / "metrics"))
    click.echo(
        f"Townhall on {settings.base_url} (bus: {settings.bus_url.split(':')[0]}, "
        f"database: {settings.effective_database_url.split(':')[0]}, "
        f"workers: {settings.workers})",
        err=True,
    )
    click.echo(f"WebSocket origins accepted: {', '.join(settings.origins)}", err=True)
    if files != before:
        click.echo(f"Open files: soft limit raised from {before} to {files}", err=True)
    if files_warning:
        click.echo(f"Warning: {files_warning}", err=True)
    warning = settings.unreachable_warning
    if warning:
        click.echo(f"Warning: {warning}", err=True)
    uvicorn.run(
        "townhall.app:app_factory",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers if settings.workers > 1 else None,
        log_level=settings.log_level,
        **uvicorn_options(settings),
    )


# --- organiser commands (REST client; database maintenance is in cli_db) -------------

_server_option = click.option(
    "--server",
    envvar="TOWNHALL_SERVER",
    help="URL of a running Townhall server (default: http://HOST:PORT of the settings).",
)
_key_option = click.option(
    "--key",
    envvar="TOWNHALL_ORGANISER_KEY",
    help="Organiser key (default: TOWNHALL_ORGANISER_KEY).",
)


def _client(server: str | None, key: str | None, settings: Settings) -> OrganiserClient:
    from townhall.api.client import OrganiserClient

    return OrganiserClient(server=server or settings.base_url, key=key)


def _fail(error: ApiClientError, client: OrganiserClient, settings: Settings) -> NoReturn:
    click.echo(f"Error: {error.explain()}", err=True)
    if error.code == "unreachable":
        click.echo("Start a server first: `townhall serve` (or `make run`).", err=True)
    elif error.code == "unauthorized":
        click.echo(_key_hint(client, settings), err=True)
    raise SystemExit(1)


def _key_hint(client: OrganiserClient, settings: Settings) -> str:
    """Why a key may be refused: most often it was made in another database than the
    server's (a command run without the server's --database-url / --data-dir)."""
    import asyncio

    from townhall.api.client import ApiClientError
    from townhall.cli_db import shown_url
    from townhall.db.instance import database_id_at

    try:
        health = client.health()
    except ApiClientError:
        health = {}
    remote = health.get("database_id")
    local = asyncio.run(database_id_at(settings.effective_database_url))
    here = shown_url(settings.effective_database_url)
    if remote and local and remote != local:
        return (
            f"The key is not in the server's database. These settings use {here} "
            f"(database id {local[:8]}), but the server at {client.server} uses another "
            f"database ({health.get('database')}, id {remote[:8]}). Run `townhall keys "
            "create` (and this command) with the server's settings: --database-url / "
            "--data-dir, or TOWNHALL_DATABASE_URL / TOWNHALL_DATA_DIR, or the same "
            "environment file."
        )
    if remote and local == remote:
        return (
            f"The server uses the same database as these settings ({here}), so the key "
            "was revoked or mistyped: `townhall keys list` shows the keys, `townhall keys "
            "create` makes a new one."
        )
    return (
        "An organiser key works only on a server using the database it was created in: "
        "create one with `townhall keys create` and the server's --database-url / "
        "--data-dir (TOWNHALL_DATABASE_URL / TOWNHALL_DATA_DIR), and pass it with --key."
    )


def _print_links(created: dict[str, Any]) -> None:
    click.echo(f"id: {created['id']}")
    for role in ("facilitator", "participant", "observer"):
        click.echo(f"{role}: {created['links'][role]}")
    for member in created["links"].get("personal") or ():
        click.echo(f"personal: {member['ref']}\t{member['name']}\t{member['url']}")


@main.command()
@click.argument("agenda_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_server_option
@_key_option
@click.option("--json", "as_json", is_flag=True, help="Print the server's answer as JSON.")
@settings_flags
def create(
    agenda_file: Path, server: str | None, key: str | None, as_json: bool, **flags: Any
) -> None:
    """Create a town hall from a YAML agenda file and print its three links."""
    from townhall.api.client import ApiClientError, read_agenda_file

    if not key:
        raise click.UsageError("an organiser key is needed: --key or TOWNHALL_ORGANISER_KEY")
    settings = settings_or_exit(**flags)
    client = _client(server, key, settings)
    try:
        created = client.create(read_agenda_file(agenda_file))
    except ApiClientError as exc:
        _fail(exc, client, settings)
    if as_json:
        click.echo(json.dumps(created, indent=2))
    else:
        _print_links(created)


EXPORT_FORMATS = ("pdf", "md", "html", "json", "csv")


@main.command()
@click.argument("townhall_id")
@click.option(
    "--format", "fmt", type=click.Choice(EXPORT_FORMATS), help="Default: from -o's suffix."
)
@click.option("-o", "--output", required=True, help="File to write; - for standard output.")
@click.option("--public", is_flag=True, help="Use the open-data endpoint (no key).")
@click.option(
    "--version",
    "version",
    type=click.IntRange(min=1),
    help="A version of the minutes (default: the latest).",
)
@_server_option
@_key_option
@settings_flags
def export(
    townhall_id: str,
    fmt: str | None,
    output: str,
    public: bool,
    version: int | None,
    server: str | None,
    key: str | None,
    **flags: Any,
) -> None:
    """Download the minutes (md, html, pdf, json) or the transcript (csv) of a session."""
    from townhall.api.client import ApiClientError

    suffix = Path(output).suffix.lstrip(".").lower()
    fmt = fmt or (suffix if suffix in EXPORT_FORMATS else None)
    if fmt is None:
        raise click.UsageError("say --format pdf|md|html|json|csv (or name -o FILE.md ...)")
    if not public and not key:
        raise click.UsageError("an organiser key is needed: --key or TOWNHALL_ORGANISER_KEY")
    settings = settings_or_exit(**flags)
    client = _client(server, None if public else key, settings)
    stack = contextlib.ExitStack()

    def progress(total: int | None) -> Callable[[int], None]:
        bar: Any = click.progressbar(length=total, label=f"{townhall_id}.{fmt}", file=sys.stderr)
        return cast("Callable[[int], None]", stack.enter_context(bar).update)

    target = Path(output)
    partial = target.with_name(f".{target.name}.part")
    try:
        if not public:
            # The server renders in the background (a long PDF takes seconds): show how
            # far it is, then download what it has cached.
            with click.progressbar(
                length=100, label=f"rendering {townhall_id}.{fmt}", file=sys.stderr
            ) as bar:
                shown = [0]

                def rendering(done: float) -> None:
                    bar.update(round(done * 100) - shown[0])
                    shown[0] = round(done * 100)

                version = client.render(townhall_id, fmt, version=version, rendering=rendering)
        with stack:
            if output == "-":
                out = sys.stdout.buffer
                for chunk in client.export(townhall_id, fmt, public=public, version=version):
                    out.write(chunk)
                return
            with partial.open("wb") as sink:
                for chunk in client.export(
                    townhall_id, fmt, public=public, version=version, progress=progress
                ):
                    sink.write(chunk)
        partial.replace(target)  # a failed download never leaves a truncated file
    except ApiClientError as exc:
        partial.unlink(missing_ok=True)
        _fail(exc, client, settings)
    click.echo(f"wrote {target} ({target.stat().st_size} bytes)", err=True)


@main.command()
@_server_option
@_key_option
@settings_flags
def demo(server: str | None, key: str | None, **flags: Any) -> None:
    """Create a demo town hall on a running server and print its three links.

    Without a key, one is created in the local database, the one `townhall serve` uses
    with the same --database-url / --data-dir (by default both use the data dir).
    """
    import asyncio

    from townhall.api.client import DEMO_TOWNHALL, ApiClientError

    settings = settings_or_exit(**flags)
    if not key:
        key = asyncio.run(new_key(settings, "townhall demo"))
    client = _client(server, key, settings)
    try:
        created = client.create(DEMO_TOWNHALL)
    except ApiClientError as exc:
        _fail(exc, client, settings)
    _print_links(created)
    click.echo(
        "Open the facilitator link in one browser window and the participant link in "
        "another; the observer link is for a big screen or the public.",
        err=True,
    )


def _register() -> None:
    # Kept apart (townhall/cli_roll.py): the roll, proxies and the record's checks.
    from townhall.cli_roll import proxy, recount, roll, verify

    main.add_command(roll)
    main.add_command(proxy)
    main.add_command(recount)
    main.add_command(verify)


_register()


if __name__ == "__main__":  # pragma: no cover - exercised through the console script
    sys.exit(main())
