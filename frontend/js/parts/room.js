// Room controls: start/end the session, lock, lobby, slow mode, queue policy, turn length,
// and the minutes once the session has ended. Ending asks for confirmation first.

import { LIMITS } from "../limits.js";
import { h, swap, field } from "../dom.js";
import { t } from "../i18n.js";

const FORMATS = [["md", "Markdown"], ["html", "HTML"], ["pdf", "PDF"], ["json", "JSON"]];

export function roomPart({ send, token }) {
  const el = h("section", { class: "card room", "aria-labelledby": "room-h" });
  const slow = h("input", { type: "number", min: 0, max: LIMITS.turn_s, inputmode: "numeric", "data-k": "slow" });
  const turn = h("input", { type: "number", min: 10, max: LIMITS.turn_s, inputmode: "numeric", "data-k": "turn-s" });
  const cap = h("input", { type: "number", min: 0, max: 100, inputmode: "numeric", "data-k": "cap" });
  const policy = h("select", { "data-k": "policy" }, ["fifo", "fair"].map((p) => h("option", { value: p }, t(`queue.policy_name.${p}`))));
  const settingsForm = h("form", { class: "inline-form", onsubmit: (e) => {
    e.preventDefault();
    send("room.settings", { slow_mode_s: Number(slow.value), turn_s: Number(turn.value), queue_policy: policy.value,
      max_turns_per_item: Number(cap.value) || null });
  } }, field(t("room.slow_mode"), slow), field(t("room.turn_s"), turn), field(t("room.cap"), cap),
  field(t("room.policy"), policy),
  h("button", { type: "submit" }, t("room.apply")));
  const controls = h("div");
  let exportOpen = false;
  el.append(h("h2", { id: "room-h" }, t("room.title")), controls, settingsForm);
  let dirty = false;
  for (const input of [slow, turn, cap, policy]) input.addEventListener("input", () => { dirty = true; });
  settingsForm.addEventListener("submit", () => { dirty = false; });
  const api = {
    el,
    topics: ["session.", "room."],
    update(state) {
      if (!dirty) {
        slow.value = String(state.settings.slow_mode_s ?? 0);
        turn.value = String(state.settings.turn_s ?? 120);
        cap.value = String(state.settings.max_turns_per_item || 0);
        policy.value = state.settings.queue_policy || "fifo";
      }
      const status = state.session.status;
      settingsForm.hidden = status === "ended";
      const buttons = [];
      if (status === "scheduled") {
        buttons.push(h("button", { type: "button", class: "primary", "data-k": "start-session",
          onclick: () => send("session.start") }, t("room.start_session")));
      }
      if (status !== "ended") {
        buttons.push(state.locked
          ? h("button", { type: "button", "data-k": "lock", "aria-pressed": "true", onclick: () => send("room.unlock") }, t("room.unlock"))
          : h("button", { type: "button", "data-k": "lock", "aria-pressed": "false", onclick: () => send("room.lock") }, t("room.lock")));
        const toggle = (key, on) => h("button", { type: "button", "data-k": key, "aria-pressed": on ? "true" : "false",
          onclick: () => send("room.settings", { [key]: !on }) }, t(`room.toggle.${key}`));
        buttons.push(toggle("lobby", state.settings.lobby), toggle("statements", state.settings.statements !== false),
          toggle("questions", state.settings.questions !== false), toggle("auto_advance", state.settings.auto_advance));
      }
      if (status === "live") {
        buttons.push(h("button", { type: "button", class: "danger", "data-k": "end-session", onclick: () => {
          if (window.confirm(t("room.end_confirm"))) send("session.end");
        } }, t("room.end_session")));
      }
      const base = `/api/townhalls/${encodeURIComponent(state.room)}`;
      const q = `?token=${encodeURIComponent(token)}`;
      const exportMenu = status === "ended" ? h("div", { class: "export" },
        h("button", { type: "button", class: "primary", "data-k": "export", "aria-expanded": exportOpen ? "true" : "false",
          "aria-controls": "export-links", onclick: () => { exportOpen = !exportOpen; api.update(state); } }, t("room.export")),
        h("ul", { id: "export-links", hidden: !exportOpen },
          FORMATS.map(([ext, label]) => h("li", {}, h("a", { href: `${base}/minutes.${ext}${q}`, download: "" },
            t("room.minutes_as", { format: label })))),
          h("li", {}, h("a", { href: `${base}/transcript.csv${q}`, download: "" }, t("room.transcript_csv"))))) : null;
      swap(controls, h("p", {}, h("span", { class: "badge" }, t(`session.status.${status}`)),
        state.locked ? [" ", h("span", { class: "badge" }, t("room.locked"))] : null),
      h("div", { class: "buttons" }, buttons), exportMenu);
    },
  };
  return api;
}
