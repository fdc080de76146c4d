"""Identity that binds (SPEC §7), on real workers: one and three (Redis).

Open access: a browser's resume token brings back the same person (a reload, a second
tab), with their mute and ban. Roll access: the shared participant link admits nobody,
a member's personal link is that member from any device (and any worker), a ban binds
the member. Proxies: counted once each, refused twice and in chains.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from realtime.client import Client, ClientError
from tests import services
from tests.townhall.scripted import (
    KEY,
    call,
    close_all,
    connect,
    refusal,
    rest,
    seen,
    token_of,
    until,
    worker_env,
    you,
)
from townhall.cli import main

ROLL = [
    {"name": "김민준", "ref": "A-1"},
    {"name": "Lee Seo-yeon", "ref": "A-2"},
    {"name": "Park", "ref": "A-3"},
    {"name": "Choi"},
]


@dataclass
class Cluster:
    urls: list[str]  # http base of each worker
    db_url: str

    def ws(self, n: int) -> str:
        return self.urls[n % len(self.urls)].replace("http://", "ws://") + "/ws"

    @property
    def base(self) -> str:
        return self.urls[0]


@pytest.fixture(
    scope="module",
    params=[
        "one",
        pytest.param("three-redis", marks=[pytest.mark.redis, pytest.mark.slow]),
    ],
)
async def cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Cluster]:
    base = tmp_path_factory.mktemp(f"identity-{request.param}")
    db_url = f"sqlite+aiosqlite:///{base / 'townhall.db'}"
    bus = None
    if request.param == "three-redis":
        prefix = f"{request.getfixturevalue('redis_prefix')}{uuid.uuid4().hex[:8]}:"
        bus = f"{request.getfixturevalue('redis_url')}?prefix={prefix}"
    pool = services.WorkerPool(base_dir=base)
    try:
        workers = await asyncio.to_thread(pool.start, 3 if bus else 1, worker_env(db_url, bus))
        yield Cluster([w.url for w in workers], db_url)
    finally:
        await asyncio.to_thread(pool.stop_all)


async def create(cluster: Cluster, **body: Any) -> dict[str, Any]:
    response = await rest(
        cluster.base, "POST", "/api/townhalls", json={"title": "총회 2027", **body}
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def refused_hello(url: str, token: str, name: str | None = "Someone") -> str:
    client = Client(url, token, name=name)
    try:
        await asyncio.wait_for(client.connect(), 30)
    except ClientError as exc:
        return exc.code
    finally:
        await client.close()
    raise AssertionError("the hello was accepted")


def cli(*args: str) -> Result:
    env = {"TOWNHALL_ORGANISER_KEY": KEY, "TOWNHALL_SERVER": None}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def personal(created: dict[str, Any], ref: str) -> str:
    for link in created["links"]["personal"]:
        if link["ref"] == ref:
            return token_of(link["url"])
    raise KeyError(ref)


# -- open access -----------------------------------------------------------------------


async def test_open_rejoin_by_resume_token_is_the_same_person(cluster: Cluster) -> None:
    created = await create(cluster)
    links = {k: token_of(v) for k, v in created["links"].items()}
    f = await connect(cluster.ws(0), links["facilitator"], "F")
    a = await connect(cluster.ws(1), links["participant"], "Ana")
    clients = [f, a]
    try:
        me = you(a)
        assert a.resume_token is not None
        await call(f, "session.start")
        await call(a, "hand.raise")
        # A reload: the page comes back with its stored token, on any worker.
        await a.close()
        reloaded = await connect(cluster.ws(2), a.resume_token, "Other name")
        clients.append(reloaded)
        assert reloaded.welcome["you"] == {"participant": me, "role": "participant", "name": "Ana"}
        hands = reloaded.welcome["snapshot"]["queue"]["hands"]
        assert [h["participant"] for h in hands] == [me]
        # A second tab: the same token at the same time is the same person again.
        tab = await connect(cluster.ws(0), a.resume_token)
        clients.append(tab)
        assert you(tab) == me
        people = [p for p in tab.welcome["snapshot"]["participants"] if p["role"] == "participant"]
        assert [p["id"] for p in people] == [me]
        # A mute holds for every tab of that person.
        await call(f, "participant.mute", {"participant": me})
        await seen(tab, "participant.muted")
        assert await refusal(tab, "statement.post", {"text": "hi"}) == "muted"
        assert await refusal(reloaded, "hand.raise") in ("muted", "hand_already_raised")
        # Closing every tab and coming back later does not lift the mute.
        await tab.close()
        await reloaded.close()
        back = await connect(cluster.ws(1), a.resume_token, "A new name")
        clients.append(back)
        assert you(back) == me
        mine = [p for p in back.welcome["snapshot"]["participants"] if p["id"] == me]
        assert [p["muted"] for p in mine] == [True]
        assert await refusal(back, "statement.post", {"text": "let me speak"}) == "muted"
        # A ban closes every tab and refuses the stored token at the next hello.
        second = await connect(cluster.ws(2), a.resume_token)
        clients.append(second)
        await call(f, "participant.remove", {"participant": me, "ban": True})
        for closed in (back, second):
            await until(lambda c=closed: c.close_code is not None, "the banned tabs to be closed")  # type: ignore[misc]
        assert await refused_hello(cluster.ws(1), a.resume_token) == "banned"
        assert await refused_hello(cluster.ws(0), a.resume_token, None) == "banned"
    finally:
        await close_all(clients)


# -- roll access -----------------------------------------------------------------------


async def test_roll_create_returns_one_personal_link_per_member(cluster: Cluster) -> None:
    created = await create(cluster, access="roll", roll=ROLL)
    links = created["links"]["personal"]
    assert [(m["name"], m["ref"]) for m in links[:3]] == [
        ("김민준", "A-1"), ("Lee Seo-yeon", "A-2"), ("Park", "A-3")
    ]  # fmt: skip
    assert links[3]["name"] == "Choi"
    assert links[3]["ref"]  # given by the server
    assert len({token_of(m["url"]) for m in links}) == 4
    roll = (await rest(cluster.base, "GET", f"/api/townhalls/{created['id']}/roll")).json()
    assert roll["access"] == "roll"
    assert [m["ref"] for m in roll["members"]] == [m["ref"] for m in links]
    town = (await rest(cluster.base, "GET", f"/api/townhalls/{created['id']}")).json()
    assert town["access"] == "roll"


async def test_roll_refuses_the_shared_participant_link(cluster: Cluster) -> None:
    created = await create(cluster, access="roll", roll=ROLL)
    shared = token_of(created["links"]["participant"])
    assert await refused_hello(cluster.ws(0), shared) == "roll_only"
    # Observers and facilitators come in as before.
    o = await connect(cluster.ws(1), token_of(created["links"]["observer"]))
    f = await connect(cluster.ws(2), token_of(created["links"]["facilitator"]), "F")
    await close_all([o, f])


async def test_roll_personal_link_from_two_devices_is_one_member(cluster: Cluster) -> None:
    created = await create(cluster, access="roll", roll=ROLL)
    f = await connect(cluster.ws(0), token_of(created["links"]["facilitator"]), "F")
    phone = await connect(cluster.ws(1), personal(created, "A-1"), "Not my name")
    laptop = await connect(cluster.ws(2), personal(created, "A-1"))
    clients = [f, phone, laptop]
    try:
        assert phone.welcome["you"] == laptop.welcome["you"]
        assert phone.welcome["you"]["name"] == "김민준"  # the roll's name, not the hello's
        member = you(phone)
        # The personal link is the member's resume token.
        assert phone.resume_token == personal(created, "A-1")
        await call(f, "session.start")
        await seen(laptop, "session.started")
        await call(phone, "hand.raise")
        await seen(laptop, "hand.raised")
        assert await refusal(laptop, "hand.raise") == "hand_already_raised"
        await call(laptop, "hand.lower")
        # A mute binds the member: every device, and a device that comes in later.
        await call(f, "participant.mute", {"participant": member})
        await seen(laptop, "participant.muted")
        assert await refusal(laptop, "statement.post", {"text": "x"}) == "muted"
        assert await refusal(phone, "question.ask", {"text": "y?"}) == "muted"
        tablet = await connect(cluster.ws(0), personal(created, "A-1"))
        clients.append(tablet)
        assert you(tablet) == member
        assert await refusal(tablet, "statement.post", {"text": "z"}) == "muted"
        await call(f, "participant.unmute", {"participant": member})
        await seen(tablet, "participant.unmuted")
        await call(tablet, "statement.post", {"text": "허락받은 발언"})
        # A ban binds the member: every device is closed, the link is refused.
        await call(f, "participant.remove", {"participant": member, "ban": True, "reason": "x"})
        for device in (phone, laptop, tablet):
            await until(lambda d=device: d.close_code is not None, "the member to be closed")  # type: ignore[misc]
        assert await refused_hello(cluster.ws(0), personal(created, "A-1")) == "banned"
        # Other members still come in.
        other = await connect(cluster.ws(1), personal(created, "A-2"))
        clients.append(other)
        assert other.welcome["you"]["name"] == "Lee Seo-yeon"
    finally:
        await close_all(clients)


async def test_roll_members_added_later_by_the_api(cluster: Cluster) -> None:
    created = await create(cluster, access="roll", roll=ROLL[:1])
    room = created["id"]
    added = await rest(
        cluster.base, "POST", f"/api/townhalls/{room}/roll", json={"members": [{"name": "New"}]}
    )
    assert added.status_code == 201, added.text
    url = added.json()["personal"][0]["url"]
    again = await rest(
        cluster.base, "POST", f"/api/townhalls/{room}/roll",
        json={"members": [{"name": "Dup", "ref": "A-1"}]},
    )  # fmt: skip
    assert (again.status_code, again.json()["code"]) == (409, "duplicate_ref")
    client = await connect(cluster.ws(2), token_of(url))
    assert client.welcome["you"]["name"] == "New"
    await client.close()


# -- proxies and votes -----------------------------------------------------------------


async def test_proxies_counted_once_each_and_refused_twice(cluster: Cluster) -> None:
    proxies = [{"from": "A-2", "to": "A-1"}]
    created = await create(cluster, access="roll", roll=ROLL, proxies=proxies)
    room = created["id"]
    path = f"/api/townhalls/{room}/proxies"
    twice = await rest(cluster.base, "POST", path, json={"from": "A-2", "to": "A-3"})
    assert (twice.status_code, twice.json()["code"]) == (409, "proxy_exists")
    chain = await rest(cluster.base, "POST", path, json={"from": "A-3", "to": "A-2"})
    assert (chain.status_code, chain.json()["code"]) == (409, "proxy_chain")
    unknown = await rest(cluster.base, "POST", path, json={"from": "Z-9", "to": "A-1"})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "member_not_found")
    listed = (await rest(cluster.base, "GET", path)).json()
    assert listed == {"proxies": [{"from": "A-2", "to": "A-1"}]}

    f = await connect(cluster.ws(0), token_of(created["links"]["facilitator"]), "F")
    holder = await connect(cluster.ws(1), personal(created, "A-1"))
    giver = await connect(cluster.ws(2), personal(created, "A-2"))
    third = await connect(cluster.ws(0), personal(created, "A-3"))
    clients = [f, holder, giver, third]
    try:
        assert holder.welcome["snapshot"]["you"]["proxies_held"] == [you(giver)]
        assert giver.welcome["snapshot"]["you"]["proxy_holder"] == you(holder)
        await call(f, "session.start")
        poll = {"question": "Adopt?", "kind": "yes_no_abstain", "eligible": "roll",
                "quorum_share": 0.75}  # fmt: skip
        q = (await call(f, "poll.create", poll))["result"]["poll"]
        await call(f, "poll.open", {"poll": q})
        for client in (holder, giver, third):
            await seen(client, "poll.opened")
        assert await refusal(giver, "poll.vote", {"poll": q, "choice": 0}) == "proxy_given"
        await call(holder, "poll.vote", {"poll": q, "choice": 0})
        await call(holder, "poll.vote", {"poll": q, "choice": 1})  # changed: still two
        await call(third, "poll.vote", {"poll": q, "choice": 0})
        await call(f, "poll.close", {"poll": q})
        await seen(f, "poll.closed")
        tally = [e for e in f.history if e["name"] == "poll.closed"][-1]["data"]["tally"]
        assert (tally["turnout"], tally["in_person"], tally["by_proxy"]) == (3, 2, 1)
        assert tally["counts"] == [1, 2, 0]
        assert tally["quorum_met"] is True  # 3 of 4 members: 0.75 of the roll
        # Proxies are fixed before the start.
        late = await rest(cluster.base, "DELETE", f"{path}/A-2")
        assert (late.status_code, late.json()["code"]) == (409, "session_not_scheduled")
    finally:
        await close_all(clients)


def last(client: Client, name: str, poll: str) -> dict[str, Any]:
    found = [
        e["data"]
        for e in client.history
        if e["name"] == name and poll in (e["data"].get("poll"), e["data"].get("id"))
    ]
    assert found, (name, poll)
    data: dict[str, Any] = found[-1]
    return data


async def test_eligible_present_or_roll_and_quorum_share_edges(cluster: Cluster) -> None:
    """Four members; Lee gave Kim their proxy; Kim and Park come, Lee and Choi do not."""
    roll = [*ROLL[:3], {"name": "Choi", "ref": "A-4"}]
    created = await create(
        cluster, access="roll", roll=roll, proxies=[{"from": "A-2", "to": "A-1"}]
    )
    f = await connect(cluster.ws(0), token_of(created["links"]["facilitator"]), "F")
    kim = await connect(cluster.ws(1), personal(created, "A-1"))
    park = await connect(cluster.ws(2), personal(created, "A-3"))
    clients = [f, kim, park]
    opened = 0

    async def poll(spec: dict[str, Any], voters: list[Client]) -> tuple[dict[str, Any], ...]:
        nonlocal opened
        body = {"question": f"Q{opened}", "kind": "yes_no_abstain", **spec}
        q = (await call(f, "poll.create", body))["result"]["poll"]
        await call(f, "poll.open", {"poll": q})
        opened += 1
        for c in voters:
            await seen(c, "poll.opened", opened)
            await call(c, "poll.vote", {"poll": q, "choice": 0})
        await call(f, "poll.close", {"poll": q})
        await until(lambda: any(
            e["name"] == "poll.closed" and e["data"]["poll"] == q for e in f.history
        ), "the poll to close")  # fmt: skip
        return last(f, "poll.opened", q), last(f, "poll.closed", q)["tally"]

    try:
        await call(f, "session.start")
        for c in (kim, park):
            await seen(c, "session.started")
        # present (the default): Kim, Park, and Lee whose holder is here; not Choi.
        view, tally = await poll({"quorum_share": 1}, [kim])
        assert (view["eligible"], view["electorate"], view["quorum_needed"]) == (3, "present", 3)
        assert (tally["turnout"], tally["in_person"], tally["by_proxy"]) == (2, 1, 1)
        assert tally["quorum_met"] is False  # 2 of 3: a share of 1 needs everyone
        # The same share reached: Park votes too.
        view, tally = await poll({"quorum_share": 1}, [kim, park])
        assert (tally["turnout"], tally["quorum_met"]) == (3, True)
        # roll: all four members, present or not; 0.5 of 4 is 2, reached by Kim alone.
        view, tally = await poll({"eligible": "roll", "quorum_share": 0.5}, [kim])
        assert (view["eligible"], view["electorate"], view["quorum_needed"]) == (4, "roll", 2)
        assert (tally["turnout"], tally["quorum_met"]) == (2, True)
        # Rounded up, exactly from the decimal: 0.2501 of 4 is 1.0004, so 2 ballots.
        view, tally = await poll({"eligible": "roll", "quorum_share": 0.2501}, [park])
        assert (view["quorum_needed"], tally["turnout"], tally["quorum_met"]) == (2, 1, False)
        # A share of 0 is no quorum: met with no ballot at all.
        view, tally = await poll({"quorum_share": 0}, [])
        assert (view["quorum_needed"], tally["turnout"], tally["quorum_met"]) == (0, 0, True)
        # Park leaves: no longer eligible under "present"; Lee still is, through Kim.
        await park.close()
        clients.remove(park)
        await until(lambda: any(
            e["name"] in ("participant.left", "attendance.recorded") for e in f.history
        ), "Park to leave")  # fmt: skip
        await asyncio.sleep(1)  # any grace period for a leaving socket passes
        view, tally = await poll({"quorum_share": 0.5}, [kim])
        assert (view["eligible"], view["quorum_needed"]) == (2, 1)
        assert (tally["turnout"], tally["by_proxy"], tally["quorum_met"]) == (2, 1, True)
        # Park comes back too late for that poll: not eligible for it.
        back = await connect(cluster.ws(2), personal(created, "A-3"))
        clients.append(back)
        q = await call(f, "poll.create", {"question": "Late", "kind": "yes_no_abstain"})
        q_id = q["result"]["poll"]
        await call(f, "poll.open", {"poll": q_id})
        late = await connect(cluster.ws(1), personal(created, "A-4"))  # Choi arrives now
        clients.append(late)
        assert await refusal(late, "poll.vote", {"poll": q_id, "choice": 0}) == "not_eligible"
    finally:
        await close_all(clients)


async def test_roll_import_from_csv_by_the_cli(cluster: Cluster, tmp_path: Path) -> None:
    created = await create(cluster, access="roll")
    room = created["id"]
    members = tmp_path / "members.csv"
    members.write_text("\ufeffname,ref\n정하늘,B-1\nJo,B-2\n\n", encoding="utf-8")
    out = await asyncio.to_thread(
        cli, "roll", "import", room, str(members), "--server", cluster.base
    )
    assert out.exit_code == 0, out.output
    lines = out.stdout.strip().splitlines()
    assert lines[0] == "name,ref,url"
    assert [line.split(",")[:2] for line in lines[1:]] == [["정하늘", "B-1"], ["Jo", "B-2"]]
    token = token_of(lines[1].split(",")[2])
    client = await connect(cluster.ws(1), token)
    assert client.welcome["you"]["name"] == "정하늘"
    await client.close()
    added = await asyncio.to_thread(
        cli, "proxy", "add", room, "B-2", "B-1", "--server", cluster.base
    )
    assert added.exit_code == 0, added.output
    listed = await asyncio.to_thread(cli, "proxy", "list", room, "--server", cluster.base)
    assert listed.stdout.strip() == "B-2 -> B-1"


async def test_roll_member_stays_present_while_one_device_is_connected(
    cluster: Cluster,
) -> None:
    created = await create(cluster, access="roll", roll=ROLL)
    f = await connect(cluster.ws(0), token_of(created["links"]["facilitator"]), "F")
    phone = await connect(cluster.ws(1), personal(created, "A-1"))
    laptop = await connect(cluster.ws(2), personal(created, "A-1"))
    clients = [f, laptop]
    try:
        member = you(laptop)
        await call(f, "session.start")
        await phone.close()  # on another worker than the laptop (with three)

        def present() -> bool:
            people = {p["id"]: p["status"] for p in f.welcome["snapshot"]["participants"]}
            status = people.get(member)
            for event in f.history:
                # Joins and leaves landing in one batch arrive as one attendance.recorded.
                for change in event["data"].get("changes") or [event["data"]]:
                    if change.get("participant") != member:
                        continue
                    if event["name"] == "participant.left" or change.get("status") == "left":
                        status = "left"
                    elif event["name"] == "participant.joined" or change.get("status") == "present":
                        status = "present"
            return status == "present"

        await asyncio.sleep(1)  # long enough for any leave (and a rejoin) to land
        await until(present, "the member to be present again")
        await seen(laptop, "session.started")
        await call(laptop, "hand.raise")
        poll = await call(f, "poll.create", {"question": "Q", "kind": "yes_no_abstain"})
        q = poll["result"]["poll"]
        await call(f, "poll.open", {"poll": q})
        await seen(laptop, "poll.opened")
        await call(laptop, "poll.vote", {"poll": q, "choice": 0})
    finally:
        await close_all(clients)
