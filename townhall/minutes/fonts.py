"""Finding a font that can draw Korean for the PDF minutes.

PDF viewers only have Latin-1 fonts built in, so the PDF embeds a CJK font. It is looked
up at run time: an explicit path, then ``TOWNHALL_MINUTES_FONT``, then the places Debian
and other distributions install Noto CJK, then fontconfig. A ``.ttc`` collection holds
several faces; the Korean one (KR) is chosen so Hangul gets Korean glyph shapes.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTCollection, TTFont  # type: ignore[import-untyped]

__all__ = ["FontFace", "FontNotFound", "find_cjk_font"]

ENV = "TOWNHALL_MINUTES_FONT"
KNOWN = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/System/Library/Fonts/AppleSDGothicNeo.ttc",
    "C:/Windows/Fonts/malgun.ttf",
)


class FontNotFound(RuntimeError):
    def __init__(self, tried: list[str]) -> None:
        super().__init__(
            "no font that can draw Korean was found for the PDF minutes; install Noto CJK "
            "(Debian: apt-get install fonts-noto-cjk) or set TOWNHALL_MINUTES_FONT to a "
            f".ttf/.otf/.ttc file. Tried: {', '.join(tried) or 'nothing'}"
        )
        self.tried = tried


@dataclass(frozen=True)
class FontFace:
    path: str
    index: int = 0  # face number inside a .ttc collection
    bold_path: str | None = None  # the matching bold file, when installed alongside


def _korean_face(path: str) -> int:
    if not path.lower().endswith(".ttc"):
        return 0
    collection = TTCollection(path, lazy=True)
    try:
        for index, face in enumerate(collection.fonts):
            family = str(face["name"].getDebugName(1) or "")
            if family.endswith(" KR") or "Korean" in family:
                return index
    finally:
        collection.close()
    return 0


def _covers_hangul(path: str, index: int) -> bool:
    try:
        font = TTFont(path, fontNumber=index, lazy=True)
    except Exception:  # any unreadable file is simply not a candidate
        return False
    try:
        return 0xAC00 in (font.getBestCmap() or {})  # "가", the first Hangul syllable
    finally:
        font.close()


def _bold_sibling(path: str) -> str | None:
    name = Path(path).name
    if "Regular" not in name:
        return None
    candidate = Path(path).with_name(name.replace("Regular", "Bold"))
    return str(candidate) if candidate.is_file() else None


def _fontconfig() -> str | None:
    binary = shutil.which("fc-match")
    if binary is None:
        return None
    try:
        found = subprocess.run(
            [binary, ":lang=ko", "--format=%{file}"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return found or None


@functools.lru_cache(maxsize=8)
def find_cjk_font(configured: str | None = None) -> FontFace:
    """The font to embed; raises ``FontNotFound`` if there is none on this machine."""
    tried: list[str] = []
    candidates = [configured, os.environ.get(ENV), *KNOWN]
    for path in candidates:
        if not path:
            continue
        tried.append(path)
        if Path(path).is_file():
            return FontFace(path, _korean_face(path), _bold_sibling(path))
        if path in (configured, os.environ.get(ENV)):
            raise FontNotFound(tried)  # a font that was asked for by name must exist
    found = _fontconfig()
    if found and Path(found).suffix.lower() in (".ttf", ".otf", ".ttc"):
        # fontconfig falls back to any font; only trust it if it really covers Hangul.
        index = _korean_face(found)
        if _covers_hangul(found, index):
            return FontFace(found, index, _bold_sibling(found))
    tried.append("fc-match :lang=ko")
    raise FontNotFound(tried)
