"""``townhall roll`` and ``townhall proxy``: a town hall's members and proxies (SPEC §7).

townhall roll import ID members.csv     # columns name, ref; prints each personal link
townhall roll list ID
townhall proxy add ID FROM_REF TO_REF   # FROM gives their proxy to TO (before the start)
townhall proxy list ID
townhall proxy remove ID FROM_REF
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from townhall.cli_settings import settings_flags, settings_or_exit

F = TypeVar("F", bound=Callable[..., Any])

MAX_PER_REQUEST = 5000  # townhall.api.models.MAX_MEMBERS


def _options(command: F) -> F:
    command = click.option(
        "--key", envvar="TOWNHALL_ORGANISER_KEY", help="Organiser key (TOWNHALL_ORGANISER_KEY)."
    )(command)
    command = click.option(
        "--server", envvar="TOWNHALL_SERVER", help="Server URL (default: from the settings)."
    )(command)
    return settings_flags(command)


def _call(server: str | None, key: str | None, flags: dict[str, Any], *request: Any) -> Any:
    from townhall.api.client import ApiClientError
    from townhall.cli import _client, _fail

    if not key:
        raise click.UsageError("an organiser key is needed: --key or TOWNHALL_ORGANISER_KEY")
    settings = settings_or_exit(**flags)
    client = _client(server, key, settings)
    try:
        return client.call(*request)
    except ApiClientError as exc:
        _fail(exc, client, settings)


def read_roll_csv(path: Path) -> list[dict[str, str]]:
    """Members from a CSV file with a header row naming the columns ``name`` and
    (optionally) ``ref``; UTF-8, with or without a byte order mark; blank rows skipped."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise click.BadParameter(f"{path} is not UTF-8 ({exc})") from None
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip().lower() for c in reader.fieldnames or ()]
    if "name" not in columns:
        raise click.BadParameter(f"{path}: the first row must name the columns (name, ref)")
    members = []
    for line, row in enumerate(reader, 2):
        cells = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k is not None}
        if not any(cells.values()):
            continue
        if not cells.get("name"):
            raise click.BadParameter(f"{path}, line {line}: a member needs a name")
        member = {"name": cells["name"]}
        if cells.get("ref"):
            member["ref"] = cells["ref"]
        members.append(member)
    if not members:
        raise click.BadParameter(f"{path} lists no members")
    return members


@click.group()
def roll() -> None:
    """The members of a roll-access town hall and their personal links."""


@roll.command("import")
@click.argument("townhall_id")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the server's answer as JSON.")
@_options
def roll_import(
    townhall_id: str,
    csv_file: Path,
    as_json: bool,
    server: str | None,
    key: str | None,
    **flags: Any,
) -> None:
    """Add the members of CSV_FILE (columns name, ref) and print their personal links
    (as CSV: name, ref, url). The links are shown this once: keep the output."""
    members = read_roll_csv(csv_file)
    links: list[dict[str, str]] = []
    for n in range(0, len(members), MAX_PER_REQUEST):
        body = {"members": members[n : n + MAX_PER_REQUEST]}
        answer = _call(server, key, flags, "POST", f"/api/townhalls/{townhall_id}/roll", body)
        links += answer["personal"]
    if as_json:
        click.echo(json.dumps({"personal": links}, ensure_ascii=False, indent=2))
        return
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["name", "ref", "url"])
    for link in links:
        out.writerow([link["name"], link["ref"], link["url"]])
    click.echo(f"added {len(links)} members to {townhall_id}", err=True)


@roll.command("list")
@click.argument("townhall_id")
@_options
def roll_list(townhall_id: str, server: str | None, key: str | None, **flags: Any) -> None:
    """The roll as CSV: ref, name, participant id, and whose proxy holder (ref)."""
    answer = _call(server, key, flags, "GET", f"/api/townhalls/{townhall_id}/roll")
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["ref", "name", "participant", "proxy"])
    for m in answer["members"]:
        out.writerow([m["ref"], m["name"], m["participant"], m["proxy"] or ""])
    click.echo(f"access: {answer['access']}, {len(answer['members'])} members", err=True)


@click.group()
def proxy() -> None:
    """Proxies (위임) of a roll-access town hall, recorded before the session."""


@proxy.command("add")
@click.argument("townhall_id")
@click.argument("giver")
@click.argument("holder")
@_options
def proxy_add(
    townhall_id: str, giver: str, holder: str, server: str | None, key: str | None, **flags: Any
) -> None:
    """Record that member HOLDER holds member GIVER's proxy (refs)."""
    body = {"from": giver, "to": holder}
    _call(server, key, flags, "POST", f"/api/townhalls/{townhall_id}/proxies", body)
    click.echo(f"{holder} holds {giver}'s proxy")


@proxy.command("list")
@click.argument("townhall_id")
@_options
def proxy_list(townhall_id: str, server: str | None, key: str | None, **flags: Any) -> None:
    """Every proxy as ``from -> to`` (refs)."""
    answer = _call(server, key, flags, "GET", f"/api/townhalls/{townhall_id}/proxies")
    for p in answer["proxies"]:
        click.echo(f"{p['from']} -> {p['to']}")


@proxy.command("remove")
@click.argument("townhall_id")
@click.argument("giver")
@_options
def proxy_remove(
    townhall_id: str, giver: str, server: str | None, key: str | None, **flags: Any
) -> None:
    """Revoke member GIVER's proxy (before the start)."""
    _call(server, key, flags, "DELETE", f"/api/townhalls/{townhall_id}/proxies/{giver}")
    click.echo(f"{giver} votes in person again")


@click.command()
@click.argument("minutes_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify(minutes_file: Path) -> None:
    """Check the record of a session's JSON minutes: the hash chain of every event, and
    that attendance, statements, tallies and decisions agree with the events. Exits 0
    with ``verified N events, head H``, or 1 naming the first mismatch."""
    from townhall.verify import Mismatch, verify_file

    try:
        done = verify_file(minutes_file)
    except Mismatch as exc:
        click.echo(f"mismatch: {exc}")
        raise SystemExit(1) from None
    click.echo(f"verified {done.events} events, head {done.head}")


@click.command()
@click.argument("townhall_id")
@click.option("--json", "as_json", is_flag=True, help="Print the server's answer as JSON.")
@_options
def recount(
    townhall_id: str, as_json: bool, server: str | None, key: str | None, **flags: Any
) -> None:
    """Recount every poll of an archived session from its stored ballots and compare with
    the recorded results; exits 1 when any poll does not match."""
    answer = _call(server, key, flags, "GET", f"/api/townhalls/{townhall_id}/recount")
    if as_json:
        click.echo(json.dumps(answer, ensure_ascii=False, indent=2))
    else:
        for p in answer["polls"]:
            got = p["recounted"]
            line = f"{p['poll']}\t{'match' if p['match'] else 'MISMATCH'}\t{p['question']}"
            click.echo(f"{line}\tturnout {got['turnout']}, counts {got['counts']}")
            if not p["match"]:
                click.echo(f"\trecorded:  {json.dumps(p['recorded'], ensure_ascii=False)}")
                click.echo(f"\trecounted: {json.dumps(got, ensure_ascii=False)}")
    if not all(p["match"] for p in answer["polls"]):
        raise SystemExit(1)
