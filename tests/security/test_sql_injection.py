"""Attack class: SQL injection. Ids in paths and commands, titles and texts full of SQL
reach the database only as bound parameters: a hostile id finds nothing, a hostile text
is stored and shown verbatim, and every other town hall is untouched."""

from __future__ import annotations

from urllib.parse import quote

from tests import services
from tests.townhall.scripted import call, close_all, connect, create_town, refusal, rest

PAYLOADS = [
    "' OR '1'='1",
    "'; DROP TABLE townhall; --",
    '" OR ""="',
    "1; DELETE FROM link WHERE 1=1",
    "x' UNION SELECT token_hash FROM link --",
    "%' OR 1=1 --",
]


async def test_hostile_ids_find_nothing_and_texts_stay_text(server: services.Worker) -> None:
    victim = await create_town(server.url, "Victim")
    for payload in PAYLOADS:
        for method in ("GET", "PATCH", "DELETE"):
            path = f"/api/townhalls/{quote(payload, safe='')}"
            response = await rest(server.url, method, path, json={} if method == "PATCH" else None)
            assert response.status_code in (404, 422), (method, payload)
        public = await rest(server.url, "GET", f"/api/public/townhalls/{quote(payload, safe='')}")
        assert public.status_code == 404
        created = await create_town(server.url, payload, [(payload, 60)])
        body = (await rest(server.url, "GET", f"/api/townhalls/{created.id}")).json()
        assert body["title"] == payload.strip()
    listed = (await rest(server.url, "GET", "/api/townhalls")).json()["townhalls"]
    assert victim.id in {t["id"] for t in listed}
    assert len(listed) >= len(PAYLOADS) + 1
    f = await connect(server.ws_url, victim.token("facilitator"))
    p = await connect(server.ws_url, victim.token("participant"), PAYLOADS[1])
    try:
        await call(f, "session.start")
        for payload in PAYLOADS:
            assert await refusal(f, "statement.hide", {"statement": payload, "reason": "x"}) in (
                "statement_not_found", "not_found",
            )  # fmt: skip
            posted = await call(p, "statement.post", {"text": payload})
            assert posted["result"]["statement"]
    finally:
        await close_all([f, p])
    again = await rest(server.url, "GET", f"/api/townhalls/{victim.id}")
    assert again.status_code == 200
