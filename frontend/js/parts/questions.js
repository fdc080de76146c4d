// Questions sorted by upvotes; participants ask (anonymously if they wish) and upvote,
// facilitators moderate: approve (when questions are premoderated), answer, dismiss, hide
// with a reason, move the asker into the queue.
//
// What the public sees follows the server's views (facilitation/render.py question_view):
// an anonymous question names nobody, a pending one reaches only facilitators and its
// asker, and a dismissed or hidden one loses its text for everyone else.

import { LIMITS } from "../limits.js";
import { h, swap, field, keepDraft, forgetDraft, clearSent, uid } from "../dom.js";
import { t, formatNumber, plural } from "../i18n.js";
import { displayName, noteMyQuestion, sortedQuestions, votedByMe, votesOf } from "../state.js";

const short = (text) => String(text ?? "").slice(0, 60);

export function questionsPart({ send, facilitator = false, readOnly = false, you }) {
  const el = h("section", { class: "card questions", "aria-labelledby": "questions-h" });
  const list = h("div");
  let latest = null;
  let api = null;
  const text = keepDraft(h("textarea", { rows: 2, maxlength: LIMITS.text, name: "question" }), "question");
  const hintId = uid("anon-hint");
  const anonymous = h("input", { type: "checkbox", name: "anonymous", "aria-describedby": hintId });
  const premoderated = h("p", { class: "muted premoderated-note", hidden: true }, t("question.premoderated_note"));
  const form = h("form", { class: "stack", onsubmit: (e) => {
    e.preventDefault();
    const value = text.value.trim();
    if (!value) return text.focus();
    const done = clearSent([text]);
    const hidden = anonymous.checked;
    send("question.ask", { text: value, anonymous: hidden }).then((ack) => {
      done();
      if (!text.value) forgetDraft("question");
      anonymous.checked = false;
      if (latest) {
        noteMyQuestion(latest, ack?.result?.question, { text: value, anonymous: hidden });
        api.update(latest);
      }
    });
    return undefined;
  } }, field(t("question.label"), text),
  // Anonymity hides a participant from the public; a facilitator's name is never hidden.
  facilitator ? null : [h("label", { class: "choice" }, anonymous, t("question.anonymous")),
    h("p", { class: "hint", id: hintId }, t("question.anonymous_hint")), premoderated],
  h("button", { type: "submit" }, t("question.ask")));
  el.append(h("h2", { id: "questions-h" }, t("question.title")));
  if (!readOnly) el.append(form);
  el.append(list);

  // Hiding asks for a reason in a small form kept across updates (the reason is logged).
  let hiding = null; // {id, form}
  function hideControl(q) {
    if (hiding?.id === q.id) return hiding.form;
    return h("button", { type: "button", "data-k": `question.hide-${q.id}`,
      "aria-label": t("question.hide_named", { text: short(q.text) }), onclick: () => {
        const reason = h("input", { type: "text", maxlength: LIMITS.reason, required: true, "data-k": "question-hide-reason" });
        const close = () => { hiding = null; if (latest) api.update(latest); };
        const hideForm = h("form", { class: "inline-form", onsubmit: (e) => {
          e.preventDefault();
          if (!reason.value.trim()) return reason.focus();
          send("question.hide", { question: q.id, reason: reason.value.trim() }).then(close);
          return undefined;
        } }, field(t("question.hide_reason"), reason),
        h("button", { type: "submit", class: "danger" }, t("question.hide_confirm")),
        h("button", { type: "button", onclick: close }, t("agenda.cancel")));
        hiding = { id: q.id, form: hideForm };
        if (latest) api.update(latest);
        reason.focus();
      } }, t("question.hide"));
  }

  function asker(state, q) {
    if (q.participant == null) return t("question.anonymous_name");
    if (q.participant === you.participant) return t("question.mine");
    return displayName(state, q.participant);
  }

  function row(state, q) {
    const mine = q.mine || state.myQuestions?.has(q.id) || (q.participant && q.participant === you.participant);
    const voted = votedByMe(state, q);
    const controls = [];
    if (!readOnly && !mine && q.status === "open") {
      controls.push(h("button", { type: "button", "data-k": `upvote-${q.id}`, disabled: voted,
        "aria-pressed": voted ? "true" : "false",
        "aria-label": t("question.upvote_named", { text: short(q.text) }),
        onclick: () => send("question.upvote", { question: q.id }) },
      voted ? t("question.upvoted") : t("question.upvote")));
    }
    if (facilitator && q.status === "pending") {
      controls.push(h("button", { type: "button", class: "primary", "data-k": `question.approve-${q.id}`,
        "aria-label": t("question.approve_named", { text: short(q.text) }),
        onclick: () => send("question.approve", { question: q.id }) }, t("question.approve")));
    }
    if (facilitator && q.status === "open") {
      const act = (command, label) => h("button", { type: "button", "data-k": `${command}-${q.id}`,
        onclick: () => send(command, { question: q.id }) }, t(label));
      controls.push(act("question.answer", "question.answer"));
      if (!q.anonymous) controls.push(act("question.to_queue", "question.to_queue"));
    }
    if (facilitator && (q.status === "open" || q.status === "pending")) {
      controls.push(h("button", { type: "button", "data-k": `question.dismiss-${q.id}`,
        "aria-label": t("question.dismiss_named", { text: short(q.text) }),
        onclick: () => send("question.dismiss", { question: q.id }) }, t("question.dismiss")));
      controls.push(hideControl(q));
    }
    let body = q.text;
    if (body === null || body === undefined) {
      body = q.status === "hidden" ? t("question.hidden_text", { reason: q.hidden_reason || "" }) : t("question.removed_text");
    }
    const who = asker(state, q);
    return h("li", { class: `question status-${q.status}${mine ? " mine" : ""}`, "data-id": q.id },
      h("p", { class: "q-text" }, body),
      h("p", { class: "muted" }, who, " · ",
        facilitator && q.anonymous ? [h("span", { class: "badge anon" }, t("question.anonymous_badge")), " · "] : null,
        t("question.votes", { n: formatNumber(votesOf(q)) }),
        q.status !== "open" ? [" · ", h("span", { class: "badge" }, t(`question.status.${q.status}`))] : null,
        q.status === "hidden" && facilitator && q.hidden_reason ? [" (", q.hidden_reason, ")"] : null),
      controls.length ? h("div", { class: "buttons" }, controls) : null);
  }

  api = {
    el,
    topics: ["question.", "me.", "room.", "session."],
    update(state) {
      latest = state;
      form.hidden = state.settings.questions === false && !facilitator;
      premoderated.hidden = !state.settings.questions_premoderated;
      const all = sortedQuestions(state);
      // The public sees the open questions and its own (pending, answered...) ones.
      const shown = all.filter((q) => facilitator || q.status === "open" || q.mine || state.myQuestions?.has(q.id));
      // Pending ones first for facilitators: they wait for a decision.
      if (facilitator) shown.sort((a, b) => (b.status === "pending") - (a.status === "pending"));
      const pending = all.filter((q) => q.status === "pending").length;
      swap(list,
        facilitator && pending ? h("p", { class: "pending-count" }, plural("question.pending_count", pending)) : null,
        shown.length ? h("ol", { class: "question-list" }, shown.map((q) => row(state, q)))
          : h("p", { class: "muted" }, t("question.none")));
    },
  };
  return api;
}
