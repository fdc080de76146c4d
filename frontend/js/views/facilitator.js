// Facilitator console: everything a participant sees plus every control of SPEC §2.

import { h } from "../dom.js";
import { agendaPart, currentItemPart } from "../parts/agenda.js";
import { decisionsPart } from "../parts/decisions.js";
import { feedPart } from "../parts/feed.js";
import { floorPart } from "../parts/floor.js";
import { moderationPart } from "../parts/moderation.js";
import { peoplePart } from "../parts/people.js";
import { pollsPart } from "../parts/polls.js";
import { questionsPart } from "../parts/questions.js";
import { queuePart } from "../parts/queue.js";
import { reactionsPart } from "../parts/reactions.js";
import { roomPart } from "../parts/room.js";
import { updateParts, watchRoom } from "./watch.js";

export function mountFacilitator(root, base) {
  let latest = null;
  const ctx = { ...base, facilitator: true, readOnly: false,
    token: new URLSearchParams(location.search).get("token") };
  const parts = {
    room: roomPart(ctx),
    item: currentItemPart(),
    agenda: agendaPart(ctx),
    floor: floorPart(ctx),
    queue: queuePart(ctx),
    reactions: reactionsPart(ctx),
    polls: pollsPart(ctx),
    decisions: decisionsPart(ctx),
    questions: questionsPart(ctx),
    feed: feedPart(ctx),
    people: peoplePart(ctx),
    moderation: moderationPart(),
  };
  root.append(h("div", { class: "layout console-layout" },
    h("div", { class: "col" }, parts.room.el, parts.item.el, parts.agenda.el),
    h("div", { class: "col" }, parts.floor.el, parts.queue.el, parts.questions.el, parts.reactions.el),
    h("div", { class: "col" }, parts.polls.el, parts.decisions.el),
    h("div", { class: "col" }, parts.people.el, parts.feed.el, parts.moderation.el)));
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
