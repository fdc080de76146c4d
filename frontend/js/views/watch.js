// Announcements that follow the room for any view: "poll opened", "you are next",
// "1 minute left", "you have the floor". Each fires on the transition, once.

import { everySecond, secondsUntil } from "../clock.js";
import { t } from "../i18n.js";
import { currentItem, currentQueue, currentTurn, displayName } from "../state.js";

export function watchRoom(ctx, getState) {
  const me = ctx.you.participant;
  let wasNext = false;
  const warned = new Set();

  const stop = everySecond(() => {
    const state = getState();
    if (!state || state.session.status !== "live") return;
    const item = currentItem(state);
    if (item?.deadline) {
      const left = secondsUntil(item.deadline);
      const key = `item-${item.id}-${item.deadline}`;
      if (left <= 60 && left > 0 && !warned.has(key)) {
        warned.add(key);
        ctx.announce(t("announce.item_minute", { title: item.title }));
      }
    }
    const turn = currentTurn(state);
    if (turn && turn.participant === me) {
      const left = secondsUntil(turn.deadline);
      const key = `turn-${turn.number}-${turn.deadline}`;
      if (left <= 60 && left > 0 && !warned.has(key) && (Date.parse(turn.deadline) - Date.parse(turn.started)) > 61000) {
        warned.add(key);
        ctx.announce(t("announce.turn_minute"), { urgent: true });
      }
    }
  });

  function onEvent(state, event) {
    const d = event.data || {};
    switch (event.name) {
      case "poll.opened":
        ctx.announce(t("announce.poll_opened", { question: d.question || state.polls[d.poll ?? d.id]?.question || "" }));
        break;
      case "poll.closed":
        ctx.announce(t("announce.poll_closed", { question: state.polls[d.poll]?.question || "" }));
        break;
      case "floor.granted":
        if (d.participant === me) ctx.announce(t("announce.your_floor"), { urgent: true });
        else ctx.announce(t("announce.floor", { name: displayName(state, d.participant) }));
        break;
      case "agenda.started":
        ctx.announce(t("announce.item_started", { title: state.agenda.items[d.item]?.title || "" }));
        break;
      case "decision.recorded":
        ctx.announce(t("announce.decision"));
        break;
      case "cheer.revealed":
        ctx.announce(t("cheer.revealed_note"));
        break;
      // The asker of a question that waited for approval (or was hidden) hears of it.
      case "question.approved":
        if (state.myQuestions?.has(d.question) && ctx.role !== "facilitator") ctx.announce(t("announce.question_approved"));
        break;
      case "question.hidden":
        if (state.myQuestions?.has(d.question) && ctx.role !== "facilitator") {
          ctx.announce(t("announce.question_hidden", { reason: d.reason || "" }));
        }
        break;
      case "session.started":
        ctx.announce(t("announce.session_started"));
        break;
      case "session.ended":
        ctx.announce(t("announce.session_ended"), { urgent: true });
        break;
      case "participant.muted":
        if (d.participant === me) ctx.announce(t("banner.muted"), { urgent: true });
        break;
      case "participant.unmuted":
        if (d.participant === me) ctx.announce(t("announce.unmuted"));
        break;
      case "participant.admitted":
        if (d.participant === me) ctx.announce(t("announce.admitted"));
        break;
      case "participant.removed":
        if (d.participant === me) ctx.announce(t("banner.removed"), { urgent: true });
        break;
      default:
        break;
    }
    const queue = currentQueue(state);
    const next = queue.hands[0]?.participant === me;
    if (next && !wasNext) ctx.announce(t("announce.you_next"), { urgent: true });
    wasNext = next;
  }
  onEvent.stop = stop;
  return onEvent;
}

/**
 * Redraws only the parts an event can have changed: a big room's participant list is
 * not rebuilt for every reaction, nor its feed for every join. A part names event
 * prefixes in `topics`; "me." stands for the participant events about this viewer.
 * `changed` null means everything (welcome, language).
 */
export function updateParts(parts, state, changed) {
  for (const part of Object.values(parts)) {
    if (!changed || !part.topics || [...changed].some((name) => part.topics.some((t) => name.startsWith(t)))) {
      part.update(state);
    }
  }
}
