// Facilitator's participant list: who is here, waiting, muted; mute/unmute/remove/admit.

import { h, swap } from "../dom.js";
import { t, plural } from "../i18n.js";
import { currentTurn, displayName } from "../state.js";

const ORDER = { waiting: 0, present: 1, left: 2, removed: 3 };

export function peoplePart({ send, you }) {
  const el = h("section", { class: "card people", "aria-labelledby": "people-h" });
  return {
    el,
    topics: ["participant.", "presence.", "session.", "floor.", "turn."],
    update(state) {
      const people = Object.values(state.people)
        .filter((p) => p && p.id && p.role !== "observer")
        .sort((a, b) => (ORDER[a.status] ?? 9) - (ORDER[b.status] ?? 9) || String(a.name).localeCompare(String(b.name)));
      const present = people.filter((p) => p.status === "present").length;
      swap(el, h("h2", { id: "people-h" }, t("people.title")),
        h("p", { class: "muted" }, `${plural("people.present", present)}, ${plural("people.observers", state.observers || 0)}`),
        h("ul", { class: "people-list" }, people.map((p) => {
          const name = displayName(state, p.id);
          const buttons = [];
          if (p.id !== you.participant && p.role !== "facilitator" && p.status !== "removed") {
            if (p.status === "waiting") buttons.push(h("button", { type: "button", class: "primary", "data-k": `admit-${p.id}`,
              "aria-label": t("people.admit_named", { name }), onclick: () => send("participant.admit", { participant: p.id }) }, t("people.admit")));
            const speaking = currentTurn(state)?.participant === p.id;
            if (p.status === "present" && state.session.status === "live" && !speaking) {
              buttons.push(h("button", { type: "button", "data-k": `floor-${p.id}`,
                "aria-label": t("queue.grant_named", { name }),
                onclick: () => send("floor.grant", { participant: p.id }) }, t("queue.grant")));
            }
            buttons.push(p.muted
              ? h("button", { type: "button", "data-k": `unmute-${p.id}`, "aria-label": t("people.unmute_named", { name }),
                onclick: () => send("participant.unmute", { participant: p.id }) }, t("people.unmute"))
              : h("button", { type: "button", "data-k": `mute-${p.id}`, "aria-label": t("people.mute_named", { name }),
                onclick: () => send("participant.mute", { participant: p.id }) }, t("people.mute")));
            buttons.push(h("button", { type: "button", class: "danger", "data-k": `remove-${p.id}`,
              "aria-label": t("people.remove_named", { name }), onclick: () => {
                if (window.confirm(t("people.remove_confirm", { name }))) {
                  send("participant.remove", { participant: p.id, reason: "" });
                }
              } }, t("people.remove")));
          }
          return h("li", { class: `person status-${p.status}` },
            h("span", { class: "name" }, name),
            h("span", { class: "badge" }, t(`people.status.${p.status || "present"}`)),
            p.role === "facilitator" ? h("span", { class: "badge" }, t("role.facilitator")) : null,
            p.muted ? h("span", { class: "badge muted-badge" }, t("people.muted")) : null,
            buttons.length ? h("div", { class: "buttons" }, buttons) : null);
        })));
    },
  };
}
