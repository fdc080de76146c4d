// The read-only view of a town hall that has ended: its title, when it ran, and its
// minutes once archived (the public edition, as HTML). Facilitators get "Export minutes".
// Every link opens this after the end; it never says "removed".

import { h, swap } from "../dom.js";
import { t, formatDateTime } from "../i18n.js";
import { loadMinutes, meeting } from "../meeting.js";
import { exportMenu } from "../parts/room.js";

const RETRY_MS = 3000;

export function mountEnded(root, { token, role }) {
  const info = meeting() || {};
  const minutes = h("div", { class: "minutes-body", "aria-live": "polite" },
    h("p", { class: "muted" }, t("ended.preparing")));
  const facilitator = role === "facilitator" || info.role === "facilitator";
  const el = h("div", { class: "ended-view" },
    h("section", { class: "card ended-head", "aria-labelledby": "ended-h" },
      h("h2", { id: "ended-h" }, info.title || t("ended.title")),
      h("p", { class: "ended-status" }, h("span", { class: "badge" }, t("session.status.ended")), " ", t("ended.title")),
      info.started_at ? h("p", { class: "muted" }, t("ended.ran", { start: formatDateTime(info.started_at),
        end: formatDateTime(info.ended_at) })) : null,
      facilitator && info.room ? exportMenu(info.room, token, { id: "ended-export" }) : null),
    h("section", { class: "card minutes", "aria-labelledby": "minutes-h" },
      h("h2", { id: "minutes-h" }, t("ended.minutes")), minutes));
  root.replaceChildren(el);
  document.body.dataset.view = "ended";
  document.body.dataset.session = "ended";
  let timer = null;
  let tries = 0;
  async function fetchMinutes() {
    const html = await loadMinutes(token);
    if (!el.isConnected) return;
    if (html === null) {
      tries += 1;
      if (tries < 200) timer = setTimeout(fetchMinutes, RETRY_MS);
      return;
    }
    // The server's own minutes page (every text escaped by its templates): take its body.
    const doc = new DOMParser().parseFromString(html, "text/html");
    const body = doc.querySelector("main") || doc.body;
    for (const heading of body.querySelectorAll("h1")) heading.remove(); // the page has its title
    swap(minutes, ...[...body.childNodes].map((node) => document.importNode(node, true)));
    document.body.dataset.minutes = "shown";
  }
  fetchMinutes();
  return {
    role: "ended",
    destroy() {
      clearTimeout(timer);
    },
    update() {},
  };
}
