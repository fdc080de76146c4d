// The agenda: the current item with its countdown, and the whole list with planned vs
// actual times. Facilitators also get start/pause/resume/extend/complete and reordering.

import { LIMITS } from "../limits.js";
import { h, swap, field, clearSent } from "../dom.js";
import { t, formatDuration, formatTime } from "../i18n.js";
import { countdown } from "./timer.js";
import { currentItem } from "../state.js";
import { now, everySecond } from "../clock.js";
import { linkify, documentsList } from "./documents.js";

/** "The agenda is finished" only when there was an agenda and every item of it is done. */
export function agendaFinished(state) {
  const items = state.agenda.order.map((id) => state.agenda.items[id]).filter(Boolean);
  return items.length > 0 && items.every((item) => item.status === "done");
}

export function nextItem(state) {
  return state.agenda.order.map((id) => state.agenda.items[id])
    .find((item) => item && item.status === "pending") || null;
}

/** Presenters typed one per line (SPEC §9: an item's `presenters`, for cheering). */
function presentersInput(item) {
  return h("textarea", { rows: 2, maxlength: LIMITS.presenters * (LIMITS.name + 1), "data-k": `presenters-${item?.id || "new"}`,
    value: (item?.presenters || []).join("\n") });
}

function presentersOf(input) {
  return [...new Set(input.value.split("\n").map((s) => s.trim()).filter(Boolean))];
}

function presentersLine(item) {
  return item.presenters?.length ? h("p", { class: "muted presenters" }, t("agenda.presenters_line",
    { names: item.presenters.join(", ") })) : null;
}

function idleText(state) {
  if (agendaFinished(state)) return t("agenda.all_done");
  if (!state.agenda.order.length) return t("agenda.empty");
  return t("agenda.none_running");
}

export function currentItemPart() {
  const el = h("section", { class: "card current-item", "aria-labelledby": "current-item-h" });
  return {
    el,
    topics: ["agenda.", "session."],
    update(state) {
      followPlan(state);
      const item = currentItem(state);
      swap(el,
        h("h2", { id: "current-item-h" }, t("agenda.current")),
        item
          ? [h("p", { class: "item-title" }, item.title),
            item.description ? h("p", { class: "muted" }, linkify(item.description)) : null,
            documentsList(item),
            presentersLine(item),
            h("p", {}, countdown({ deadline: item.deadline, remaining: item.remaining_s,
              paused: item.status === "paused" })),
            h("p", { class: "muted" }, t("agenda.planned", { time: formatDuration(item.duration_s) })),
            h("p", { class: "muted" }, planTime("advance"))]
          : h("p", { class: "muted" }, idleText(state)));
    },
  };
}

/**
 * The facilitator's "now and next": the running item with its timer and its controls
 * (pause or resume, add a minute, complete), and the next pending item with "Start item".
 */
export function nowPart({ send }) {
  const el = h("section", { class: "card now current-item", "aria-labelledby": "now-h" });
  return {
    el,
    topics: ["agenda.", "session."],
    update(state) {
      followPlan(state);
      const item = currentItem(state);
      const next = nextItem(state);
      const live = state.session.status === "live";
      const buttons = [];
      if (item && live) {
        buttons.push(item.status === "paused"
          ? h("button", { type: "button", "data-k": "item-run", onclick: () => send("agenda.resume") }, t("agenda.resume"))
          : h("button", { type: "button", "data-k": "item-run", onclick: () => send("agenda.pause") }, t("agenda.pause")));
        buttons.push(h("button", { type: "button", "data-k": "item-ext",
          onclick: () => send("agenda.extend", { seconds: 60 }) }, t("agenda.extend")));
        buttons.push(h("button", { type: "button", "data-k": "item-done",
          onclick: () => send("agenda.complete", { item: item.id }) }, t("agenda.complete")));
      }
      swap(el,
        h("h2", { id: "now-h" }, t("agenda.current")),
        item
          ? [h("p", { class: "item-title" }, item.title),
            h("p", { class: "timer" }, countdown({ deadline: item.deadline, remaining: item.remaining_s,
              paused: item.status === "paused", big: true })),
            h("p", { class: "muted" }, t("agenda.planned", { time: formatDuration(item.duration_s) })),
            h("p", { class: "muted" }, planTime("advance"))]
          : h("p", { class: "muted" }, idleText(state)),
        buttons.length ? h("div", { class: "buttons" }, buttons) : null,
        next ? h("div", { class: "next-item" },
          h("h3", {}, t("agenda.next")),
          h("p", {}, h("span", { class: "next-title", id: "now-next-title" }, next.title), " ",
            h("span", { class: "muted" }, t("agenda.planned", { time: formatDuration(next.duration_s) })),
            live ? [" · ", h("span", { class: "muted" }, planTime("start", next.id))] : null),
          live ? h("div", { class: "buttons" }, h("button", { type: "button", class: item ? "" : "primary",
            "data-k": "item-next", "aria-describedby": "now-next-title",
            onclick: () => send("agenda.start", { item: next.id }) }, t("agenda.start"))) : null) : null,
        live && next ? h("p", { class: "muted" }, planTime("end")) : null);
    },
  };
}

function statusText(item) {
  return t(`agenda.status.${item.overrun && item.status !== "done" ? "overrun" : item.status}`);
}

function actual(item) {
  if (item.started && item.ended) {
    return (Date.parse(item.ended) - Date.parse(item.started)) / 1000 - (item.paused_s || 0);
  }
  return null;
}

// ---- the plan, re-planned every second from the server's (facilitation/agenda_timing.py)

/** When the running item gives way by itself (auto_advance_items): deadline + grace, or null. */
export function advanceAt(state) {
  const running = currentItem(state);
  if (!state.settings.auto_advance_items || !running?.deadline) return null;
  return Date.parse(running.deadline) + (state.settings.item_grace_s || 0) * 1000;
}

/** When the running item is expected to end, seen at `at` (ms): its deadline, or now while
 * it runs over (at most when it advances by itself); now + the rest while paused. */
function runningEnd(state, at) {
  const running = currentItem(state);
  if (!running) return at;
  if (!running.deadline) return at + Math.max(0, running.remaining_s || 0) * 1000;
  const end = Math.max(at, Date.parse(running.deadline));
  const due = advanceAt(state);
  return due === null ? end : Math.min(end, due);
}

/** Each pending item's planned start and the estimated end (ms), seen at `at`: the
 * server's offsets (`agenda.plan`) after the running item's expected end. */
export function replan(state, at = now()) {
  const base = runningEnd(state, at);
  const offsets = state.agenda.plan?.offsets || {};
  const starts = {};
  let pending = 0;
  for (const id of state.agenda.order) {
    const item = state.agenda.items[id];
    if (item?.status !== "pending") continue;
    starts[id] = base + 1000 * (typeof offsets[id] === "number" ? offsets[id] : pending);
    pending += item.duration_s;
  }
  return { starts, end: base + pending * 1000 };
}

// One ticker re-plans every shown time from the latest state: an overrun moves them on
// without waiting for another event.
let planned = null;
const PLAN_TEXT = { start: "agenda.planned_start", end: "agenda.estimated_end", advance: "agenda.advance_at" };

function planTime(kind, item = "") {
  const el = h("span", { class: `plan-time plan-${kind}`, "data-plan": kind, "data-item": item });
  if (planned) refreshPlan(el, replan(planned));
  return el;
}

function refreshPlan(el, plan) {
  const kind = el.dataset.plan;
  const at = kind === "end" ? plan.end : kind === "advance" ? advanceAt(planned) : plan.starts[el.dataset.item];
  if (at === null || at === undefined) {
    el.hidden = true;
    return;
  }
  el.hidden = false;
  const iso = new Date(at).toISOString();
  if (el.dataset.at !== iso) el.dataset.at = iso;
  const text = t(PLAN_TEXT[kind], { time: formatTime(iso) });
  if (el.textContent !== text) el.textContent = text;
}

function followPlan(state) {
  planned = state;
}

everySecond(() => {
  if (!planned) return;
  const plan = replan(planned);
  for (const el of document.querySelectorAll(".plan-time")) refreshPlan(el, plan);
});

export function agendaPart({ send, facilitator = false }) {
  const el = h("section", { class: "card agenda", "aria-labelledby": "agenda-h" });
  const list = h("div");
  const title = h("input", { type: "text", maxlength: LIMITS.title, required: true });
  const minutes = h("input", { type: "number", min: 1, max: LIMITS.duration_s / 60, value: 10, required: true, inputmode: "numeric" });
  const presenters = presentersInput(null);
  const addForm = facilitator ? h("form", { class: "inline-form", onsubmit: (e) => {
    e.preventDefault();
    if (!title.value.trim()) return title.focus();
    const done = clearSent([title, presenters]);
    const data = { title: title.value.trim(), duration_s: Math.round(Number(minutes.value) * 60) };
    if (presentersOf(presenters).length) data.presenters = presentersOf(presenters);
    send("agenda.add", data).then(done);
    return undefined;
  } }, h("h3", {}, t("agenda.add_title")), field(t("agenda.item_title"), title),
  field(t("agenda.minutes"), minutes), field(t("agenda.presenters"), presenters, t("agenda.presenters_hint")),
  h("button", { type: "submit" }, t("agenda.add"))) : null;
  el.append(h("h2", { id: "agenda-h" }, t("agenda.title")), list);
  if (addForm) el.append(addForm);

  // The item being edited keeps one form across updates, so typing survives live events.
  let editing = null; // {id, form}
  function editForm(item, redraw) {
    if (editing?.id === item.id) return editing.form;
    const titleInput = h("input", { type: "text", maxlength: LIMITS.title, required: true, value: item.title, "data-k": `edit-title-${item.id}` });
    const minutesInput = h("input", { type: "number", min: 1, max: LIMITS.duration_s / 60, inputmode: "numeric",
      value: Math.max(1, Math.round(item.duration_s / 60)) });
    const presentersEdit = presentersInput(item);
    const form = h("form", { class: "inline-form", onsubmit: (e) => {
      e.preventDefault();
      send("agenda.update", { item: item.id, title: titleInput.value.trim(),
        duration_s: Math.round(Number(minutesInput.value) * 60), presenters: presentersOf(presentersEdit) })
        .then(() => { editing = null; redraw(); });
    } }, field(t("agenda.item_title"), titleInput), field(t("agenda.minutes"), minutesInput),
    field(t("agenda.presenters"), presentersEdit, t("agenda.presenters_hint")),
    h("button", { type: "submit", class: "primary" }, t("agenda.save")),
    h("button", { type: "button", onclick: () => { editing = null; redraw(); } }, t("agenda.cancel")));
    editing = { id: item.id, form };
    return form;
  }

  function move(state, id, delta) {
    const order = [...state.agenda.order];
    const at = order.indexOf(id);
    const to = at + delta;
    if (to < 0 || to >= order.length) return;
    [order[at], order[to]] = [order[to], order[at]];
    send("agenda.reorder", { items: order });
  }

  function controls(state, item, index) {
    if (!facilitator) return null;
    const live = state.session.status === "live";
    const buttons = [];
    if (editing?.id === item.id) return editForm(item, () => api.update(state));
    if (item.status !== "done") {
      buttons.push(h("button", { type: "button", "data-k": `edit-${item.id}`,
        "aria-label": t("agenda.edit_named", { title: item.title }),
        onclick: () => {
          editForm(item, () => api.update(state));
          api.update(state);
          editing.form.querySelector("input")?.focus();
        } }, t("agenda.edit")));
    }
    if (item.status === "pending") {
      // "Start item" itself is on the board (the next item); here any item can be started.
      if (live) buttons.push(h("button", { type: "button", "data-k": `run-${item.id}`,
        "aria-label": t("agenda.start_named", { title: item.title }),
        onclick: () => send("agenda.start", { item: item.id }) }, t("agenda.start_this")));
      buttons.push(h("button", { type: "button", "data-k": `up-${item.id}`, disabled: index === 0,
        "aria-label": t("agenda.move_up_named", { title: item.title }),
        onclick: () => move(state, item.id, -1) }, "↑"));
      buttons.push(h("button", { type: "button", "data-k": `down-${item.id}`,
        disabled: index === state.agenda.order.length - 1,
        "aria-label": t("agenda.move_down_named", { title: item.title }),
        onclick: () => move(state, item.id, 1) }, "↓"));
      buttons.push(h("button", { type: "button", "data-k": `rm-${item.id}`,
        "aria-label": t("agenda.remove_named", { title: item.title }),
        onclick: () => send("agenda.remove", { item: item.id }) }, t("agenda.remove")));
    }
    return h("div", { class: "buttons" }, buttons);
  }

  const api = {
    el,
    topics: ["agenda.", "session."],
    update(state) {
      followPlan(state);
      const live = state.session.status === "live";
      const rows = state.agenda.order.map((id, index) => {
        const item = state.agenda.items[id];
        if (!item) return null;
        const spent = actual(item);
        return h("li", { class: `agenda-item status-${item.status}${item.overrun ? " overrun" : ""}`,
          "aria-current": state.agenda.current === id ? "step" : null },
        h("span", { class: "item-title", id: `agenda-${id}-title` }, item.title),
        h("span", { class: "badge" }, statusText(item)),
        h("span", { class: "muted" }, t("agenda.planned", { time: formatDuration(item.duration_s) }),
          spent !== null ? ` · ${t("agenda.actual", { time: formatDuration(spent) })}` : "",
          live && item.status === "pending" ? [" · ", planTime("start", id)] : null),
        presentersLine(item),
        item.description ? h("p", { class: "muted item-description" }, linkify(item.description)) : null,
        documentsList(item),
        controls(state, item, index));
      });
      const pending = state.agenda.order.some((id) => state.agenda.items[id]?.status !== "done");
      swap(list,
        rows.length ? h("ol", { class: "agenda-list" }, rows) : h("p", { class: "muted" }, t("agenda.empty")),
        pending && live ? h("p", { class: "muted agenda-end" }, planTime("end")) : null);
    },
  };
  return api;
}
