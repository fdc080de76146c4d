// The live feed of statements and transcript, newest last, and the statement box. The
// box is built once and never re-rendered, so text being typed survives every update and
// every reconnect.

import { LIMITS } from "../limits.js";
import { h, swap, field, keepDraft, forgetDraft, clearSent } from "../dom.js";
import { t, formatTime } from "../i18n.js";
import { displayName, me, namesakes } from "../state.js";

export function feedPart({ send, facilitator = false, readOnly = false, you }) {
  const el = h("section", { class: "card feed", "aria-labelledby": "feed-h" });
  const list = h("ol", { class: "feed-list", "aria-label": t("feed.list_label") });
  const text = keepDraft(h("textarea", { rows: 3, maxlength: LIMITS.text, name: "statement" }), "statement");
  const note = h("p", { class: "muted" });
  const post = h("button", { type: "submit", class: "primary" }, t("feed.post"));
  const form = h("form", { class: "stack", onsubmit: (e) => {
    e.preventDefault();
    const value = text.value.trim();
    if (!value) return text.focus();
    // The text stays in the box until the server has it: a drop mid-send loses nothing.
    send("statement.post", { text: value }).then(() => {
      if (text.value.trim() === value) {
        text.value = "";
        forgetDraft("statement");
      }
    });
    return undefined;
  } }, field(t("feed.label"), text), note, post);
  const transcript = h("textarea", { rows: 2, maxlength: LIMITS.text });
  const transcriptForm = h("form", { class: "stack", onsubmit: (e) => {
    e.preventDefault();
    if (!transcript.value.trim()) return;
    send("transcript.append", { text: transcript.value.trim() }).then(clearSent([transcript]));
  } }, field(t("feed.transcript_label"), transcript), h("button", { type: "submit" }, t("feed.transcript_add")));
  el.append(h("h2", { id: "feed-h" }, t("feed.title")), h("div", { class: "feed-scroll" }, list));
  if (!readOnly) el.append(form);
  if (facilitator) el.append(transcriptForm);
  let shown = 0;
  // Hiding asks for a reason in a small form kept across updates (the reason is logged).
  let hiding = null; // {id, form}
  let api = null;
  function hideControl(statement, state) {
    if (hiding?.id !== statement.id) {
      return h("button", { type: "button", class: "small", "data-k": `hide-${statement.id}`,
        onclick: () => {
          const reason = h("input", { type: "text", maxlength: LIMITS.reason, required: true, "data-k": "hide-reason" });
          const form = h("form", { class: "inline-form", onsubmit: (e) => {
            e.preventDefault();
            if (!reason.value.trim()) return reason.focus();
            send("statement.hide", { statement: statement.id, reason: reason.value.trim() })
              .then(() => { hiding = null; api.update(state); });
            return undefined;
          } }, field(t("feed.hide_reason"), reason),
          h("button", { type: "submit", class: "danger" }, t("feed.hide_confirm")),
          h("button", { type: "button", onclick: () => { hiding = null; api.update(state); } }, t("agenda.cancel")));
          hiding = { id: statement.id, form };
          api.update(state);
          reason.focus();
        } }, t("feed.hide"));
    }
    return hiding.form;
  }
  api = {
    el,
    topics: ["statement.", "transcript.", "me.", "room.", "session.", "floor.", "turn."],
    update(state) {
      const self = me(state);
      const off = state.settings.statements === false;
      post.disabled = state.session.status !== "live" || Boolean(self?.muted) || self?.status === "waiting"
        || (off && !facilitator);
      note.textContent = off ? t("feed.off") : state.settings.slow_mode_s
        ? t("feed.slow", { n: state.settings.slow_mode_s }) : "";
      // A line goes to the current turn, or to the running item when nobody has the floor.
      transcriptForm.hidden = state.currentTurn === null && !state.agenda.current;
      const label = transcriptForm.querySelector("label");
      const wanted = t(state.currentTurn === null ? "feed.caption_label" : "feed.transcript_label");
      if (label && label.textContent !== wanted) label.textContent = wanted;
      const entries = state.statements.slice(-200);
      list.parentElement.hidden = !entries.length;
      swap(list, entries.map((s) => h("li", { class: `entry${s.transcript ? " transcript" : ""}${s.hidden ? " hidden" : ""}`,
        "data-id": s.id },
      h("span", { class: "who" }, s.participant ? displayName(state, s.participant) : t("feed.system")),
      staffBadge(state, s.participant),
      sameName(state, s.participant),
      s.transcript ? h("span", { class: "badge" }, t("feed.transcript")) : null,
      h("time", { datetime: s.at }, formatTime(s.at)),
      h("p", {}, s.hidden ? t("feed.hidden", { reason: s.hidden_reason || "" }) : s.text),
      facilitator && !s.hidden && !s.transcript ? hideControl(s, state) : null)));
      if (entries.length !== shown) {
        shown = entries.length;
        const scroller = list.parentElement;
        scroller.scrollTop = scroller.scrollHeight;
      }
    },
  };
  return api;
}

/** Facilitators' posts carry their role, so no participant can pass for one. */
function staffBadge(state, id) {
  const person = id ? state.people[id] : null;
  return person && person.role === "facilitator" ? h("span", { class: "badge role" }, t("role.facilitator")) : null;
}

/** Two people with one name: each post says which one (by order of joining). */
function sameName(state, id) {
  const n = id ? namesakes(state, id) : 0;
  return n ? h("span", { class: "badge same-name", title: t("feed.same_name") }, `#${n}`) : null;
}
