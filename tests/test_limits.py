"""The size limits are declared once for the server (facilitation/limits.py) and mirrored
once for the browser (frontend/js/limits.js): the two must agree, and no UI part may
carry a limit of its own."""

from __future__ import annotations

import re
from pathlib import Path

from facilitation.limits import LIMITS

FRONTEND = Path(__file__).resolve().parents[1] / "frontend" / "js"


def test_the_browser_mirrors_every_server_limit() -> None:
    source = (FRONTEND / "limits.js").read_text()
    body = source.split("Object.freeze({", 1)[1].split("})", 1)[0]
    mirrored = {key: int(value) for key, value in re.findall(r"(\w+): (\d+),", body)}
    assert mirrored == LIMITS


def test_no_ui_part_declares_a_length_of_its_own() -> None:
    literal = re.compile(r"maxlength: \d")
    offenders = [
        f"{path.relative_to(FRONTEND)}:{n}"
        for path in sorted(FRONTEND.rglob("*.js"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if literal.search(line)
    ]
    assert offenders == []
    uses = sum("LIMITS." in p.read_text() for p in FRONTEND.rglob("*.js"))
    assert uses >= 7  # every form with a text field reads the shared limits
