"""Town halls, links and API keys on real SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from realtime.application import Refused
from tests.townhall.archive_sample import sample_bundle
from townhall import access, rooms
from townhall.archive import archive
from townhall.auth import LinkAuthenticator
from townhall.ballots import FileVault
from townhall.db import SessionFactory, create_engine, migrate, session_factory
from townhall.db.models import metadata
from townhall.domain import Member
from townhall.tokens import digest

BASE = "https://townhall.example.org"


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    await migrate(db_url)
    engine = create_engine(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> SessionFactory:
    return session_factory(engine)


def count_queries(engine: AsyncEngine) -> list[str]:
    """Every SQL statement ``engine`` runs from now on."""
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    sa.event.listen(engine.sync_engine, "before_cursor_execute", record)
    return statements


def token_of(url: str) -> str:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == BASE
    assert parts.path == "/"
    return parse_qs(parts.query)["token"][0]


async def new_townhall(
    sessions: SessionFactory, expires_at: datetime | None = None
) -> tuple[str, dict[str, str]]:
    row, links = await rooms.create_townhall(
        sessions, title="Budget 2027", base_url=BASE, expires_at=expires_at
    )
    return row.id, {role: token_of(url) for role, url in links.items()}


async def dump(sessions: SessionFactory) -> str:
    """Every value of every table, as text."""
    lines = []
    async with sessions() as session:
        for table in metadata.tables.values():
            for row in await session.execute(sa.select(table)):
                lines.append(repr(tuple(row)))
    return "\n".join(lines)


async def test_create_makes_a_scheduled_room_with_one_link_per_role(
    sessions: SessionFactory,
) -> None:
    room, tokens = await new_townhall(sessions)
    row = await rooms.get_townhall(sessions, room)
    assert row is not None
    assert row.status == "scheduled"
    assert row.title == "Budget 2027"
    assert not hasattr(row, "ballot_secret")  # it lives in the vault (decision 0007)
    assert set(tokens) == {"facilitator", "participant", "observer"}
    assert len(set(tokens.values())) == 3
    for role, token in tokens.items():
        grant = await rooms.resolve_link(sessions, token)
        assert grant is not None
        assert (grant.room, grant.role, grant.version) == (room, role, 1)


async def test_tokens_and_keys_are_stored_only_as_hashes(sessions: SessionFactory) -> None:
    _, tokens = await new_townhall(sessions)
    key = await rooms.create_api_key(sessions, "ci")
    text = await dump(sessions)
    for secret in [*tokens.values(), key]:
        assert secret not in text
        assert digest(secret) in text


async def test_unknown_token_resolves_to_nothing(sessions: SessionFactory) -> None:
    await new_townhall(sessions)
    assert await rooms.resolve_link(sessions, "l_not-a-token") is None


async def test_rotation_revokes_old_links_and_issues_new_versions(
    sessions: SessionFactory,
) -> None:
    room, old = await new_townhall(sessions)
    links = await rooms.rotate_links(sessions, room, ["participant"], base_url=BASE)
    assert set(links) == {"participant"}
    new = token_of(links["participant"])
    assert await rooms.resolve_link(sessions, old["participant"]) is None
    grant = await rooms.resolve_link(sessions, new)
    assert grant is not None
    assert grant.version == 2
    # Other roles are untouched.
    assert await rooms.resolve_link(sessions, old["observer"]) is not None
    versions = await access.link_versions(sessions, [room])
    assert versions == {f"{room}/participant": 2, f"{room}/observer": 1, f"{room}/facilitator": 1}


async def test_rotating_twice_keeps_only_the_newest(sessions: SessionFactory) -> None:
    room, _ = await new_townhall(sessions)
    first = await rooms.rotate_links(sessions, room, rooms.ROLES, base_url=BASE)
    second = await rooms.rotate_links(sessions, room, rooms.ROLES, base_url=BASE)
    for role in rooms.ROLES:
        assert await rooms.resolve_link(sessions, token_of(first[role])) is None
        grant = await rooms.resolve_link(sessions, token_of(second[role]))
        assert grant is not None
        assert grant.version == 3


async def test_rotating_an_unknown_role_is_refused(sessions: SessionFactory) -> None:
    room, _ = await new_townhall(sessions)
    with pytest.raises(ValueError, match="organiser"):
        await rooms.rotate_links(sessions, room, ["organiser"], base_url=BASE)


async def test_expired_links_stop_resolving(sessions: SessionFactory) -> None:
    expiry = datetime.now(UTC) + timedelta(hours=1)
    _, tokens = await new_townhall(sessions, expires_at=expiry)
    grant = await rooms.resolve_link(sessions, tokens["participant"])
    assert grant is not None
    assert grant.expires_at == expiry
    later = expiry + timedelta(seconds=1)
    assert await rooms.resolve_link(sessions, tokens["participant"], now=later) is None


async def test_rotation_can_set_an_expiry(sessions: SessionFactory) -> None:
    room, _ = await new_townhall(sessions)
    expiry = datetime.now(UTC) + timedelta(days=2)
    links = await rooms.rotate_links(sessions, room, ["observer"], base_url=BASE, expires_at=expiry)
    token = token_of(links["observer"])
    assert await rooms.resolve_link(sessions, token) is not None
    assert await rooms.resolve_link(sessions, token, now=expiry) is None


async def test_delete_removes_the_room_its_links_and_its_archive(
    sessions: SessionFactory,
) -> None:
    room, tokens = await new_townhall(sessions)
    other, other_tokens = await new_townhall(sessions)
    await archive(sessions, sample_bundle(room))
    assert await rooms.delete_townhall(sessions, room) is True
    assert await rooms.get_townhall(sessions, room) is None
    assert await rooms.resolve_link(sessions, tokens["facilitator"]) is None
    assert await access.link_versions(sessions, [room]) == {}
    async with sessions() as session:
        for name, table in metadata.tables.items():
            column = table.c.id if name == "townhall" else table.c.get("room")
            if column is not None:
                left = await session.scalar(sa.select(sa.func.count()).where(column == room))
                assert left == 0, name
    # The other town hall is untouched; deleting twice says there was nothing.
    assert await rooms.resolve_link(sessions, other_tokens["observer"]) is not None
    assert await rooms.delete_townhall(sessions, room) is False
    assert (await rooms.get_townhall(sessions, other)) is not None


async def test_update_only_before_start(sessions: SessionFactory) -> None:
    room, _ = await new_townhall(sessions)
    row = await rooms.update_townhall(sessions, room, {"title": "Budget 2028", "language": "ko"})
    assert row is not None
    assert (row.title, row.language) == ("Budget 2028", "ko")
    async with sessions.begin() as session:
        await session.execute(
            sa.update(metadata.tables["townhall"])
            .values(status="live")
            .where(metadata.tables["townhall"].c.id == room)
        )
    with pytest.raises(rooms.AlreadyStarted):
        await rooms.update_townhall(sessions, room, {"title": "Too late"})
    after = await rooms.get_townhall(sessions, room)
    assert after is not None
    assert after.title == "Budget 2028"
    assert await rooms.update_townhall(sessions, "nope", {"title": "x"}) is None
    with pytest.raises(ValueError, match="status"):
        await rooms.update_townhall(sessions, room, {"status": "ended"})


async def test_public_listing_holds_only_public_town_halls(sessions: SessionFactory) -> None:
    private, _ = await new_townhall(sessions)
    row, _ = await rooms.create_townhall(
        sessions, title="Open meeting", visibility="public", base_url=BASE
    )
    listed = [r.id for r in await rooms.list_public(sessions)]
    assert listed == [row.id]
    assert {r.id for r in await rooms.list_townhalls(sessions)} == {private, row.id}


async def test_api_keys_verify_until_revoked_and_the_env_key_works(
    sessions: SessionFactory,
) -> None:
    key = await rooms.create_api_key(sessions, "laptop")
    assert await rooms.verify_api_key(sessions, key)
    assert not await rooms.verify_api_key(sessions, key + "x")
    assert not await rooms.verify_api_key(sessions, "")
    assert await rooms.verify_api_key(sessions, "from-env", env_key="from-env")
    assert not await rooms.verify_api_key(sessions, "from-env", env_key=None)
    async with sessions.begin() as session:
        await session.execute(
            sa.update(metadata.tables["api_key"]).values(revoked_at=datetime.now(UTC))
        )
    assert not await rooms.verify_api_key(sessions, key)


async def test_the_websocket_authenticator_refuses_rotated_links_and_their_resumes(
    sessions: SessionFactory,
) -> None:
    room, tokens = await new_townhall(sessions)
    authenticate = LinkAuthenticator(sessions, b"server-secret")
    joined = await authenticate(tokens["participant"], {"name": "김민수"})
    assert joined.room == room
    assert joined.resume_token is not None
    assert (await authenticate(joined.resume_token, {})).key == joined.key
    await rooms.rotate_links(sessions, room, ["participant"], base_url=BASE)
    with pytest.raises(Refused) as link:
        await authenticate(tokens["participant"], {"name": "Bob"})
    assert link.value.code == "bad_token"
    with pytest.raises(Refused) as resume:
        await authenticate(joined.resume_token, {})
    assert resume.value.code == "bad_token"
    # The facilitator link was not rotated and still admits.
    assert (await authenticate(tokens["facilitator"], {})).room == room


async def test_links_to_a_session_archived_past_the_log_retention_are_refused(
    sessions: SessionFactory,
) -> None:
    room, tokens = await new_townhall(sessions)
    day = LinkAuthenticator(sessions, b"server-secret", log_retention_s=86_400)
    minute = LinkAuthenticator(sessions, b"server-secret", log_retention_s=60)
    joined = await day(tokens["participant"], {"name": "Ana"})
    assert joined.resume_token is not None
    assert await rooms.archived_at(sessions, room) is None
    archived = datetime.now(UTC) - timedelta(minutes=5)
    async with sessions.begin() as session:
        await session.execute(
            sa.update(metadata.tables["townhall"])
            .where(metadata.tables["townhall"].c.id == room)
            .values(status="archived", archived_at=archived)
        )
    assert await rooms.archived_at(sessions, room) == archived
    # Within the retention the live log is still there: links and resumes work.
    assert (await day(tokens["observer"], {})).room == room
    assert (await day(joined.resume_token, {})).key == joined.key
    # Past it, every way in is answered with session_archived.
    for token in (tokens["observer"], joined.resume_token):
        with pytest.raises(Refused) as refused:
            await minute(token, {})
        assert refused.value.code == "session_archived"


async def test_a_hello_costs_one_query_and_reads_the_room_afresh(
    engine: AsyncEngine, sessions: SessionFactory, tmp_path: Path
) -> None:
    """Link and resume hellos read link and archive state in one SQL query, with nothing
    cached; the ballot secret comes from the vault, and its destruction shows at once."""
    room, tokens = await new_townhall(sessions)
    vault = FileVault(tmp_path / "vault")
    authenticate = LinkAuthenticator(sessions, b"server-secret", vault=vault)
    statements = count_queries(engine)
    joined = await authenticate(tokens["participant"], {"name": "Ana"})
    assert len(statements) == 1
    assert joined.resume_token is not None
    assert isinstance(joined.info, Member)
    assert joined.info.ballot_secret is not None
    assert joined.info.ballot_secret == await vault.secret(room, create=False)
    resumed = await authenticate(joined.resume_token, {})
    assert len(statements) == 2
    assert resumed.key == joined.key
    assert isinstance(resumed.info, Member)
    assert resumed.info.ballot_secret == joined.info.ballot_secret
    await vault.destroy(room)
    assert await vault.secret(room, create=False) is None
    assert not list((tmp_path / "vault").iterdir())


async def test_resumes_into_a_deleted_town_hall_are_refused(sessions: SessionFactory) -> None:
    room, tokens = await new_townhall(sessions)
    authenticate = LinkAuthenticator(sessions, b"server-secret")
    joined = await authenticate(tokens["observer"], {})
    assert joined.resume_token is not None
    assert await rooms.delete_townhall(sessions, room)
    with pytest.raises(Refused) as refused:
        await authenticate(joined.resume_token, {})
    assert refused.value.code == "bad_token"


async def test_link_versions_of_many_rooms_in_one_query(
    engine: AsyncEngine, sessions: SessionFactory
) -> None:
    first, _ = await new_townhall(sessions)
    second, _ = await new_townhall(sessions)
    await rooms.rotate_links(sessions, second, ["observer"], base_url=BASE)
    await rooms.rotate_links(sessions, second, ["observer"], base_url=BASE)
    statements = count_queries(engine)
    versions = await access.link_versions(sessions, [first, second, "no-such-room"])
    assert len(statements) == 1
    assert versions == {
        **{f"{first}/{role}": 1 for role in rooms.ROLES},
        f"{second}/facilitator": 1,
        f"{second}/participant": 1,
        f"{second}/observer": 3,
    }
    assert await access.link_versions(sessions, []) == {}
    assert len(statements) == 1  # no rooms: no query
