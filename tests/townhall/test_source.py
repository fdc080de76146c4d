"""AGPL-3.0 section 13: the server offers its own source; the license is in the tree."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from starlette.testclient import TestClient

from townhall.app import create_app
from townhall.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_the_license_is_the_full_agpl_3_0() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.lstrip().startswith("GNU AFFERO GENERAL PUBLIC LICENSE")
    assert "13. Remote Network Interaction; Use with the GNU General Public License." in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert len(text.splitlines()) == 661
    assert 'license = "AGPL-3.0-or-later"' in (ROOT / "pyproject.toml").read_text()


def test_the_server_hands_out_the_source_it_runs(tmp_path: Path) -> None:
    with TestClient(create_app(load_settings(data_dir=tmp_path))) as client:
        link = client.get("/source", follow_redirects=False)
        assert link.status_code == 302
        assert link.headers["location"] == "/source.tar.gz"
        archive = client.get("/source.tar.gz")
        page = client.get("/").text
    assert archive.status_code == 200
    assert 'href="/source"' in page
    with tarfile.open(fileobj=io.BytesIO(archive.content)) as tar:
        names = set(tar.getnames())
        served = tar.extractfile("townhall-0.1.0/townhall/source.py")
        assert served is not None
        assert served.read() == (ROOT / "townhall" / "source.py").read_bytes()
    for name in ("LICENSE", "pyproject.toml", "uv.lock", "realtime/server.py",
                 "facilitation/room.py", "frontend/index.html"):  # fmt: skip
        assert f"townhall-0.1.0/{name}" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_the_source_link_can_point_elsewhere(tmp_path: Path) -> None:
    url = "https://code.example.org/our-townhall"
    with TestClient(create_app(load_settings(data_dir=tmp_path, source_url=url))) as client:
        link = client.get("/source", follow_redirects=False)
    assert link.headers["location"] == url
