// Live captions in the participant view: the latest transcript line (a captioner's or a
// facilitator's, attached to the turn or to the item), read out politely by screen
// readers. Off unless the viewer turns it on; the choice stays in this browser.

import { h, shown } from "../dom.js";
import { t } from "../i18n.js";
import { displayName } from "../state.js";

const STORE_KEY = "townhall:captions";

/** The latest caption as {who, text}: the speaker's name when it belongs to a turn. */
export function captionLine(state) {
  const caption = state.caption;
  if (!caption || !caption.text) return null;
  const turn = caption.turn == null ? null : state.turns.find((x) => x.number === caption.turn);
  return { who: turn ? displayName(state, turn.participant) : "", text: caption.text };
}

export function captionsPart() {
  let on = localStorage.getItem(STORE_KEY) === "on";
  const toggle = h("input", { type: "checkbox", checked: on, "data-k": "captions-toggle", onchange: () => {
    on = toggle.checked;
    localStorage.setItem(STORE_KEY, on ? "on" : "off");
    draw();
  } });
  const who = h("strong", { class: "caption-who" });
  const words = h("span", { class: "caption-text" });
  const line = h("p", { class: "caption-line", "aria-live": "polite", "aria-atomic": "true" }, who, words);
  const el = h("section", { class: "card captions", "aria-labelledby": "captions-h" },
    h("h2", { id: "captions-h", class: "visually-hidden" }, t("caption.title")),
    h("label", { class: "choice" }, toggle, t("caption.show")), line);
  let latest = null;
  function draw() {
    line.hidden = !on;
    if (!on || !latest) return;
    const found = captionLine(latest);
    const whoText = found?.who ? shown(`${found.who}: `) : "";
    const text = found ? shown(found.text) : t("caption.none");
    // Only a change is written, so the live region speaks each new line once.
    if (who.textContent !== whoText) who.textContent = whoText;
    if (words.textContent !== text) words.textContent = text;
    line.classList.toggle("muted", !found);
  }
  return {
    el,
    topics: ["transcript.", "floor.", "session."],
    update(state) {
      latest = state;
      draw();
    },
  };
}
