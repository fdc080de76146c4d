// Participant view (also the observer view, with readOnly: every input is left out).
// What matters now comes first: the floor, my hand and the open poll; then the item and
// the room's temperature; then statements, questions, decisions, earlier polls, agenda.

import { h } from "../dom.js";
import { t } from "../i18n.js";
import { agendaPart, currentItemPart } from "../parts/agenda.js";
import { captionsPart } from "../parts/captions.js";
import { decisionsPart } from "../parts/decisions.js";
import { feedPart } from "../parts/feed.js";
import { floorPart } from "../parts/floor.js";
import { publicModerationPart } from "../parts/moderation.js";
import { pollsPart } from "../parts/polls.js";
import { questionsPart } from "../parts/questions.js";
import { queuePart } from "../parts/queue.js";
import { reactionsPart } from "../parts/reactions.js";
import { streamPart } from "../parts/stream.js";
import { waitingPart } from "../parts/waiting.js";
import { updateParts, watchRoom } from "./watch.js";

/** Parts other features add: {id, where: "now" | "main" | "side", part: (ctx) => part}. */
export const extraParts = [];

export function mountParticipant(root, base) {
  let latest = null;
  const ctx = { ...base, facilitator: false };
  const parts = {
    waiting: waitingPart(ctx),
    stream: streamPart(ctx),
    floor: floorPart(ctx),
    captions: captionsPart(ctx),
    queue: queuePart(ctx),
    openPolls: pollsPart(ctx, { which: "open" }),
    item: currentItemPart(),
    reactions: reactionsPart(ctx),
    feed: feedPart(ctx),
    questions: questionsPart(ctx),
    decisions: decisionsPart(ctx),
    polls: pollsPart(ctx, { which: "rest" }),
    agenda: agendaPart(ctx),
    moderation: publicModerationPart(ctx),
  };
  const where = { now: [], main: [], side: [] };
  for (const extra of extraParts) {
    parts[extra.id] = extra.part(ctx);
    where[extra.where || "main"].push(parts[extra.id].el);
  }
  root.append(h("div", { class: "participant-layout" }, parts.waiting.el, parts.stream.el,
    h("div", { class: "now-row", role: "region", "aria-label": t("participant.now") },
      h("div", { class: "col" }, parts.floor.el, parts.captions.el, parts.queue.el, parts.item.el),
      h("div", { class: "col" }, parts.openPolls.el, parts.reactions.el, where.now)),
    h("div", { class: "rest-row" },
      h("div", { class: "col" }, parts.feed.el, where.main),
      h("div", { class: "col" }, parts.questions.el, parts.decisions.el, where.side),
      h("div", { class: "col" }, parts.polls.el, parts.agenda.el, parts.moderation.el))));
  const onEvent = watchRoom(ctx, () => latest);
  return {
    role: base.readOnly ? "observer" : "participant",
    destroy() {
      onEvent.stop();
    },
    update(state, changed = null) {
      latest = state;
      updateParts(parts, state, changed);
    },
    onEvent(state, event) {
      latest = state;
      // Observers hear the room's announcements too (the personal ones never match them).
      onEvent(state, event);
    },
  };
}
