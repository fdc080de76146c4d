"""What a text sent to the room may hold: the one rule for every string a person types.

NUL and the other C0 control characters (all but tab and newline) have no place in a
statement, a name or a title: PostgreSQL refuses NUL in text outright (a single one used
to stop a session's archive forever), and the rest reach terminals, CSV cells and
Markdown raw. Lone UTF-16 surrogates (``"\\ud800"`` is valid JSON) cannot be encoded as
UTF-8 at all, so no database stores them. Both are refused with ``invalid_data``.
"""

from __future__ import annotations

import re

__all__ = ["bad_character", "clean_text"]

# C0 controls except tab (0x09) and newline (0x0a), DEL, and the surrogate range.
_BAD = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")


def bad_character(value: str) -> str | None:
    """The first character ``value`` may not hold, as ``U+XXXX``; None when it is clean."""
    found = _BAD.search(value)
    return None if found is None else f"U+{ord(found.group()):04X}"


def clean_text(value: str) -> str:
    """``value`` without the characters ``bad_character`` refuses (for exports of data
    stored before the rule existed)."""
    return _BAD.sub("", value)
