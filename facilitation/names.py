"""Display names that cannot pass for someone they are not.

A participant named "Facilitator", "system", a facilitator's own name, or nothing but
an invisible Hangul filler (U+3164) looked like staff or like no one. ``name_problem``
refuses, for participants: a name that is empty once invisible characters and fillers
are removed (``invalid_name``), and a name that is, case and width aside, a staff word
or a facilitator's name in the room (``name_reserved``). Two participants may still
share a name; the page marks such duplicates.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import lru_cache

__all__ = ["RESERVED", "name_problem", "visible"]

# Characters that draw nothing (format and control characters, combining marks alone,
# line and paragraph separators) and the fillers that look like a blank.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs", "Mn", "Me"})
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e\u034f")

RESERVED = frozenset(
    {
        "facilitator", "facilitators", "organiser", "organizer", "moderator", "admin",
        "administrator", "system", "server", "host", "chair", "townhall", "observer",
        "진행자", "사회자", "관리자", "운영자", "시스템", "주최자",
    }
)  # fmt: skip


def visible(name: str) -> str:
    """``name`` as it reads: width-folded (NFKC), without what draws nothing."""
    folded = unicodedata.normalize("NFKC", name)
    return "".join(
        c for c in folded if c not in _FILLERS and unicodedata.category(c) not in _INVISIBLE
    )


def name_problem(name: str, staff_names: Iterable[str]) -> str | None:
    """The refusal code for a participant's display name, or None when it may be used."""
    seen = _reads_as(name)
    if not seen:
        return "invalid_name"
    if seen in RESERVED or any(seen == _reads_as(s) for s in staff_names):
        return "name_reserved"
    return None


@lru_cache(maxsize=4096)
def _reads_as(name: str) -> str:
    """``visible(name)``, case-folded: remembered, since every join compares its name
    with the same facilitators' names (a join storm checked them thousands of times)."""
    return visible(name).casefold()
