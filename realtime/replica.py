"""One room as this worker holds it: state at the log head, recent history, connections.

``apply`` is the single path through which records reach a room, whoever appended
them (this worker's command, another worker's via the watcher, a catch-up after a
conflict). It folds each record into the state and fans it out in seq order, so every
connection gets every record exactly once and in order. Everything that touches a room
runs under its ``lock``, which is also the ordering point a welcome is taken at.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from realtime.application import Domain, Principal
from realtime.fanout import Outbox, RoomFanout
from realtime.log.contract import Record
from realtime.wire import Event, Resume, Resync, Welcome, encode, timestamp

__all__ = ["Applied", "Entry", "Replica"]

S = TypeVar("S")
# (room, the records just applied, the state after them): Engine.on_applied
Applied = Callable[[str, list[Record], S], None]
REPLAY_BUDGETS = 4  # a resume's replay may be up to this many byte budgets of its outbox


class Entry(Generic[S]):
    """A record, the domain's event it holds and the state right after it, kept for
    replay to resuming clients.

    Keeping the state (immutable, structurally shared) lets a replay render the event
    for any audience exactly as it was rendered live, without refolding the log.
    """

    __slots__ = ("event", "frames", "record", "state")

    def __init__(self, record: Record, event: Any, state: S) -> None:
        self.record = record
        self.event = event
        self.state = state
        self.frames: dict[str, str | None] = {}

    def frame(self, domain: Domain[S, Any], view: str) -> str | None:
        """The event as ``view`` (``Domain.view`` of an audience) shows it, encoded once."""
        try:
            return self.frames[view]
        except KeyError:
            pass
        text = self._encode(domain.render(self.state, self.event, view))
        self.frames[view] = text
        return text

    def replayed(self, domain: Domain[S, Any], view: str, now: S) -> str | None:
        """The event as a replay at ``now`` sends it: re-rendered (not cached) when
        something it showed was withdrawn since (a hidden statement's text)."""
        if not domain.stale(self.state, now):
            return self.frame(domain, view)
        return self._encode(domain.replay(self.state, now, self.event, view))

    def _encode(self, data: dict[str, Any] | None) -> str | None:
        if data is None:
            return None
        rec = self.record
        # Clients see only the command id they chose, never the sender's identity key
        # that scopes it in the log (which could link a secret vote to a voter). A key
        # with an empty client part names no cause to anyone (townhall's votes: their
        # command id would otherwise reach every client).
        cause = (rec.cause.rpartition(":")[2] or None) if rec.cause else None
        at = timestamp(rec.at)
        return encode(Event(seq=rec.seq, name=rec.name, data=data, at=at, cause=cause))


class Replica(Generic[S]):
    __slots__ = (
        "applied",
        "conns",
        "domain",
        "epoch",
        "fanout",
        "head",
        "lock",
        "members",
        "name",
        "state",
        "watcher",
        "window",
    )

    def __init__(
        self, name: str, domain: Domain[S, Any], window: int, applied: Applied[S] | None = None
    ) -> None:
        self.name = name
        self.domain = domain
        self.epoch = ""
        self.state: S = domain.initial(name)
        self.head = 0
        self.lock = asyncio.Lock()
        self.window: deque[Entry[S]] = deque(maxlen=window)
        self.fanout = RoomFanout()
        self.conns: dict[Outbox, Principal] = {}
        self.members: dict[str, int] = {}  # principal key -> open connections on this worker
        self.applied = applied  # told of every record applied, after its fan-out
        self.watcher: asyncio.Task[None] | None = None

    def reset(self, epoch: str) -> None:
        """Start over from an empty log in ``epoch`` (first load, or after a trim)."""
        self.epoch = epoch
        self.state = self.domain.initial(self.name)
        self.head = 0
        self.window.clear()

    def apply(
        self,
        records: list[Record],
        publish: bool = True,
        decided: list[tuple[Any, S]] | None = None,
    ) -> None:
        """Fold records (seq head+1..) into the state and fan each out, in order
        (``publish=False``: a rebuild whose connections get a fresh snapshot instead).

        ``decided``: for records this worker's batch just appended, each one's event
        and the state after it, as the batch folded them when deciding: adopted as they
        are, so a command's events are decoded and folded once. Other records are
        loaded and folded here."""
        domain = self.domain
        fanout = self.fanout
        # A batch is rendered once per audience and joined once: every connection then
        # gets one push for the whole batch instead of one per event (a vote storm
        # appends dozens of ballots per batch to rooms of thousands).
        # Audiences that share a view (e.g. participants and observers) share its texts.
        audiences: dict[str, list[str]] = {}
        for audience in fanout.active() if publish else ():
            audiences.setdefault(domain.view(audience), []).append(audience)
        frames: dict[str, list[str]] = {view: [] for view in audiences}
        # A view's batch is lazy when every event in it is (Domain.lazy): it may wait
        # for the flusher's next pass over those connections (fanout.Flusher).
        urgent: set[str] = set()
        applied: list[Record] = []
        try:
            for i, record in enumerate(records):
                if record.seq <= self.head:
                    continue  # already applied (a read overlapping an append of ours)
                if record.seq != self.head + 1:
                    raise RuntimeError(f"room {self.name}: gap at seq {self.head + 1}")
                if decided is None:
                    event = domain.load(record)
                    self.state = domain.apply(self.state, event)
                else:
                    event, self.state = decided[i]
                applied.append(record)
                self.head = record.seq
                entry = Entry(record, event, self.state)
                self.window.append(entry)
                for view, texts in frames.items():
                    text = entry.frame(domain, view)
                    if text is not None:
                        texts.append(text)
                        if view not in urgent and not domain.lazy(event, view):
                            urgent.add(view)
        finally:
            # Whatever was applied is sent, even if a later record of the batch fails.
            for view, texts in frames.items():
                if not texts:
                    continue
                chunk = texts[0] if len(texts) == 1 else ",".join(texts)
                lazy = view not in urgent
                for audience in audiences[view]:
                    fanout.publish(audience, chunk, len(texts), lazy)
            if applied and self.applied is not None:
                self.applied(self.name, applied, self.state)

    def replay(self, after: int, audience: str) -> list[str] | None:
        """Encoded events after ``after`` up to the head, or None if the window misses some."""
        view = self.domain.view(audience)
        if after == self.head:
            return []
        if after > self.head or not self.window or self.window[0].record.seq > after + 1:
            return None
        frames: list[str] = []
        now = self.state
        for entry in self.window:
            if entry.record.seq > after:
                text = entry.replayed(self.domain, view, now)
                if text is not None:
                    frames.append(text)
        return frames

    def join(self, principal: Principal, outbox: Outbox) -> None:
        self.conns[outbox] = principal
        self.fanout.add(principal.audience, outbox)
        self.members[principal.key] = self.members.get(principal.key, 0) + 1

    def leave(self, principal: Principal, outbox: Outbox) -> bool:
        """Unregister; True when it was the principal's last connection here."""
        if self.conns.pop(outbox, None) is None:
            return False
        self.fanout.discard(principal.audience, outbox)
        left = self.members.get(principal.key, 1) - 1
        if left > 0:
            self.members[principal.key] = left
            return False
        self.members.pop(principal.key, None)
        return True

    def snapshot(self, principal: Principal) -> str:
        """A full welcome: the snapshot at the head, as this principal may see it."""
        welcome = Welcome(
            you=principal.you,
            resume_token=principal.resume_token,
            snapshot=self.domain.snapshot(self.state, principal),
            epoch=self.epoch,
            seq=self.head,
        )
        return encode(welcome)

    def send_snapshot(self, principal: Principal, outbox: Outbox) -> None:
        full = self.snapshot(principal)
        outbox.grant(len(full))  # a big room's snapshot must not trip the budget
        outbox.push(full)

    def resync(self, principal: Principal, outbox: Outbox, reason: str) -> None:
        """Tell a connection to drop what it holds, then give it a fresh snapshot."""
        outbox.push(encode(Resync(reason=reason)))
        self.send_snapshot(principal, outbox)

    def welcome(self, principal: Principal, outbox: Outbox, resume: Resume | None) -> None:
        """Queue a welcome, replaying what a resuming client missed when possible."""
        frames = None
        if resume is not None and resume.epoch == self.epoch:
            frames = self.replay(resume.seq, principal.audience)
        # A replay may exceed the live budget (a client closed for lagging is behind by
        # more than it), up to a bound; past it a snapshot is the cheaper way back.
        backlog = sum(len(text) for text in frames) if frames else 0
        if resume is None or frames is None or backlog > REPLAY_BUDGETS * outbox.budget:
            if resume is None:
                self.send_snapshot(principal, outbox)
            else:
                self.resync(principal, outbox, "epoch" if resume.epoch != self.epoch else "window")
            return
        outbox.grant(backlog)
        welcome = Welcome(
            you=principal.you,
            resume_token=principal.resume_token,
            snapshot=None,
            epoch=self.epoch,
            seq=resume.seq,
            resumed=True,
        )
        outbox.push(encode(welcome))
        for text in frames:
            outbox.push(text)
