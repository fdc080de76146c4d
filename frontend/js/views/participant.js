// Participant view (also the observer view, with readOnly: every input is left out).

import { h } from "../dom.js";
import { agendaPart, currentItemPart } from "../parts/agenda.js";
import { decisionsPart } from "../parts/decisions.js";
import { feedPart } from "../parts/feed.js";
import { floorPart } from "../parts/floor.js";
import { pollsPart } from "../parts/polls.js";
import { questionsPart } from "../parts/questions.js";
import { queuePart } from "../parts/queue.js";
import { reactionsPart } from "../parts/reactions.js";
import { updateParts, watchRoom } from "./watch.js";

export function mountParticipant(root, base) {
  let latest = null;
  const ctx = { ...base, facilitator: false };
  const parts = {
    item: currentItemPart(),
    floor: floorPart(ctx),
    queue: queuePart(ctx),
    reactions: reactionsPart(ctx),
    polls: pollsPart(ctx),
    decisions: decisionsPart(ctx),
    feed: feedPart(ctx),
    questions: questionsPart(ctx),
    agenda: agendaPart(ctx),
  };
  root.append(h("div", { class: "layout participant-layout" },
    h("div", { class: "col" }, parts.item.el, parts.floor.el, parts.queue.el, parts.reactions.el),
    h("div", { class: "col" }, parts.polls.el, parts.feed.el),
    h("div", { class: "col" }, parts.questions.el, parts.decisions.el, parts.agenda.el)));
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
