// Who has the floor, their remaining time, and the turn controls.

import { h, swap } from "../dom.js";
import { t } from "../i18n.js";
import { countdown } from "./timer.js";
import { currentTurn, displayName } from "../state.js";

export function floorPart({ send, facilitator = false, readOnly = false, you }) {
  const el = h("section", { class: "card floor", "aria-labelledby": "floor-h" });
  return {
    el,
    topics: ["floor.", "turn.", "session.", "me.", "agenda."],
    update(state) {
      const turn = currentTurn(state);
      const mine = turn && turn.participant === you.participant;
      const buttons = [];
      if (turn && mine && !readOnly) {
        buttons.push(h("button", { type: "button", class: "primary", "data-k": "yield",
          onclick: () => send("floor.yield") }, t("floor.yield")));
      }
      if (facilitator && state.session.status === "live") {
        buttons.push(h("button", { type: "button", class: "primary", "data-k": "grant-next",
          onclick: () => send("floor.grant") }, t("floor.grant_next")));
        if (turn) {
          buttons.push(h("button", { type: "button", "data-k": "end-turn",
            onclick: () => send("floor.end") }, t("floor.end")));
          buttons.push(h("button", { type: "button", "data-k": "extend-turn",
            onclick: () => send("floor.extend", { seconds: 30 }) }, t("floor.extend")));
        }
      }
      swap(el,
        h("h2", { id: "floor-h" }, t("floor.title")),
        turn
          ? [h("p", { class: "speaker" }, mine ? t("floor.you_speak") : displayName(state, turn.participant),
            turn.kind && turn.kind !== "speak" ? h("span", { class: "badge" }, t(`hand.kind.${turn.kind}`)) : null),
          h("p", {}, countdown({ deadline: turn.deadline }))]
          : h("p", { class: "muted" }, t("floor.nobody")),
        buttons.length ? h("div", { class: "buttons" }, buttons) : null);
    },
  };
}
