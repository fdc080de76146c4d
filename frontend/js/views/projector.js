// Projector: the big screen of a hybrid meeting. Read-only, large type, no inputs, and
// one screen with no scrolling at 1280x800 and 1920x1080 in every state: every region
// has a fixed place in a grid the height of the window, long texts are cut to a few lines
// and a poll's rows share the height of their region (10 options fit).
//
// Regions: the item and its timer, the speaker and the turn timer, the join QR code and
// short URL, the poll (or the next speakers), the question board, the room's temperature,
// the caption line and a slot for the live record head. Other features add regions
// through `projectorSlots` ({id, area: "side" | "record", part: (ctx) => part}).

import { h, swap } from "../dom.js";
import { t, formatNumber } from "../i18n.js";
import { countdown } from "../parts/timer.js";
import { results } from "../parts/results.js";
import { battleBoard } from "../parts/battle.js";
import { livePoll, optionsOf } from "../parts/polls.js";
import { REACTIONS, formatShare } from "../parts/reactions.js";
import { agendaFinished } from "../parts/agenda.js";
import { joinPart, startsPart } from "../parts/meeting.js";
import { streamPart } from "../parts/stream.js";
import { captionLine } from "../parts/captions.js";
import { currentItem, currentQueue, currentTurn, displayName, reactionShares, sortedQuestions, votesOf } from "../state.js";

export const projectorSlots = [];

function section(name, labelKey, ...children) {
  return h("section", { class: `pj-${name}`, "aria-labelledby": `pj-${name}-h` },
    h("h2", { id: `pj-${name}-h`, class: "pj-label" }, t(labelKey)), ...children);
}


export function mountProjector(root, ctx) {
  const el = h("div", { class: "projector" });
  const item = h("div", { class: "pj-cell pj-cell-item" });
  const floor = h("div", { class: "pj-cell pj-cell-floor" });
  const main = h("div", { class: "pj-cell pj-cell-main" });
  const board = h("div", { class: "pj-cell pj-cell-board" });
  const caption = h("div", { class: "pj-cell pj-cell-caption" });
  const join = joinPart(ctx, { big: false });
  const stream = streamPart(ctx);
  const record = h("div", { class: "pj-cell pj-cell-record", "data-slot": "record-head" });
  const side = h("div", { class: "pj-cell pj-cell-join" }, join.el);
  const slots = projectorSlots.map((slot) => ({ ...slot, made: slot.part(ctx) }));
  for (const slot of slots) (slot.area === "record" ? record : board).append(slot.made.el);
  el.append(item, floor, side, main, board, caption, record);
  root.append(el);
  return {
    role: "projector",
    update(state) {
      const status = state.session.status;
      el.dataset.state = status;
      const running = currentItem(state);
      const turn = currentTurn(state);
      if (status === "scheduled") {
        swap(item, section("item", "projector.starts", startsPart(ctx, state, { big: true })));
      } else {
        swap(item, section("item", "agenda.current",
          h("p", { class: "pj-title" }, running ? running.title
            : agendaFinished(state) ? t("agenda.all_done") : t("agenda.none_running")),
          running ? countdown({ deadline: running.deadline, remaining: running.remaining_s,
            paused: running.status === "paused", big: true }) : null,
          running?.documents?.length ? h("p", { class: "pj-docs" }, `${t("agenda.documents")}: `,
            running.documents.map((d) => d.title).join(" · ")) : null));
      }
      swap(floor, section("floor", "floor.title",
        h("p", { class: "pj-speaker" }, turn ? displayName(state, turn.participant) : t("floor.nobody")),
        turn ? countdown({ deadline: turn.deadline, big: true }) : null));

      const poll = livePoll(state);
      const showStream = stream.wanted(state) && !(poll && poll.status === "open");
      if (showStream) stream.update(state);
      if (showStream) {
        swap(main, stream.el);
      } else if (poll) {
        const options = optionsOf(poll);
        // A battle is shown as its situation board: the shares and how they moved.
        const res = poll.kind === "battle" && poll.tally ? battleBoard(poll, { big: true, before: state.polls[poll.repeat_of] })
          : results(poll, options, { big: true, compact: true });
        const block = section("poll", poll.status === "open" ? "projector.poll" : "poll.last_closed",
          h("p", { class: "pj-question" }, poll.question),
          res || h("p", { class: "pj-turnout" }, t("poll.turnout", { n: formatNumber(poll.turnout || 0) })),
          res ? h("p", { class: "pj-turnout" }, t("poll.turnout", { n: formatNumber(poll.tally?.turnout ?? poll.turnout ?? 0) })) : null);
        block.style.setProperty("--rows", String(Math.max(3, options.length)));
        swap(main, block);
      } else {
        const hands = currentQueue(state).hands.slice(0, 5);
        swap(main, section("next", "projector.next",
          hands.length ? h("ol", {}, hands.map((hand) => h("li", {}, displayName(state, hand.participant),
            hand.kind !== "speak" ? [" ", h("span", { class: "badge" }, t(`hand.kind.${hand.kind}`))] : null)))
            : h("p", { class: "muted" }, t("queue.empty"))));
      }

      const questions = sortedQuestions(state).filter((q) => q.status === "open").slice(0, 4);
      const shares = reactionShares(state); // one reaction per person: a share of the room
      swap(board,
        section("questions", "projector.questions",
          questions.length ? h("ol", { class: "pj-questions" }, questions.map((q) => h("li", {},
            h("span", { class: "pj-q-text" }, q.text),
            h("span", { class: "pj-q-votes" }, t("question.votes", { n: formatNumber(votesOf(q)) })))))
            : h("p", { class: "muted" }, t("question.none"))),
        section("temp", "projector.temperature",
          h("ul", { class: "pj-reactions" }, REACTIONS.map((kind) => h("li", {},
            h("span", { class: "pj-count" }, formatShare(shares[kind])), " ", t(`reaction.${kind}`))))),
        slots.filter((slot) => slot.area !== "record").map((slot) => slot.made.el));
      for (const slot of slots) slot.made.update(state);

      // The latest transcript line, from a turn or the item (the snapshot's `caption`).
      const line = captionLine(state);
      swap(caption, h("p", { class: "pj-caption", "aria-live": "off" },
        h("span", { class: "pj-label" }, t("projector.caption")), " ",
        line ? [line.who ? h("strong", {}, line.who, ": ") : null, line.text] : h("span", { class: "muted" }, "—")));
      join.update(state);
    },
  };
}
