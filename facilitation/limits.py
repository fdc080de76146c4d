"""Every size limit of a room's commands, in one place.

The deciders, the wire codec, the organiser API and the hello's display name all read
these; the browser UI mirrors them in frontend/js/limits.js (tests/test_limits.py keeps
the two equal). Lengths are in characters, durations in seconds.

Every integer a command carries is also bounded (``MAX_INT``): a number past what a
32-bit SQL column holds used to be accepted live and then stopped the archive forever
(PostgreSQL refuses ``2**40`` in an INTEGER column, SQLite ``2**70``).
"""

from __future__ import annotations

__all__ = [
    "CHEER_INTERVAL_S",
    "DEFAULT_MAX_PARTICIPANTS",
    "LIMITS",
    "MAX_DESCRIPTION",
    "MAX_DOCUMENTS",
    "MAX_DOTS",
    "MAX_DURATION_S",
    "MAX_EXTEND_S",
    "MAX_ID",
    "MAX_INT",
    "MAX_LANGUAGE",
    "MAX_NAME",
    "MAX_OPTION",
    "MAX_OPTIONS",
    "MAX_PARTICIPANTS",
    "MAX_PRESENTERS",
    "MAX_PROPOSAL",
    "MAX_QUESTION",
    "MAX_REASON",
    "MAX_SCORE",
    "MAX_TEXT",
    "MAX_TITLE",
    "MAX_TURN_S",
    "MAX_URL",
]

MAX_TEXT = 2000  # a statement, a question, a transcript segment, a decision, a dissent
MAX_TITLE = 200  # a town hall's or an agenda item's title
MAX_DESCRIPTION = 2000  # a town hall's or an agenda item's description
MAX_NAME = 80  # a display name
MAX_ID = 200  # any id a command names
MAX_REASON = 500  # why a statement was hidden, someone muted or removed
MAX_QUESTION = 500  # a poll's question
MAX_OPTION = 200  # one poll option
MAX_OPTIONS = 50  # options of one poll
MAX_SCORE = 5  # the top score of a score poll
MAX_LANGUAGE = 35  # a BCP 47 language tag
MAX_DURATION_S = 24 * 3600  # an agenda item's planned duration
MAX_EXTEND_S = 3600  # one extension of an item or a turn
MAX_TURN_S = 3600  # a speaking turn's limit
MAX_PARTICIPANTS = 100_000  # the largest cap a room may set (room.settings)
DEFAULT_MAX_PARTICIPANTS = 10_000  # a room's cap on participants unless set
MAX_INT = 2**31 - 1  # any integer in a command (a signed 32-bit SQL INTEGER holds it)
MAX_DOTS = 100  # votes per person in a dot poll
MAX_PROPOSAL = MAX_OPTION  # a proposal (it may become a poll option)
MAX_PRESENTERS = 20  # presenters of one agenda item (each a name of MAX_NAME)
MAX_DOCUMENTS = 20  # documents of one agenda item (each a title of MAX_TITLE and a URL)
MAX_URL = 2000  # a document's address (http or https)
CHEER_INTERVAL_S = 1  # one participant's cheers at least this far apart

LIMITS: dict[str, int] = {
    "text": MAX_TEXT,
    "title": MAX_TITLE,
    "description": MAX_DESCRIPTION,
    "name": MAX_NAME,
    "id": MAX_ID,
    "reason": MAX_REASON,
    "question": MAX_QUESTION,
    "option": MAX_OPTION,
    "options": MAX_OPTIONS,
    "score": MAX_SCORE,
    "language": MAX_LANGUAGE,
    "duration_s": MAX_DURATION_S,
    "extend_s": MAX_EXTEND_S,
    "turn_s": MAX_TURN_S,
    "int": MAX_INT,
    "dots": MAX_DOTS,
    "proposal": MAX_PROPOSAL,
    "presenters": MAX_PRESENTERS,
    "documents": MAX_DOCUMENTS,
    "url": MAX_URL,
    "cheer_interval_s": CHEER_INTERVAL_S,
    "participants": MAX_PARTICIPANTS,
}
