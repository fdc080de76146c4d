// Reactions: four buttons with live counts per agenda item (the room's temperature).

import { h, swap } from "../dom.js";
import { t, formatNumber } from "../i18n.js";
import { reactionCounts } from "../state.js";

export const REACTIONS = ["agree", "disagree", "applause", "unclear"];

export function reactionsPart({ send, readOnly = false }) {
  const el = h("section", { class: "card reactions", "aria-labelledby": "reactions-h" });
  return {
    el,
    topics: ["reaction.", "agenda.", "session."],
    update(state) {
      const counts = reactionCounts(state);
      const live = state.session.status === "live";
      swap(el, h("h2", { id: "reactions-h" }, t("reaction.title")),
        h("div", { class: "reaction-row" }, REACTIONS.map((kind) => (readOnly
          ? h("p", { class: "reaction" }, t(`reaction.${kind}`), ": ", formatNumber(counts[kind]))
          : h("button", { type: "button", class: "reaction", "data-k": `react-${kind}`, disabled: !live,
            onclick: () => send("reaction.send", { kind }) },
          t(`reaction.${kind}`), " ",
          h("span", { class: "count" }, formatNumber(counts[kind])))))));
    },
  };
}
