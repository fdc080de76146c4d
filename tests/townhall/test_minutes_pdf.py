"""PDF minutes: the text (Korean included) is really in the file, with its font embedded."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.townhall.minutes_fixtures import archived_minutes
from townhall.minutes import FontNotFound, Minutes, render_pdf


@pytest.fixture(scope="module")
async def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[Minutes, Minutes]:
    return await archived_minutes(tmp_path_factory.mktemp("minutes"))


def _poppler(tool: str, pdf: bytes, tmp_path: Path, *args: str) -> str:
    binary = shutil.which(tool)
    if binary is None:
        pytest.fail(f"{tool} is missing: apt-get install poppler-utils")
    path = tmp_path / "minutes.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        [binary, *args, str(path), "-"] if tool == "pdftotext" else [binary, str(path)],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return done.stdout


def test_korean_pdf_contains_korean_text(both: tuple[Minutes, Minutes], tmp_path: Path) -> None:
    pdf = render_pdf(both[1])
    assert pdf.startswith(b"%PDF-")
    text = " ".join(_poppler("pdftotext", pdf, tmp_path).split())
    for expected in ("강변 공원 개선 타운홀 — 회의록", "김민수", "참석", "최대 참관자 수: 42",
                     "나무 그늘을 더 많이 만들어 주세요.", "정족수: 3 — 충족",
                     "반대 의견: One resident preferred the gardens"):  # fmt: skip
        assert expected in text


def test_korean_font_is_embedded(both: tuple[Minutes, Minutes], tmp_path: Path) -> None:
    fonts = _poppler("pdffonts", render_pdf(both[1]), tmp_path)
    rows = [line.split() for line in fonts.splitlines()[2:]]
    assert rows, fonts
    for row in rows:
        # name ... emb sub uni: embedded, subset, with a ToUnicode map (searchable text).
        assert row[-5:-2] == ["yes", "yes", "yes"], fonts
    assert any("CJK" in row[0] for row in rows)


def test_english_pdf_shows_polls_and_moderation(
    both: tuple[Minutes, Minutes], tmp_path: Path
) -> None:
    # -layout keeps table rows on one line, so a row reads left to right.
    text = " ".join(_poppler("pdftotext", render_pdf(both[0]), tmp_path, "-layout").split())
    expected = (
        "Riverside park renovation — Minutes", "Eligible: 4 · Turnout: 3 (75%)",
        "Plan A: playground 2 67%", "1 (eliminated)", "Result: East",
        "Hidden by Alice: personal attack", "removed Carol repeated abuse",
    )  # fmt: skip
    for fact in expected:
        assert fact in text
    assert "Everyone here is an idiot." not in text


def test_a_missing_font_fails_clearly(both: tuple[Minutes, Minutes], tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-font.ttc")
    with pytest.raises(FontNotFound, match="no font that can draw Korean") as caught:
        render_pdf(both[1], font=missing)
    assert missing in caught.value.tried
