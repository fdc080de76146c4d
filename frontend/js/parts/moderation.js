// The moderation log: every act of a facilitator with who, what, whom, why, what changed
// and when (facilitation/moderation_log.py). Facilitators have it as a tab; participants
// and observers as a collapsible region (public: SPEC §10). Action names are the command
// names, shown in words in the page's language.

import { h, swap } from "../dom.js";
import { t, has, formatNumber, formatTime, plural } from "../i18n.js";
import { displayName } from "../state.js";

const SECONDS = new Set(["turn_s", "slow_mode_s", "item_grace_s"]);

function settingValue(key, value) {
  if (value === null || value === undefined) return key === "max_turns_per_item" ? t("moderation.no_limit") : "—";
  if (typeof value === "boolean") return t(value ? "moderation.on" : "moderation.off");
  if (key === "queue_policy" && has(`queue.policy_name.${value}`)) return t(`queue.policy_name.${value}`);
  if (key === "max_turns_per_item" && !value) return t("moderation.no_limit");
  if (SECONDS.has(key) && typeof value === "number") return t("moderation.seconds", { n: formatNumber(value) });
  return typeof value === "number" ? formatNumber(value) : String(value);
}

const cut = (text) => {
  const s = String(text ?? "");
  return s.length > 80 ? `${s.slice(0, 79)}…` : s;
};

function findProposal(state, id) {
  const all = state.proposals || {};
  return (Array.isArray(all) ? all : Object.values(all)).find((p) => p && p.id === id) || null;
}

/** What changed, in words: which setting and its new value, where a hand went, which
 * question... or null when the action says it all. */
export function describeDetail(state, entry) {
  const detail = entry.detail || {};
  switch (entry.action) {
    case "room.settings": {
      const changes = Object.entries(detail.changes || {});
      if (!changes.length) return null;
      return changes.map(([key, [before, after]]) => t("moderation.change", {
        setting: has(`moderation.setting.${key}`) ? t(`moderation.setting.${key}`) : key,
        old: settingValue(key, before), new: settingValue(key, after) })).join("; ");
    }
    case "queue.move":
      return typeof detail.position === "number" ? t("moderation.position", { n: formatNumber(detail.position + 1) }) : null;
    case "queue.clear": {
      const hands = detail.hands || [];
      return hands.length ? t("moderation.hands", { names: hands.map((id) => displayName(state, id)).join(", ") })
        : t("moderation.no_hands");
    }
    case "floor.end":
      return typeof detail.turn === "number" ? t("moderation.turn", { n: formatNumber(detail.turn) }) : null;
    case "question.approve":
    case "question.hide":
    case "question.dismiss": {
      // The words only where this viewer may read them (not a hidden question's, publicly).
      const text = state.questions[detail.question]?.text;
      return text ? t("moderation.question", { text: cut(text) }) : null;
    }
    case "proposal.merge": {
      const from = findProposal(state, detail.proposal)?.text;
      const into = findProposal(state, detail.into)?.text;
      return from && into ? t("moderation.merge", { from: cut(from), into: cut(into) }) : null;
    }
    case "proposal.hide": {
      const text = findProposal(state, detail.proposal)?.text;
      return text ? t("moderation.proposal", { text: cut(text) }) : null;
    }
    case "cheer.reveal": {
      const counts = Object.entries(detail.counts || {}).map(([who, n]) => `${who} ${formatNumber(n)}`).join(", ");
      const item = state.agenda.items[detail.item]?.title || "";
      return counts ? t("moderation.cheers", { item, counts }) : null;
    }
    default:
      return null;
  }
}

function actionName(action) {
  const key = `moderation.action.${action}`;
  return has(key) ? t(key) : t("moderation.action.other", { action });
}

function entryRow(state, m) {
  const detail = describeDetail(state, m);
  return h("li", { "data-action": m.action },
    h("time", { datetime: m.at }, formatTime(m.at)), " ",
    m.actor ? displayName(state, m.actor) : t("feed.system"), ": ",
    actionName(m.action),
    m.target ? [" — ", displayName(state, m.target)] : null,
    m.reason ? [" (", m.reason, ")"] : null,
    detail ? [" · ", h("span", { class: "detail" }, detail)] : null);
}

const TOPICS = ["participant.", "room.", "statement.hidden", "session.", "hand.", "queue.", "floor.",
  "question.", "cheer.", "proposal."];

/** The facilitators' tab: the latest 50 acts, newest first. */
export function moderationPart() {
  const el = h("section", { class: "card moderation", "aria-labelledby": "moderation-h" });
  return {
    el,
    topics: TOPICS,
    update(state) {
      const entries = state.moderation.slice(-50).reverse();
      swap(el, h("h2", { id: "moderation-h" }, t("moderation.title")),
        entries.length ? h("ol", { class: "moderation-list", reversed: true }, entries.map((m) => entryRow(state, m)))
          : h("p", { class: "muted" }, t("moderation.none")));
    },
  };
}

/**
 * Participants and observers: the same log in a collapsible region (a native
 * <details>, so it opens with the keyboard and says so to a screen reader). Closed by
 * default; its state survives updates (only the list inside is redrawn).
 */
export function publicModerationPart() {
  const count = h("span", { class: "badge moderation-count" });
  const list = h("div", { class: "moderation-body" });
  const details = h("details", { class: "moderation-log" },
    h("summary", {}, h("h2", { id: "public-moderation-h", class: "summary-title" }, t("moderation.public_title")), " ", count),
    list);
  const el = h("section", { class: "card moderation public-moderation", "aria-labelledby": "public-moderation-h" }, details);
  return {
    el,
    topics: TOPICS,
    update(state) {
      const all = state.moderation;
      count.textContent = all.length ? plural("moderation.count", all.length) : "";
      count.hidden = !all.length;
      const entries = all.slice(-50).reverse();
      swap(list, entries.length
        ? h("ol", { class: "moderation-list", reversed: true }, entries.map((m) => entryRow(state, m)))
        : h("p", { class: "muted" }, t("moderation.none")));
    },
  };
}
