// The page's copy of issue 15's formats (SPEC §10): battles' movement, dot and final
// polls' settings, proposals and cheering. state.js calls `formatsFromWelcome` on every
// welcome and runs `FORMAT_REDUCERS` after its own reducer of the same event.
//
// Shapes follow facilitation/views.py and docs/protocol/room.md: `proposals` (sorted by
// support on the server; the page sorts again after each event), `cheers` per item
// (`counts` null until `cheer.revealed`, for everyone), a battle poll's `battle` object.

const asList = (value) => (Array.isArray(value) ? value : Object.values(value || {}));
const TIMELINE_MAX = 720; // one point per vote kept (an hour at one a 5 s step)

/** Adds the formats' parts of a welcome snapshot to a fresh state. */
export function formatsFromWelcome(state, snap) {
  state.proposals = {};
  for (const p of asList(snap.proposals)) state.proposals[p.id] = { ...p };
  state.cheers = {};
  for (const [item, c] of Object.entries(snap.cheers || {})) {
    state.cheers[item] = { presenters: [...(c.presenters || [])], revealed: Boolean(c.revealed), counts: c.counts ?? null };
  }
  // Cheers heard since this page loaded, per item and presenter: only what the projector
  // animates (never shown as a number: the counts stay hidden until the reveal).
  state.cheerWaves = {};
  for (const item of Object.values(state.agenda.items)) item.presenters = [...(item.presenters || [])];
}

/** Proposals as the public lists them: open ones by support then age, the rest after. */
export function sortedProposals(state, { all = false } = {}) {
  const rank = { open: 0, promoted: 1, merged: 2, hidden: 3 };
  return Object.values(state.proposals || {})
    .filter((p) => all || p.status !== "hidden")
    .sort((a, b) => (rank[a.status] ?? 4) - (rank[b.status] ?? 4) || (b.support || 0) - (a.support || 0)
      || String(a.at).localeCompare(String(b.at)));
}

/** The cheering of the running item: {item, presenters, revealed, counts} or null. */
export function currentCheers(state) {
  const id = state.agenda.current;
  const item = id ? state.agenda.items[id] : null;
  if (!item) return null;
  const cheers = state.cheers?.[id] || { presenters: item.presenters || [], revealed: false, counts: null };
  const presenters = item.presenters?.length ? item.presenters : cheers.presenters;
  if (!presenters.length) return null;
  return { item: id, title: item.title, presenters, revealed: cheers.revealed, counts: cheers.counts };
}

/** The last item whose cheers were revealed (the projector keeps showing the totals). */
export function lastRevealed(state) {
  const ids = state.agenda.order.filter((id) => state.cheers?.[id]?.revealed);
  const id = ids.at(-1);
  return id ? { item: id, title: state.agenda.items[id]?.title || "", ...state.cheers[id] } : null;
}

function setPresenters(state, d) {
  const item = state.agenda.items[d.item];
  if (!item) return;
  item.presenters = [...(d.presenters || [])];
  const c = state.cheers[d.item] || { revealed: false, counts: null };
  state.cheers[d.item] = { ...c, presenters: [...item.presenters] };
}

function markPromoted(state, poll) {
  for (const id of asList(poll?.proposals)) {
    const p = state.proposals[id];
    if (!p) continue;
    if (p.status === "open") p.status = "promoted";
    p.polls = [...new Set([...(p.polls || []), poll.id])];
  }
}

function proposal(state, id) {
  return state.proposals[id];
}

export const FORMAT_REDUCERS = {
  "agenda.added": setPresenters,
  "agenda.updated": setPresenters,
  "poll.created": (s, d) => {
    const p = s.polls[d.poll];
    if (!p) return;
    Object.assign(p, { final: Boolean(d.final), votes_per_person: d.votes_per_person ?? null,
      max_per_option: d.max_per_option ?? null, proposals: d.proposals || [], repeat_of: d.repeat_of ?? null,
      eligible: d.eligible, quorum_share: d.quorum_share });
    markPromoted(s, p);
  },
  "poll.opened": (s, d) => markPromoted(s, s.polls[d.id ?? d.poll]),
  "vote.counted": (s, d, at) => {
    const p = s.polls[d.poll];
    if (!p || !d.battle) return;
    const timeline = [...(p.battle?.timeline || [])];
    if (d.tally?.counts) timeline.push({ at, counts: [...d.tally.counts] });
    if (timeline.length > TIMELINE_MAX) timeline.splice(0, timeline.length - TIMELINE_MAX);
    p.battle = { ...(p.battle || {}), ...d.battle, timeline };
  },
  "poll.closed": (s, d) => { if (d.battle && s.polls[d.poll]) s.polls[d.poll].battle = d.battle; },
  "poll.published": (s, d) => { if (d.battle && s.polls[d.poll]) s.polls[d.poll].battle = d.battle; },

  "proposal.submitted": (s, d, at) => {
    s.proposals[d.proposal] = { id: d.proposal, participant: d.participant, text: d.text, at,
      item: d.item ?? null, support: 0, supported: false, status: "open", merged_into: null, polls: [],
      hidden_reason: null };
  },
  "proposal.supported": (s, d) => {
    const p = proposal(s, d.proposal);
    if (!p) return;
    p.support = d.support ?? (p.support || 0) + 1;
    if (d.participant === s.you.participant) p.supported = true;
  },
  "proposal.unsupported": (s, d) => {
    const p = proposal(s, d.proposal);
    if (!p) return;
    p.support = d.support ?? Math.max(0, (p.support || 0) - 1);
    if (d.participant === s.you.participant) p.supported = false;
  },
  // The merged proposal's supporters (and its author) now support `into`.
  "proposal.merged": (s, d) => {
    const from = proposal(s, d.proposal);
    const into = proposal(s, d.into);
    if (into) {
      if (typeof d.support === "number") into.support = d.support;
      const me = s.you.participant;
      if (from && into.participant !== me && (from.supported || from.participant === me)) into.supported = true;
    }
    if (from) Object.assign(from, { status: "merged", merged_into: d.into, supported: false });
  },
  "proposal.hidden": (s, d) => {
    const p = proposal(s, d.proposal);
    if (!p) return;
    Object.assign(p, { status: "hidden", hidden_reason: d.reason,
      text: s.you.role === "facilitator" ? p.text : null });
  },

  "cheer.sent": (s, d) => {
    const waves = (s.cheerWaves[d.item] = s.cheerWaves[d.item] || {});
    waves[d.presenter] = (waves[d.presenter] || 0) + 1;
  },
  "cheer.revealed": (s, d) => {
    const item = s.agenda.items[d.item];
    const c = s.cheers[d.item] || { presenters: item?.presenters || [] };
    s.cheers[d.item] = { ...c, revealed: true, counts: { ...(d.counts || {}) } };
  },
};
