// The waiting view of a scheduled meeting: what it is, when it starts (in the viewer's
// time zone and the meeting's), a countdown, and what may be done before the start.

import { h, swap } from "../dom.js";
import { t } from "../i18n.js";
import { linkify } from "./documents.js";
import { startsPart } from "./meeting.js";

export function waitingPart(ctx) {
  const el = h("section", { class: "card waiting", "aria-labelledby": "waiting-h" });
  return {
    el,
    topics: ["session.", "meeting."],
    update(state) {
      el.hidden = state.session.status !== "scheduled";
      if (el.hidden) return;
      swap(el, h("h2", { id: "waiting-h" }, t("meeting.waiting_title")),
        startsPart(ctx, state),
        state.session.description ? h("p", { class: "description" }, linkify(state.session.description)) : null,
        ctx.readOnly ? null : h("p", { class: "muted" }, t("meeting.before_start")));
    },
  };
}
