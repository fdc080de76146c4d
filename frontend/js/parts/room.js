// Room controls, in three places so that an action is never next to a toggle:
// - sessionPart: the session's state and its one-way actions (Start session, End session
//   with a confirmation) and, once it has ended, "Export minutes";
// - togglesPart: immediate switches that take effect at once and can be switched back
//   (lock, lobby, statements, questions, auto-advance);
// - settingsPart: two more switches (approving questions first, the agenda running
//   itself), then the numbers and the queue order, applied together with one button.

import { LIMITS } from "../limits.js";
import { h, swap, field } from "../dom.js";
import { t } from "../i18n.js";

export const FORMATS = [["md", "Markdown"], ["html", "HTML"], ["pdf", "PDF"], ["json", "JSON"]];

/**
 * "Export minutes": a disclosure button with one download per format. `token` is the
 * facilitator link's (the API accepts it for this room's minutes); the console uses its
 * session cookie instead and passes none.
 */
export function exportMenu(room, token, { id = "export-links" } = {}) {
  const base = `/api/townhalls/${encodeURIComponent(room)}`;
  const q = token ? `?token=${encodeURIComponent(token)}` : "";
  const links = h("ul", { id, class: "export-links", hidden: true },
    FORMATS.map(([ext, label]) => h("li", {}, h("a", { href: `${base}/minutes.${ext}${q}`, download: "" },
      t("room.minutes_as", { format: label })))),
    h("li", {}, h("a", { href: `${base}/transcript.csv${q}`, download: "" }, t("room.transcript_csv"))));
  const button = h("button", { type: "button", class: "primary", "data-k": "export", "aria-expanded": "false",
    "aria-controls": id, onclick: () => {
      links.hidden = !links.hidden;
      button.setAttribute("aria-expanded", links.hidden ? "false" : "true");
    } }, t("room.export"));
  return h("div", { class: "export" }, button, links);
}

export function sessionPart({ send, token }) {
  const el = h("section", { class: "session-bar", "aria-label": t("room.title") });
  let exporter = null;
  return {
    el,
    topics: ["session.", "room."],
    update(state) {
      const status = state.session.status;
      const actions = [];
      if (status === "scheduled") {
        actions.push(h("button", { type: "button", class: "primary", "data-k": "start-session",
          onclick: () => send("session.start") }, t("room.start_session")));
      }
      if (status === "live") {
        actions.push(h("button", { type: "button", class: "danger", "data-k": "end-session", onclick: () => {
          if (window.confirm(t("room.end_confirm"))) send("session.end");
        } }, t("room.end_session")));
      }
      if (status === "ended") {
        exporter = exporter || exportMenu(state.room, token);
        actions.push(exporter);
      }
      swap(el, h("span", { class: `badge status-${status}` }, t(`session.status.${status}`)),
        state.locked ? h("span", { class: "badge" }, t("room.locked")) : null,
        h("div", { class: "buttons keep" }, actions));
    },
  };
}

/** A switch for a boolean room setting: applies at once, and says its state. */
function settingSwitch(send, key, on) {
  return h("button", { type: "button", role: "switch", "data-k": key, "aria-checked": on ? "true" : "false",
    onclick: () => send("room.settings", { [key]: !on }) }, t(`room.toggle.${key}`));
}

export function togglesPart({ send }) {
  const el = h("section", { class: "toggles", "aria-labelledby": "toggles-h" });
  return {
    el,
    topics: ["session.", "room."],
    update(state) {
      const toggle = (key, on, onText, action) => h("button", { type: "button", role: "switch", "data-k": key,
        "aria-checked": on ? "true" : "false", onclick: action }, onText);
      const setting = (key, on) => toggle(key, on, t(`room.toggle.${key}`),
        () => send("room.settings", { [key]: !on }));
      swap(el, h("h2", { id: "toggles-h", class: "visually-hidden" }, t("room.toggles")),
        state.session.status === "ended" ? null : h("div", { class: "switches" },
          toggle("lock", state.locked, t("room.lock"), () => send(state.locked ? "room.unlock" : "room.lock")),
          setting("lobby", state.settings.lobby), setting("statements", state.settings.statements !== false),
          setting("questions", state.settings.questions !== false), setting("auto_advance", state.settings.auto_advance)));
    },
  };
}

export function settingsPart({ send }) {
  const el = h("section", { class: "card room-settings", "aria-labelledby": "settings-h" });
  const slow = h("input", { type: "number", min: 0, max: LIMITS.turn_s, inputmode: "numeric", "data-k": "slow" });
  const turn = h("input", { type: "number", min: 10, max: LIMITS.turn_s, inputmode: "numeric", "data-k": "turn-s" });
  const cap = h("input", { type: "number", min: 0, max: 100, inputmode: "numeric", "data-k": "cap" });
  const grace = h("input", { type: "number", min: 0, max: LIMITS.turn_s, inputmode: "numeric", "data-k": "grace" });
  const policy = h("select", { "data-k": "policy" }, ["fifo", "fair"].map((p) => h("option", { value: p }, t(`queue.policy_name.${p}`))));
  const form = h("form", { class: "inline-form", onsubmit: (e) => {
    e.preventDefault();
    dirty = false;
    send("room.settings", { slow_mode_s: Number(slow.value), turn_s: Number(turn.value), queue_policy: policy.value,
      max_turns_per_item: Number(cap.value) || null, item_grace_s: Number(grace.value) });
  } }, field(t("room.slow_mode"), slow), field(t("room.turn_s"), turn), field(t("room.cap"), cap),
  field(t("room.item_grace_s"), grace),
  field(t("room.policy"), policy),
  h("button", { type: "submit" }, t("room.apply")));
  const switches = h("div", { class: "switches settings-switches" });
  el.append(h("h2", { id: "settings-h" }, t("room.settings")), switches, form);
  let dirty = false;
  for (const input of [slow, turn, cap, grace, policy]) input.addEventListener("input", () => { dirty = true; });
  return {
    el,
    topics: ["session.", "room."],
    update(state) {
      if (!dirty) {
        slow.value = String(state.settings.slow_mode_s ?? 0);
        turn.value = String(state.settings.turn_s ?? 120);
        cap.value = String(state.settings.max_turns_per_item || 0);
        policy.value = state.settings.queue_policy || "fifo";
        grace.value = String(state.settings.item_grace_s ?? 30);
      }
      form.hidden = state.session.status === "ended";
      swap(switches, state.session.status === "ended" ? null : [
        settingSwitch(send, "questions_premoderated", Boolean(state.settings.questions_premoderated)),
        settingSwitch(send, "auto_advance_items", Boolean(state.settings.auto_advance_items))]);
    },
  };
}
