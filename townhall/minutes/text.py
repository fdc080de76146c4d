"""Participants' words as the minutes print them (Markdown, HTML, PDF).

Control characters stored before the input rule go (``clean_text``). Bidirectional
embeddings, overrides and isolates (U+202A-202E, U+2066-2069) are printed as visible
``[U+202E]`` marks, as the page draws them (frontend/js/dom.js): in a browser or a PDF
viewer "invoice\\u202efdp.exe" would read "invoiceexe.pdf". The data exports (JSON, CSV)
keep the words exactly.
"""

from __future__ import annotations

import re

from facilitation.text import clean_text

__all__ = ["readable"]

_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def readable(text: str) -> str:
    """``text`` without stored control characters, its bidi controls made visible."""
    return _BIDI_CONTROLS.sub(lambda m: f"[U+{ord(m.group()):04X}]", clean_text(text))
