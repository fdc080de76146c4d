"""The minutes exporter used by the minutes endpoints: archive in, document bytes out."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from anyio import to_thread

from facilitation.record import sealed
from townhall import rooms
from townhall.db import SessionFactory
from townhall.minutes import (
    Minutes,
    MinutesNotFound,
    filing,
    load_minutes,
    render_csv,
    render_html,
    render_json,
    render_markdown,
    render_pdf,
)

__all__ = [
    "FORMATS",
    "Format",
    "MinutesExporter",
    "Progress",
    "RenderJob",
    "RenderJobs",
    "VersionNotFound",
    "public_edition",
    "sql_exporter",
]

Progress = Callable[[float], None]  # told 0..1 as a document is rendered (any thread)


class VersionNotFound(LookupError):
    """The minutes have no such version."""


class MinutesExporter(Protocol):
    """(room, format, public, version, progress) -> the document. Raises
    townhall.minutes.MinutesNotFound before the archive exists, VersionNotFound for a
    version that was never made, and townhall.minutes.FontNotFound when a PDF cannot draw
    Korean. ``public`` is the open-data edition (see ``public_edition``); ``version``
    None is the latest."""

    async def __call__(
        self,
        room: str,
        fmt: str,
        public: bool,
        version: int | None = None,
        progress: Progress | None = None,
    ) -> bytes: ...


@dataclass(frozen=True)
class Format:
    media_type: str
    filename: str  # ``{room}`` is replaced by the town hall id


FORMATS: dict[str, Format] = {
    "md": Format("text/markdown; charset=utf-8", "townhall-{room}-minutes.md"),
    "html": Format("text/html; charset=utf-8", "townhall-{room}-minutes.html"),
    "pdf": Format("application/pdf", "townhall-{room}-minutes.pdf"),
    "json": Format("application/json", "townhall-{room}-minutes.json"),
    "csv": Format("text/csv; charset=utf-8", "townhall-{room}-transcript.csv"),
}


# A question whose text the public never saw: hidden, dismissed, or still awaiting approval.
WITHHELD_QUESTIONS = frozenset({"hidden", "dismissed", "pending"})


def public_edition(minutes: Minutes) -> Minutes:
    """The minutes as published without a key: a hidden statement keeps its place, author,
    time and the reason it was hidden, but not its text; so do a hidden proposal and a
    question hidden, dismissed or never approved. An anonymous question loses its asker.
    The human formats already print only that a text was hidden; the JSON and CSV keep
    the text for the organiser's record. In the record, the withheld text's event carries
    the text's SHA-256 instead, which is what the chain hashes anyway: the public edition
    verifies as well."""
    statements = tuple(
        dataclasses.replace(s, text="") if s.hidden else s for s in minutes.statements
    )
    proposals = tuple(
        dataclasses.replace(x, text="") if x.status == "hidden" else x for x in minutes.proposals
    )
    questions = tuple(
        dataclasses.replace(
            q,
            text="" if q.status in WITHHELD_QUESTIONS else q.text,
            participant="" if q.anonymous else q.participant,
        )
        for q in minutes.questions
    )
    withheld = {
        "statement.posted": {s.id for s in minutes.statements if s.hidden},
        "proposal.submitted": {x.id for x in minutes.proposals if x.status == "hidden"},
        "question.asked": {q.id for q in minutes.questions if q.status in WITHHELD_QUESTIONS},
    }
    key = {"statement.posted": "statement", "proposal.submitted": "proposal",
           "question.asked": "question"}  # fmt: skip
    record = minutes.record
    if record is not None and any(withheld.values()):
        events = tuple(
            dataclasses.replace(e, data=sealed(e.data))
            if e.name in withheld and e.data.get(key[e.name]) in withheld[e.name]
            else e
            for e in record.events
        )
        record = dataclasses.replace(record, events=events)
    return dataclasses.replace(
        minutes, statements=statements, proposals=proposals, questions=questions, record=record
    )


def _render(
    minutes: Minutes, fmt: str, pdf_font: str | None, progress: Progress | None = None
) -> bytes:
    if fmt == "pdf":
        return render_pdf(minutes, font=pdf_font, progress=progress)
    text = {
        "md": render_markdown,
        "html": render_html,
        "json": render_json,
        "csv": render_csv,
    }[fmt](minutes)
    return text.encode()


def sql_exporter(sessions: SessionFactory, *, pdf_font: str | None = None) -> MinutesExporter:
    """Minutes rendered from the SQL archive; rendering runs in a worker thread so a long
    PDF does not stall the event loop that also serves the live rooms."""

    async def export(
        room: str,
        fmt: str,
        public: bool,
        version: int | None = None,
        progress: Progress | None = None,
    ) -> bytes:
        if fmt not in FORMATS:
            raise ValueError(f"unknown minutes format {fmt!r}")
        if await rooms.archived_at(sessions, room) is None:
            raise MinutesNotFound(room, "not archived")
        # Rendered once per version (and edition): a long PDF is made once, then served.
        every = await filing.versions(sessions, room)
        chosen = (
            every[-1] if version is None else next((v for v in every if v.version == version), None)
        )
        if chosen is None:
            raise VersionNotFound(room, version)
        hit = await filing.cached(sessions, room, chosen.version, fmt, public)
        if hit is not None:
            return hit
        minutes = filing.apply(await load_minutes(sessions, room), chosen)
        if public:
            minutes = public_edition(minutes)
        content = await to_thread.run_sync(_render, minutes, fmt, pdf_font, progress)
        await filing.remember(sessions, room, chosen.version, fmt, public, content)
        return content

    return export


@dataclass
class RenderJob:
    """One document being rendered in the background; ``progress`` runs 0..1."""

    progress: float = 0.0
    task: asyncio.Task[bytes] | None = field(default=None, repr=False)

    def tell(self, value: float) -> None:  # from the render thread: a float store
        self.progress = max(self.progress, min(1.0, value))


class RenderJobs:
    """Renders started by ``POST .../minutes/render``, one per document, in this worker.

    A job runs as a task (the render itself in a thread), so the request that started it
    answers at once with the progress; later requests read the same job. A finished job
    leaves its document in the render cache (minutes_render) and is forgotten once
    collected; one found done again (the cache was dropped since, by an approval) starts
    over; a failed one hands its error to the next request, then is forgotten.
    """

    def __init__(self) -> None:
        self._jobs: dict[tuple[str, int, str, bool], RenderJob] = {}

    def start(
        self,
        key: tuple[str, int, str, bool],
        render: Callable[[Progress], Awaitable[bytes]],
    ) -> RenderJob:
        job = self._jobs.get(key)
        if job is not None and job.task is not None and job.task.done():
            failed = not job.task.cancelled() and job.task.exception() is not None
            if not failed:  # its document went to the cache, since dropped: render again
                job = None
        if job is None:
            job = self._jobs[key] = RenderJob()
            job.task = asyncio.ensure_future(render(job.tell))
        return job

    def collect(self, key: tuple[str, int, str, bool]) -> bytes | None:
        """The document once the job is done (then forgotten); raises the render's error."""
        job = self._jobs.get(key)
        if job is None or job.task is None or not job.task.done():
            return None
        del self._jobs[key]
        return job.task.result()
