"""The SQL archive of a finished session (written once, at ``session.end``)."""

from __future__ import annotations

from townhall.archive.bundle import ArchiveBundle, ArchiveContent
from townhall.archive.writer import archive, pending_archives

__all__ = ["ArchiveBundle", "ArchiveContent", "archive", "pending_archives"]
