"""Uploaded documents (SPEC §9): PDFs and images checked by their first bytes, a size cap,
served as attachments with nosniff; on SQLite and PostgreSQL (the files live in SQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.townhall.api_harness import BASE, Harness, harness
from townhall.api.uploads import clean_filename, content_disposition, sniff

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
CAP = 4096


@pytest.fixture
async def api(db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(db_url, tmp_path, upload_max_bytes=CAP) as h:
        yield h


async def upload(api: Harness, room: str, data: bytes, media: str, name: str = "budget.pdf") -> Any:
    return await api.client.post(
        f"/api/townhalls/{room}/uploads",
        params={"filename": name},
        content=data,
        headers={**api.auth(), "content-type": media},
    )


async def test_a_pdf_is_uploaded_and_served_as_an_attachment(api: Harness) -> None:
    room = (await api.create())["id"]
    response = await upload(api, room, PDF, "application/pdf", '예산 2027 "final";.pdf')
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["content_type"] == "application/pdf"
    assert body["size"] == len(PDF)
    assert body["url"].startswith(f"{BASE}/api/townhalls/{room}/uploads/")
    path = body["url"].removeprefix(BASE)
    served = await api.client.get(path)  # no key: the URL is the permission
    assert served.status_code == 200
    assert served.content == PDF
    assert served.headers["content-type"] == "application/pdf"
    assert served.headers["x-content-type-options"] == "nosniff"
    disposition = served.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    assert "filename*=UTF-8''%EC%98%88%EC%82%B0" in disposition
    assert disposition.count('"') == 2  # the name cannot break out of its quotes
    assert "sandbox" in served.headers["content-security-policy"]
    listed = (await api.client.get(f"/api/townhalls/{room}/uploads", headers=api.auth())).json()
    assert [u["id"] for u in listed["uploads"]] == [body["id"]]
    assert listed["uploads"][0]["filename"] == body["filename"]


async def test_an_image_is_stored_with_the_type_its_bytes_show(api: Harness) -> None:
    room = (await api.create())["id"]
    response = await upload(api, room, PNG, "image/png", "../../etc/plan.exe")
    assert response.status_code == 201
    assert response.json()["filename"] == "plan.png"


async def test_a_file_over_the_cap_is_refused_and_nothing_is_kept(api: Harness) -> None:
    room = (await api.create())["id"]
    big = PDF + b"0" * CAP
    response = await upload(api, room, big, "application/pdf")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert f"{CAP:,}" in response.json()["message"]

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
        for _ in range(4):
            yield PDF + b"x" * (CAP // 2)

    response = await api.client.post(
        f"/api/townhalls/{room}/uploads", content=chunked(),
        headers={**api.auth(), "content-type": "application/pdf"},
    )  # fmt: skip
    assert response.status_code == 413
    listed = (await api.client.get(f"/api/townhalls/{room}/uploads", headers=api.auth())).json()
    assert listed["uploads"] == []


@pytest.mark.parametrize(
    ("data", "media"),
    [
        (b"<html><script>alert(1)</script></html>", "application/pdf"),  # says PDF, is not
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),  # not allowed
        (PNG, "application/pdf"),  # a PNG sent as a PDF
        (PDF, "text/html"),
        (PDF, ""),
        (b"RIFF\x00\x00\x00\x00WAVE", "image/webp"),  # a RIFF that is not WebP
    ],
)
async def test_a_file_of_another_type_is_refused(api: Harness, data: bytes, media: str) -> None:
    room = (await api.create())["id"]
    response = await upload(api, room, data, media)
    assert response.status_code == 415
    assert response.json()["code"] == "type_not_allowed"
    listed = (await api.client.get(f"/api/townhalls/{room}/uploads", headers=api.auth())).json()
    assert listed["uploads"] == []


async def test_uploads_need_the_owner_and_go_with_the_town_hall(api: Harness) -> None:
    room = (await api.create())["id"]
    anonymous = await api.client.post(
        f"/api/townhalls/{room}/uploads", content=PDF, headers={"content-type": "application/pdf"}
    )
    assert anonymous.status_code == 401
    url = (await upload(api, room, PDF, "application/pdf")).json()["url"].removeprefix(BASE)
    assert (await api.client.get(url + "x")).status_code == 404
    assert (await api.client.delete(url)).status_code == 401
    deleted = await api.client.delete(f"/api/townhalls/{room}", headers=api.auth())
    assert deleted.status_code == 204
    assert (await api.client.get(url)).status_code == 404


async def test_deleting_an_upload(api: Harness) -> None:
    room = (await api.create())["id"]
    url = (await upload(api, room, PDF, "application/pdf")).json()["url"].removeprefix(BASE)
    assert (await api.client.delete(url, headers=api.auth())).status_code == 204
    assert (await api.client.get(url)).status_code == 404
    assert (await api.client.delete(url, headers=api.auth())).status_code == 404


async def test_an_upload_becomes_a_document_of_an_agenda_item(api: Harness) -> None:
    room = (await api.create())["id"]
    url = (await upload(api, room, PDF, "application/pdf")).json()["url"]
    agenda = [{"title": "Budget", "duration_s": 600,
               "documents": [{"title": "Budget (PDF)", "url": url}]}]  # fmt: skip
    patched = await api.client.patch(
        f"/api/townhalls/{room}", json={"agenda": agenda}, headers=api.auth()
    )
    assert patched.status_code == 200, patched.text
    added = [data for type, data in api.rooms.commands(room) if type == "agenda.add"]
    assert added[-1]["documents"] == [{"title": "Budget (PDF)", "url": url}]


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "/api/townhalls/x/uploads/y", "ftp://a.example/x", "https://"]
)
async def test_a_document_that_is_not_a_web_address_is_refused(api: Harness, url: str) -> None:
    agenda = [{"title": "B", "duration_s": 60, "documents": [{"title": "T", "url": url}]}]
    response = await api.client.post(
        "/api/townhalls", json={"title": "x", "agenda": agenda}, headers=api.auth()
    )
    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == "agenda.0.documents.0.url"


def test_sniffing_and_names() -> None:
    assert sniff(b"GIF89a...") == "image/gif"
    assert sniff(b"\xff\xd8\xff\xe0") == "image/jpeg"
    assert sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff(b"MZ\x90\x00") is None
    assert clean_filename("", "application/pdf") == "document.pdf"
    assert clean_filename("C:\\Users\\kim\\plan.v2.PDF", "application/pdf") == "plan.v2.pdf"
    assert clean_filename("a\x00b\u202e.pdf", "application/pdf") == "ab.pdf"
    assert content_disposition('x";y.pdf') == (
        "attachment; filename=\"x__y.pdf\"; filename*=UTF-8''x%22%3By.pdf"
    )
