"""Who may call what: every organiser endpoint refuses a missing, wrong or revoked key;
the open-data endpoints need none. And the OpenAPI document covers every endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from openapi_spec_validator import validate

from tests.townhall.api_harness import Harness, harness
from townhall.api import endpoints
from townhall.db.models import metadata

ORGANISER = [e for e in endpoints() if e.auth]
OPEN = [e for e in endpoints() if not e.auth and e.method == "GET"]
VALID_BODY: dict[str, dict[str, Any]] = {
    "create_townhall": {"title": "x"},
    "patch_townhall": {"title": "y"},
    "rotate_links": {"roles": ["observer"]},
    "add_to_roll": {"members": [{"name": "Kim"}]},
    "add_proxy": {"from": "A-1", "to": "A-2"},
    "approve_minutes": {"approved_by": "Clerk"},
    "correct_minutes": {"corrections": "A name was misspelt."},
    "render_minutes": {"format": "pdf"},
}


@pytest.fixture
async def api(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(sqlite_url, tmp_path) as h:
        yield h


async def _path(api: Harness, template: str, *, public: bool = False) -> str:
    if "{id}" not in template:
        return template
    starts = "2031-05-04T19:00:00+09:00"  # the calendar lists town halls with a start
    room = (await api.create(visibility="public" if public else "private", starts_at=starts))["id"]
    return template.replace("{id}", room).replace("{role}", "participant")


@pytest.mark.parametrize("endpoint", ORGANISER, ids=lambda e: f"{e.method} {e.path}")
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"authorization": "Bearer thk_wrong"},
        {"authorization": "Bearer "},
        {"authorization": "Basic dXNlcjpwYXNz"},
        {"authorization": "thk_no_scheme"},
    ],
    ids=["missing", "wrong", "empty", "basic", "no-scheme"],
)
async def test_organiser_endpoints_refuse_without_a_valid_key(
    api: Harness, endpoint: Any, headers: dict[str, str]
) -> None:
    path = await _path(api, endpoint.path)
    response = await api.client.request(endpoint.method, path, json={"title": "x"}, headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"
    assert "thk_wrong" not in response.text


@pytest.mark.parametrize("endpoint", ORGANISER, ids=lambda e: f"{e.method} {e.path}")
async def test_organiser_endpoints_accept_a_valid_key(api: Harness, endpoint: Any) -> None:
    path = await _path(api, endpoint.path)
    if endpoint.raw_body:  # a file, not JSON
        pdf = {"content-type": "application/pdf"}
        response = await api.client.request(
            endpoint.method, path, content=b"%PDF-1.4\n", headers={**api.auth(), **pdf}
        )
    else:
        response = await api.client.request(
            endpoint.method, path, json=VALID_BODY.get(endpoint.name), headers=api.auth()
        )
    # Success, or an answer about the resource itself (minutes before the archive, a
    # proxy of members this town hall does not have, a file never uploaded).
    assert response.status_code in (endpoint.status, 404, 409), response.text
    if response.status_code == 409:
        assert response.json()["code"] == "not_archived"
    if response.status_code == 404:
        expected = "not_found" if "{upload}" in endpoint.path else "member_not_found"
        assert response.json()["code"] == expected


async def test_a_revoked_key_is_refused(api: Harness) -> None:
    assert (await api.client.get("/api/townhalls", headers=api.auth())).status_code == 200
    async with api.sessions.begin() as session:
        await session.execute(
            sa.update(metadata.tables["api_key"]).values(revoked_at=datetime.now(UTC))
        )
    response = await api.client.get("/api/townhalls", headers=api.auth())
    assert response.status_code == 401


@pytest.mark.parametrize("endpoint", OPEN, ids=lambda e: f"{e.method} {e.path}")
async def test_open_endpoints_answer_without_a_key(api: Harness, endpoint: Any) -> None:
    path = await _path(api, endpoint.path, public=True)
    if "{upload}" in path:  # a file uploaded with a key, downloaded without one
        room = path.split("/")[3]
        uploaded = await api.client.post(
            f"/api/townhalls/{room}/uploads", content=b"%PDF-1.4\n",
            headers={**api.auth(), "content-type": "application/pdf"},
        )  # fmt: skip
        path = path.replace("{upload}", uploaded.json()["id"])
    response = await api.client.get(path)
    assert response.status_code in (200, 409), response.text
    if response.status_code == 409:
        assert response.json()["code"] == "not_archived"


async def test_unknown_api_paths_and_methods_answer_json(api: Harness) -> None:
    response = await api.client.get("/api/nothing/here")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    response = await api.client.put("/api/townhalls", headers=api.auth())
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert response.headers["allow"] == "GET, POST"
    assert (await api.client.head("/api/public/townhalls")).status_code == 200


async def _document(api: Harness) -> dict[str, Any]:
    response = await api.client.get("/api/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


async def test_the_openapi_document_is_valid_and_covers_every_endpoint(api: Harness) -> None:
    document = await _document(api)
    validate(document)
    assert document["openapi"] == "3.1.0"
    documented = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    assert documented == {(e.method, e.path) for e in endpoints()}
    for e in ORGANISER:
        operation = document["paths"][e.path][e.method.lower()]
        assert operation["security"] == [{"organiserKey": []}]
        assert "401" in operation["responses"]
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)  # raises, naming the bad keyword


def _validator(document: dict[str, Any], path: str, method: str, status: int) -> Any:
    schema = document["paths"][path][method]["responses"][str(status)]["content"]
    return Draft202012Validator(
        {**schema["application/json"]["schema"], "components": document["components"]}
    )


async def test_answers_match_the_documented_schemas(api: Harness) -> None:
    document = await _document(api)
    body = {"title": "x", "agenda": [{"title": "a", "duration_s": 60}], "visibility": "public"}
    created = await api.client.post("/api/townhalls", json=body, headers=api.auth())
    _validator(document, "/api/townhalls", "post", 201).validate(created.json())
    one = await api.client.get(f"/api/townhalls/{created.json()['id']}", headers=api.auth())
    _validator(document, "/api/townhalls/{id}", "get", 200).validate(one.json())
    public = await api.client.get("/api/public/townhalls")
    _validator(document, "/api/public/townhalls", "get", 200).validate(public.json())
    refused = await api.client.post("/api/townhalls", json={"title": ""}, headers=api.auth())
    _validator(document, "/api/townhalls", "post", 422).validate(refused.json())
    request = document["paths"]["/api/townhalls"]["post"]["requestBody"]["content"]
    Draft202012Validator(
        {**request["application/json"]["schema"], "components": document["components"]}
    ).validate(body)
