// Projector: the big screen of a hybrid meeting. Read-only, large type, no inputs.

import { h, swap } from "../dom.js";
import { t, formatNumber } from "../i18n.js";
import { countdown } from "../parts/timer.js";
import { results } from "../parts/results.js";
import { optionsOf } from "../parts/polls.js";
import { REACTIONS } from "../parts/reactions.js";
import { currentItem, currentQueue, currentTurn, displayName, reactionCounts } from "../state.js";

export function mountProjector(root) {
  const el = h("div", { class: "projector" });
  root.append(el);
  return {
    role: "projector",
    update(state) {
      const item = currentItem(state);
      const turn = currentTurn(state);
      const hands = currentQueue(state).hands.slice(0, 3);
      const live = Object.values(state.polls).find((p) => p.status === "open")
        || Object.values(state.polls).filter((p) => p.status !== "draft").at(-1);
      const counts = reactionCounts(state);
      swap(el,
        h("section", { class: "pj-item", "aria-labelledby": "pj-item-h" },
          h("h2", { id: "pj-item-h", class: "pj-label" }, t("agenda.current")),
          h("p", { class: "pj-title" }, item ? item.title : t("agenda.none_running")),
          item ? countdown({ deadline: item.deadline, remaining: item.remaining_s, paused: item.status === "paused", big: true }) : null),
        h("section", { class: "pj-floor", "aria-labelledby": "pj-floor-h" },
          h("h2", { id: "pj-floor-h", class: "pj-label" }, t("floor.title")),
          h("p", { class: "pj-speaker" }, turn ? displayName(state, turn.participant) : t("floor.nobody")),
          turn ? countdown({ deadline: turn.deadline, big: true }) : null),
        h("section", { class: "pj-next", "aria-labelledby": "pj-next-h" },
          h("h2", { id: "pj-next-h", class: "pj-label" }, t("projector.next")),
          hands.length ? h("ol", {}, hands.map((hand) => h("li", {}, displayName(state, hand.participant),
            hand.kind !== "speak" ? [" ", h("span", { class: "badge" }, t(`hand.kind.${hand.kind}`))] : null)))
            : h("p", {}, t("queue.empty"))),
        h("section", { class: "pj-poll", "aria-labelledby": "pj-poll-h" },
          h("h2", { id: "pj-poll-h", class: "pj-label" }, t("projector.poll")),
          live ? [h("p", { class: "pj-question" }, live.question),
            results(live, optionsOf(live), { big: true })
              || h("p", {}, t("poll.turnout", { n: formatNumber(live.turnout || 0) }))]
            : h("p", {}, t("poll.none"))),
        h("section", { class: "pj-temp", "aria-labelledby": "pj-temp-h" },
          h("h2", { id: "pj-temp-h", class: "pj-label" }, t("projector.temperature")),
          h("ul", { class: "pj-reactions" }, REACTIONS.map((kind) => h("li", {},
            h("span", { class: "pj-count" }, formatNumber(counts[kind])), " ", t(`reaction.${kind}`))))));
    },
  };
}
