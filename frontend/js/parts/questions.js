// Questions sorted by upvotes; participants ask and upvote, facilitators moderate.

import { LIMITS } from "../limits.js";
import { h, swap, field, keepDraft, forgetDraft, clearSent } from "../dom.js";
import { t, formatNumber } from "../i18n.js";
import { displayName, sortedQuestions, votedByMe, votesOf } from "../state.js";

export function questionsPart({ send, facilitator = false, readOnly = false, you }) {
  const el = h("section", { class: "card questions", "aria-labelledby": "questions-h" });
  const list = h("div");
  const text = keepDraft(h("textarea", { rows: 2, maxlength: LIMITS.text, name: "question" }), "question");
  const form = h("form", { class: "stack", onsubmit: (e) => {
    e.preventDefault();
    if (!text.value.trim()) return text.focus();
    const done = clearSent([text]);
    send("question.ask", { text: text.value.trim() }).then(() => {
      done();
      if (!text.value) forgetDraft("question");
    });
    return undefined;
  } }, field(t("question.label"), text), h("button", { type: "submit" }, t("question.ask")));
  el.append(h("h2", { id: "questions-h" }, t("question.title")));
  if (!readOnly) el.append(form);
  el.append(list);
  return {
    el,
    topics: ["question.", "me.", "room.", "session."],
    update(state) {
      form.hidden = state.settings.questions === false && !facilitator;
      const open = sortedQuestions(state).filter((q) => q.status === "open" || facilitator);
      swap(list, open.length ? h("ol", { class: "question-list" }, open.map((q) => {
        const mine = q.participant === you.participant;
        const voted = votedByMe(state, q);
        const controls = [];
        if (!readOnly && !mine && q.status === "open") {
          controls.push(h("button", { type: "button", "data-k": `upvote-${q.id}`, disabled: voted,
            "aria-pressed": voted ? "true" : "false",
            "aria-label": t("question.upvote_named", { text: q.text.slice(0, 60) }),
            onclick: () => send("question.upvote", { question: q.id }) },
          voted ? t("question.upvoted") : t("question.upvote")));
        }
        if (facilitator && q.status === "open") {
          const act = (command, label) => h("button", { type: "button", "data-k": `${command}-${q.id}`,
            onclick: () => send(command, { question: q.id }) }, t(label));
          controls.push(act("question.answer", "question.answer"), act("question.dismiss", "question.dismiss"),
            act("question.to_queue", "question.to_queue"));
        }
        return h("li", { class: `question status-${q.status}` },
          h("p", { class: "q-text" }, q.text),
          h("p", { class: "muted" }, displayName(state, q.participant), " · ",
            t("question.votes", { n: formatNumber(votesOf(q)) }),
            q.status !== "open" ? [" · ", h("span", { class: "badge" }, t(`question.status.${q.status}`))] : null),
          controls.length ? h("div", { class: "buttons" }, controls) : null);
      })) : h("p", { class: "muted" }, t("question.none")));
    },
  };
}
