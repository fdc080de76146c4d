// The moderation log for facilitators: every act with who, what, whom, why and when.

import { h, swap } from "../dom.js";
import { t, formatTime } from "../i18n.js";
import { displayName } from "../state.js";

export function moderationPart() {
  const el = h("section", { class: "card moderation", "aria-labelledby": "moderation-h" });
  return {
    el,
    topics: ["participant.", "room.", "statement.hidden", "session."],
    update(state) {
      const entries = state.moderation.slice(-50).reverse();
      swap(el, h("h2", { id: "moderation-h" }, t("moderation.title")),
        entries.length ? h("ol", { class: "moderation-list", reversed: true }, entries.map((m) => h("li", {},
          h("time", { datetime: m.at }, formatTime(m.at)), " ",
          m.actor ? displayName(state, m.actor) : t("feed.system"), ": ",
          t(`moderation.action.${m.action}`),
          m.target ? [" — ", displayName(state, m.target)] : null,
          m.reason ? [" (", m.reason, ")"] : null)))
          : h("p", { class: "muted" }, t("moderation.none")));
    },
  };
}
