// Cheering (SPEC §10): the running item's presenters each get a cheer button; the counts
// stay hidden from everyone (facilitators included) until a facilitator reveals them.
// The projector shows each cheer as it arrives, never as a number, then the totals.

import { LIMITS } from "../limits.js";
import { h, swap } from "../dom.js";
import { t, formatNumber, plural } from "../i18n.js";
import { currentCheers, lastRevealed } from "../state_formats.js";

function totals(cheers, { big = false } = {}) {
  const counts = cheers.counts || {};
  const max = Math.max(1, ...Object.values(counts));
  return h("ul", { class: `cheer-totals${big ? " big" : ""}` }, cheers.presenters.map((name) => {
    const fill = h("span");
    fill.style.width = `${Math.round(((counts[name] || 0) / max) * 100)}%`;
    return h("li", {}, h("span", { class: "cheer-name" }, name),
      h("span", { class: "bar", "aria-hidden": "true" }, fill),
      h("span", { class: "num" }, plural("cheer.count", counts[name] || 0, { n: formatNumber(counts[name] || 0) })));
  }));
}

/** Participants: a cheer button per presenter of the running item (one a second each). */
export function cheersPart({ send, readOnly = false, announce }) {
  const el = h("section", { class: "card cheers", "aria-labelledby": "cheers-h" });
  const cooling = new Map(); // presenter -> until (ms): the server allows one a second
  let last = null;
  const api = {
    el,
    topics: ["cheer.", "agenda.", "session."],
    update(state) {
      last = state;
      const cheers = currentCheers(state);
      el.hidden = !cheers;
      if (!cheers) return;
      const live = state.session.status === "live";
      const buttons = readOnly || cheers.revealed || !live ? null : h("div", { class: "buttons cheer-buttons" },
        cheers.presenters.map((name) => {
          const waiting = (cooling.get(name) || 0) > Date.now();
          // aria-disabled, not disabled: the focus stays on the button between cheers.
          return h("button", { type: "button", class: "cheer-button", "data-k": `cheer-${name}`,
            "aria-disabled": waiting ? "true" : null,
            onclick: () => {
              if ((cooling.get(name) || 0) > Date.now()) return;
              cooling.set(name, Date.now() + LIMITS.cheer_interval_s * 1000);
              api.update(last);
              setTimeout(() => api.update(last), LIMITS.cheer_interval_s * 1000 + 20);
              send("cheer.send", { presenter: name }).then(() => announce?.(t("cheer.sent", { name })));
            } }, t("cheer.button", { name }));
        }));
      swap(el, h("h2", { id: "cheers-h" }, t("cheer.title")),
        h("p", { class: "muted" }, cheers.revealed ? t("cheer.revealed_note") : t("cheer.hidden_note")),
        buttons,
        cheers.revealed ? totals(cheers) : null);
    },
  };
  return api;
}

/** Facilitators: every item with presenters, and "Reveal cheers" for each not yet revealed. */
export function cheersConsolePart({ send }) {
  const el = h("section", { class: "card cheers-console", "aria-labelledby": "cheers-console-h" });
  return {
    el,
    topics: ["cheer.", "agenda.", "session."],
    update(state) {
      const items = state.agenda.order.map((id) => state.agenda.items[id])
        .filter((item) => item && (item.presenters?.length || state.cheers?.[item.id]?.revealed));
      swap(el, h("h2", { id: "cheers-console-h" }, t("cheer.title")),
        h("p", { class: "muted" }, t("cheer.console_note")),
        items.length ? h("ol", { class: "cheer-items" }, items.map((item) => {
          const cheers = { presenters: item.presenters || [], ...(state.cheers?.[item.id] || {}) };
          const titleId = `cheer-item-${item.id}`;
          return h("li", {},
            h("p", {}, h("span", { class: "item-title", id: titleId }, item.title),
              state.agenda.current === item.id ? [" ", h("span", { class: "badge" }, t("agenda.status.running"))] : null),
            h("p", { class: "muted" }, t("cheer.presenters", { names: cheers.presenters.join(", ") })),
            cheers.revealed ? totals(cheers)
              : h("div", { class: "buttons" }, h("button", { type: "button", "data-k": `reveal-${item.id}`,
                "aria-describedby": titleId, disabled: state.session.status !== "live",
                onclick: () => send("cheer.reveal", { item: item.id }) }, t("cheer.reveal"))));
        })) : h("p", { class: "muted" }, t("cheer.no_presenters")));
    },
  };
}

/**
 * The projector's cheering region: the running item's presenters, each cheer a burst
 * beside the name as it comes (no number), the totals once revealed.
 */
export function cheersProjectorPart() {
  const el = h("section", { class: "pj-cheers", "aria-labelledby": "pj-cheers-h" });
  let drawn = ""; // what the names were drawn for (item, presenters, revealed)
  const rows = new Map(); // presenter -> {row, seen}
  return {
    el,
    update(state) {
      const cheers = currentCheers(state) || lastRevealed(state);
      el.hidden = !cheers;
      if (!cheers) { drawn = ""; return; }
      const key = JSON.stringify([cheers.item, cheers.presenters, cheers.revealed]);
      const waves = state.cheerWaves?.[cheers.item] || {};
      if (key !== drawn) {
        drawn = key;
        rows.clear();
        const list = h("ul", { class: "pj-cheer-list" }, cheers.presenters.map((name) => {
          const row = h("li", { class: "pj-cheer", "data-presenter": name, "data-pulses": "0" },
            h("span", { class: "cheer-name" }, name), h("span", { class: "burst", "aria-hidden": "true" }));
          rows.set(name, { row, seen: waves[name] || 0 });
          return row;
        }));
        swap(el, h("h2", { id: "pj-cheers-h", class: "pj-label" }, t(cheers.revealed ? "cheer.totals" : "cheer.title")),
          cheers.revealed ? totals(cheers, { big: true }) : list);
        return;
      }
      for (const [name, entry] of rows) {
        const now = waves[name] || 0;
        if (now <= entry.seen) continue;
        entry.seen = now;
        const pulses = Number(entry.row.dataset.pulses) + 1;
        entry.row.dataset.pulses = String(pulses);
        entry.row.classList.add("cheering");
        const spark = h("span", { class: "spark" }, "★");
        spark.style.left = `${10 + ((pulses * 37) % 70)}%`;
        entry.row.querySelector(".burst").append(spark);
        setTimeout(() => {
          spark.remove();
          if (!entry.row.querySelector(".spark")) entry.row.classList.remove("cheering");
        }, 1200);
      }
    },
  };
}
