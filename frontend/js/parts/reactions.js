// Reactions as state: one current reaction per person per agenda item. The participant's
// own is shown pressed (aria-pressed); pressing it again, or "Withdraw my reaction",
// sends null. The room's temperature is each reaction's share of the people present.

import { h, swap } from "../dom.js";
import { t, formatNumber, language, plural } from "../i18n.js";
import { myReaction, noteMyReaction, reactionCounts, reactionShares } from "../state.js";

export const REACTIONS = ["agree", "disagree", "applause", "unclear"];

/** A share (0-1) as a percentage in the page's language ("8%", "8%"). */
export function formatShare(share) {
  return new Intl.NumberFormat(language(), { style: "percent", maximumFractionDigits: 0 }).format(share || 0);
}

/** A bar as wide as the share: drawn through the CSSOM (the CSP forbids style attributes). */
export function shareBar(share) {
  const fill = h("span", { class: "share-fill" });
  fill.style.width = `${Math.round(Math.min(1, Math.max(0, share || 0)) * 100)}%`;
  return h("span", { class: "share-bar", "aria-hidden": "true" }, fill);
}

export function reactionsPart({ send, readOnly = false }) {
  const el = h("section", { class: "card reactions", "aria-labelledby": "reactions-h" });
  let latest = null;
  let api = null;
  function react(kind) {
    send("reaction.send", { kind }).then(() => {
      if (!latest) return;
      noteMyReaction(latest, kind);
      api.update(latest);
    });
  }
  api = {
    el,
    topics: ["reaction.", "agenda.", "session.", "participant.", "attendance."],
    update(state) {
      latest = state;
      const counts = reactionCounts(state);
      const shares = reactionShares(state);
      const live = state.session.status === "live";
      const mine = readOnly ? null : myReaction(state);
      const share = (kind) => h("span", { class: "share" }, t("reaction.share", { share: formatShare(shares[kind]) }));
      swap(el, h("h2", { id: "reactions-h" }, t("reaction.title")),
        h("p", { class: "muted" }, plural("reaction.of_present", state.present || 0)),
        h("div", { class: "reaction-row" }, REACTIONS.map((kind) => (readOnly
          ? h("p", { class: "reaction", "data-kind": kind }, t(`reaction.${kind}`), ": ", formatNumber(counts[kind]),
            " · ", share(kind), shareBar(shares[kind]))
          : h("button", { type: "button", class: "reaction", "data-k": `react-${kind}`, "data-kind": kind,
            disabled: !live, "aria-pressed": mine === kind ? "true" : "false",
            onclick: () => react(mine === kind ? null : kind) },
          t(`reaction.${kind}`), " ",
          h("span", { class: "count" }, formatNumber(counts[kind])), " · ", share(kind), shareBar(shares[kind]))))),
        readOnly ? null : h("p", { class: "muted my-reaction" },
          mine ? t("reaction.mine", { kind: t(`reaction.${mine}`) }) : t("reaction.none_mine")),
        !readOnly && mine && live ? h("div", { class: "buttons" }, h("button", { type: "button", "data-k": "react-withdraw",
          onclick: () => react(null) }, t("reaction.withdraw"))) : null);
    },
  };
  return api;
}
