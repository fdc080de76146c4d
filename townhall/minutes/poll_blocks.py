"""How a poll reads in the minutes: full distribution, turnout, quorum, IRV rounds, result.

A secret poll shows who voted (turnout is auditable) but never a ballot next to a name;
a named poll lists each participant's ballot.
"""

from __future__ import annotations

from townhall.archive.bundle import Choice, Poll
from townhall.minutes.blocks import Block, Heading, Para, Table
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


def poll_blocks(m: Minutes, p: Poll, w: dict[str, str]) -> list[Block]:
    def label(prefix: str, value: str) -> str:
        return w.get(f"{prefix}.{value}", value)

    out: list[Block] = []
    out.append(Heading(3, f"{w['poll']}: {p.question}"))
    ballot = w["secret_ballot"] if p.secret else w["named_ballot"]
    out.append(
        Para(
            " · ".join(
                (
                    label("poll", p.kind),
                    ballot,
                    f"{w['results_mode']}: {label('results', p.results)}",
                    label("status", p.status),
                )
            )
        )
    )
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
