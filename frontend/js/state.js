// The page's copy of the room: a welcome snapshot, then one small reducer per event.
//
// The shapes follow facilitation/views.py (docs/protocol/room.md). The snapshot is read
// defensively (lists or id-keyed objects both work) so a field added later on the server
// never breaks the page; an event the page does not know is ignored, never fatal.

import { t } from "./i18n.js";
import { FORMAT_REDUCERS, formatsFromWelcome } from "./state_formats.js";

const asList = (value) => (Array.isArray(value) ? value : Object.values(value || {}));
const byId = (value, key = "id") => {
  const out = {};
  for (const entry of asList(value)) out[entry[key]] = entry;
  return out;
};
const queueKey = (item) => item || "";

/** The client state from a welcome (facilitation.views.snapshot). */
export function fromWelcome(welcome) {
  const snap = welcome.snapshot || {};
  const session = snap.session || {};
  const agenda = snap.agenda || {};
  const items = byId(agenda.items);
  const turns = asList(snap.turns).map((turn) => ({ ...turn, number: turn.turn,
    transcript: turn.transcript || [] }));
  const state = {
    you: welcome.you || {},
    room: snap.room || "",
    session: {
      status: session.status || "scheduled",
      title: session.title || "",
      description: session.description || "",
      language: session.language || "en",
      started: session.started || null,
      ended: session.ended || null,
    },
    settings: { queue_policy: "fifo", turn_s: 120, slow_mode_s: 0, statements: true,
      questions: true, lobby: false, auto_advance: false, max_turns_per_item: 0,
      auto_advance_items: false, item_grace_s: 30, questions_premoderated: false,
      ...(snap.settings || {}) },
    locked: Boolean(snap.locked),
    agenda: {
      items,
      order: agenda.order || asList(agenda.items).map((i) => i.id),
      current: agenda.current ?? null,
      // The server's plan (agenda_timing): the page re-plans from it every second.
      estimated_end: agenda.estimated_end ?? null,
      plan: agenda.plan || null,
    },
    queues: {},
    raised: 0,
    turns,
    currentTurn: snap.floor ? snap.floor.turn : null,
    // Facilitators get everyone; the public only the people the snapshot refers to (the
    // others arrive with a name in the events that bring them into view) and a count.
    people: byId(snap.participants),
    present: snap.present ?? null,
    observers: snap.observers ?? 0,
    polls: {},
    myVotes: {},
    questions: {},
    statements: asList(snap.statements).map((x) => ({ ...x, text: x.text ?? "" })),
    reactions: { ...(snap.reactions || {}) },
    // This viewer's current reaction (one per person per item), on the running item.
    myReaction: { item: agenda.current ?? null, kind: snap.you?.reaction ?? null },
    // The latest transcript line (the caption), from a turn or from the item.
    caption: snap.caption || null,
    // Facilitators only: who got the floor (facilitation/equity.py).
    equity: snap.equity || null,
    // Questions this viewer asked (an anonymous or pending one names nobody to them).
    myQuestions: new Set(),
    decisions: asList(snap.decisions),
    moderation: asList(snap.moderation),
    lastEvent: null,
    // The record's hash chain (SPEC §8): its head after event `seq`, 8 hex digits shown.
    record: { seq: snap.record?.seq ?? welcome.seq ?? 0, head: String(snap.record?.head || "").slice(0, 8) },
    access: snap.access || "open",
    // Roll access (SPEC §7): who holds this member's proxy, and whose this member holds.
    proxy: { holder: snap.you?.proxy_holder ?? null, held: asList(snap.you?.proxies_held),
      names: snap.you?.proxy_names || {} },
  };
  // The transcript is part of the turns in the snapshot; the feed shows it in time order.
  for (const turn of turns) {
    (turn.transcript || []).forEach((text, i) => state.statements.push({ id: `tr-${turn.number}-${i}`,
      transcript: true, participant: turn.participant, text, at: turn.started, turn: turn.number,
      item: turn.item }));
  }
  state.statements.sort((a, b) => String(a.at).localeCompare(String(b.at)));
  // Non-staff snapshots list only people present: keep my own record whatever my status.
  if (snap.you && snap.you.participant) {
    state.people[snap.you.participant] = { ...(state.people[snap.you.participant] || {}),
      ...snap.you, id: snap.you.participant };
  }
  const queue = snap.queue || { hands: [] };
  const hands = asList(queue.hands).map((hand, i) => ({ ...hand, number: i + 1 }));
  state.raised = hands.length;
  state.queues[queueKey(queue.item ?? state.agenda.current)] = { hands, closed: Boolean(queue.closed) };
  for (const p of asList(snap.polls)) {
    state.polls[p.id] = { ...p };
    if (p.mine !== undefined && p.mine !== null) state.myVotes[p.id] = p.mine;
  }
  for (const q of asList(snap.questions)) {
    state.questions[q.id] = { ...q, voted: Boolean(q.upvoted) };
    if (q.mine) state.myQuestions.add(q.id);
  }
  formatsFromWelcome(state, snap);
  return state;
}

// ---- derived views -------------------------------------------------------------------

export function currentItem(state) {
  return state.agenda.items[state.agenda.current] || null;
}

export function currentQueue(state) {
  return state.queues[queueKey(state.agenda.current)] || { hands: [], closed: false };
}

export function currentTurn(state) {
  if (state.currentTurn === null || state.currentTurn === undefined) return null;
  return state.turns.find((turn) => turn.number === state.currentTurn) || null;
}

export function person(state, id) {
  return state.people[id] || { id, name: id, role: "participant", status: "present" };
}

// The server names a facilitator who gave no name "Facilitator": show it in the page's
// language like every other word, instead of one English word on a Korean page.
const DEFAULT_NAMES = { Facilitator: "facilitator", Observer: "observer", Organiser: "organiser", Captioner: "captioner" };

export function displayName(state, id) {
  const found = state.people[id];
  if (!found) return id;
  const name = found.name || found.display_name || id;
  return DEFAULT_NAMES[name] === found.role ? t(`role.${found.role}`) : name;
}

/** 0 if nobody else in the room shows the same name as ``id``; else ``id``'s number
 * (1, 2, ...) among those who do, in the order they joined. */
export function namesakes(state, id) {
  const key = (name) => String(name || "").normalize("NFKC").trim().toLocaleLowerCase();
  const mine = state.people[id];
  if (!mine) return 0;
  const same = Object.values(state.people).filter((p) => key(p.name || p.display_name) === key(mine.name || mine.display_name));
  return same.length > 1 ? same.findIndex((p) => p === mine) + 1 : 0;
}

export function me(state) {
  return state.people[state.you.participant] || null;
}

/** Seconds of talking ahead of a participant: the turn in progress plus each hand before. */
export function estimatedWait(state, position, secondsLeftInTurn) {
  return Math.max(0, secondsLeftInTurn) + position * (state.settings.turn_s || 120);
}

export function sortedQuestions(state) {
  return Object.values(state.questions).sort(
    (a, b) => votesOf(b) - votesOf(a) || String(a.at).localeCompare(String(b.at)),
  );
}

export function votesOf(question) {
  if (typeof question.votes === "number") return question.votes;
  return asList(question.votes).length || question.upvotes || 0;
}

export function votedByMe(state, question) {
  if (question.voted !== undefined) return Boolean(question.voted);
  return asList(question.votes).includes(state.you.participant);
}

export function reactionCounts(state) {
  const counts = state.reactions[queueKey(state.agenda.current)] || {};
  return { agree: 0, disagree: 0, applause: 0, unclear: 0, ...counts };
}

/** Each reaction's share of the people present (0-1): one reaction per person. */
export function reactionShares(state) {
  const counts = reactionCounts(state);
  const people = state.present || 0;
  const shares = {};
  for (const [kind, n] of Object.entries(counts)) shares[kind] = people ? Math.min(1, n / people) : 0;
  return shares;
}

/** This viewer's current reaction on the running item, or null. */
export function myReaction(state) {
  const mine = state.myReaction;
  return mine && mine.item === (state.agenda.current ?? null) ? mine.kind : null;
}

/** A question's words are for facilitators and its asker once it is dismissed or hidden. */
function keepsText(state, question) {
  return state.you.role === "facilitator" || state.myQuestions.has(question.id);
}

// ---- reducers ------------------------------------------------------------------------

function queueOf(state, item) {
  const key = queueKey(item);
  if (!state.queues[key]) state.queues[key] = { hands: [], closed: false };
  return state.queues[key];
}

function lowerEverywhere(state, participant) {
  for (const queue of Object.values(state.queues)) {
    queue.hands = queue.hands.filter((h) => h.participant !== participant);
  }
}

function poll(state, id) {
  return state.polls[id];
}

function setPerson(state, id, changes) {
  state.people[id] = { ...(state.people[id] || { id, name: id, role: "participant" }), ...changes };
}

const REDUCERS = {
  "session.started": (s, d, at) => Object.assign(s.session, { status: "live", started: at }),
  "session.ended": (s, d, at) => {
    Object.assign(s.session, { status: "ended", ended: at });
    s.currentTurn = null;
  },
  "room.configured": (s, d) => Object.assign(s.session, d),
  "room.locked": (s) => { s.locked = true; },
  "room.unlocked": (s) => { s.locked = false; },
  "room.settings_changed": (s, d) => {
    const { by, queue, ...settings } = d;
    Object.assign(s.settings, settings);
  },
  // The public hears of the crowd as a count (`present`); of the people it knows by name
  // (speakers, authors, facilitators) with their `participant`.
  "participant.joined": (s, d, at) => {
    if (typeof d.present === "number") s.present = d.present;
    if (!d.participant) return;
    setPerson(s, d.participant, { ...(d.display_name ? { name: d.display_name } : {}),
      ...(d.role ? { role: d.role } : {}), status: "present", joined: at });
  },
  "participant.waiting": (s, d) => setPerson(s, d.participant, {
    name: d.display_name ?? d.name, role: "participant", status: "waiting" }),
  // The public never saw the lobby: the admission is where it learns the name.
  "participant.admitted": (s, d) => setPerson(s, d.participant, {
    status: "present",
    ...(d.display_name ? { name: d.display_name } : {}),
    ...(d.role ? { role: d.role } : {}),
  }),
  // A hand stays up while its owner is away (they may come back); grants skip them.
  "participant.left": (s, d) => {
    if (typeof d.present === "number") s.present = d.present;
    if (d.participant) setPerson(s, d.participant, { status: "left" });
  },
  "participant.muted": (s, d) => setPerson(s, d.participant, { muted: true }),
  "participant.unmuted": (s, d) => setPerson(s, d.participant, { muted: false }),
  "participant.removed": (s, d) => {
    setPerson(s, d.participant, { status: "removed", banned: Boolean(d.ban) });
    lowerEverywhere(s, d.participant);
  },
  // One tick's arrivals and departures: every change for facilitators, those of the
  // people it knows by name for the public, and the count for both.
  "attendance.recorded": (s, d, at) => {
    for (const c of asList(d.changes)) {
      setPerson(s, c.participant, {
        status: c.status,
        ...(c.display_name ? { name: c.display_name } : {}),
        ...(c.role ? { role: c.role } : {}),
        ...(c.status === "present" ? { joined: at } : {}),
      });
    }
    if (typeof d.present === "number") s.present = d.present;
  },
  "presence.updated": (s, d) => { s.observers = d.observers; },

  "agenda.added": (s, d) => {
    s.agenda.items[d.item] = { id: d.item, title: d.title, description: d.description || "",
      duration_s: d.duration_s, status: "pending", presenters: d.presenters || [], documents: d.documents || [] };
    if (!s.agenda.order.includes(d.item)) s.agenda.order.push(d.item);
  },
  "agenda.updated": (s, d) => Object.assign(s.agenda.items[d.item] || {}, {
    title: d.title, duration_s: d.duration_s, description: d.description,
    presenters: d.presenters || [], documents: d.documents || [] }),
  "agenda.removed": (s, d) => {
    delete s.agenda.items[d.item];
    s.agenda.order = s.agenda.order.filter((id) => id !== d.item);
  },
  "agenda.reordered": (s, d) => { s.agenda.order = [...d.items]; },
  "agenda.started": (s, d, at) => {
    Object.assign(s.agenda.items[d.item], { status: "running", started: at,
      deadline: d.deadline, remaining_s: null });
    s.agenda.current = d.item;
  },
  "agenda.paused": (s, d) => Object.assign(s.agenda.items[d.item], {
    status: "paused", deadline: null, remaining_s: d.remaining_s }),
  "agenda.resumed": (s, d) => Object.assign(s.agenda.items[d.item], {
    status: "running", deadline: d.deadline, remaining_s: null }),
  "agenda.extended": (s, d) => {
    const item = s.agenda.items[d.item];
    item.extended_s = (item.extended_s || 0) + d.seconds;
    if (item.deadline) {
      item.deadline = d.deadline || new Date(Date.parse(item.deadline) + d.seconds * 1000).toISOString();
    } else {
      item.remaining_s = (item.remaining_s || 0) + d.seconds;
    }
    item.overrun = false;
  },
  "agenda.completed": (s, d, at) => {
    Object.assign(s.agenda.items[d.item], { status: "done", ended: at, deadline: null });
    if (s.agenda.current === d.item) s.agenda.current = null;
  },
  "agenda.overran": (s, d) => { s.agenda.items[d.item].overrun = true; },

  // The event carries the queue in the server's order: applyEvent adopts it (adoptQueue).
  "hand.raised": () => {},
  "hand.lowered": (s, d) => {
    const queue = queueOf(s, d.item);
    queue.hands = queue.hands.filter((h) => h.participant !== d.participant);
  },
  "hand.moved": (s, d) => {
    const queue = queueOf(s, d.item);
    const hand = queue.hands.find((h) => h.participant === d.participant);
    if (!hand) return;
    queue.hands = queue.hands.filter((h) => h !== hand);
    queue.hands.splice(d.position, 0, hand);
  },
  "queue.cleared": (s, d) => { queueOf(s, d.item).hands = []; },
  "queue.closed": (s, d) => { queueOf(s, d.item).closed = true; },
  "queue.opened": (s, d) => { queueOf(s, d.item).closed = false; },

  "floor.granted": (s, d, at) => {
    lowerEverywhere(s, d.participant);
    s.turns.push({ number: d.turn, participant: d.participant, item: d.item, kind: d.kind,
      started: at, deadline: d.deadline, ended: null, overrun: false, transcript: [] });
    s.currentTurn = d.turn;
  },
  "floor.ended": (s, d, at) => {
    const turn = s.turns.find((t) => t.number === d.turn);
    if (turn) Object.assign(turn, { ended: at, end_reason: d.reason });
    if (s.currentTurn === d.turn) s.currentTurn = null;
  },
  "floor.extended": (s, d) => {
    const turn = s.turns.find((t) => t.number === d.turn);
    if (turn) Object.assign(turn, { deadline: d.deadline, overrun: false });
  },
  "turn.overran": (s, d) => {
    const turn = s.turns.find((t) => t.number === d.turn);
    if (turn) turn.overrun = true;
  },
  // Attached to the current turn, or to the running item when nobody has the floor.
  "transcript.appended": (s, d, at, ev) => {
    const turn = d.turn == null ? null : s.turns.find((t) => t.number === d.turn);
    if (turn) turn.transcript = [...(turn.transcript || []), d.text];
    s.statements.push({ id: `tr-${ev.seq}`, transcript: true, participant: turn?.participant ?? null,
      text: d.text, at, turn: d.turn ?? null, item: d.item ?? turn?.item ?? null });
    s.caption = { text: d.text, at, turn: d.turn ?? null, item: d.item ?? turn?.item ?? null };
  },

  "statement.posted": (s, d, at) => s.statements.push({ id: d.statement, participant: d.participant,
    text: d.text, at, turn: d.turn ?? null, item: d.item ?? null, hidden: false }),
  "statement.hidden": (s, d) => {
    const found = s.statements.find((st) => st.id === d.statement);
    // Only staff keep the words of a hidden statement, as in the server's snapshot.
    const text = s.you.role === "facilitator" ? found?.text : "";
    if (found) Object.assign(found, { hidden: true, hidden_reason: d.reason, text });
  },

  // Facilitators get {question, participant, text, item, anonymous, pending}; the public
  // the question as in the snapshot (never a pending one, and no asker when anonymous).
  "question.asked": (s, d, at) => {
    const mine = s.myQuestions.has(d.question) || (d.participant != null && d.participant === s.you.participant);
    if (mine) s.myQuestions.add(d.question);
    s.questions[d.question] = { id: d.question, participant: d.participant ?? null,
      anonymous: Boolean(d.anonymous), text: d.text ?? null, at: d.at ?? at, item: d.item ?? null,
      votes: typeof d.votes === "number" ? d.votes : 0, voted: Boolean(d.upvoted), mine,
      status: d.status || (d.pending ? "pending" : "open"), hidden_reason: d.hidden_reason ?? null };
  },
  "question.approved": (s, d, at) => {
    const q = s.questions[d.question];
    if (q) {
      q.status = "open";
      if (d.text !== undefined && d.text !== null) q.text = d.text;
    } else if (d.text !== undefined) {
      // The public first hears of a premoderated question when it is approved.
      REDUCERS["question.asked"](s, { ...d, status: "open" }, at);
    }
  },
  "question.hidden": (s, d) => {
    const q = s.questions[d.question];
    if (!q) return;
    Object.assign(q, { status: "hidden", hidden_reason: d.reason ?? null });
    if (!keepsText(s, q)) q.text = null;
  },
  "question.upvoted": (s, d) => {
    const q = s.questions[d.question];
    if (!q) return;
    const mine = d.participant === s.you.participant;
    if (Array.isArray(q.votes)) q.votes.push(d.participant);
    else q.votes = d.votes ?? votesOf(q) + 1;
    if (mine) q.voted = true;
  },
  "question.answered": (s, d) => setQuestion(s, d.question, "answered"),
  "question.dismissed": (s, d) => {
    setQuestion(s, d.question, "dismissed");
    const q = s.questions[d.question];
    if (q && !keepsText(s, q)) q.text = null;
  },
  "question.queued": (s, d) => setQuestion(s, d.question, "queued"),

  // The item's current reactions (one per person): the counts replace what the page had.
  "reaction.sent": (s, d) => {
    const key = queueKey(d.item);
    if (d.counts) s.reactions[key] = { ...d.counts };
    if (typeof d.present === "number") s.present = d.present;
  },

  "decision.recorded": (s, d, at) => s.decisions.push({ id: d.decision, item: d.item, text: d.text,
    dissent: d.dissent || "", poll: d.poll ?? null, at, by: d.by, result: d.result ?? null }),

  "room.access_changed": (s, d) => { s.access = d.access; },
  "poll.created": (s, d, at) => {
    s.polls[d.poll] = { id: d.poll, question: d.question, kind: d.kind, options: d.options || [],
      max_choices: d.max_choices, secret: d.secret, results: d.results, duration_s: d.duration_s,
      quorum: d.quorum, item: d.item ?? null, status: "draft", created: at, turnout: 0,
      tally: null };
  },
  // Participants never see poll.created (drafts are staff-only): the opened event carries
  // the whole public poll.
  "poll.opened": (s, d, at) => {
    const id = d.id ?? d.poll;
    s.polls[id] = { ...(s.polls[id] || {}), ...d, id, status: "open", opened: d.opened ?? at };
  },
  "vote.counted": (s, d) => {
    const p = poll(s, d.poll);
    if (!p) return;
    if (d.turnout !== undefined) p.turnout = d.turnout;
    if (d.tally !== undefined) p.tally = d.tally;
  },
  "poll.closed": (s, d, at) => Object.assign(poll(s, d.poll) || {}, { status: d.status || "closed", closed: at,
    ...(d.result !== undefined ? { tally: d.result } : {}),
    ...(d.tally !== undefined ? { tally: d.tally } : {}),
    ...(d.turnout !== undefined ? { turnout: d.turnout } : {}) }),
  "poll.published": (s, d) => Object.assign(poll(s, d.poll) || {}, { status: d.status || "published",
    ...(d.result !== undefined ? { tally: d.result } : {}),
    ...(d.tally !== undefined ? { tally: d.tally } : {}) }),
};

// Issue 15's formats (state_formats.js) run after the reducer of the same event here.
for (const [name, extra] of Object.entries(FORMAT_REDUCERS)) {
  const base = REDUCERS[name];
  REDUCERS[name] = base ? (...args) => { base(...args); extra(...args); } : extra;
}

function setQuestion(state, id, status) {
  const q = state.questions[id];
  if (q) q.status = status;
}

function maxNumber(state) {
  let max = 0;
  for (const queue of Object.values(state.queues)) {
    for (const hand of queue.hands) max = Math.max(max, hand.number || 0);
  }
  return max;
}

// Moderation acts, as facilitation's moderation log records them (facilitation/
// moderation_log.py: actor, action, target, reason, detail), read from each event on the
// state before it applies: {action, target?, detail?, when?, reason?} (reason: the
// event's `reason` is the act's reason; floor.ended's is how the turn ended, not why).
const none = () => null;
const questionTarget = (s, d) => {
  const q = s.questions[d.question];
  return q && !q.anonymous ? q.participant ?? null : null; // an anonymous asker is never named
};
const LOGGED = {
  "room.settings_changed": { action: "room.settings", detail: (s, d) => ({ changes: settingsChanges(s, d) }) },
  "room.locked": { action: "room.lock" },
  "room.unlocked": { action: "room.unlock" },
  "participant.admitted": { action: "participant.admit", target: (s, d) => d.participant },
  "participant.muted": { action: "participant.mute", target: (s, d) => d.participant },
  "participant.unmuted": { action: "participant.unmute", target: (s, d) => d.participant },
  "participant.removed": { action: "participant.remove", target: (s, d) => d.participant, reason: true },
  "statement.hidden": { action: "statement.hide", reason: true,
    target: (s, d) => s.statements.find((x) => x.id === d.statement)?.participant ?? null },
  // Lowering someone else's hand; one's own is nobody's act.
  "hand.lowered": { action: "hand.lower", target: (s, d) => d.participant,
    when: (s, d) => Boolean(d.by) && d.by !== d.participant },
  "hand.moved": { action: "queue.move", target: (s, d) => d.participant,
    detail: (s, d) => ({ position: d.position }) },
  "queue.cleared": { action: "queue.clear",
    detail: (s, d) => ({ hands: (s.queues[queueKey(d.item)]?.hands || []).map((x) => x.participant) }) },
  "floor.ended": { action: "floor.end", when: (s, d) => d.reason === "end",
    target: (s, d) => s.turns.find((x) => x.number === d.turn)?.participant ?? null,
    detail: (s, d) => ({ turn: d.turn }) },
  "question.approved": { action: "question.approve", target: questionTarget,
    detail: (s, d) => ({ question: d.question }) },
  "question.hidden": { action: "question.hide", target: questionTarget, reason: true,
    detail: (s, d) => ({ question: d.question }) },
  "question.dismissed": { action: "question.dismiss", target: questionTarget,
    detail: (s, d) => ({ question: d.question }) },
  "cheer.revealed": { action: "cheer.reveal", detail: (s, d) => ({ item: d.item, counts: d.counts || {} }) },
  "proposal.merged": { action: "proposal.merge", detail: (s, d) => ({ proposal: d.proposal, into: d.into }) },
  "proposal.hidden": { action: "proposal.hide", detail: (s, d) => ({ proposal: d.proposal }), reason: true,
    target: (s, d) => proposalAuthor(s, d.proposal) },
};

function proposalAuthor(state, id) {
  const found = asList(state.proposals).find((p) => p && (p.id === id));
  return found?.participant ?? null;
}

/** {setting: [old, new]} for every setting a room.settings_changed event changes (the
 * snapshot's `max_turns_per_item` null is the event's 0: no cap). */
function settingsChanges(state, data) {
  const same = (key, v) => JSON.stringify(key === "max_turns_per_item" && !v ? 0 : v ?? null);
  const changes = {};
  for (const [key, value] of Object.entries(data)) {
    if (key === "by" || key === "queue") continue;
    const before = state.settings[key];
    if (same(key, before) !== same(key, value)) changes[key] = [before ?? null, value];
  }
  return changes;
}

function logModeration(state, event, data) {
  const entry = LOGGED[event.name];
  if (!entry || (entry.when && !entry.when(state, data))) return;
  state.moderation.push({ at: event.at, actor: data.by ?? null, action: entry.action,
    target: (entry.target || none)(state, data) ?? null, reason: entry.reason ? data.reason ?? null : null,
    detail: entry.detail ? entry.detail(state, data) : null });
}

/** The ack of question.ask names the question: a pending or anonymous one is mine all the same. */
export function noteMyQuestion(state, id, { text, anonymous = false } = {}) {
  if (!id) return;
  state.myQuestions.add(id);
  const q = state.questions[id];
  if (q) {
    q.mine = true;
    if (q.participant == null) q.participant = state.you.participant;
  } else if (state.settings.questions_premoderated && state.you.role !== "facilitator") {
    // Nobody but facilitators hears of it until approved: the asker keeps it meanwhile.
    state.questions[id] = { id, participant: state.you.participant, anonymous, text, at: new Date().toISOString(),
      item: state.agenda.current ?? null, votes: 0, voted: false, mine: true, status: "pending" };
  }
}

/** The ack of reaction.send: this viewer's reaction on the running item (null: withdrawn). */
export function noteMyReaction(state, kind) {
  state.myReaction = { item: state.agenda.current ?? null, kind: kind ?? null };
}

/**
 * Events that change the speaking order carry the queue as the server now orders it
 * (facilitation.views.project): that copy wins over the page's own reckoning.
 */
function adoptQueue(state, queue) {
  const target = queueOf(state, queue.item);
  const numbers = new Map(target.hands.map((hand) => [hand.participant, hand.number]));
  target.closed = Boolean(queue.closed);
  target.hands = (queue.hands || []).map((hand) => {
    let number = numbers.get(hand.participant);
    if (number === undefined) {
      state.raised = Math.max(state.raised || 0, maxNumber(state)) + 1;
      number = state.raised;
    }
    return { participant: hand.participant, kind: hand.kind, raised: hand.raised, number };
  });
}

/** Applies one event in place; returns false for an event this page does not know. */
export function applyEvent(state, event) {
  const reducer = REDUCERS[event.name];
  state.lastEvent = event;
  // Every event, withheld ones too, moves the record's head on; the reducers never see
  // it (several copy an event's data into the state as it is).
  const { head, ...data } = event.data || {};
  if (typeof head === "string") state.record = { seq: event.seq, head };
  // An event this viewer may not read keeps its seq (the order stays gapless) but none
  // of its details: nothing to apply.
  if (data.withheld) return false;
  try {
    // Someone the page has not met yet arrives with their name (a hand, a statement…).
    if (typeof data.participant === "string" && data.display_name && event.name !== "attendance.recorded") {
      const known = state.people[data.participant];
      if (!known || !known.name || known.name === data.participant) {
        // Whoever acts is in the room; the event's own reducer then says otherwise if not.
        setPerson(state, data.participant, { status: "present", ...(known || {}),
          name: data.display_name, ...(data.role ? { role: data.role } : {}) });
      }
    }
    logModeration(state, event, data);
    if (reducer) reducer(state, data, event.at, event);
    if (data.queue && Array.isArray(data.queue.hands)) adoptQueue(state, data.queue);
    // Derived values the server sends with events: taken as they are (docs/protocol/room.md).
    if (event.name.startsWith("agenda.")) {
      if (data.estimated_end !== undefined) state.agenda.estimated_end = data.estimated_end;
      if (data.plan) state.agenda.plan = data.plan;
    }
    if (data.equity) state.equity = data.equity;
    if (data.temperature && typeof data.temperature === "object") {
      const temp = data.temperature;
      state.reactions[queueKey(temp.item)] = { ...(temp.counts || {}) };
      if (typeof temp.present === "number") state.present = temp.present;
    }
    if (!reducer) return false;
  } catch (error) {
    // A reducer must never take the page down; the next full welcome repairs the state.
    console.error("event not applied", event, error);
    return false;
  }
  return true;
}
