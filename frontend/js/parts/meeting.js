// The meeting as the waiting view and the projector show it: the start time in the
// viewer's time zone and in the meeting's (when they differ), a countdown to the start,
// and the join QR code with its short URL.

import { h, swap } from "../dom.js";
import { t, formatZoned, viewerZone } from "../i18n.js";
import { meeting } from "../meeting.js";
import { startCountdown } from "./timer.js";

/** "Starts at" in the viewer's zone, the meeting's zone where it differs, and a countdown. */
export function startsPart(ctx, state, { big = false } = {}) {
  const info = meeting();
  const title = h("p", { class: big ? "pj-title" : "item-title" }, state?.session.title || info?.title || "");
  if (!info?.starts_at) return h("div", { class: "starts" }, title, h("p", { class: "muted" }, t("meeting.no_start")));
  const mine = viewerZone();
  const zone = info.timezone || mine;
  return h("div", { class: "starts" }, title,
    h("p", { class: "starts-at" }, t("meeting.starts_at", { time: formatZoned(info.starts_at, mine) })),
    zone !== mine ? h("p", { class: "muted" }, t("meeting.starts_at_zone", { time: formatZoned(info.starts_at, zone), zone })) : null,
    h("p", {}, startCountdown(info.starts_at, { big })));
}

/** The join QR code and short URL (for the projector and handouts). */
export function joinPart(ctx, { big = false } = {}) {
  const el = h("section", { class: big ? "join-code big" : "join-code", "aria-labelledby": "join-code-h" });
  let shown = null;
  return {
    el,
    update() {
      const join = meeting()?.join;
      el.hidden = !join;
      // Drawn once per code (and language): the projector redraws on every event.
      const key = join ? `${join.short_url}|${t("projector.join")}` : null;
      if (!join || key === shown) return;
      shown = key;
      swap(el, h("h2", { id: "join-code-h", class: "pj-label" }, t("projector.join")),
        h("img", { class: "qr", src: join.qr, alt: t("qr.alt.participant"), width: 200, height: 200 }),
        h("p", { class: "short-url" }, join.short_url.replace(/^https?:\/\//, "")));
    },
  };
}
