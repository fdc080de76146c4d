// The speaking queue: my hand (raise with a kind, lower), my position and estimated wait,
// and for facilitators grant/move/lower per hand plus close/open/clear.

import { h, swap, field } from "../dom.js";
import { t, formatDuration } from "../i18n.js";
import { secondsUntil } from "../clock.js";
import { currentQueue, currentTurn, displayName, estimatedWait, me } from "../state.js";

const KINDS = ["speak", "point_of_order", "reply"];

export function queuePart({ send, facilitator = false, readOnly = false, you }, { mine: withMine = !readOnly } = {}) {
  const el = h("section", { class: "card queue", "aria-labelledby": "queue-h" });
  const mine = h("div", { class: "my-hand" });
  const list = h("div");
  const kind = h("select", { name: "kind" });
  const kindField = field(t("hand.kind_label"), kind);
  el.append(h("h2", { id: "queue-h" }, t("queue.title")));
  if (withMine) el.append(mine);
  el.append(list);

  function drawKinds(state) {
    const turn = currentTurn(state);
    const selected = kind.value || "speak";
    kind.replaceChildren(...KINDS.filter((k) => k !== "reply" || turn).map((k) =>
      h("option", { value: k, selected: k === selected }, t(`hand.kind.${k}`))));
  }

  function myControls(state) {
    const queue = currentQueue(state);
    const index = queue.hands.findIndex((hand) => hand.participant === you.participant);
    const turn = currentTurn(state);
    const speaking = turn && turn.participant === you.participant;
    const self = me(state);
    const blocked = state.session.status !== "live" || self?.muted || self?.status === "waiting";
    if (index >= 0) {
      const left = turn ? secondsUntil(turn.deadline) : 0;
      const wait = estimatedWait(state, index, left);
      return [
        h("p", { class: "position", "data-position": String(index + 1) },
          index === 0 ? t("queue.you_next") : t("queue.your_position", { n: index + 1 }),
          " · ", t("queue.wait", { time: formatDuration(wait) })),
        h("button", { type: "button", "data-k": "my-hand", onclick: () => send("hand.lower") },
          t("hand.lower")),
      ];
    }
    if (speaking) return h("p", {}, t("floor.you_speak"));
    if (queue.closed) return h("p", { class: "muted" }, t("queue.closed_note"));
    drawKinds(state);
    return h("form", { class: "inline-form", onsubmit: (e) => {
      e.preventDefault();
      send("hand.raise", { kind: kind.value || "speak" });
    } }, kindField, h("button", { type: "submit", class: "primary", "data-k": "my-hand",
      disabled: blocked }, t("hand.raise")));
  }

  function handControls(state, hand, index, count) {
    if (!facilitator) return null;
    const name = displayName(state, hand.participant);
    const k = hand.participant;
    return h("div", { class: "buttons" },
      h("button", { type: "button", "data-k": `grant-${k}`, "aria-label": t("queue.grant_named", { name }),
        onclick: () => send("floor.grant", { participant: k }) }, t("queue.grant")),
      h("button", { type: "button", "data-k": `up-${k}`, disabled: index === 0,
        "aria-label": t("queue.up_named", { name }),
        onclick: () => send("queue.move", { participant: k, position: index - 1 }) }, "↑"),
      h("button", { type: "button", "data-k": `down-${k}`, disabled: index === count - 1,
        "aria-label": t("queue.down_named", { name }),
        onclick: () => send("queue.move", { participant: k, position: index + 1 }) }, "↓"),
      h("button", { type: "button", "data-k": `lower-${k}`, "aria-label": t("queue.lower_named", { name }),
        onclick: () => send("hand.lower", { participant: k }) }, t("queue.lower")));
  }

  return {
    el,
    topics: ["hand.", "queue.", "floor.", "turn.", "agenda.", "session.", "me.",
      "participant.muted", "participant.removed", "room.", "question.queued"],
    update(state) {
      const queue = currentQueue(state);
      if (withMine) swap(mine, myControls(state));
      const rows = queue.hands.map((hand, index) => h("li", {
        class: `hand kind-${hand.kind}${hand.participant === you.participant ? " mine" : ""}` },
      h("span", { class: "name" }, displayName(state, hand.participant),
        hand.participant === you.participant ? ` (${t("queue.you")})` : ""),
      hand.kind !== "speak" ? h("span", { class: "badge" }, t(`hand.kind.${hand.kind}`)) : null,
      handControls(state, hand, index, queue.hands.length)));
      const tools = facilitator && state.session.status === "live" ? h("div", { class: "buttons" },
        queue.closed
          ? h("button", { type: "button", "data-k": "q-open", onclick: () => send("queue.open") }, t("queue.open"))
          : h("button", { type: "button", "data-k": "q-close", onclick: () => send("queue.close") }, t("queue.close")),
        h("button", { type: "button", "data-k": "q-clear", disabled: !queue.hands.length,
          onclick: () => send("queue.clear") }, t("queue.clear"))) : null;
      swap(list,
        queue.closed ? h("p", { class: "badge closed" }, t("queue.closed")) : null,
        rows.length ? h("ol", { class: "hands", "aria-label": t("queue.list_label") }, rows)
          : h("p", { class: "muted" }, t("queue.empty")),
        h("p", { class: "muted" }, t(`queue.policy.${state.settings.queue_policy}`)),
        tools);
    },
  };
}
