// Voice equity for facilitators: who got the floor (facilitation/equity.py, sent with
// the snapshot and with every change of hands and turns). Per person their speaking time,
// turns, share of all speaking time, hands raised and never called; per item how many of
// its speakers spoke for the first time in the session; and who raised a hand but never
// got the floor. Tables with captions and header cells, so a screen reader can follow.

import { h, swap } from "../dom.js";
import { t, formatDuration, formatNumber } from "../i18n.js";
import { displayName } from "../state.js";
import { formatShare, shareBar } from "./reactions.js";

export function equityPart() {
  const el = h("section", { class: "card equity", "aria-labelledby": "equity-h" });
  return {
    el,
    topics: ["hand.", "queue.", "floor.", "agenda.", "session.", "participant."],
    update(state) {
      const report = state.equity;
      const people = report?.people || [];
      const items = report?.items || [];
      const uncalled = people.filter((p) => p.uncalled > 0);
      const spoken = people.some((p) => p.turns > 0);
      const th = (key) => h("th", { scope: "col" }, t(key));
      swap(el, h("h2", { id: "equity-h" }, t("equity.title")),
        h("p", { class: "muted" }, t("equity.total", { time: formatDuration(report?.total_s || 0) })),
        people.length ? h("div", { class: "table-scroll" }, h("table", { class: "equity-people" },
          h("caption", {}, t("equity.people")),
          h("thead", {}, h("tr", {}, th("equity.person"), th("equity.speaking"), th("equity.turns"), th("equity.share"),
            th("equity.hands"), th("equity.uncalled"))),
          h("tbody", {}, people.map((p) => h("tr", { "data-participant": p.participant },
            h("th", { scope: "row" }, displayName(state, p.participant)),
            h("td", {}, formatDuration(p.speaking_s)),
            h("td", {}, formatNumber(p.turns)),
            h("td", {}, formatShare(p.share), " ", shareBar(p.share)),
            h("td", {}, formatNumber(p.hands)),
            h("td", {}, formatNumber(p.uncalled)))))))
          : null,
        spoken ? null : h("p", { class: "muted" }, t("equity.none")),
        items.length ? h("div", { class: "table-scroll" }, h("table", { class: "equity-items" },
          h("caption", {}, t("equity.items")),
          h("thead", {}, h("tr", {}, th("equity.item"), th("equity.speakers"), th("equity.first_time"), th("equity.first_share"))),
          h("tbody", {}, items.map((i) => h("tr", {},
            h("th", { scope: "row" }, i.item ? state.agenda.items[i.item]?.title || i.item : t("equity.no_item")),
            h("td", {}, formatNumber(i.speakers)),
            h("td", {}, formatNumber(i.first_time)),
            h("td", {}, formatShare(i.share)))))))
          : null,
        h("h3", {}, t("equity.never_called")),
        uncalled.length ? h("ul", { class: "equity-uncalled" }, uncalled.map((p) => h("li", {},
          displayName(state, p.participant), " · ", t("equity.uncalled"), ": ", formatNumber(p.uncalled))))
          : h("p", { class: "muted" }, t("equity.nobody_uncalled")));
    },
  };
}
