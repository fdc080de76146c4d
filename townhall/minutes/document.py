"""The minutes as a small document tree, built once and rendered as Markdown, HTML or PDF.

Keeping the content decisions (what goes in, in which order, how numbers read) here means
the three renderers only differ in syntax, and cannot drift apart in what they show.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from townhall.minutes import blocks
from townhall.minutes.blocks import Block, Document, Heading, Para, Quote, Table, duration
from townhall.minutes.labels import labels_for
from townhall.minutes.model import Minutes
from townhall.minutes.poll_blocks import option_label, poll_blocks
from townhall.ports import CAPTIONER_ID

__all__ = ["Block", "Document", "Heading", "Para", "Quote", "Table", "build_document"]


class _Builder:
    def __init__(self, m: Minutes) -> None:
        self.m = m
        self.w = labels_for(m.session.language)
        self.blocks: list[Block] = []
        self.zone: tzinfo = _zone(m.session.timezone)

    def clock(self, value: datetime | None) -> str:
        """A time of the session in the town hall's time zone."""
        return blocks.clock(value, self.zone)

    def zone_note(self, moment: datetime | None) -> str:
        name = self.m.session.timezone or "UTC"
        offset = blocks.utc_offset(moment or datetime.now(UTC), self.zone)
        return self.w["times_in_zone"].format(zone=name, offset=offset)

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)

    def label(self, prefix: str, value: str) -> str:
        return self.w.get(f"{prefix}.{value}", value)

    def build(self) -> Document:
        m, w = self.m, self.w
        title = f"{m.session.title} — {w['minutes']}"
        self.add(Heading(1, title))
        day = m.session.started_at or m.session.created_at
        span = (m.session.started_at, m.session.ended_at)
        facts = [f"{w['date']}: {day.astimezone(self.zone):%Y-%m-%d}" if day else ""]
        facts += [
            f"{w['session_started']}: {self.clock(span[0])}",
            f"{w['session_ended']}: {self.clock(span[1])}",
        ]
        if span[0] and span[1]:
            facts.append(
                f"{w['session_duration']}: {duration((span[1] - span[0]).total_seconds())}"
            )
        self.add(Para(" · ".join(f for f in facts if f) + f". {self.zone_note(day)}"))
        people = [
            f"{w[key]}: {value}"
            for key, value in (
                ("place", m.session.place),
                ("chair", m.session.chair),
                ("secretary", m.session.secretary),
            )
            if value
        ]
        if people:
            self.add(Para(" · ".join(people)))
        self.filing()
        if m.session.description:
            self.add(Para(m.session.description))
        self.attendance()
        self.roll()
        self.agenda()
        for n, item in enumerate(m.items, 1):
            self.section(item.id, f"{n}. {item.title}")
        if m.has_content(None):
            self.section(None, w["outside_items"])
        self.moderation()
        self.record()
        return Document(
            language=m.session.language, title=title, blocks=tuple(self.blocks), minutes=m
        )

    def filing(self) -> None:
        f, w = self.m.filing, self.w
        if f is None:
            return
        version = w["version_n"].format(n=f.version)
        if f.status == "approved" and f.approved_at is not None:
            when = f"{f.approved_at.astimezone(self.zone):%Y-%m-%d %H:%M}"
            text = f"{w['approved']}, {version}. " + w["approved_by_at"].format(
                who=f.approved_by or "", when=when
            )
        else:
            text = f"{w['draft']}, {version}."
        self.add(Para(text, strong=f"{w['filing']}:"))
        if f.corrects is not None:
            note = w["corrects_n"].format(n=f.corrects)
            self.add(Para(f"{note}: {f.corrections}".rstrip(": "), strong=f"{w['corrections']}:"))

    def attendance(self) -> None:
        """One row per person; a person who left and came back has each stay in it."""
        m, w = self.m, self.w
        self.add(Heading(2, w["attendance"]))
        stays: dict[str, list[tuple[str, str]]] = {}
        for a in m.attendance:
            left = self.clock(a.left_at) if a.left_at else w["present_at_end"]
            stays.setdefault(a.participant, []).append((self.clock(a.joined_at), left))
        rows = []
        for person, times in stays.items():
            p = m.participant(person)
            flags = [w[f] for f in ("muted", "banned") if p is not None and getattr(p, f)]
            name = m.name_of(person) + (f" ({', '.join(flags)})" if flags else "")
            role = self.label("role", p.role) if p else ""
            rows.append(
                (name, role, ", ".join(j for j, _ in times), ", ".join(x for _, x in times))
            )
        if rows:
            self.add(Table((w["name"], w["role"], w["joined"], w["left"]), tuple(rows)))
        self.add(Para(str(m.session.peak_observers), strong=f"{w['peak_observers']}:"))
        self.speaking_time()

    def who(self, participant: str | None) -> str:
        """A name for the minutes: the captioner posting over HTTP has a word, not an id."""
        if participant == CAPTIONER_ID:
            return self.w["captioner"]
        return self.m.name_of(participant)

    def speaking_time(self) -> None:
        """Voice equity (SPEC §10): per person their turns, speaking time and its share,
        hands raised and never called, most speaking time first; then per item how many
        spoke and how many of them for the first time in the session."""
        m, w = self.m, self.w
        report = m.equity if m.equity is not None else m.with_equity().equity
        assert report is not None
        people = [e for e in report.people if e.turns or e.hands]
        if not people:
            return
        self.add(Heading(3, w["equity"]))
        self.add(Para(w["equity_note"].format(total=duration(report.total_s))))
        rows = tuple(
            (
                m.name_of(e.participant),
                str(e.turns),
                duration(e.speaking_s),
                f"{e.share:.0%}",
                str(e.hands),
                str(e.uncalled),
            )
            for e in people
        )
        headers = (
            w["name"], w["turns"], w["speaking_total"], w["speaking_share"], w["hands_raised"],
            w["never_called"],
        )  # fmt: skip
        self.add(Table(headers, rows, caption=w["speaking_time"]))
        items = [i for i in report.items if i.speakers]
        if items:
            self.add(Heading(3, w["first_time_speakers"]))
            item_rows = tuple(
                (
                    m.item_title(i.item) if i.item else w["before_first_item"],
                    str(i.speakers),
                    str(i.first_time),
                    f"{i.share:.0%}",
                )
                for i in items
            )
            self.add(
                Table((w["item"], w["speakers"], w["first_time"], w["speaking_share"]), item_rows)
            )

    def roll(self) -> None:
        """Roll access: the members, who came, and the proxies recorded before the start."""
        m, w = self.m, self.w
        if m.session.access != "roll" and not m.roll:
            return
        self.add(Heading(2, w["roll"]))
        came = {a.participant for a in m.attendance}
        holder = {x.giver: x.holder for x in m.proxies}
        rows = tuple(
            (
                str(n),
                member.name,
                w["present"] if member.participant in came else w["absent"],
                m.name_of(holder[member.participant]) if member.participant in holder else "",
            )
            for n, member in enumerate(m.roll, 1)
        )
        present = sum(1 for member in m.roll if member.participant in came)
        self.add(Para(w["roll_counts"].format(members=len(m.roll), present=present)))
        if rows:
            self.add(Table(("#", w["name"], w["attended"], w["proxy_to"]), rows))
        if m.proxies:
            lines = ", ".join(
                w["proxy_line"].format(giver=m.name_of(x.giver), holder=m.name_of(x.holder))
                for x in m.proxies
            )
            self.add(Para(lines, strong=f"{w['proxies']}:"))

    def record(self) -> None:
        """The hash chain's head: anyone can check these minutes against it."""
        m, w = self.m, self.w
        if m.record is None:
            return
        self.add(Heading(2, w["record"]))
        count = len(m.record.events)
        self.add(Para(w["record_text"].format(events=count, algorithm=m.record.algorithm)))
        self.add(Para(m.record.head, strong=f"{w['record_head']}:"))

    def agenda(self) -> None:
        m, w = self.m, self.w
        self.add(Heading(2, w["agenda"]))
        rows = []
        for n, i in enumerate(m.items, 1):
            diff = "" if i.actual_s is None else duration(i.actual_s - i.planned_s)
            if diff and not diff.startswith("-"):
                diff = "+" + diff
            rows.append(
                (
                    str(n),
                    i.title,
                    duration(i.planned_s),
                    duration(i.actual_s),
                    diff,
                    self.clock(i.started_at) or w["not_started"],
                    self.label("status", i.status),
                )
            )
        planned = sum(i.planned_s for i in m.items)
        actual = sum(i.actual_s or 0 for i in m.items)
        rows.append(("", w["estimated_total"], duration(planned), duration(actual), "", "", ""))
        headers = (
            "#",
            w["item"],
            w["planned"],
            w["actual"],
            w["difference"],
            w["start"],
            w["status"],
        )
        self.add(Table(headers, tuple(rows)))

    def section(self, item: str | None, title: str) -> None:
        m, w = self.m, self.w
        self.add(Heading(2, title))
        described = m.item(item) if item else None
        if described and described.description:
            self.add(Para(described.description))
        if described and described.documents:
            listed = "; ".join(f"{d.title} <{d.url}>" for d in described.documents)
            self.add(Para(listed, strong=f"{w['documents']}:"))
        turns = m.turns_of(item)
        if turns:
            self.add(Heading(3, w["turns"]))
        for n, t in turns:
            over = f" — {w['overrun']}" if t.overrun else ""
            line = (
                f"{self.clock(t.started_at)} {m.name_of(t.participant)} "
                f"({self.label('kind', t.kind)}) — {duration(t.duration_s)} "
                f"/ {w['limit']} {duration(t.limit_s)}{over}"
            )
            self.add(Para(line, strong=f"{w['turn']} {n + 1}:"))
            for seg in m.transcript_in_turn(n):
                self.add(
                    Quote(
                        seg.text,
                        f"{self.clock(seg.at)} {self.who(seg.speaker)} ({w['transcript']})",
                    )
                )
            for s in m.statements_in_turn(n):
                self.statement(s.id)
        loose = [s for s in m.statements_of(item) if s.turn is None]
        loose_transcript = [s for s in m.transcript_of(item) if s.turn is None]
        if loose or loose_transcript:
            self.add(Heading(3, w["statements"]))
        for seg in loose_transcript:
            self.add(
                Quote(
                    seg.text,
                    f"{self.clock(seg.at)} {self.who(seg.speaker or seg.author)}"
                    f" ({w['transcript']})",
                )
            )
        for s in loose:
            self.statement(s.id)
        self.questions(item)
        self.proposals(item)
        for poll in m.polls_of(item):
            self.add(*poll_blocks(m, poll, w, self.zone))
        self.decisions(item)
        self.reactions(item)
        if item is not None:
            self.cheers(item)

    def proposals(self, item: str | None) -> None:
        """Every proposal with its support and fate, most supported first."""
        m, w = self.m, self.w
        found = sorted(m.proposals_of(item), key=lambda x: (-x.supporters, x.at, x.id))
        if not found:
            return
        self.add(Heading(3, w["proposals"]))
        rows = []
        for x in found:
            if x.status == "promoted":
                polls = ", ".join(p.question if (p := m.poll(ref)) else ref for ref in x.polls)
                fate = w["fate.promoted"].format(polls=polls)
            elif x.status == "merged":
                into = m.proposal(x.merged_into or "")
                fate = w["fate.merged"].format(into=into.text if into else x.merged_into or "")
            elif x.status == "hidden":
                fate = w["fate.hidden"].format(reason=x.hidden_reason or "")
            else:
                fate = w["fate.open"]
            text = f"[{w['hidden']}]" if x.status == "hidden" or not x.text else x.text
            rows.append((text, m.name_of(x.participant), str(x.supporters), fate))
        headers = (w["proposal"], w["submitted_by"], w["supporters"], w["fate"])
        self.add(Table(headers, tuple(rows)))

    def cheers(self, item: str) -> None:
        """Cheer totals per presenter; whether they were revealed in the room."""
        m, w = self.m, self.w
        found = m.cheers_of(item)
        if not found:
            return
        self.add(Heading(3, w["cheers"]))
        revealed = all(c.revealed for c in found)
        note = w["revealed_in_room"] if revealed else w["not_revealed_in_room"]
        rows = tuple((c.presenter, str(c.count)) for c in found)
        self.add(Table((w["presenter"], w["cheer_count"]), rows, caption=note))

    def statement(self, sid: str) -> None:
        m, w = self.m, self.w
        s = m.statement(sid)
        by = f"{self.clock(s.at)} {m.name_of(s.participant)}"
        if s.hidden:
            note = w["hidden_by"].format(who=m.name_of(s.hidden_by), reason=s.hidden_reason or "")
            self.add(Quote(f"[{w['hidden']}]", by, note=note))
        else:
            self.add(Quote(s.text, by))

    def questions(self, item: str | None) -> None:
        m, w = self.m, self.w
        qs = list(m.questions_of(item))
        if not qs:
            return
        self.add(Heading(3, w["questions"]))
        qs.sort(key=lambda q: -q.upvotes)  # the room saw them sorted by votes
        rows = tuple(
            (
                f"[{w['hidden']}]" if q.status == "hidden" or not q.text else q.text,
                w["anonymous"] if q.anonymous else m.name_of(q.participant),
                str(q.upvotes),
                self.label("status", q.status),
            )
            for q in qs
        )
        self.add(Table((w["question"], w["asked_by"], w["upvotes"], w["status"]), rows))

    def decisions(self, item: str | None) -> None:
        m, w = self.m, self.w
        ds = m.decisions_of(item)
        if ds:
            self.add(Heading(3, w["decisions"]))
        for d in ds:
            self.add(Para(d.text, strong=f"{w['decision']}:"))
            self.add(
                Para(
                    f"{self.clock(d.at)} {m.name_of(d.recorded_by)}", strong=f"{w['recorded_by']}:"
                )
            )
            poll = m.poll(d.poll)
            if poll is not None:
                dist = " · ".join(
                    f"{option_label(poll, t.option, w)} {t.votes}" for t in poll.tally
                )
                summary = (
                    f"{poll.question} — {dist} ({w['turnout']} {poll.turnout}/{poll.eligible})"
                )
                self.add(Para(summary, strong=f"{w['linked_poll']}:"))
            self.add(Para(d.dissent or w["no_dissent"], strong=f"{w['dissent']}:"))

    def reactions(self, item: str | None) -> None:
        m, w = self.m, self.w
        rs = m.reactions_of(item)
        if rs:
            self.add(Heading(3, w["reactions"]))
            self.add(Para(" · ".join(f"{self.label('reaction', r.kind)} {r.count}" for r in rs)))

    def moderation(self) -> None:
        m, w = self.m, self.w
        self.add(Heading(2, w["moderation"]))
        if not m.moderation:
            self.add(Para(w["none"]))
            return
        rows = []
        for e in m.moderation:
            target = (
                m.name_of(e.target) if e.target and m.participant(e.target) else (e.target or "")
            )
            action = self.label("action", e.action)
            rows.append((self.clock(e.at), m.name_of(e.actor), action, target, e.reason or ""))
        self.add(Table((w["time"], w["actor"], w["action"], w["target"], w["reason"]), tuple(rows)))


# The names the server gives people who joined without one (townhall.auth.DEFAULT_NAMES
# and the organiser's own): printed as the role's word in the minutes' language, so
# Korean minutes say 진행자, not "Facilitator".
DEFAULT_NAMES = {
    "Facilitator": "facilitator",
    "Observer": "observer",
    "Organiser": "organiser",
}


def localized_names(minutes: Minutes) -> Minutes:
    """The minutes with every default name in the minutes' language."""
    words = labels_for(minutes.session.language)
    people = []
    for person in minutes.participants:
        role = DEFAULT_NAMES.get(person.name)
        word = words.get(f"role.{role}") if role == person.role else None
        if word:
            person = dataclasses.replace(person, name=word[:1].upper() + word[1:])
        people.append(person)
    if people == list(minutes.participants):
        return minutes
    return dataclasses.replace(minutes, participants=tuple(people))


def build_document(minutes: Minutes) -> Document:
    """Lay out the minutes (SPEC §6) in the town hall's language."""
    return _Builder(localized_names(minutes)).build()


def _zone(name: str | None) -> tzinfo:
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC
