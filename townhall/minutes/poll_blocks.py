"""How a poll reads in the minutes: full distribution, turnout, quorum, IRV rounds, result.

A secret poll shows who voted (turnout is auditable) but never a ballot next to a name;
a named poll lists each participant's ballot.
"""

from __future__ import annotations

from datetime import UTC, tzinfo

from townhall.archive.bundle import BattleShift, Choice, Poll, SharePoint
from townhall.minutes.blocks import Block, Heading, Para, Table, clock
from townhall.minutes.labels import labels_for
from townhall.minutes.model import Minutes

__all__ = ["choice_text", "option_label", "poll_blocks"]


def option_label(poll: Poll, index: int, words: dict[str, str] | None = None) -> str:
    if 0 <= index < len(poll.options):
        return poll.options[index]
    if poll.kind == "yes_no_abstain" and 0 <= index < 3:
        return (words or labels_for("en"))[("yes", "no", "abstain")[index]]
    return f"#{index}"


def choice_text(poll: Poll, choice: Choice, words: dict[str, str]) -> str:
    if isinstance(choice, int):
        return option_label(poll, choice, words)
    if isinstance(choice, list) and poll.kind == "score":  # one score per option
        return ", ".join(f"{option_label(poll, i, words)}: {s}" for i, s in enumerate(choice))
    if isinstance(choice, list):
        sep = " > " if poll.kind == "ranked" else ", "
        return sep.join(option_label(poll, i, words) for i in choice)
    return ", ".join(f"{option_label(poll, int(k), words)}: {v}" for k, v in choice.items())


def poll_blocks(m: Minutes, p: Poll, w: dict[str, str], zone: tzinfo | None = None) -> list[Block]:
    def label(prefix: str, value: str) -> str:
        return w.get(f"{prefix}.{value}", value)

    out: list[Block] = []
    out.append(Heading(3, f"{w['poll']}: {p.question}"))
    ballot = w["secret_ballot"] if p.secret else w["named_ballot"]
    facts = [
        label("poll", p.kind),
        ballot,
        f"{w['results_mode']}: {label('results', p.results)}",
        label("status", p.status),
    ]
    if p.kind == "dot":
        facts.insert(1, w["dot_rule"].format(n=p.votes_per_person, max=p.max_per_option))
    if p.final:
        facts.append(w["final_ballot"])
    out.append(Para(" · ".join(facts)))
    if p.proposals:
        out.append(Para(w["options_from_proposals"].format(ids=", ".join(p.proposals))))
    share = f" ({p.turnout / p.eligible:.0%})" if p.eligible else ""
    needed = p.quorum_needed if p.quorum_needed is not None else p.quorum
    if needed is None:
        quorum = w["no_quorum"]
    else:
        met = w["quorum_met"] if p.quorum_met else w["quorum_not_met"]
        share_text = f"{p.quorum_share * 100:g}%" if p.quorum_share is not None else ""
        of = f" ({share_text} {w['of_eligible']})" if share_text else ""
        quorum = f"{needed}{of} — {met}"
    turnout = f"{w['turnout']}: {p.turnout}{share}"
    if p.by_proxy:
        turnout += " " + w["turnout_split"].format(
            in_person=p.turnout - p.by_proxy, by_proxy=p.by_proxy
        )
    out.append(Para(f"{w['eligible']}: {p.eligible} · {turnout} · {w['quorum']}: {quorum}"))
    rows: tuple[tuple[str, ...], ...]
    if p.kind == "score":
        rows = tuple(
            (
                option_label(p, t.option, w),
                str(t.votes),
                str(t.score or 0),
                f"{(t.score or 0) / t.votes:.2f}" if t.votes else "",
            )
            for t in p.tally
        )
        out.append(Table((w["option"], w["votes"], w["score_total"], w["score_mean"]), rows))
    elif p.kind == "dot":
        dots = sum(t.votes for t in p.tally)
        rows = tuple(
            (
                option_label(p, t.option, w),
                str(t.votes),
                f"{t.votes / dots:.0%}" if dots else "",
                str(p.dot_voters[t.option]) if t.option < len(p.dot_voters) else "",
            )
            for t in p.tally
        )
        out.append(Table((w["option"], w["dots"], w["share"], w["dot_voters"]), rows))
    else:
        rows = tuple(
            (
                option_label(p, t.option, w),
                str(t.votes),
                f"{t.votes / p.turnout:.0%}" if p.turnout else "",
            )
            for t in p.tally
        )
        out.append(Table((w["option"], w["votes"], w["share"]), rows))
    if p.battle is not None:
        out.extend(_shift(p, p.battle, w, zone or UTC))
    earlier = m.poll(p.repeat_of)
    if earlier is not None:
        out.extend(_before_after(earlier, p, w))
    if p.irv_rounds:
        options = sorted({c.option for r in p.irv_rounds for c in r.counts})
        table_rows = []
        for r in p.irv_rounds:
            cells = {
                c.option: str(c.votes) + (f" ({w['eliminated']})" if c.eliminated else "")
                for c in r.counts
            }
            row = (str(r.round), *(cells.get(o, "—") for o in options), str(r.exhausted))
            table_rows.append(row)
        headers = (w["round"], *(option_label(p, o, w) for o in options), w["exhausted"])
        out.append(Table(headers, tuple(table_rows), caption=w["irv_rounds"]))
    if p.status in ("closed", "published"):
        winner = option_label(p, p.winner, w) if p.winner is not None else w["no_winner"]
        out.append(Para(winner, strong=f"{w['winner']}:"))
    if not p.secret and p.ballots:
        named = tuple(
            (
                m.name_of(b.participant)
                + (f" ({w['by_proxy_of'].format(holder=m.name_of(b.holder))})" if b.holder else ""),
                choice_text(p, b.choice, w),
            )
            for b in p.ballots
        )
        out.append(Table((w["participant"], w["ballots"]), named))
    if p.eligible_list and (m.session.access == "roll" or p.proxies):
        names = ", ".join(m.name_of(e) for e in p.eligible_list)
        electorate = w.get(f"electorate.{p.electorate}", p.electorate)
        out.append(Para(f"{names} ({electorate})", strong=f"{w['eligible_list']}:"))
    if p.voters:
        out.append(Para(", ".join(m.name_of(v) for v in p.voters), strong=f"{w['voters']}:"))
    voted = set(p.voters)
    if p.proxies:
        lines = ", ".join(
            w["proxy_line"].format(giver=m.name_of(x.giver), holder=m.name_of(x.holder))
            + ("" if x.holder in voted else f" ({w['proxy_unused']})")
            for x in p.proxies
        )
        out.append(Para(lines, strong=f"{w['proxy_votes']}:"))
    return out


def _share(count: int, total: int) -> str:
    return f"{count / total:.0%}" if total else "—"


def _shift(p: Poll, shift: BattleShift, w: dict[str, str], zone: tzinfo) -> list[Block]:
    """A battle's opinion shift: first positions against the close, who switched from
    which position to which, and the timeline of counts."""
    out: list[Block] = [Heading(4, w["opinion_shift"])]
    first, last = sum(shift.opening), sum(shift.closing)
    rows = []
    for i, option in enumerate(p.options):
        a = shift.opening[i] if i < len(shift.opening) else 0
        b = shift.closing[i] if i < len(shift.closing) else 0
        points = (b / last if last else 0) - (a / first if first else 0)
        rows.append(
            (option, f"{a} ({_share(a, first)})", f"{b} ({_share(b, last)})", f"{points:+.0%}")
        )
    headers = (w["position"], w["first_positions"], w["at_close"], w["change"])
    out.append(Table(headers, tuple(rows)))
    moved = tuple(
        (f"{p.options[a]} → {p.options[b]}", str(n))
        for a, row in enumerate(shift.switches)
        for b, n in enumerate(row)
        if n and a < len(p.options) and b < len(p.options)
    )
    if moved:
        out.append(Table((w["switch_from_to"], w["voters_count"]), moved, caption=w["switches"]))
    else:
        out.append(Para(w["no_switches"]))
    out.append(Para(w["moves_total"].format(n=shift.moves)))
    if shift.timeline:
        rows_t = tuple(
            (clock(x.at, zone), *(f"{c} ({_share(c, sum(x.counts))})" for c in x.counts))
            for x in _sample(shift.timeline, 24)
        )
        out.append(Table((w["time"], *p.options), rows_t, caption=w["timeline"]))
    return out


def _sample(points: tuple[SharePoint, ...], most: int) -> list[SharePoint]:
    """At most ``most`` points, evenly spread, the first and the last kept."""
    if len(points) <= most:
        return list(points)
    step = (len(points) - 1) / (most - 1)
    return [points[round(k * step)] for k in range(most)]


def _before_after(before: Poll, after: Poll, w: dict[str, str]) -> list[Block]:
    """The same question asked twice: each option's share before and after."""
    out: list[Block] = [Heading(4, w["before_after"])]
    out.append(Para(w["repeat_text"].format(question=before.question)))
    a_votes = {t.option: t.votes for t in before.tally}
    b_votes = {t.option: t.votes for t in after.tally}
    a_total, b_total = sum(a_votes.values()), sum(b_votes.values())
    rows = []
    for i in range(len(after.options)):
        a, b = a_votes.get(i, 0), b_votes.get(i, 0)
        change = (b / b_total if b_total else 0) - (a / a_total if a_total else 0)
        rows.append(
            (
                option_label(after, i, w),
                f"{a} ({_share(a, a_total)})",
                f"{b} ({_share(b, b_total)})",
                f"{change:+.0%}",
            )
        )
    out.append(Table((w["option"], w["before"], w["after"], w["change"]), tuple(rows)))
    return out
