// Facilitator console: one screen at 1280x800.
//
// - the session bar: the session's state and its actions (start, end, export), and apart
//   from them the immediate switches (lock, lobby, statements, questions, auto-advance);
// - the board, always in view: now and next item with the item timer, the speaker with
//   the turn timer and the queue (grant, end, extend), the open poll's results;
// - the workspace: tabs for the agenda, polls, questions, statements, decisions, people,
//   voice equity, the moderation log and the settings.
// On a phone (a co-facilitator) the same regions stack: board first, then the tabs.
//
// Other parts add a tab by pushing to `extraTabs` before the view mounts.

import { h } from "../dom.js";
import { t, formatNumber } from "../i18n.js";
import { agendaPart, nowPart } from "../parts/agenda.js";
import { decisionsPart } from "../parts/decisions.js";
import { equityPart } from "../parts/equity.js";
import { feedPart } from "../parts/feed.js";
import { floorPart } from "../parts/floor.js";
import { moderationPart } from "../parts/moderation.js";
import { peoplePart } from "../parts/people.js";
import { livePollPart, pollsPart } from "../parts/polls.js";
import { questionsPart } from "../parts/questions.js";
import { queuePart } from "../parts/queue.js";
import { reactionsPart } from "../parts/reactions.js";
import { sessionPart, settingsPart, togglesPart } from "../parts/room.js";
import { tabsPart } from "../parts/tabs.js";
import { updateParts, watchRoom } from "./watch.js";

/** Tabs other features add: {id, label: () => string, badge?: (state) => string, part: (ctx) => part},
 * or with `into: "<tab id>"` a part added to an existing tab's panel. */
export const extraTabs = [];

const count = (n) => (n ? formatNumber(n) : "");

export function mountFacilitator(root, base) {
  let latest = null;
  const ctx = { ...base, facilitator: true, readOnly: false, closeOnBoard: true };
  const parts = {
    session: sessionPart(ctx),
    toggles: togglesPart(ctx),
    now: nowPart(ctx),
    floor: floorPart(ctx),
    queue: queuePart(ctx, { mine: false }),
    livePoll: livePollPart(ctx),
    agenda: agendaPart(ctx),
    polls: pollsPart(ctx),
    questions: questionsPart(ctx),
    feed: feedPart(ctx),
    reactions: reactionsPart({ ...ctx, readOnly: true }),
    decisions: decisionsPart(ctx),
    people: peoplePart(ctx),
    equity: equityPart(ctx),
    moderation: moderationPart(),
    settings: settingsPart(ctx),
  };
  // Questions waiting for a decision: open ones, and pending ones when premoderated.
  const open = (state) => Object.values(state.questions).filter((q) => q.status === "open" || q.status === "pending").length;
  const waiting = (state) => Object.values(state.people).filter((p) => p && p.status === "waiting").length;
  const present = (state) => Object.values(state.people)
    .filter((p) => p && p.status === "present" && p.role !== "observer").length;
  const tabs = [
    { id: "agenda", label: () => t("agenda.title"), el: parts.agenda.el },
    { id: "polls", label: () => t("poll.title"), el: parts.polls.el,
      badge: (s) => count(Object.values(s.polls).filter((p) => p.status === "draft").length) },
    { id: "questions", label: () => t("question.title"), el: parts.questions.el, badge: (s) => count(open(s)) },
    { id: "statements", label: () => t("feed.title"), el: h("div", {}, parts.feed.el, parts.reactions.el) },
    { id: "decisions", label: () => t("decision.title"), el: parts.decisions.el },
    { id: "people", label: () => t("people.title"), el: parts.people.el,
      badge: (s) => (waiting(s) ? t("people.waiting_count", { n: formatNumber(waiting(s)) }) : count(present(s))) },
    { id: "equity", label: () => t("equity.title"), el: parts.equity.el },
    { id: "moderation", label: () => t("moderation.title"), el: parts.moderation.el },
    { id: "settings", label: () => t("room.settings"), el: parts.settings.el },
  ];
  for (const extra of extraTabs) {
    const part = extra.part(ctx);
    parts[extra.id] = part;
    // `into`: a part of an existing tab's panel (below what it holds), not a tab of its own.
    const host = extra.into ? tabs.find((tab) => tab.id === extra.into) : null;
    if (host) {
      host.el = h("div", {}, host.el, part.el);
      continue;
    }
    tabs.splice(extra.after ? tabs.findIndex((tab) => tab.id === extra.after) + 1 : tabs.length, 0,
      { id: extra.id, label: extra.label, badge: extra.badge, el: part.el });
  }
  const workspace = tabsPart({ name: "console", label: t("console.workspace"), tabs, initial: "agenda" });
  workspace.topics = ["question.", "participant.", "presence.", "poll.", "session.", "me.", "proposal."];
  parts.tabs = workspace;
  root.append(h("div", { class: "console-layout" },
    h("div", { class: "console-bar" }, parts.session.el, parts.toggles.el),
    h("div", { class: "board", role: "region", "aria-label": t("console.board") },
      h("div", { class: "board-col" }, parts.now.el),
      h("div", { class: "board-col board-floor" }, parts.floor.el, parts.queue.el),
      h("div", { class: "board-col" }, parts.livePoll.el)),
    h("div", { class: "workspace" }, workspace.el)));
  const onEvent = watchRoom(ctx, () => latest);
  return {
    role: "facilitator",
    destroy() {
      onEvent.stop();
    },
    update(state, changed = null) {
      latest = state;
      updateParts(parts, state, changed);
    },
    onEvent(state, event) {
      latest = state;
      onEvent(state, event);
    },
  };
}
