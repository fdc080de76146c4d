// Clickable links in descriptions, and an agenda item's documents (a budget PDF, a plan).
// Only http(s) addresses become links; everything else stays text (never HTML).

import { h } from "../dom.js";
import { t } from "../i18n.js";

const URL_RE = /\bhttps?:\/\/[^\s<>"]+/g;
const TRAILING = /[.,;:!?)\]}'"»」』]+$/;

/** The text as nodes, with every http(s) address turned into a link that opens apart. */
export function linkify(text) {
  const out = [];
  let at = 0;
  for (const match of String(text || "").matchAll(URL_RE)) {
    let url = match[0];
    const tail = url.match(TRAILING);
    if (tail) url = url.slice(0, -tail[0].length);
    if (!url) continue;
    out.push(text.slice(at, match.index));
    out.push(h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, url));
    at = match.index + url.length;
  }
  out.push(text.slice(at));
  return out.filter((part) => part !== "");
}

/** An agenda item's documents as a list of links (uploaded files download; others open). */
export function documentsList(item) {
  const docs = (item && item.documents) || [];
  if (!docs.length) return null;
  return h("ul", { class: "documents", "aria-label": t("agenda.documents") },
    docs.map((doc) => h("li", {}, h("a", { href: doc.url, target: "_blank", rel: "noopener noreferrer" },
      doc.title || doc.url))));
}
